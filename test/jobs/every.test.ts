/** The background jobs' timer: runs never overlap, errors are reported and do not stop it, stop stops. */
import { describe, expect, it } from 'vitest';
import { every } from '../../src/jobs/every.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('every', () => {
  it('skips ticks while a run is still going, and stops', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const stop = every(
      5,
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await sleep(30);
        active--;
      },
      () => undefined,
    );
    await sleep(200);
    stop();
    const after = runs;
    await sleep(60);
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBe(after); // a run counts itself when it starts: none started after stop
  });

  it('reports a failed run and keeps going', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const stop = every(
      5,
      async () => {
        runs++;
        throw new Error(`run ${runs}`);
      },
      (e) => errors.push(e),
    );
    await sleep(60);
    stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBe(runs);
    expect((errors[0] as Error).message).toBe('run 1');
  });
});
