/**
 * Serves backorders from stock freed without an arrival — a cancellation or an edit releasing
 * units, a lease released or lapsed, quarantine released, a location made sellable again — before
 * the request that freed it answers (`now()`, see `freesStock` in http/app.ts), after the
 * lease-expiry job has released stock, and every second, oldest waiting order first. Arrivals serve
 * them in their own transaction. One transaction per SKU, at most 100 SKUs a run, walking all of
 * them in turn; a SKU whose free units are all held back (safety stock, short-dated lots) costs a
 * read, never a lock. Safe with several processes: each SKU's waiting orders are locked before its
 * stock is read again.
 */
import type { Database } from '../db/database.js';
import { mayServeWaiting, serveBackorders, waitingSkusWithFreeStock } from '../app/orders/backorders.js';
import { isoDate, nowIso } from '../domain/clock.js';

const SKUS_PER_RUN = 100;

/** Where the walk over waiting SKUs goes on from (one per job). */
export type BackorderCursor = { after: string | null };

/**
 * One run: up to `SKUS_PER_RUN` waiting SKUs with free stock — the next ones of the walk (`cursor`),
 * or, with `'recent'`, those whose stock changed last first — each checked without locks first
 * (`mayServeWaiting`: safety stock, lot expiry, a bundle's other components), then served in a transaction of its own. Returns
 * the SKUs served.
 */
export async function serveWaitingBackorders(
  database: Database,
  from: BackorderCursor | 'recent' = { after: null },
): Promise<number> {
  const skuIds = await waitingSkusWithFreeStock(database.db, SKUS_PER_RUN, from);
  if (from !== 'recent') from.after = skuIds.length < SKUS_PER_RUN ? null : skuIds.at(-1)!;
  let served = 0;
  for (const skuId of skuIds) {
    const at = nowIso();
    if (!(await mayServeWaiting(database.db, skuId, isoDate(at)))) continue;
    await database.transact((tx) =>
      serveBackorders(tx, skuId, { actor: 'job:backorders', requestId: null, at }),
    );
    served++;
  }
  return served;
}

export type BackorderJob = {
  stop(): void;
  /**
   * Serves waiting backorders now, those whose stock changed last first; resolves once a run that
   * began after this call has finished (asks while one is queued share it). A request that freed
   * stock awaits it before it answers, so its client's next order cannot take that stock first.
   */
  now(): Promise<void>;
};

/** Runs never overlap: each waits for the one before, errors go to `onError`. */
export function startBackorderJob(
  database: Database,
  intervalMs = 1000,
  onError: (e: unknown) => void = () => undefined,
): BackorderJob {
  const cursor: BackorderCursor = { after: null };
  let tail: Promise<void> = Promise.resolve();
  let queuedNow: Promise<void> | null = null;
  let queuedTick = false;
  let stopped = false;
  const enqueue = (work: () => Promise<unknown>): Promise<void> =>
    (tail = tail
      .then(async () => {
        if (!stopped) await work();
      })
      .catch(onError));
  const timer = setInterval(() => {
    if (queuedTick) return;
    queuedTick = true;
    void enqueue(() => {
      queuedTick = false;
      return serveWaitingBackorders(database, cursor);
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
    now: () =>
      (queuedNow ??= enqueue(() => {
        queuedNow = null;
        return serveWaitingBackorders(database, 'recent');
      })),
  };
}
