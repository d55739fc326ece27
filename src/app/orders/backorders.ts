/**
 * Backorders allocate automatically, oldest order first, in the same transaction as the stock
 * arrival that makes it possible (receipt, transfer in, adjustment up, count correction up); stock
 * freed otherwise (a cancellation, an edit, a lease released or lapsed, quarantine released, a
 * location made sellable again) serves them from the backorder job within about a second
 * (`waitingSkusWithFreeStock`).
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { lockRow } from '../../db/row-lock.js';
import { isoDate } from '../../domain/clock.js';
import { routeOrder } from '../../domain/orders/routing.js';
import { applyAllocations, loadSnapshot, routingInput, type Ctx } from './allocation.js';
import { componentQuantities } from './order-lines.js';
import { record, saveLines, saveOrder } from './order-changes.js';

/**
 * The order is open or on hold — written so that SQLite does not use the orders' status index:
 * that would visit every open order (all of them, in a busy shop) where the partial index of
 * backordered lines visits only those.
 */
const OPEN_ORDER = sql<boolean>`(o.status || '') in ('open', 'on_hold')`;

/** Backordered lines a stock arrival may serve, oldest order first, their orders locked. */
export type WaitingBackorders = ReadonlyArray<{ readonly id: string; readonly order_id: string }>;

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
    .select(['l.id', 'l.order_id'])
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
  for (const orderId of new Set(candidates.map((c) => c.order_id))) await lockRow(tx, 'orders', orderId);
  return candidates;
}

/**
 * Allocates the waiting backorders (see `lockBackorders`) from the stock there is now, oldest order
 * first, in the arrival's transaction.
 */
export async function allocateBackorders(tx: Tx, waiting: WaitingBackorders, ctx: Ctx): Promise<void> {
  const candidates = waiting;
  const today = isoDate(ctx.at);
  for (const candidate of candidates) {
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
    const sku = await tx
      .selectFrom('skus')
      .selectAll()
      .where('id', '=', line.sku_id)
      .executeTakeFirstOrThrow();
    const components = (await componentQuantities(tx, [line])).get(line.sku_id);
    const stocked = components ? components.map((c) => c.skuId) : [line.sku_id];
    const stockedRows = await tx
      .selectFrom('skus')
      .select(['id', 'sku', 'tracking', 'min_remaining_shelf_life_days'])
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
        [{ lineIndex: 0, skuId: sku.id, quantity: line.backordered, ...(components ? { components } : {}) }],
        rules,
        shipTo,
        today,
        'backorder',
      ),
    );
    if (!routed.ok) continue;
    const planLine = routed.plan.lines[0];
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
        ...events.map((e) => ({
          ...e,
          // The stocked SKU's code: the line's own, or a bundle component's.
          payload: { ...e.payload, sku: stockedRows.find((r) => r.id === e.aggregateId)?.sku ?? sku.sku },
        })),
      ],
    );
  }
}

/**
 * Stocked SKUs that backordered lines of open orders wait for (directly or as a bundle component)
 * and that have free units at a sellable location — what stock freed without an arrival (a
 * cancellation, a lease lapsing, quarantine released) may serve. At most `limit`, oldest waiting
 * first. Safety stock and lots too close to expiry are the routing's to judge: a SKU whose free
 * units are all held back is listed again and serves nothing.
 */
export async function waitingSkusWithFreeStock(tx: Tx, limit: number): Promise<string[]> {
  const rows = await tx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', 'o.id', 'l.order_id')
    .leftJoin('bundle_components as c', 'c.bundle_sku_id', 'l.sku_id')
    .select((eb) => [
      eb.fn.coalesce('c.component_sku_id', 'l.sku_id').as('sku_id'),
      eb.fn.min('o.created_at').as('since'),
    ])
    .where(sql<boolean>`l.backordered > 0`) // a literal, so SQLite can use the partial index
    .where(OPEN_ORDER)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('balances as b')
          .innerJoin('locations as loc', 'loc.id', 'b.location_id')
          .select('b.sku_id')
          .where(sql<boolean>`b.sku_id = coalesce(c.component_sku_id, l.sku_id)`)
          .where('loc.sellable', '=', 1)
          .where(sql<boolean>`b.on_hand - b.allocated - b.quarantined > 0`),
      ),
    )
    .groupBy(sql`coalesce(c.component_sku_id, l.sku_id)`)
    .orderBy('since')
    .limit(limit)
    .execute();
  return rows.map((r) => r.sku_id);
}

/** Serves waiting backorders of one SKU from its free stock, in a transaction of the caller's. */
export async function serveBackorders(tx: Tx, skuId: string, ctx: Ctx): Promise<void> {
  await allocateBackorders(tx, await lockBackorders(tx, [skuId]), ctx);
}
