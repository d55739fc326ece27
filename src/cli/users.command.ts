/**
 * `kibble users create --email --role [--name] [--password]`: creates a user of the web admin
 * without a prompt. The password comes from `--password`, else `KIBBLE_USER_PASSWORD`, else one
 * is generated and printed once. Exit codes as in main.ts (2 bad input, 3 refused by a rule).
 */
import type { Command } from 'commander';
import { configFromEnv, openDatabase } from '../db/database.js';
import { createUser, generatePassword, hashPassword } from '../app/access/users.js';
import { isRole, roles } from '../domain/access.js';
import { nowIso } from '../domain/clock.js';

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('Users who sign in to the web admin');
  users
    .command('create')
    .description('Create a user; prints the generated password when none is given')
    .requiredOption('-e, --email <email>', 'the email the user signs in with')
    .requiredOption('-r, --role <role>', `one of ${roles.join(', ')}`)
    .option('-n, --name <name>', 'display name (default: the part of the email before @)')
    .option('-p, --password <password>', 'at least 10 characters (or set KIBBLE_USER_PASSWORD)')
    .action(async (opts: { email: string; role: string; name?: string; password?: string }) => {
      if (!isRole(opts.role)) {
        console.error(`Unknown role "${opts.role}"; use one of ${roles.join(', ')}.`);
        process.exitCode = 2;
        return;
      }
      const role = opts.role;
      const given = opts.password ?? process.env['KIBBLE_USER_PASSWORD'];
      const password = given === undefined || given === '' ? generatePassword() : given;
      const passwordHash = await hashPassword(password);
      const database = openDatabase(configFromEnv());
      try {
        await database.migrate();
        const user = await database.transact((tx) =>
          createUser(tx, { email: opts.email, name: opts.name, role, passwordHash }, nowIso()),
        );
        console.log(`Created user ${user.email} (${user.role}), id ${user.id}`);
        if (given === undefined || given === '') console.log(`Password (shown once): ${password}`);
      } finally {
        await database.close();
      }
    });
}
