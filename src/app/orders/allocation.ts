/**
 * Allocation against the ledger: load a consistent stock snapshot for the routing function, apply
 * its plan with atomic conditional UPDATEs (in the plan's sorted key order, so concurrent
 * transactions on PostgreSQL never deadlock), and release commitments.
 *
 * On PostgreSQL another transaction can take stock between our snapshot and our UPDATE; the UPDATE
 * then matches no row, and we throw `StockRaced`, which `Database.transact` retries from the start
 * with a fresh snapshot. On SQLite transactions are serialised (BEGIN IMMEDIATE), so it cannot happen.
 */
import { sql } from 'kysely';
import { isPostgres, type Tx } from '../../db/database.js';
import { prepare, writeAll, type Bound } from '../../db/prepared.js';
import type { AllocationTable } from '../../db/schema.js';
import {
  allocateBalances,
  applyDeltas,
  balanceKeyOf,
  compareBalanceKeys,
  insertMovements,
  lockBalances,
  type MovementRow,
} from '../../db/stock.repo.js';
import { appliedAt } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import { locationAvailable } from '../../domain/inventory/balance.js';
import type {
  Allocation,
  RoutingInput,
  RoutingLine,
  RoutingLocation,
  RoutingSku,
  StockRow,
  SafetyStock,
} from '../../domain/orders/routing.js';
import { emit, type DomainEvent } from '../outbox.js';
import { bundleStockChanged, distinctPairs, exactStockChanged } from '../stock/availability.js';

export type Ctx = {
  readonly actor: string;
  readonly requestId: string | null;
  readonly at: string;
  /** The actor's display name when the caller knows it (a request's principal), for views built without a read. */
  readonly actorName?: string | undefined;
};

/**
 * Thrown when a row this transaction read was changed by a concurrent one before our conditional
 * write; carries PostgreSQL's serialization-failure code so `Database.transact` retries the whole
 * unit with fresh reads. Cannot happen on SQLite, where write transactions are serialised.
 */
export class ConcurrentChange extends Error {
  readonly code = '40001';
}

/** A conditional stock UPDATE (or allocation-row claim) lost a race; retried like a serialization failure. */
export class StockRaced extends ConcurrentChange {
  constructor() {
    super('stock changed between snapshot and allocation; retrying');
  }
}

export type SnapshotRow = StockRow & {
  readonly locationCode: string;
  readonly lat: number | null;
  readonly lon: number | null;
  readonly onHand: number;
  readonly allocated: number;
  readonly quarantined: number;
  readonly lotCode: string | null;
  /** The SKU's minimum remaining shelf life in days (lots expiring sooner are not available). */
  readonly minRemainingDays: number;
  readonly skuCode: string;
  /** The SKU's active flag: an inactive SKU's stock counts as 0 available (as `GET /stock` says). */
  readonly skuActive: boolean;
  /**
   * The location's sellable flag: `false` only on the rows `withHeldOffSale` adds (units an order
   * held there before it was taken off sale), which count as 0 available (as `GET /stock` says).
   */
  readonly sellable: boolean;
};

export type Snapshot = {
  readonly rows: readonly SnapshotRow[];
  readonly safety: readonly SafetyStock[];
};

/** A snapshot's columns, of the given SKUs' balances: the statements below add where they may be. */
const snapshotOf = (db: Tx, skuIds: readonly string[]) =>
  db
    .selectFrom('balances as b')
    .innerJoin('locations as l', 'l.id', 'b.location_id')
    .innerJoin('skus as k', 'k.id', 'b.sku_id')
    .leftJoin('lots as t', 't.id', 'b.lot_id')
    .leftJoin('safety_stock as s', (j) =>
      j.onRef('s.sku_id', '=', 'b.sku_id').onRef('s.location_id', '=', 'b.location_id'),
    )
    .select([
      'b.sku_id',
      'b.location_id',
      'b.lot_id',
      'b.on_hand',
      'b.allocated',
      'b.quarantined',
      'l.code',
      'l.lat',
      'l.lon',
      't.code as lot_code',
      't.expires_on',
      't.status',
      's.quantity as safety',
      'k.min_remaining_shelf_life_days as min_days',
      'k.sku as sku_code',
      'k.active as sku_active',
    ])
    .where('b.sku_id', 'in', skuIds);

const snapshotRows = prepare((db, p: { skuIds: readonly string[]; onlyLocationId: string | undefined }) => {
  let q = snapshotOf(db, p.skuIds)
    .where('l.sellable', '=', 1)
    // Rows with stock on hand, free or not: routing passes over those without free units, and a
    // `stock.changed` event sums every counter of a (SKU, location). A row with nothing on hand has
    // nothing allocated or quarantined either (the balances' CHECKs), so leaving it out loses
    // nothing — and spent lots, which stay forever, never load.
    .where('b.on_hand', '>', 0);
  // The placeholder is undefined exactly when the value is: the shape decides the SQL.
  if (p.onlyLocationId !== undefined) q = q.where('b.location_id', '=', p.onlyLocationId);
  return q;
});

/** The same rows at locations not sellable: only an edit or a conversion reads them (`withHeldOffSale`). */
const offSaleRows = prepare((db, p: { skuIds: readonly string[]; locationIds: readonly string[] }) =>
  snapshotOf(db, p.skuIds)
    .where('l.sellable', '=', 0)
    .where('b.on_hand', '>', 0)
    .where('b.location_id', 'in', p.locationIds),
);

type SnapshotQueryRow = Awaited<ReturnType<typeof snapshotRows>>['rows'][number];

function snapshotRowOf(r: SnapshotQueryRow, sellable: boolean): SnapshotRow {
  return {
    skuId: r.sku_id,
    locationId: r.location_id,
    lotId: r.lot_id,
    lot:
      r.lot_code === null
        ? null
        : { code: r.lot_code, expiresOn: r.expires_on, status: r.status ?? 'active' },
    free: r.on_hand - r.allocated - r.quarantined,
    locationCode: r.code,
    lat: r.lat,
    lon: r.lon,
    onHand: r.on_hand,
    allocated: r.allocated,
    quarantined: r.quarantined,
    lotCode: r.lot_code,
    minRemainingDays: r.min_days,
    skuCode: r.sku_code,
    skuActive: r.sku_active === 1,
    sellable,
  };
}

/** Free stock of the given SKUs at sellable locations, with lots, coordinates and safety stock. */
export async function loadSnapshot(
  tx: Tx,
  skuIds: readonly string[],
  onlyLocationId?: string,
): Promise<Snapshot> {
  if (skuIds.length === 0) return { rows: [], safety: [] };
  const { rows } = await snapshotRows(tx, { skuIds, onlyLocationId });
  // Safety stock is per (SKU, location); one row of each pair carries it to the routing function.
  const safetyByPair = new Map<string, SafetyStock>();
  for (const r of rows) {
    if (r.safety !== null && r.safety > 0)
      safetyByPair.set(`${r.sku_id}|${r.location_id}`, {
        skuId: r.sku_id,
        locationId: r.location_id,
        quantity: r.safety,
      });
  }
  const safety = [...safetyByPair.values()];
  return {
    rows: rows.map((r) => snapshotRowOf(r, true)),
    safety,
  };
}

/**
 * `snapshot` with the balances of what an order held (`held`: its own allocations on an edit, the
 * leases it converts) at locations taken off sale since, which `loadSnapshot` leaves out: the order
 * may take those units back (routing's `held`), and nothing else there. Reads nothing unless a held
 * (SKU, location) of `skuIds` is missing from the snapshot — where it was held, stock is on hand,
 * so only a location off sale leaves it out.
 */
export async function withHeldOffSale(
  tx: Tx,
  snapshot: Snapshot,
  skuIds: readonly string[],
  held: ReadonlyArray<{ readonly skuId: string; readonly locationId: string }> | undefined,
): Promise<Snapshot> {
  if (!held || held.length === 0) return snapshot;
  const needed = new Set(skuIds);
  const loaded = new Set(snapshot.rows.map((r) => `${r.skuId}|${r.locationId}`));
  const missing = held.filter((h) => needed.has(h.skuId) && !loaded.has(`${h.skuId}|${h.locationId}`));
  if (missing.length === 0) return snapshot;
  const pairs = new Set(missing.map((h) => `${h.skuId}|${h.locationId}`));
  const { rows } = await offSaleRows(tx, {
    skuIds: [...new Set(missing.map((h) => h.skuId))].sort(),
    locationIds: [...new Set(missing.map((h) => h.locationId))].sort(),
  });
  const added = rows.filter((r) => pairs.has(`${r.sku_id}|${r.location_id}`));
  if (added.length === 0) return snapshot;
  // Their safety stock is left out: a location off sale has none to keep, and serves held units only.
  return { rows: [...snapshot.rows, ...added.map((r) => snapshotRowOf(r, false))], safety: snapshot.safety };
}

/** The codes of `locationIds`, in that order, from the snapshot a plan was made from. */
export function locationCodesOf(snapshot: Snapshot, locationIds: readonly string[]): string[] {
  const codes = new Map(snapshot.rows.map((r) => [r.locationId, r.locationCode]));
  return locationIds.map((id) => codes.get(id) ?? id);
}

/** The routing function's input from a snapshot. */
export function routingInput(
  snapshot: Snapshot,
  lines: readonly RoutingLine[],
  skus: ReadonlyMap<string, RoutingSku>,
  shipTo: { lat: number; lon: number } | null,
  today: string,
  onShortage: 'reject' | 'backorder',
  held?: RoutingInput['held'],
): RoutingInput {
  const locations = new Map<string, RoutingLocation>();
  for (const r of snapshot.rows)
    locations.set(r.locationId, {
      locationId: r.locationId,
      code: r.locationCode,
      lat: r.lat,
      lon: r.lon,
      // Off sale (`withHeldOffSale`): it serves only what the order held there.
      ...(r.sellable ? {} : { sellable: false }),
    });
  return {
    lines,
    skus,
    locations: [...locations.values()],
    stock: snapshot.rows,
    safetyStock: snapshot.safety,
    ...(held ? { held } : {}),
    shipTo,
    today,
    onShortage,
  };
}

const insertAllocationRows = prepare((db, p: { rows: AllocationTable[] }) =>
  db.insertInto('allocations').values(p.rows),
);

export type Owner = {
  readonly type: 'order' | 'reservation';
  readonly id: string;
  readonly expiresAt?: string | null;
};

/**
 * Commits the plan's decrements (sorted) and records one allocation row per line allocation and
 * one ledger movement per balance (queued on `writes` when given, see `writeAll`). Returns
 * `stock.changed` events with the new availability, the bundles made of these SKUs included.
 */
export async function applyAllocations(
  tx: Tx,
  decrements: readonly Allocation[],
  lineAllocations: ReadonlyArray<{ lineId: string | null; allocation: Allocation }>,
  owner: Owner,
  snapshot: Snapshot,
  ctx: Ctx,
  today: string,
  opts: {
    /** Queue the INSERTs here instead of running them now (see `writeAll`). */
    readonly writes?: Bound[];
    /** `false` when the caller knows no SKU of the plan is a bundle's component: saves a query. */
    readonly inBundles?: boolean;
  } = {},
): Promise<DomainEvent[]> {
  const { writes, inBundles = true } = opts;
  // One conditional UPDATE for every balance (keys distinct, in the plan's sorted order).
  const merged = new Map<string, Allocation>();
  for (const d of decrements) {
    const key = balanceKeyOf(d);
    const prior = merged.get(key);
    merged.set(key, prior ? { ...prior, quantity: prior.quantity + d.quantity } : d);
  }
  const after = await allocateBalances(tx, [...merged.values()], ctx.at);
  if (after === null) throw new StockRaced();
  const deferred = writes ?? [];
  if (lineAllocations.length > 0) {
    deferred.push(
      insertAllocationRows.bind(tx, {
        rows: lineAllocations.map(({ lineId, allocation: a }) => ({
          id: newId('allocation'),
          owner_type: owner.type,
          owner_id: owner.id,
          order_line_id: lineId,
          sku_id: a.skuId,
          location_id: a.locationId,
          lot_id: a.lotId,
          quantity: a.quantity,
          expires_at: owner.expiresAt ?? null,
          created_at: ctx.at,
        })),
      }),
    );
  }
  await insertMovements(
    tx,
    decrements.map((d) => movementRow('allocation', d, d.quantity, owner, ctx)),
    deferred,
  );
  if (writes === undefined) await writeAll(tx, deferred);
  // On PostgreSQL a lot-tracked pair has other balance rows (lots) than the ones this plan changed
  // and locked: the snapshot's figures for them may be stale by now, so their event is read again
  // under the pair's lock (`exactStockChanged`). A pair without lots is one row, locked by the UPDATE.
  const lotPairs = isPostgres(tx) ? distinctPairs(decrements.filter((d) => d.lotId !== '')) : [];
  const exact = await exactStockChanged(tx, lotPairs, ctx.at);
  const events = stockChangedEvents(
    snapshot,
    after,
    decrements,
    today,
    new Map(lotPairs.map((p, i) => [`${p.skuId}|${p.locationId}`, exact[i]!])),
  );
  if (inBundles) events.push(...(await bundleStockChanged(tx, decrements, ctx.at)));
  return events;
}

function movementRow(
  type: 'allocation' | 'deallocation',
  key: Omit<Allocation, 'quantity'>,
  quantity: number,
  owner: Owner,
  ctx: Ctx,
): MovementRow {
  return {
    id: newId('movement'),
    createdAt: appliedAt(ctx.at),
    type,
    key: { skuId: key.skuId, locationId: key.locationId, lotId: key.lotId },
    deltas: { onHand: 0, allocated: type === 'allocation' ? quantity : -quantity, quarantined: 0 },
    reason: null,
    referenceType: owner.type,
    referenceId: owner.id,
    actor: ctx.actor,
    requestId: ctx.requestId,
  };
}

/**
 * `stock.changed` per touched (SKU, location): taken from `read` when it has it, otherwise computed
 * from the snapshot and the new counters.
 */
function stockChangedEvents(
  snapshot: Snapshot,
  after: ReadonlyMap<string, { onHand: number; allocated: number; quarantined: number }>,
  touched: readonly Omit<Allocation, 'quantity'>[],
  today: string,
  /** Events already read from the database, by `skuId|locationId`: used as they are. */
  read: ReadonlyMap<string, DomainEvent>,
): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const { skuId, locationId } of distinctPairs(touched)) {
    const fresh = read.get(`${skuId}|${locationId}`);
    if (fresh) {
      events.push(fresh);
      continue;
    }
    const rows = snapshot.rows
      .filter((r) => r.skuId === skuId && r.locationId === locationId)
      .map((r) => ({ ...r, ...(after.get(balanceKeyOf(r)) ?? {}) }));
    const safety =
      snapshot.safety.find((s) => s.skuId === skuId && s.locationId === locationId)?.quantity ?? 0;
    // The same payload as `emitStockChanged` (stock/availability.ts) writes.
    events.push({
      type: 'stock.changed',
      aggregateType: 'sku',
      aggregateId: skuId,
      payload: {
        sku: rows[0]?.skuCode ?? skuId,
        location: rows[0]?.locationCode ?? locationId,
        onHand: rows.reduce((n, r) => n + r.onHand, 0),
        allocated: rows.reduce((n, r) => n + r.allocated, 0),
        quarantined: rows.reduce((n, r) => n + r.quarantined, 0),
        // A backorder of a SKU deactivated since still takes its stock: available stays 0; so does
        // an edit taking back what it held at a location off sale since.
        available:
          rows[0]?.skuActive === false || rows[0]?.sellable === false
            ? 0
            : locationAvailable(rows, safety, today, rows[0]?.minRemainingDays ?? 0),
      },
    });
  }
  return events;
}

/** An allocation row's balance key. */
export const keyOf = (a: { sku_id: string; location_id: string; lot_id: string }) => ({
  skuId: a.sku_id,
  locationId: a.location_id,
  lotId: a.lot_id,
});

/** The columns of an allocation row a release needs (see `HeldAllocation`). */
export const HELD_ALLOCATION_COLUMNS = [
  'id',
  'sku_id',
  'location_id',
  'lot_id',
  'quantity',
  'order_line_id',
  'owner_id',
  'owner_type',
] as const;

export type HeldAllocation = {
  id: string;
  sku_id: string;
  location_id: string;
  lot_id: string;
  quantity: number;
  order_line_id: string | null;
  owner_id: string;
  owner_type: 'order' | 'reservation';
};

/** A (SKU, location) whose stock a release changed: its `stock.changed` is the caller's to write. */
export type Released = { readonly skuId: string; readonly locationId: string };

/**
 * Releases `quantity` units of each given allocation (all of it when omitted): decrements the
 * balance's allocated counter, shrinks or deletes the allocation row, and writes `deallocation`
 * movements. Returns the (SKU, location) pairs touched.
 */
export async function releaseAllocations(
  tx: Tx,
  releases: ReadonlyArray<{ allocation: HeldAllocation; quantity?: number }>,
  ctx: Ctx,
): Promise<Released[]> {
  const sorted = [...releases].sort((a, b) => compareBalanceKeys(keyOf(a.allocation), keyOf(b.allocation)));
  const movements: MovementRow[] = [];
  for (const { allocation: a, quantity } of sorted) {
    const q = quantity ?? a.quantity;
    if (q <= 0) continue;
    // Claim the allocation row first, conditionally on the quantity we read: two transactions that
    // release the same row (two sweeps of one expired lease, a release racing an order that
    // converts the lease) must not both decrement the balance. The loser retries with fresh reads.
    const claimed =
      q >= a.quantity
        ? Number(
            (
              await tx
                .deleteFrom('allocations')
                .where('id', '=', a.id)
                .where('quantity', '=', a.quantity)
                .executeTakeFirst()
            ).numDeletedRows,
          )
        : Number(
            (
              await tx
                .updateTable('allocations')
                .set((eb) => ({ quantity: eb('quantity', '-', q) }))
                .where('id', '=', a.id)
                .where('quantity', '=', a.quantity)
                .executeTakeFirst()
            ).numUpdatedRows,
          );
    if (claimed !== 1) throw new StockRaced();
    const counters = await applyDeltas(
      tx,
      { skuId: a.sku_id, locationId: a.location_id, lotId: a.lot_id },
      { onHand: 0, allocated: -q, quarantined: 0 },
      ctx.at,
    );
    if (counters === null)
      throw new Error(`allocation ${a.id} exceeds the balance's allocated counter: ledger invariant broken`);
    movements.push(
      movementRow(
        'deallocation',
        { skuId: a.sku_id, locationId: a.location_id, lotId: a.lot_id },
        q,
        { type: a.owner_type, id: a.owner_id },
        ctx,
      ),
    );
  }
  await insertMovements(tx, movements);
  const pairs = new Map<string, Released>();
  for (const { allocation: a } of sorted)
    pairs.set(`${a.sku_id}|${a.location_id}`, { skuId: a.sku_id, locationId: a.location_id });
  return [...pairs.values()];
}

/**
 * The (SKU, location) pairs of `released` that the plan's `decrements` do not allocate again: their
 * `stock.changed` is the caller's to write (the plan's own pairs come with `applyAllocations`).
 */
export function notReallocated<T extends { skuId: string; locationId: string }>(
  released: readonly T[],
  decrements: readonly Allocation[],
): T[] {
  const pairs = new Map<string, T>();
  for (const t of released) pairs.set(`${t.skuId}|${t.locationId}`, t);
  for (const d of decrements) pairs.delete(`${d.skuId}|${d.locationId}`);
  return [...pairs.values()];
}

const expiredLeaseAllocations = prepare((db, p: { at: string; skuIds: readonly string[] | undefined }) => {
  let q = db
    .selectFrom('allocations')
    .select(HELD_ALLOCATION_COLUMNS)
    .where(sql<boolean>`owner_type = 'reservation'`) // a literal, so SQLite can use the partial index
    .where('expires_at', '<=', p.at);
  if (p.skuIds !== undefined) q = q.where('sku_id', 'in', p.skuIds);
  return q;
});

/** The SKUs of every lease that has lapsed and still holds stock (no job released it yet). */
export async function lapsedLeaseSkus(tx: Tx, at: string): Promise<string[]> {
  const { rows } = await expiredLeaseAllocations(tx, { at, skuIds: undefined });
  return [...new Set(rows.map((r) => r.sku_id))];
}

/** Whether a lease of any of `skuIds` has lapsed and still holds stock (no job released it yet). */
export async function hasLapsedLeases(tx: Tx, skuIds: readonly string[], at: string): Promise<boolean> {
  if (skuIds.length === 0) return false;
  return (await expiredLeaseAllocations(tx, { at, skuIds })).rows.length > 0;
}

/**
 * Leases stop counting at their expiry instant: before allocating the given SKUs, release every
 * reservation allocation of theirs that has expired, in the same transaction, and write
 * `reservation.expired` for each lease. Returns the (SKU, location) pairs released, whose
 * `stock.changed` is the caller's to write once its own changes are made.
 *
 * `skuIds` must name every SKU whose balances the caller goes on to change: when there is something
 * to release, their balance rows are locked first, in key order (`lockBalances`), so that the
 * release and the caller's allocation are one sorted step. `null` sweeps every SKU (the job).
 */
export async function sweepExpiredLeases(
  tx: Tx,
  skuIds: readonly string[] | null,
  ctx: Ctx,
): Promise<Released[]> {
  if (skuIds?.length === 0) return [];
  const { rows: candidates } = await expiredLeaseAllocations(tx, {
    at: ctx.at,
    skuIds: skuIds ?? undefined,
  });
  if (candidates.length === 0) return [];
  await lockBalances(tx, [...(skuIds ?? []), ...candidates.map((a) => a.sku_id)]);
  // Then the leases, only those still active and expired once locked (PostgreSQL re-checks the
  // condition on a row another transaction changed meanwhile): a lease extended, released or
  // converted after our read keeps what that transaction decided. A lease another transaction holds
  // right now is skipped, never waited for — extend, release and conversion lock the lease and
  // then balances, the reverse of this — and left to that transaction (or the next sweep).
  const ids = [...new Set(candidates.map((e) => e.owner_id))].sort();
  const lockable = isPostgres(tx)
    ? (
        await tx
          .selectFrom('reservations')
          .select('id')
          .where('id', 'in', ids)
          .where('status', '=', 'active')
          .where('expires_at', '<=', ctx.at)
          .orderBy('id')
          .forUpdate()
          .skipLocked()
          .execute()
      ).map((r) => r.id)
    : ids;
  if (lockable.length === 0) return [];
  const expiredIds = new Set(
    (
      await tx
        .updateTable('reservations')
        .set({ status: 'expired', updated_at: ctx.at })
        .where('id', 'in', lockable)
        .where('status', '=', 'active')
        .where('expires_at', '<=', ctx.at)
        .returning('id')
        .execute()
    ).map((r) => r.id),
  );
  const expired = candidates.filter((a) => expiredIds.has(a.owner_id));
  if (expired.length === 0) return [];
  await emit(
    tx,
    ctx.at,
    [...expiredIds].map((id) => ({
      type: 'reservation.expired',
      aggregateType: 'reservation',
      aggregateId: id,
      payload: { reservationId: id },
    })),
  );
  return releaseAllocations(
    tx,
    expired.map((allocation) => ({ allocation })),
    ctx,
  );
}
