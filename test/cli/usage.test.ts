/**
 * Bad usage of the CLI exits 2 — the code of every input Kibble refuses (docs/csv.md) — with
 * commander's one-line reason; help and version exit 0; 1 stays for unexpected failures.
 */
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

  it.each([[['--help']], [['--version']], [['import', '--help']]])('kibble %j exits 0', async (args) => {
    const r = await kibble(args, { env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toBe('');
  });
});
