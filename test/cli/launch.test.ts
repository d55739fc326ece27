/**
 * The two ways Kibble is started — `npm start` and the `kibble` command — run Node.js with the same
 * flags (ADR 8: a smaller young generation keeps the server's RSS down), and the flags take effect.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

const startScript = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start;
const shebang = readFileSync(join(ROOT, 'bin', 'kibble.js'), 'utf8').split('\n')[0]!;

describe('launch flags', () => {
  it('npm start and the kibble command pass the same flags to node', () => {
    const fromStart = /^node((?: --\S+)*) bin\/kibble\.js start$/.exec(startScript)?.[1]?.trim();
    const fromShebang = /^#!\/usr\/bin\/env -S node((?: --\S+)*)$/.exec(shebang)?.[1]?.trim();
    expect(fromStart).toBe('--max-semi-space-size=8');
    expect(fromShebang).toBe(fromStart);
  });

  it('the flag caps the young generation at 2 × 8 MiB', () => {
    const flags = startScript.split(' ').filter((part) => part.startsWith('--'));
    const script =
      'let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i }); if (keep.length > 5e4) keep = []; }' +
      "const s = require('node:v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');" +
      'process.stdout.write(String(s.space_size));';
    const size = Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }));
    expect(size).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(size).toBeGreaterThan(0);
  });
});
