/**
 * Backorders allocate automatically, oldest order first, in the same transaction as the stock
 * arrival that makes it possible (receipt, transfer in, adjustment up, count correction up); stock
 * freed otherwise (a cancellation, an edit, a lease released or lapsed, quarantine released, a
 * location made sellable again) serves them from the backorder job, run before the request that
 * freed it answers (routes marked `freesStock`) and every second (`waitingSkusWithFreeStock`). An
 * order or lease captured the moment a lease lapsed serves them from the units it freed, in its own
 * transaction, before it takes any (`lockForLapsedLeases`, `releaseLapsedLeases`); so does the
 * lease-expiry job.
 */
import { byCodeUnits } from '../../domain/code-units.js';
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { lockRow } from '../../db/row-lock.js';
import { lockBalances } from '../../db/stock.repo.js';
import { isoDate } from '../../domain/clock.js';
import { routeOrder, type SafetyStock } from '../../domain/orders/routing.js';
import {
  applyAllocations,
  locationCodesOf,
  hasLapsedLeases,
  loadSnapshot,
  routingInput,
  sweepExpiredLeases,
  type Ctx,
  type Released,
} from './allocation.js';
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
  readonly order_created_at: string;
  /** The SKUs the line draws on: its own, or its bundle's components. */
  readonly stocked: readonly string[];
}>;

type OrderRef = { readonly order_id: string; readonly order_created_at: string };
const byAge = (a: OrderRef, b: OrderRef) =>
  byCodeUnits(a.order_created_at, b.order_created_at) || byCodeUnits(a.order_id, b.order_id);

/** Waiting lines oldest order first (created_at, then id), as backorders are served. */
export const oldestFirst = <T extends OrderRef>(lines: readonly T[]): T[] => [...lines].sort(byAge);

/** Order rows locked one after another, oldest first (created_at, id): every command's order (ADR 11). */
export async function lockOrders(tx: Tx, orders: readonly OrderRef[]): Promise<void> {
  const sorted = [...new Map(orders.map((o) => [o.order_id, o])).values()].sort(byAge);
  for (const o of sorted) await lockRow(tx, 'orders', o.order_id);
}

/**
 * The backordered lines waiting for any of `skuIds` (directly or as a bundle component), oldest
 * order first, read without locks (see `lockBackorders`).
 */
export async function readBackorders(tx: Tx, skuIds: readonly string[]): Promise<WaitingBackorders> {
  if (skuIds.length === 0) return [];
  const candidates = await tx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', 'o.id', 'l.order_id')
    .select(['l.id', 'l.order_id', 'l.sku_id', 'o.created_at as order_created_at'])
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
  const lineSkuIds = [...new Set(candidates.map((c) => c.sku_id))];
  const components = await tx
    .selectFrom('bundle_components')
    .select(['bundle_sku_id', 'component_sku_id'])
    .where('bundle_sku_id', 'in', lineSkuIds)
    .execute();
  return candidates.map((c) => {
    const parts = components.filter((p) => p.bundle_sku_id === c.sku_id).map((p) => p.component_sku_id);
    return {
      id: c.id,
      order_id: c.order_id,
      order_created_at: c.order_created_at,
      stocked: parts.length > 0 ? parts : [c.sku_id],
    };
  });
}

/**
 * The backordered lines waiting for any of `skuIds`, with their orders locked oldest first. A stock
 * arrival takes this BEFORE it touches a balance: order commands (cancel, ship, edit) lock their
 * order and then balances, so an arrival that locked the balance first and the orders after
 * deadlocked with them on PostgreSQL (retried, at about a second each). Then every balance the
 * arrival and the waiting lines may touch — a bundle line draws on all of its components, not only
 * the one arriving — in key order (`lockBalances`): the movement and each order's allocation are
 * then one sorted step.
 */
export async function lockBackorders(tx: Tx, skuIds: readonly string[]): Promise<WaitingBackorders> {
  const waiting = await readBackorders(tx, skuIds);
  if (waiting.length === 0) return [];
  await lockOrders(tx, waiting);
  await lockBalances(tx, [...skuIds, ...waiting.flatMap((w) => w.stocked)]);
  return waiting;
}

/**
 * Allocates the waiting backorders (see `lockBackorders`) from the stock there is now, oldest order
 * first, in the arrival's transaction.
 */
export async function allocateBackorders(
  tx: Tx,
  candidates: WaitingBackorders,
  ctx: Ctx,
  /** Units the command itself holds (leases an order converts): never the backorders'. */
  reserve: readonly SafetyStock[] = [],
): Promise<void> {
  const today = isoDate(ctx.at);
  // SKUs found to have nothing usable left: stock only shrinks as orders are served, so a later line
  // of one of them is passed over without a query (an arrival of one unit for hundreds waiting).
  const exhausted = new Set<string>();
  // Oldest order first whoever gathered them (a loss takes from the newest holder first, and hands
  // its lines back in that order); an order's own lines as given (the sort is stable).
  for (const candidate of oldestFirst(candidates)) {
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
    const loaded = await loadSnapshot(tx, stocked);
    const snapshot = reserve.length === 0 ? loaded : { ...loaded, safety: [...loaded.safety, ...reserve] };
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
            // As a capture's: the locations this allocation draws on, in the plan's order.
            locations: locationCodesOf(snapshot, routed.plan.locationIds),
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

/**
 * Whether a waiting line of `skuId` could take some of its free stock now, read without locks
 * (before the job locks the waiting orders): a line whose every stocked SKU — a bundle line's
 * components — has usable stock (`hasUsableStock`). A bundle line waits for all of its components,
 * so free units of one while another is short serve no line, and the job passes over them with a
 * read instead of locking every waiting order again each second. A necessary condition only (a
 * component needed twice per bundle may still be short).
 */
export async function mayServeWaiting(tx: Tx, skuId: string, today: string): Promise<boolean> {
  const usable = new Map<string, boolean>();
  const has = async (id: string) => {
    let known = usable.get(id);
    if (known === undefined) usable.set(id, (known = await hasUsableStock(tx, id, today)));
    return known;
  };
  if (!(await has(skuId))) return false;
  for (const line of await readBackorders(tx, [skuId])) {
    let all = true;
    for (const id of line.stocked) {
      if (!(await has(id))) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/** Serves waiting backorders of one SKU from its free stock, in a transaction of the caller's. */
export async function serveBackorders(tx: Tx, skuId: string, ctx: Ctx): Promise<void> {
  await allocateBackorders(tx, await lockBackorders(tx, [skuId]), ctx);
}

/** The backorders a command must serve before it takes stock a lapsed lease held (see below). */
export type LapsedLeases = { readonly any: boolean; readonly waiting: WaitingBackorders };

/**
 * A lease that lapsed stops holding stock at its expiry instant, before any job releases it; an
 * order or lease captured in that moment releases it — and must not take the units older orders'
 * backorders wait for (backorders are served oldest first). Two steps, in the command's
 * transaction. This one, before the command locks anything: whether a lease of `skuIds` lapsed and,
 * if one did, the backorders waiting for those SKUs, their orders locked (orders first, ADR 11).
 */
export async function lockForLapsedLeases(
  tx: Tx,
  skuIds: readonly string[],
  at: string,
): Promise<LapsedLeases> {
  if (!(await hasLapsedLeases(tx, skuIds, at))) return { any: false, waiting: [] };
  const waiting = await readBackorders(tx, skuIds);
  await lockOrders(tx, waiting);
  return { any: true, waiting };
}

/**
 * The second step, once the command holds its own leases (a conversion): releases the lapsed leases
 * of `skuIds` and serves the waiting backorders from what they freed, before the command reads the
 * stock it takes. Returns the (SKU, location) pairs released (their `stock.changed` is the caller's).
 */
export async function releaseLapsedLeases(
  tx: Tx,
  skuIds: readonly string[],
  lapsed: LapsedLeases,
  ctx: Ctx,
  /** Units the command converted from its own leases: kept from the backorders (`allocateBackorders`). */
  reserve: readonly SafetyStock[] = [],
): Promise<Released[]> {
  if (!lapsed.any) return [];
  // Every balance the sweep and the waiting lines touch, in one sorted step (a waiting bundle line
  // draws on components outside `skuIds`); a conversion locked the same set already.
  await lockBalances(tx, balanceSkusForLapsed(skuIds, lapsed));
  const released = await sweepExpiredLeases(tx, skuIds, ctx);
  if (released.length > 0 && lapsed.waiting.length > 0)
    await allocateBackorders(tx, lapsed.waiting, ctx, reserve);
  return released;
}

/** The SKUs whose balances releasing lapsed leases of `skuIds` may touch (see above). */
export const balanceSkusForLapsed = (skuIds: readonly string[], lapsed: LapsedLeases): string[] => [
  ...skuIds,
  ...lapsed.waiting.flatMap((w) => w.stocked),
];
