/**
 * The `kibble` command. Exit codes: 0 success, 1 a check found a problem (e.g. `stock verify`),
 * 2 bad usage or input, 3 a domain rule refused the operation.
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { configFromEnv, openDatabase, serverConfig } from '../db/database.js';
import { ConfigError, portFromEnv } from '../config.js';
import { verifyAllocations, verifyBalances } from '../db/stock.repo.js';
import { createApiKey } from '../app/access/api-keys.js';
import { isRole, roles } from '../domain/access.js';
import { DomainError } from '../domain/errors.js';
import { registerDemoCommand } from './demo.command.js';
import { domainErrorLines, unreachableDatabaseLine } from './error-lines.js';
import { registerCsvCommands } from './csv.command.js';
import { registerUsersCommand } from './users.command.js';

const program = new Command();
program
  .name('kibble')
  .description('Inventory and order management: stock and orders that never disagree.')
  .version('0.1.0')
  // Bad usage — an unknown command or option, a missing or invalid argument — exits 2, like every
  // other input Kibble refuses (commander's own code is 1, which means an unexpected failure here).
  // Set before the commands are added: they inherit it.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

const portOption = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
};

async function runServe(opts: { port?: number; host: string; demo?: boolean }): Promise<void> {
  // PORT is read here, not as the option's default: a bad one is refused by the commands that use it.
  const port = opts.port ?? portFromEnv();
  const database = openDatabase(serverConfig(configFromEnv()));
  if (opts.demo) {
    const { seedDemoIfEmpty } = await import('./demo.js');
    await database.migrate();
    await seedDemoIfEmpty(database, (line) => process.stdout.write(`${line}\n`));
  }
  // Loaded here, not at the top: Fastify and every route would slow down all other commands.
  const { serve } = await import('./serve.js');
  const running = await serve({ port, host: opts.host, log: process.env['KIBBLE_LOG'] !== 'off' }, database);
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

program
  .command('serve')
  .description('Run the API and web admin on one port (PORT, KIBBLE_DB, DATABASE_URL, KIBBLE_ADMIN_KEY)')
  .option('-p, --port <port>', 'port to listen on (default: PORT, or 3000)', portOption)
  .option('--host <host>', 'interface to bind', process.env['HOST'] ?? '0.0.0.0')
  .option('--demo', 'seed the demo pet shop first when the database is empty')
  .action(runServe);

program
  .command('start')
  .description('Seed the demo shop if the database is empty, then serve (what `npm start` runs)')
  .option('-p, --port <port>', 'port to listen on (default: PORT, or 3000)', portOption)
  .option('--host <host>', 'interface to bind', process.env['HOST'] ?? '0.0.0.0')
  .action((opts: { port?: number; host: string }) => runServe({ ...opts, demo: true }));

program
  .command('migrate')
  .description('Apply pending database migrations')
  .action(async () => {
    const database = openDatabase(configFromEnv());
    try {
      const applied = await database.migrate();
      console.log(applied.length ? `Applied ${applied.join(', ')}` : 'Database is up to date');
    } finally {
      await database.close();
    }
  });

registerDemoCommand(program);
registerCsvCommands(program);

const stock = program.command('stock').description('Stock checks');
stock
  .command('verify')
  .description(
    'Recompute every balance from the ledger and its allocated units from the open allocations; exit 1 and list the rows that differ',
  )
  .option('--json', 'print the differences as JSON')
  .action(async (opts: { json?: boolean }) => {
    const config = configFromEnv();
    // Opening a file that is not there would create an empty database and call it right: a mistyped
    // KIBBLE_DB must not pass as "OK" (nor leave a stray database behind).
    if (config.dialect === 'sqlite' && config.file !== ':memory:' && !existsSync(config.file))
      throw new ConfigError(
        `there is no database at ${config.file} (KIBBLE_DB), so nothing to verify: point KIBBLE_DB at the server's file, or DATABASE_URL at its PostgreSQL`,
      );
    const database = openDatabase(config);
    try {
      await database.migrate();
      // One snapshot: a server writing meanwhile never shows up as a difference.
      const [diffs, allocationDiffs] = await database.snapshot(async (tx) => [
        await verifyBalances(tx),
        await verifyAllocations(tx),
      ]);
      const ok = diffs.length === 0 && allocationDiffs.length === 0;
      const where = (d: { sku: string; location: string; lot: string | null }) =>
        `sku=${d.sku} location=${d.location}${d.lot ? ` lot=${d.lot}` : ''}`;
      if (opts.json) {
        console.log(
          JSON.stringify({ ok, differences: diffs, allocationDifferences: allocationDiffs }, null, 2),
        );
      } else if (ok) {
        console.log('OK: every balance equals the sum of its ledger movements.');
        console.log('OK: every allocated figure equals the sum of its open allocations.');
      } else {
        if (diffs.length > 0) console.log(`${diffs.length} balance(s) differ from the ledger:`);
        for (const d of diffs) {
          const c = (x: { onHand: number; allocated: number; quarantined: number }) =>
            `onHand=${x.onHand} allocated=${x.allocated} quarantined=${x.quarantined}`;
          console.log(`  ${where(d)}: balance ${c(d.balance)} but ledger ${c(d.ledger)}`);
        }
        if (allocationDiffs.length > 0)
          console.log(`${allocationDiffs.length} balance(s) differ from their open allocations:`);
        for (const d of allocationDiffs) {
          console.log(
            `  ${where(d)}: balance allocated=${d.allocated} but allocations sum to ${d.allocationRows}`,
          );
        }
      }
      process.exitCode = ok ? 0 : 1;
    } finally {
      await database.close();
    }
  });

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('Create an API key and print it once')
  .requiredOption('-r, --role <role>', `one of ${roles.join(', ')}`)
  .option('-n, --name <name>', 'a label for the key', 'cli key')
  .action(async (opts: { role: string; name: string }) => {
    if (!isRole(opts.role)) {
      console.error(`Unknown role "${opts.role}"; use one of ${roles.join(', ')}.`);
      process.exitCode = 2;
      return;
    }
    const role = opts.role;
    const database = openDatabase(configFromEnv());
    try {
      await database.migrate();
      const key = await database.transact((tx) => createApiKey(tx, { role, name: opts.name }));
      console.log(key.key);
    } finally {
      await database.close();
    }
  });

registerUsersCommand(program);

program
  .command('openapi')
  .description('Print the OpenAPI 3.1 document')
  .action(async () => {
    const { printOpenApi } = await import('./openapi.js');
    await printOpenApi();
  });

export function exitCodeOf(error: unknown): number {
  if (error instanceof DomainError) return error.code === 'VALIDATION_FAILED' ? 2 : 3;
  return error instanceof ConfigError ? 2 : 1;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof DomainError) for (const line of domainErrorLines(error)) console.error(line);
  else if (error instanceof ConfigError) console.error(`Kibble: ${error.message}`);
  else console.error(unreachableDatabaseLine(error) ?? error);
  process.exitCode = exitCodeOf(error);
});
