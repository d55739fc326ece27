import type { Database, Tx } from '../db/database.js';

/** Stops a job; `now()` asks for a run as soon as possible instead of at the next tick. */
export type Job = (() => void) & { now(): void };

/**
 * Runs `task` every `intervalMs`, never two at once (a slow run makes the next tick skip), without
 * keeping the process alive; errors go to `onError`. Returns the function that stops it, whose
 * `now()` runs the task on the next turn of the event loop — or, when a run is under way, once more
 * right after it (however often it is asked meanwhile).
 */
export function every(intervalMs: number, task: () => Promise<unknown>, onError: (e: unknown) => void): Job {
  let running = false;
  let again = false;
  let stopped = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          setImmediate(run);
        }
      });
  };
  const timer = setInterval(() => {
    if (!running) run();
  }, intervalMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return Object.assign(stop, { now: () => void setImmediate(run) });
}

/**
 * Runs `prune` (which deletes a bounded batch and says how many) in a transaction of its own, again
 * and again until it deletes nothing: a large backlog never holds the writer for long. Returns the
 * total deleted.
 */
export async function pruneAll(database: Database, prune: (tx: Tx) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await database.transact(prune);
    total += deleted;
    if (deleted === 0) return total;
  }
}
