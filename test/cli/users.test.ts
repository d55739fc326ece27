/**
 * `kibble users create` through the real binary, on every database: the first user of the web
 * admin is created from the command line, and can then sign in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { assertBuilt, kibble, kibbleServe } from '../helpers/cli.js';
import { authenticate } from '../../src/app/access/users.js';

assertBuilt();

for (const dialect of DIALECTS) {
  describe(`kibble users create on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(async () => t?.drop());

    it('creates a user with the given password, who can then sign in over HTTP', async () => {
      const r = await kibble(
        [
          'users',
          'create',
          '--email',
          'Owner@PetShop.example',
          '--role',
          'admin',
          '--name',
          'Olga Owner',
          '--password',
          'a long enough password',
        ],
        { env: t.env },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Created user owner@petshop\.example \(admin\), id usr_\w+\n$/);
      expect(r.stdout).not.toContain('a long enough password');

      const server = await kibbleServe(t.env);
      try {
        const res = await fetch(`${server.url}/api/v1/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'owner@petshop.example', password: 'a long enough password' }),
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { user: { name: string } }).user.name).toBe('Olga Owner');
        expect(res.headers.get('set-cookie')).toMatch(
          /^kibble_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/,
        );
      } finally {
        await server.stop();
      }
    });

    it('takes the password from KIBBLE_USER_PASSWORD, or generates and prints one', async () => {
      const fromEnv = await kibble(['users', 'create', '-e', 'env@petshop.example', '-r', 'warehouse'], {
        env: { ...t.env, KIBBLE_USER_PASSWORD: 'from the environment' },
      });
      expect(fromEnv.code).toBe(0);
      expect(fromEnv.stdout).not.toMatch(/Password/);
      expect(await authenticate(t.database.db, 'env@petshop.example', 'from the environment')).toMatchObject({
        role: 'warehouse',
        name: 'env',
      });

      const generated = await kibble(['users', 'create', '-e', 'gen@petshop.example', '-r', 'sales'], {
        env: t.env,
      });
      expect(generated.code).toBe(0);
      const m = /Password \(shown once\): (\S+)/.exec(generated.stdout);
      expect(m?.[1]).toMatch(/^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}$/);
      expect(await authenticate(t.database.db, 'gen@petshop.example', m![1]!)).toMatchObject({
        role: 'sales',
      });
    });

    it('refuses bad input with exit code 2 and a taken email with exit code 3', async () => {
      const badRole = await kibble(
        ['users', 'create', '-e', 'x@petshop.example', '-r', 'boss', '-p', 'long enough pw'],
        {
          env: t.env,
        },
      );
      expect(badRole.code).toBe(2);
      expect(badRole.stderr).toMatch(/Unknown role "boss"/);

      const weak = await kibble(
        ['users', 'create', '-e', 'x@petshop.example', '-r', 'sales', '-p', 'short'],
        {
          env: t.env,
        },
      );
      expect(weak.code).toBe(2);
      expect(weak.stderr).toMatch(/at least 10 characters/);

      const badEmail = await kibble(
        ['users', 'create', '-e', 'not-an-email', '-r', 'sales', '-p', 'long enough pw'],
        {
          env: t.env,
        },
      );
      expect(badEmail.code).toBe(2);
      // The field at fault and why, not only "The user is invalid."
      expect(badEmail.stderr).toBe(
        'VALIDATION_FAILED: The user is invalid.\n  email: must be an email address like name@example.com\n',
      );

      const taken = await kibble(
        ['users', 'create', '-e', 'OWNER@petshop.example', '-r', 'sales', '-p', 'long enough pw'],
        {
          env: t.env,
        },
      );
      expect(taken.code).toBe(3);
      expect(taken.stderr).toBe('CONFLICT: email: A user with email owner@petshop.example already exists.\n');
    });
  });
}
