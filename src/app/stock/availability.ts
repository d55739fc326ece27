import type { Tx } from '../../db/database.js';
import { locationAvailable } from '../../domain/inventory/balance.js';
import { isoDate } from '../../domain/clock.js';
import { emit } from '../outbox.js';

/** Counters and availability of one SKU at one location (all lots). */
export async function locationAvailability(tx: Tx, skuId: string, locationId: string, today: string) {
  const rows = await tx
    .selectFrom('balances as b')
    .leftJoin('lots as t', 't.id', 'b.lot_id')
    .innerJoin('locations as l', 'l.id', 'b.location_id')
    .innerJoin('skus as k', 'k.id', 'b.sku_id')
    .leftJoin('safety_stock as s', (j) =>
      j.onRef('s.sku_id', '=', 'b.sku_id').onRef('s.location_id', '=', 'b.location_id'),
    )
    .select([
      'b.on_hand',
      'b.allocated',
      'b.quarantined',
      't.code',
      't.expires_on',
      't.status',
      'l.sellable',
      's.quantity as safety',
      'k.min_remaining_shelf_life_days as min_days',
      'k.sku as sku_code',
      'l.code as location_code',
    ])
    .where('b.sku_id', '=', skuId)
    .where('b.location_id', '=', locationId)
    .execute();
  const counters = rows.map((r) => ({
    onHand: r.on_hand,
    allocated: r.allocated,
    quarantined: r.quarantined,
    lot:
      r.code === null
        ? null
        : { code: r.code, expiresOn: r.expires_on, status: r.status ?? ('active' as const) },
  }));
  const sellable = rows[0]?.sellable === 1;
  return {
    sku: rows[0]?.sku_code ?? skuId,
    location: rows[0]?.location_code ?? locationId,
    onHand: counters.reduce((s, r) => s + r.onHand, 0),
    allocated: counters.reduce((s, r) => s + r.allocated, 0),
    quarantined: counters.reduce((s, r) => s + r.quarantined, 0),
    available: sellable
      ? locationAvailable(counters, rows[0]?.safety ?? 0, today, rows[0]?.min_days ?? 0)
      : 0,
  };
}

/**
 * Writes `stock.changed` for each (SKU, location) with its new counters and availability; the
 * codes in the payload come from the same query.
 */
export async function emitStockChanged(
  tx: Tx,
  touched: ReadonlyArray<{ skuId: string; locationId: string }>,
  at: string,
): Promise<void> {
  const today = isoDate(at);
  const events = [];
  for (const t of touched) {
    const payload = await locationAvailability(tx, t.skuId, t.locationId, today);
    events.push({ type: 'stock.changed', aggregateType: 'sku', aggregateId: t.skuId, payload });
  }
  await emit(tx, at, events);
}
