import type { Database, Tx } from '../db/database.js';

/**
 * Runs `task` every `intervalMs`, never two at once (a slow run makes the next tick skip), without
 * keeping the process alive; errors go to `onError`. Returns the function that stops it.
 */
export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (e: unknown) => void,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
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
