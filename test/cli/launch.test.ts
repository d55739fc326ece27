/**
 * `npm start` runs the server with V8 memory flags (ADR 8: a smaller young generation and a 1 GiB
 * heap limit keep its RSS down), and the flags take effect.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFlags } from '../../bench/harness.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;

/** Young-generation size after an allocation-heavy loop, and the heap limit, under `flags`. */
function heapUnder(flags: readonly string[]): { young: number; limit: number } {
  const script =
    "let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 4e5) keep = []; }" +
    "const v8 = require('node:v8');" +
    "const young = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size;" +
    'process.stdout.write(JSON.stringify({ young, limit: v8.getHeapStatistics().heap_size_limit }));';
  const out = execFileSync(process.execPath, [...flags, '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out) as { young: number; limit: number };
}

describe('launch flags', () => {
  const flags = startFlags(ROOT); // how the benchmark starts the server too

  it('npm start passes the memory flags to node', () => {
    expect(flags).toEqual(['--max-semi-space-size=8', '--max-old-space-size=1024']);
  });

  it('they halve the young generation and set a heap limit of about 1 GiB', () => {
    const without = heapUnder([]);
    const withFlags = heapUnder(flags);
    expect(without.young).toBeGreaterThan(16 * MiB); // the workload does grow a default young generation
    expect(withFlags.young).toBeLessThanOrEqual(16 * MiB);
    expect(withFlags.limit).toBeGreaterThanOrEqual(1024 * MiB);
    expect(withFlags.limit).toBeLessThan(1100 * MiB);
  });
});
