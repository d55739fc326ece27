import type { Tx } from '../../db/database.js';
import { byCodeUnits as compare } from '../../domain/code-units.js';
import { locationAvailable } from '../../domain/inventory/balance.js';
import { isoDate } from '../../domain/clock.js';
import { emit, type DomainEvent } from '../outbox.js';

/** Balance rows with what availability needs: lot, location's sellable flag, safety stock, shelf life. */
function availabilityRows(tx: Tx) {
  return tx
    .selectFrom('balances as b')
    .leftJoin('lots as t', 't.id', 'b.lot_id')
    .innerJoin('locations as l', 'l.id', 'b.location_id')
    .innerJoin('skus as k', 'k.id', 'b.sku_id')
    .leftJoin('safety_stock as s', (j) =>
      j.onRef('s.sku_id', '=', 'b.sku_id').onRef('s.location_id', '=', 'b.location_id'),
    )
    .select([
      'b.sku_id',
      'b.location_id',
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
      'k.active',
      'l.code as location_code',
    ]);
}

type AvailabilityRow = Awaited<ReturnType<ReturnType<typeof availabilityRows>['execute']>>[number];

/**
 * The `stock.changed` payload of one (SKU, location) from its balance rows: counters summed over
 * lots; `available` as `GET /stock/{sku}` reports it (0 at a location that is not sellable, and
 * everywhere for an inactive SKU).
 */
function payloadOf(rows: readonly AvailabilityRow[], skuId: string, locationId: string, today: string) {
  const counters = rows.map((r) => ({
    onHand: r.on_hand,
    allocated: r.allocated,
    quarantined: r.quarantined,
    lot:
      r.code === null
        ? null
        : { code: r.code, expiresOn: r.expires_on, status: r.status ?? ('active' as const) },
  }));
  const sellable = rows[0]?.sellable === 1 && rows[0]?.active === 1;
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

/** Counters and availability of one SKU at one location (all lots). */
export async function locationAvailability(tx: Tx, skuId: string, locationId: string, today: string) {
  const rows = await availabilityRows(tx)
    .where('b.sku_id', '=', skuId)
    .where('b.location_id', '=', locationId)
    .execute();
  return payloadOf(rows, skuId, locationId, today);
}

const stockChanged = (skuId: string, payload: ReturnType<typeof payloadOf>): DomainEvent => ({
  type: 'stock.changed',
  aggregateType: 'sku',
  aggregateId: skuId,
  payload,
});

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
  // Each pair once, however many of the caller's steps touched it.
  const pairs = new Map(touched.map((t) => [`${t.skuId}|${t.locationId}`, t]));
  for (const t of pairs.values()) {
    events.push(stockChanged(t.skuId, await locationAvailability(tx, t.skuId, t.locationId, today)));
  }
  await emit(tx, at, events);
}

/**
 * Writes `stock.changed` for every (SKU, location) in `scope` that holds stock — after a change
 * that moves availability without a movement (safety stock, a location's sellable flag, a SKU's
 * minimum remaining shelf life or active flag). Pairs with nothing on hand are left out: their
 * available figure is 0 whatever changed (nothing on hand means nothing allocated or quarantined,
 * by the balances' CHECKs). One query for the scope, events in (SKU, location) code order.
 * Returns how many events were written.
 */
export async function emitStockChangedIn(
  tx: Tx,
  scope: { readonly skuId?: string; readonly locationId?: string },
  at: string,
): Promise<number> {
  let q = availabilityRows(tx).where('b.on_hand', '>', 0);
  if (scope.skuId !== undefined) q = q.where('b.sku_id', '=', scope.skuId);
  if (scope.locationId !== undefined) q = q.where('b.location_id', '=', scope.locationId);
  const rows = await q.execute();
  const pairs = new Map<string, AvailabilityRow[]>();
  for (const r of rows) {
    const key = `${r.sku_id}|${r.location_id}`;
    const list = pairs.get(key);
    if (list) list.push(r);
    else pairs.set(key, [r]);
  }
  const today = isoDate(at);
  const payloads = [...pairs.values()]
    .map((list) => ({
      skuId: list[0]!.sku_id,
      payload: payloadOf(list, list[0]!.sku_id, list[0]!.location_id, today),
    }))
    .sort((a, b) => compare(a.payload.sku, b.payload.sku) || compare(a.payload.location, b.payload.location));
  const events = payloads.map((p) => stockChanged(p.skuId, p.payload));
  await emit(tx, at, events);
  return events.length;
}
