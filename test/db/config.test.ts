/**
 * Which database the environment selects, and bad settings refused at start in one line naming the
 * variable (never a crash later, never silently ignored).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, openDatabase } from '../../src/db/database.js';
import { portFromEnv } from '../../src/config.js';
import { assertBuilt, kibble } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/databases.js';

describe('database configuration from the environment', () => {
  it('SQLite by default, at KIBBLE_DB when given', () => {
    expect(configFromEnv({})).toEqual({ dialect: 'sqlite', file: './data/kibble.sqlite' });
    expect(configFromEnv({ KIBBLE_DB: '/tmp/x.sqlite', DATABASE_URL: '' })).toEqual({
      dialect: 'sqlite',
      file: '/tmp/x.sqlite',
    });
  });

  it('PORT: 3000 when unset or empty, else a port number; anything else is refused naming it', () => {
    expect(portFromEnv({})).toBe(3000);
    expect(portFromEnv({ PORT: '' })).toBe(3000);
    expect(portFromEnv({ PORT: '4100' })).toBe(4100);
    expect(portFromEnv({ PORT: '0' })).toBe(0);
    for (const bad of ['abc', '-1', '65536', '80.5', ' 80', '1e3', '0x50'])
      expect(() => portFromEnv({ PORT: bad })).toThrow(
        `PORT must be a port number from 0 to 65535, not "${bad}"`,
      );
  });

  it('PostgreSQL when DATABASE_URL is set, with KIBBLE_PG_POOL_SIZE connections', () => {
    const url = 'postgres://u@h/db';
    expect(configFromEnv({ DATABASE_URL: url })).toEqual({ dialect: 'postgres', url, poolSize: 8 });
    expect(configFromEnv({ DATABASE_URL: url, KIBBLE_PG_POOL_SIZE: '' })).toEqual({
      dialect: 'postgres',
      url,
      poolSize: 8,
    });
    expect(configFromEnv({ DATABASE_URL: url, KIBBLE_PG_POOL_SIZE: '3' })).toEqual({
      dialect: 'postgres',
      url,
      poolSize: 3,
    });
    for (const bad of ['0', '-1', '2.5', 'eight', '1001', ' 4'])
      expect(() => configFromEnv({ DATABASE_URL: url, KIBBLE_PG_POOL_SIZE: bad })).toThrow(
        /KIBBLE_PG_POOL_SIZE must be a positive whole number up to 1000/,
      );
  });

  it('a pool of one still serves concurrent transactions, one at a time', async () => {
    const t = await createTestDatabase('postgres');
    try {
      const url = t.env['DATABASE_URL']!;
      const database = openDatabase(configFromEnv({ DATABASE_URL: url, KIBBLE_PG_POOL_SIZE: '1' }));
      try {
        const answers = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            database.transact(async (tx) => {
              const [row] = await tx.selectNoFrom((eb) => eb.val(i).as('n')).execute();
              return Number(row!.n);
            }),
          ),
        );
        expect(answers).toEqual([0, 1, 2, 3, 4]);
      } finally {
        await database.close();
      }
    } finally {
      await t.drop();
    }
  });

  describe('the CLI', () => {
    beforeAll(() => assertBuilt());
    it.each([
      ['KIBBLE_IDEMPOTENCY_TTL_HOURS', 'soon', 'hours'],
      ['KIBBLE_EVENT_RETENTION_DAYS', 'forever', 'days'],
    ])('refuses a bad %s before serving, in one line, exit code 2', async (name, value, unit) => {
      const t = await createTestDatabase('sqlite');
      try {
        const r = await kibble(['serve', '--port', '0', '--host', '127.0.0.1'], {
          env: { ...t.env, [name]: value },
          timeoutMs: 30_000,
        });
        expect(r.code).toBe(2);
        expect(r.stderr.trim()).toBe(`Kibble: ${name} must be a positive number of ${unit}, not "${value}"`);
        expect(r.stdout).not.toMatch(/running at/);
      } finally {
        await t.drop();
      }
    });
    it.each([
      ['short', 'too-short'],
      ['with a space', 'an admin key with spaces in it'],
      ['too long', 'k'.repeat(201)],
    ])('refuses a KIBBLE_ADMIN_KEY %s before serving, without echoing it, exit code 2', async (_, key) => {
      const t = await createTestDatabase('sqlite');
      try {
        const r = await kibble(['serve', '--port', '0', '--host', '127.0.0.1'], {
          env: { ...t.env, KIBBLE_ADMIN_KEY: key },
          timeoutMs: 30_000,
        });
        expect(r.code).toBe(2);
        expect(r.stderr.trim()).toMatch(
          /^Kibble: KIBBLE_ADMIN_KEY must be 16 to 200 visible ASCII characters/,
        );
        expect(r.stderr).not.toContain(key); // a secret stays out of logs
        expect(r.stdout).not.toMatch(/running at/);
      } finally {
        await t.drop();
      }
    });
    it.each(['serve', 'start'])(
      '%s refuses a bad PORT in one line naming it, exit code 2',
      async (command) => {
        const t = await createTestDatabase('sqlite');
        try {
          const r = await kibble([command, '--host', '127.0.0.1'], {
            env: { ...t.env, PORT: 'eighty' },
            timeoutMs: 30_000,
          });
          expect(r.code).toBe(2);
          expect(r.stderr.trim()).toBe('Kibble: PORT must be a port number from 0 to 65535, not "eighty"');
          expect(r.stdout).not.toMatch(/running at|Seeded/);
        } finally {
          await t.drop();
        }
      },
    );
    it('refuses a bad KIBBLE_PG_POOL_SIZE in one line naming the variable, exit code 2', async () => {
      const r = await kibble(['migrate'], {
        env: { DATABASE_URL: 'postgres://127.0.0.1:1/none', KIBBLE_PG_POOL_SIZE: 'lots' },
        timeoutMs: 30_000,
      });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        'Kibble: KIBBLE_PG_POOL_SIZE must be a positive whole number up to 1000, not "lots"',
      );
    });
  });
});
