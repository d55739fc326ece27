import { sql } from 'kysely';
import { isPostgres, type Tx } from '../../db/database.js';
import { byCodeUnits as compare } from '../../domain/code-units.js';
import { bundleAvailable, locationAvailable } from '../../domain/inventory/balance.js';
import { isoDate } from '../../domain/clock.js';
import { emit, type DomainEvent } from '../outbox.js';
import { prepare } from '../../db/prepared.js';
import { lockedWhole } from '../../db/row-lock.js';

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

/** Balance rows grouped by (SKU, location), keyed `skuId|locationId`, in the rows' order. */
function rowsByPair(rows: readonly AvailabilityRow[]): Map<string, AvailabilityRow[]> {
  const byPair = new Map<string, AvailabilityRow[]>();
  for (const r of rows) {
    const key = `${r.sku_id}|${r.location_id}`;
    const list = byPair.get(key);
    if (list) list.push(r);
    else byPair.set(key, [r]);
  }
  return byPair;
}

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

const stockChanged = (skuId: string, payload: ReturnType<typeof payloadOf>): DomainEvent => ({
  type: 'stock.changed',
  aggregateType: 'sku',
  aggregateId: skuId,
  payload,
});

/** The distinct (SKU, location) pairs of `keys`, in first-seen order. */
export function distinctPairs(
  keys: readonly { skuId: string; locationId: string }[],
): { skuId: string; locationId: string }[] {
  const pairs = new Map<string, { skuId: string; locationId: string }>();
  for (const k of keys) pairs.set(`${k.skuId}|${k.locationId}`, { skuId: k.skuId, locationId: k.locationId });
  return [...pairs.values()];
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
  // Each pair once, however many of the caller's steps touched it.
  const pairs = distinctPairs(touched);
  const events = await exactStockChanged(tx, pairs, at);
  events.push(...(await bundleStockChanged(tx, pairs, at)));
  await emit(tx, at, events);
}

/**
 * On PostgreSQL, a transaction-long advisory lock on each (SKU, location) about to be announced, in
 * one sorted order, before its balance rows are read. The caller's balance locks cover only the rows
 * it changed; another lot of the same pair may be changing in another transaction at once (a
 * capture taking lot A while an adjustment takes lot B), and without the lock each would read the
 * other's row before it commits, so the later event (higher `seq`) could miss the earlier change.
 * With it the second reads after the first has committed. Taken after the change's balance locks,
 * before the bundles' (ADR 11's order: orders, leases, balances, pairs, bundles), held to commit.
 * SQLite runs one writer at a time and needs none.
 */
async function lockStockPairs(
  tx: Tx,
  pairs: ReadonlyArray<{ readonly skuId: string; readonly locationId: string }>,
): Promise<void> {
  if (lockedWhole(tx, 'balances')) return; // a bulk import holds every balance (lockWhole)
  const keys = [...new Set(pairs.map((p) => `stock|${p.skuId}|${p.locationId}`))].sort();
  if (keys.length === 0) return;
  await lockKeys(tx, keys);
}

/**
 * Transaction-long advisory locks on `keys` (sorted, distinct), taken in that order. Prepared (one
 * text whatever the number of keys: they travel as one comma-separated value, and ids and the `|`
 * hold no comma), so that on PostgreSQL it runs as a named statement.
 */
const lockKeys = (tx: Tx, keys: readonly string[]) => lockKeyList(tx, { keys: keys.join(',') });
const lockKeyList = prepare((db, p: { keys: string }) =>
  db
    .selectFrom(
      sql<{ k: string }>`(select unnest(string_to_array(${p.keys}, ',')) as k order by 1)`.as('pairs'),
    )
    .select(sql<unknown>`pg_advisory_xact_lock(hashtextextended(k, 0))`.as('locked')),
);

/** The balance rows of some SKUs at some locations (prepared: named on PostgreSQL). */
const pairRows = prepare((db, p: { skuIds: string[]; locationIds: string[] }) =>
  availabilityRows(db).where('b.sku_id', 'in', p.skuIds).where('b.location_id', 'in', p.locationIds),
);

/** Pairs read per statement: a count's approval may announce thousands (SQLite binds at most 32,766). */
const PAIRS_PER_READ = 500;

/**
 * `stock.changed` for each (SKU, location) of `pairs` (distinct), read from the database after the
 * pairs' locks (see `lockStockPairs`), in the given order.
 */
export async function exactStockChanged(
  tx: Tx,
  pairs: ReadonlyArray<{ readonly skuId: string; readonly locationId: string }>,
  at: string,
): Promise<DomainEvent[]> {
  if (pairs.length === 0) return [];
  if (isPostgres(tx)) await lockStockPairs(tx, pairs);
  const today = isoDate(at);
  // One read per PAIRS_PER_READ pairs (their SKUs at their locations: a cross product, so each
  // chunk keeps only its own pairs, and no pair is counted twice).
  const byPair = new Map<string, AvailabilityRow[]>();
  for (let start = 0; start < pairs.length; start += PAIRS_PER_READ) {
    const chunk = pairs.slice(start, start + PAIRS_PER_READ);
    const { rows } = await pairRows(tx, {
      skuIds: [...new Set(chunk.map((t) => t.skuId))],
      locationIds: [...new Set(chunk.map((t) => t.locationId))],
    });
    const read = rowsByPair(rows);
    for (const t of chunk) {
      const key = `${t.skuId}|${t.locationId}`;
      const own = read.get(key);
      if (own) byPair.set(key, own);
    }
  }
  return pairs.map((t) =>
    stockChanged(
      t.skuId,
      payloadOf(byPair.get(`${t.skuId}|${t.locationId}`) ?? [], t.skuId, t.locationId, today),
    ),
  );
}

/** Above this many SKUs, the bundles are found by reading every bundle's components (no IN list). */
const BUNDLE_LOOKUP_IN_LIST = 500;

type BundlePart = {
  bundle_sku_id: string;
  component_sku_id: string;
  quantity: number;
  bundle_code: string;
  bundle_active: number;
};

function bundleParts(tx: Tx) {
  return tx
    .selectFrom('bundle_components as c')
    .innerJoin('skus as k', 'k.id', 'c.bundle_sku_id')
    .select([
      'c.bundle_sku_id',
      'c.component_sku_id',
      'c.quantity',
      'k.sku as bundle_code',
      'k.active as bundle_active',
    ]);
}

/**
 * `stock.changed` for every bundle containing a SKU of `touched`, at the locations where one of its
 * components was touched — with the figures `GET /stock/{bundle}` reports there: `available` is the
 * number of whole bundles the components' availability makes (0 for an inactive bundle, and at a
 * location that is not sellable), the counters 0 (a bundle holds no stock of its own). Bundles come
 * in code order, then locations. No bundle contains any of the SKUs: one query, no events.
 */
export async function bundleStockChanged(
  tx: Tx,
  touched: ReadonlyArray<{ readonly skuId: string; readonly locationId: string }>,
  at: string,
): Promise<DomainEvent[]> {
  const skuIds = [...new Set(touched.map((t) => t.skuId))];
  if (skuIds.length === 0) return [];
  let parts: BundlePart[];
  if (skuIds.length > BUNDLE_LOOKUP_IN_LIST) {
    const all = await bundleParts(tx).execute();
    const touchedIds = new Set(skuIds);
    const bundles = new Set(
      all.filter((p) => touchedIds.has(p.component_sku_id)).map((p) => p.bundle_sku_id),
    );
    parts = all.filter((p) => bundles.has(p.bundle_sku_id));
  } else {
    parts = await bundleParts(tx)
      .where('c.bundle_sku_id', 'in', (eb) =>
        eb.selectFrom('bundle_components').select('bundle_sku_id').where('component_sku_id', 'in', skuIds),
      )
      .execute();
  }
  if (parts.length === 0) return [];
  // Per bundle, the locations where one of its components was touched.
  const locationsBySku = new Map<string, Set<string>>();
  for (const t of touched) {
    const set = locationsBySku.get(t.skuId) ?? new Set<string>();
    set.add(t.locationId);
    locationsBySku.set(t.skuId, set);
  }
  const wanted = new Map<string, Set<string>>();
  for (const p of parts) {
    const at = locationsBySku.get(p.component_sku_id);
    if (!at) continue;
    const set = wanted.get(p.bundle_sku_id) ?? new Set<string>();
    for (const l of at) set.add(l);
    wanted.set(p.bundle_sku_id, set);
  }
  return bundleEvents(tx, parts, wanted, at);
}

/**
 * `stock.changed` for one bundle at every location where one of its components holds stock: after
 * a change of the bundle itself (created, or its active flag). None when it is not a bundle.
 */
export async function bundleStockChangedEverywhere(
  tx: Tx,
  bundleSkuId: string,
  at: string,
): Promise<DomainEvent[]> {
  const parts = await bundleParts(tx).where('c.bundle_sku_id', '=', bundleSkuId).execute();
  if (parts.length === 0) return [];
  const held = await tx
    .selectFrom('balances')
    .select('location_id')
    .distinct()
    .where(
      'sku_id',
      'in',
      parts.map((p) => p.component_sku_id),
    )
    .where('on_hand', '>', 0)
    .execute();
  return bundleEvents(tx, parts, new Map([[bundleSkuId, new Set(held.map((h) => h.location_id))]]), at);
}

/**
 * On PostgreSQL, a transaction-long advisory lock on each (bundle, location) about to be announced,
 * in one sorted order, before the components' rows are read. A bundle's figure reads the rows of
 * components this transaction did not change and has not locked: two transactions changing two
 * components at once would each read the other's before it commits, and the later event would be
 * stale. With the lock the second reads after the first has committed, so the last event of a
 * (bundle, location) — the one with the highest `seq`, written after the lock — is right. Taken
 * after the balance locks of the change they announce (ADR 11's order: orders, leases, balances,
 * these), held to commit. A receipt that then serves backorders locks more balances after them; a
 * deadlock that could make is retried like any other (`Database.transact`). SQLite runs one writer at a time and
 * needs none.
 */
async function lockBundlePairs(tx: Tx, wanted: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
  const keys = [...wanted]
    .flatMap(([bundle, at]) => [...at].map((location) => `${bundle}|${location}`))
    .sort();
  if (keys.length === 0 || lockedWhole(tx, 'balances')) return;
  await lockKeys(tx, keys);
}

/** The events of `wanted` (bundle id → location ids), from its components' balance rows. */
async function bundleEvents(
  tx: Tx,
  parts: readonly BundlePart[],
  wanted: ReadonlyMap<string, ReadonlySet<string>>,
  at: string,
): Promise<DomainEvent[]> {
  const locationIds = [...new Set([...wanted.values()].flatMap((s) => [...s]))];
  if (locationIds.length === 0) return [];
  const componentIds = [
    ...new Set(parts.filter((p) => wanted.has(p.bundle_sku_id)).map((p) => p.component_sku_id)),
  ];
  if (isPostgres(tx)) await lockBundlePairs(tx, wanted);
  const rows = await availabilityRows(tx)
    .where('b.sku_id', 'in', componentIds)
    .where('b.location_id', 'in', locationIds)
    .execute();
  const byPair = rowsByPair(rows);
  const locationCodes = new Map(rows.map((r) => [r.location_id, r.location_code]));
  const today = isoDate(at);
  const available = (skuId: string, locationId: string): number => {
    const list = byPair.get(`${skuId}|${locationId}`);
    return list ? payloadOf(list, skuId, locationId, today).available : 0;
  };
  const out: Array<{ bundleId: string; payload: ReturnType<typeof payloadOf> }> = [];
  for (const [bundleId, locations] of wanted) {
    const components = parts.filter((p) => p.bundle_sku_id === bundleId);
    const bundle = components[0];
    if (!bundle) continue;
    for (const locationId of locations) {
      const location = locationCodes.get(locationId);
      if (location === undefined) continue; // no component has ever been stocked there
      out.push({
        bundleId,
        payload: {
          sku: bundle.bundle_code,
          location,
          onHand: 0,
          allocated: 0,
          quarantined: 0,
          available:
            bundle.bundle_active === 1
              ? bundleAvailable(
                  components.map((c) => ({
                    quantity: c.quantity,
                    available: available(c.component_sku_id, locationId),
                  })),
                )
              : 0,
        },
      });
    }
  }
  out.sort(
    (a, b) => compare(a.payload.sku, b.payload.sku) || compare(a.payload.location, b.payload.location),
  );
  return out.map((e) => stockChanged(e.bundleId, e.payload));
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
  const pairs = rowsByPair(await q.execute());
  const today = isoDate(at);
  const payloads = [...pairs.values()]
    .map((list) => ({
      skuId: list[0]!.sku_id,
      payload: payloadOf(list, list[0]!.sku_id, list[0]!.location_id, today),
    }))
    .sort((a, b) => compare(a.payload.sku, b.payload.sku) || compare(a.payload.location, b.payload.location));
  const events = payloads.map((p) => stockChanged(p.skuId, p.payload));
  // The bundles made of these SKUs; and a bundle itself (its active flag) at its components' locations.
  events.push(
    ...(await bundleStockChanged(
      tx,
      [...pairs.values()].map((list) => ({ skuId: list[0]!.sku_id, locationId: list[0]!.location_id })),
      at,
    )),
  );
  if (scope.skuId !== undefined && scope.locationId === undefined && pairs.size === 0)
    events.push(...(await bundleStockChangedEverywhere(tx, scope.skuId, at)));
  await emit(tx, at, events);
  return events.length;
}
