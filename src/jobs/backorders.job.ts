/**
 * Serves backorders from stock freed without an arrival — a cancellation or an edit releasing
 * units, a lease released or lapsed, quarantine released, a location made sellable again — right
 * after the request that freed it (`now()`, see `freesStock` in http/app.ts) and every second
 * (leases lapse without a request), oldest waiting order first. Arrivals serve them in their own
 * transaction. One transaction per SKU, at most 100 SKUs a run, walking all of them in turn; a SKU
 * whose free units are all held back (safety stock, short-dated lots) costs a read, never a lock.
 * Safe with several processes: each SKU's waiting orders are locked before its stock is read again.
 */
import type { Database } from '../db/database.js';
import { hasUsableStock, serveBackorders, waitingSkusWithFreeStock } from '../app/orders/backorders.js';
import { isoDate, nowIso } from '../domain/clock.js';
import { every, type Job } from './every.js';

const SKUS_PER_RUN = 100;

/** Where the walk over waiting SKUs goes on from (one per job). */
export type BackorderCursor = { after: string | null };

/**
 * One run: the next `SKUS_PER_RUN` waiting SKUs with free stock, each checked without locks first
 * (`hasUsableStock`: safety stock, lot expiry), then served in a transaction of its own. Returns
 * the SKUs served.
 */
export async function serveWaitingBackorders(
  database: Database,
  cursor: BackorderCursor = { after: null },
): Promise<number> {
  const skuIds = await waitingSkusWithFreeStock(database.db, SKUS_PER_RUN, cursor.after);
  cursor.after = skuIds.length < SKUS_PER_RUN ? null : skuIds.at(-1)!;
  let served = 0;
  for (const skuId of skuIds) {
    const at = nowIso();
    if (!(await hasUsableStock(database.db, skuId, isoDate(at)))) continue;
    await database.transact((tx) =>
      serveBackorders(tx, skuId, { actor: 'job:backorders', requestId: null, at }),
    );
    served++;
  }
  return served;
}

/** The job; `now()` serves right away (after a request that freed stock, see `freesStock`). */
export function startBackorderJob(
  database: Database,
  intervalMs = 1000,
  onError: (e: unknown) => void = () => undefined,
): Job {
  const cursor: BackorderCursor = { after: null };
  return every(intervalMs, () => serveWaitingBackorders(database, cursor), onError);
}
