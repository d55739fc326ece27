/**
 * Backorders allocate automatically, oldest order first, in the same transaction as the stock
 * arrival that makes it possible (receipt, transfer in, adjustment up, count correction up); stock
 * freed otherwise (a cancellation, an edit, a lease released or lapsed, quarantine released, a
 * location made sellable again) serves them from the backorder job, run before the request that
 * freed it answers (routes marked `freesStock`) and every second (`waitingSkusWithFreeStock`). An
 * order or lease captured the moment a lease lapsed leaves the units it freed to them
 * (`holdBackForBackorders`).
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { lockRow } from '../../db/row-lock.js';
import { lockBalances } from '../../db/stock.repo.js';
import { isoDate } from '../../domain/clock.js';
import { routeOrder } from '../../domain/orders/routing.js';
import {
  applyAllocations,
  loadSnapshot,
  routingInput,
  type Ctx,
  type Released,
  type Snapshot,
} from './allocation.js';
import type { SafetyStock } from '../../domain/orders/routing.js';
import { componentQuantities } from './order-lines.js';
import { record, saveLines, saveOrder } from './order-changes.js';

/**
 * The order is open or on hold — written so that SQLite does not use the orders' status index:
 * that would visit every open order (all of them, in a busy shop) where the partial index of
 * backordered lines visits only those.
 */
const OPEN_ORDER = sql<boolean>`(o.status || '') in ('open', 'on_hold')`;

/** Backordered lines a stock arrival may serve, oldest order first, their orders locked. */
export type WaitingBackorders = ReadonlyArray<{
  readonly id: string;
  readonly order_id: string;
  /** The SKUs the line draws on: its own, or its bundle's components. */
  readonly stocked: readonly string[];
}>;

/**
 * The backordered lines waiting for any of `skuIds` (directly or as a bundle component), oldest
 * order first, with their orders locked in that order. A stock arrival takes this BEFORE it touches
 * a balance: order commands (cancel, ship, edit) lock their order and then balances, so an arrival
 * that locked the balance first and the orders after deadlocked with them on PostgreSQL (retried,
 * at about a second each).
 */
export async function lockBackorders(tx: Tx, skuIds: readonly string[]): Promise<WaitingBackorders> {
  if (skuIds.length === 0) return [];
  const candidates = await tx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', 'o.id', 'l.order_id')
    .select(['l.id', 'l.order_id', 'l.sku_id'])
    .where(sql<boolean>`l.backordered > 0`) // a literal, so SQLite can use the partial index
    .where(OPEN_ORDER)
    .where((eb) =>
      eb.or([
        eb('l.sku_id', 'in', skuIds),
        eb(
          'l.sku_id',
          'in',
          eb.selectFrom('bundle_components').select('bundle_sku_id').where('component_sku_id', 'in', skuIds),
        ),
      ]),
    )
    .orderBy('o.created_at')
    .orderBy('o.id')
    .orderBy('l.line_no')
    .execute();
  if (candidates.length === 0) return [];
  for (const orderId of new Set(candidates.map((c) => c.order_id))) await lockRow(tx, 'orders', orderId);
  // Then every balance the arrival and the waiting lines may touch — a bundle line draws on all of
  // its components, not only the one arriving — in key order (`lockBalances`): the movement and each
  // order's allocation are then one sorted step.
  const lineSkuIds = [...new Set(candidates.map((c) => c.sku_id))];
  const components = await tx
    .selectFrom('bundle_components')
    .select(['bundle_sku_id', 'component_sku_id'])
    .where('bundle_sku_id', 'in', lineSkuIds)
    .execute();
  await lockBalances(tx, [...skuIds, ...lineSkuIds, ...components.map((c) => c.component_sku_id)]);
  return candidates.map((c) => {
    const parts = components.filter((p) => p.bundle_sku_id === c.sku_id).map((p) => p.component_sku_id);
    return { id: c.id, order_id: c.order_id, stocked: parts.length > 0 ? parts : [c.sku_id] };
  });
}

/**
 * Allocates the waiting backorders (see `lockBackorders`) from the stock there is now, oldest order
 * first, in the arrival's transaction.
 */
export async function allocateBackorders(tx: Tx, candidates: WaitingBackorders, ctx: Ctx): Promise<void> {
  const today = isoDate(ctx.at);
  // SKUs found to have nothing usable left: stock only shrinks as orders are served, so a later line
  // of one of them is passed over without a query (an arrival of one unit for hundreds waiting).
  const exhausted = new Set<string>();
  for (const candidate of candidates) {
    if (candidate.stocked.some((skuId) => exhausted.has(skuId))) continue;
    // Locked by `lockBackorders`, read now: an edit, cancellation or shipment of the order that
    // committed before the lock is seen (on PostgreSQL, reading the line before the lock allocated a
    // backorder an edit had just removed, and the line went below zero).
    const order = await tx
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', candidate.order_id)
      .executeTakeFirstOrThrow();
    if (order.status !== 'open' && order.status !== 'on_hold') continue;
    const line = await tx
      .selectFrom('order_lines')
      .selectAll()
      .where('id', '=', candidate.id)
      .executeTakeFirstOrThrow();
    if (line.backordered === 0) continue;
    const components = (await componentQuantities(tx, [line])).get(line.sku_id);
    const stocked = components ? components.map((c) => c.skuId) : [line.sku_id];
    const stockedRows = await tx
      .selectFrom('skus')
      .select(['id', 'tracking', 'min_remaining_shelf_life_days'])
      .where('id', 'in', stocked)
      .execute();
    const rules = new Map(
      stockedRows.map((r) => [
        r.id,
        { tracking: r.tracking, minRemainingShelfLifeDays: r.min_remaining_shelf_life_days },
      ]),
    );
    const address = order.shipping_address
      ? (JSON.parse(order.shipping_address) as { lat?: number; lon?: number })
      : null;
    const shipTo =
      address?.lat !== undefined && address.lon !== undefined ? { lat: address.lat, lon: address.lon } : null;
    const snapshot = await loadSnapshot(tx, stocked);
    const routed = routeOrder(
      routingInput(
        snapshot,
        [
          {
            lineIndex: 0,
            skuId: line.sku_id,
            quantity: line.backordered,
            ...(components ? { components } : {}),
          },
        ],
        rules,
        shipTo,
        today,
        'backorder',
      ),
    );
    if (!routed.ok) continue;
    const planLine = routed.plan.lines[0];
    // A plain line left waiting took all there was of its SKU. (Not a bundle's: a pack of six may
    // leave five units of its one component that a plain line can still take.)
    if (!components && (planLine?.backordered ?? 1) > 0) exhausted.add(line.sku_id);
    const allocatedUnits = planLine ? line.backordered - planLine.backordered : 0;
    if (allocatedUnits === 0) continue;
    const events = await applyAllocations(
      tx,
      routed.plan.decrements,
      planLine!.allocations.map((allocation) => ({ lineId: line.id, allocation })),
      { type: 'order', id: order.id },
      snapshot,
      ctx,
      today,
    );
    const lines = await tx
      .selectFrom('order_lines')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('line_no')
      .execute();
    const next = lines.map((l) =>
      l.id === line.id ? { ...l, backordered: l.backordered - allocatedUnits } : l,
    );
    await saveLines(
      tx,
      next.filter((l) => l.id === line.id),
    );
    const saved = await saveOrder(tx, order, next, {}, ctx);
    await record(
      tx,
      order.id,
      ctx,
      [{ type: 'order.allocated', message: `Backorder allocated: ${allocatedUnits} × ${line.sku}` }],
      [
        {
          type: 'order.allocated',
          aggregateType: 'order',
          aggregateId: order.id,
          payload: {
            orderId: order.id,
            sku: line.sku,
            quantity: allocatedUnits,
            fulfillmentStatus: saved.fulfillment_status,
          },
        },
        ...events,
      ],
    );
  }
}

/**
 * Stocked SKUs that backordered lines of open orders wait for (directly or as a bundle component)
 * and that have units above safety stock at a sellable location — what stock freed without an
 * arrival (a cancellation, a lease lapsing, quarantine released) may serve. At most `limit`: in id
 * order after `from.after` (the job's walk over all of them, `limit` at a time, so a SKU that can
 * serve nothing never keeps others from their turn), or, with `from: 'recent'`, those whose stock
 * changed last first (right after a request freed some). Lots too close to expiry are the
 * routing's to judge (`hasUsableStock`).
 */
export async function waitingSkusWithFreeStock(
  tx: Tx,
  limit: number,
  from: { after: string | null } | 'recent' = { after: null },
): Promise<string[]> {
  const waitedFor = sql<string>`coalesce(c.component_sku_id, l.sku_id)`;
  const waiting = tx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', 'o.id', 'l.order_id')
    .leftJoin('bundle_components as c', 'c.bundle_sku_id', 'l.sku_id')
    .select(waitedFor.as('sku_id'))
    .where(sql<boolean>`l.backordered > 0`) // a literal, so SQLite can use the partial index
    .where(OPEN_ORDER)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('balances as b')
          .innerJoin('locations as loc', 'loc.id', 'b.location_id')
          .leftJoin('safety_stock as ss', (j) =>
            j.onRef('ss.sku_id', '=', 'b.sku_id').onRef('ss.location_id', '=', 'b.location_id'),
          )
          .select('b.location_id')
          .where(sql<boolean>`b.sku_id = coalesce(c.component_sku_id, l.sku_id)`)
          .where('loc.sellable', '=', 1)
          .groupBy(['b.location_id', 'ss.quantity'])
          .having(sql<boolean>`sum(b.on_hand - b.allocated - b.quarantined) > coalesce(ss.quantity, 0)`),
      ),
    )
    .groupBy(waitedFor);
  let q = tx.selectFrom(waiting.as('w')).select('w.sku_id');
  if (from === 'recent')
    q = q.orderBy(sql`(select max(b.updated_at) from balances as b where b.sku_id = w.sku_id)`, 'desc');
  else if (from.after !== null) q = q.where('w.sku_id', '>', from.after);
  const rows = await q.orderBy('w.sku_id').limit(limit).execute();
  return rows.map((r) => r.sku_id);
}

/**
 * Whether the SKU has a unit the routing would allocate now (sellable location, lot not too close
 * to expiry, above safety stock). Read without locks: the job asks it before it locks any order.
 */
export async function hasUsableStock(tx: Tx, skuId: string, today: string): Promise<boolean> {
  const sku = await tx
    .selectFrom('skus')
    .select(['tracking', 'min_remaining_shelf_life_days'])
    .where('id', '=', skuId)
    .executeTakeFirst();
  if (!sku) return false;
  const routed = routeOrder(
    routingInput(
      await loadSnapshot(tx, [skuId]),
      [{ lineIndex: 0, skuId, quantity: 1 }],
      new Map([
        [skuId, { tracking: sku.tracking, minRemainingShelfLifeDays: sku.min_remaining_shelf_life_days }],
      ]),
      null,
      today,
      'backorder',
    ),
  );
  return routed.ok && routed.plan.decrements.length > 0;
}

/** Serves waiting backorders of one SKU from its free stock, in a transaction of the caller's. */
export async function serveBackorders(tx: Tx, skuId: string, ctx: Ctx): Promise<void> {
  await allocateBackorders(tx, await lockBackorders(tx, [skuId]), ctx);
}

/**
 * Units of each of `skuIds` that backordered lines of open orders wait for — a bundle line counted
 * in its components' units. Read without locks.
 */
export async function waitingUnits(tx: Tx, skuIds: readonly string[]): Promise<Map<string, number>> {
  if (skuIds.length === 0) return new Map();
  const waitedFor = sql<string>`coalesce(c.component_sku_id, l.sku_id)`;
  const rows = await tx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', 'o.id', 'l.order_id')
    .leftJoin('bundle_components as c', 'c.bundle_sku_id', 'l.sku_id')
    .select([waitedFor.as('sku_id'), sql<number>`sum(l.backordered * coalesce(c.quantity, 1))`.as('units')])
    .where(sql<boolean>`l.backordered > 0`) // a literal, so SQLite can use the partial index
    .where(OPEN_ORDER)
    .where((eb) => eb(waitedFor, 'in', skuIds))
    .groupBy(waitedFor)
    .execute();
  return new Map(rows.map((r) => [r.sku_id, Number(r.units)]));
}

/**
 * A lease that lapsed frees its units at its expiry instant, before any job releases it (the caller
 * swept it: `freed`). An order or lease captured in that moment must not take the units older
 * orders' backorders wait for: they are held back, as safety stock of their (SKU, location) in the
 * snapshot the caller routes on, and the backorder job serves them once the caller has committed
 * (the route runs it before answering). Returns the snapshot to route on and the units held back.
 */
export async function holdBackForBackorders(
  tx: Tx,
  snapshot: Snapshot,
  freed: readonly Released[],
): Promise<{ snapshot: Snapshot; heldBack: number }> {
  if (freed.length === 0) return { snapshot, heldBack: 0 };
  const owed = await waitingUnits(tx, [...new Set(freed.map((f) => f.skuId))]);
  if (owed.size === 0) return { snapshot, heldBack: 0 };
  const safety = new Map<string, SafetyStock>(snapshot.safety.map((s) => [`${s.skuId}|${s.locationId}`, s]));
  let heldBack = 0;
  for (const f of freed) {
    const hold = Math.min(owed.get(f.skuId) ?? 0, f.quantity);
    if (hold <= 0) continue;
    owed.set(f.skuId, owed.get(f.skuId)! - hold);
    const key = `${f.skuId}|${f.locationId}`;
    safety.set(key, {
      skuId: f.skuId,
      locationId: f.locationId,
      quantity: (safety.get(key)?.quantity ?? 0) + hold,
    });
    heldBack += hold;
  }
  return { snapshot: { rows: snapshot.rows, safety: [...safety.values()] }, heldBack };
}
