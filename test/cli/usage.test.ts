/**
 * Bad usage of the CLI exits 2 — the code of every input Kibble refuses (docs/csv.md) — with
 * commander's one-line reason; help and version exit 0; 1 stays for unexpected failures.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, kibble } from '../helpers/cli.js';

assertBuilt();
const env = { KIBBLE_DB: '/nonexistent/never-opened.sqlite' };

describe('CLI usage', () => {
  it.each([
    [['import', 'skus'], "missing required argument 'file'"],
    [['import'], "missing required argument 'kind'"],
    [['bogus'], "unknown command 'bogus'"],
    [['import', 'skus', 'x.csv', '--nope'], "unknown option '--nope'"],
    [['serve', '--port', '99999'], 'must be a port number'],
  ])('kibble %j exits 2: %s', async (args, reason) => {
    const r = await kibble(args, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(reason);
  });

  it('stock verify of a SQLite file that does not exist exits 2 naming it, and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kibble-verify-'));
    try {
      const file = join(dir, 'typo', 'kibble.sqlite');
      const r = await kibble(['stock', 'verify'], { env: { KIBBLE_DB: file, DATABASE_URL: '' } });
      expect(r.code).toBe(2);
      expect(r.stdout).not.toContain('OK');
      expect(r.stderr.trim()).toBe(
        `Kibble: there is no database at ${file} (KIBBLE_DB), so nothing to verify: point KIBBLE_DB at the server's file, or DATABASE_URL at its PostgreSQL`,
      );
      expect(existsSync(join(dir, 'typo'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      ['stock', 'verify'],
      'postgres://kibble:secret@127.0.0.1:1/kibble',
      'Kibble: cannot connect to PostgreSQL at postgres://kibble:***@127.0.0.1:1/kibble (DATABASE_URL): nothing answered (ECONNREFUSED)',
    ],
    [
      ['serve', '--port', '0'],
      'postgres://postgres@127.0.0.1:5432/kibble_no_such_database',
      'Kibble: cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:5432/kibble_no_such_database (DATABASE_URL): the database does not exist (create it, or name another in DATABASE_URL)',
    ],
  ])('kibble %j says in one line why PostgreSQL at %s was not reached, exit 1', async (args, url, line) => {
    const r = await kibble(args, { env: { DATABASE_URL: url } });
    expect([r.code, r.stderr.trim()]).toEqual([1, line]);
  });

  it.each([[['--help']], [['--version']], [['import', '--help']]])('kibble %j exits 0', async (args) => {
    const r = await kibble(args, { env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toBe('');
  });
});
