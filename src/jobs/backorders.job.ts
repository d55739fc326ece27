/**
 * Serves backorders from stock freed without an arrival — a cancellation or an edit releasing
 * units, a lease released or lapsed, quarantine released, a location made sellable again — every
 * second, oldest waiting order first. (Arrivals serve them in their own transaction.) One
 * transaction per SKU, at most 100 SKUs a run. Safe with several processes: each SKU's waiting
 * orders are locked before its stock is read.
 */
import type { Database } from '../db/database.js';
import { serveBackorders, waitingSkusWithFreeStock } from '../app/orders/backorders.js';
import { nowIso } from '../domain/clock.js';
import { every } from './every.js';

const SKUS_PER_RUN = 100;

/** One run: returns the SKUs looked at. */
export async function serveWaitingBackorders(database: Database): Promise<number> {
  const skuIds = await waitingSkusWithFreeStock(database.db, SKUS_PER_RUN);
  for (const skuId of skuIds)
    await database.transact((tx) =>
      serveBackorders(tx, skuId, { actor: 'job:backorders', requestId: null, at: nowIso() }),
    );
  return skuIds.length;
}

export function startBackorderJob(
  database: Database,
  intervalMs = 1000,
  onError: (e: unknown) => void = () => undefined,
): () => void {
  return every(intervalMs, () => serveWaitingBackorders(database), onError);
}
