/**
 * Every storage test runs on every dialect: `for (const dialect of DIALECTS)`. PostgreSQL tests
 * create their own uniquely named database and drop it afterwards, so overlapping runs never
 * collide. Without a reachable server they are skipped, except under CI=true, where that fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type Dialect } from '../../src/db/database.js';

export const PG_ADMIN_URL =
  process.env['KIBBLE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (process.env['CI'] === 'true') {
      throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL} and CI=true`, { cause: error });
    }
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const postgresAvailable = await probePostgres();

export const DIALECTS: readonly Dialect[] = postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

export type TestDatabase = {
  readonly dialect: Dialect;
  readonly database: Database;
  /** Environment that points a child process (CLI, server) at this database. */
  readonly env: Record<string, string>;
  drop(): Promise<void>;
};

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of the given dialect. */
export async function createTestDatabase(
  dialect: Dialect,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kibble-test-'));
    const file = join(dir, 'kibble.sqlite');
    const database = openDatabase({ dialect: 'sqlite', file });
    if (opts.migrate !== false) await database.migrate();
    return {
      dialect,
      database,
      env: { KIBBLE_DB: file, DATABASE_URL: '' },
      async drop() {
        await database.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `kibble_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = openDatabase({ dialect: 'postgres', url: url.toString(), poolSize: 20 });
  if (opts.migrate !== false) await database.migrate();
  return {
    dialect,
    database,
    env: { DATABASE_URL: url.toString() },
    async drop() {
      await database.close().catch(() => undefined);
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}
