/**
 * Stock found missing — a negative adjustment or count correction — is a fact, and the ledger must
 * record it even when the units were allocated: refusing it would leave Kibble promising units that
 * are not on the shelf. Units the balance's free stock does not cover are taken back from the
 * allocations of that balance, newest holder first, so that the oldest orders keep their stock (as
 * backorders are served oldest first): leases before orders (a cart's hold is not yet a sale), then
 * order lines, newest order first. A line taken from is backordered for those units — a bundle line
 * for whole bundle units, its other components released with them — and the caller routes it again
 * in the same transaction, once the loss is recorded, to any location that has the stock
 * (`allocateBackorders` on the lines `takeBackForLoss` returns), before anyone else can take it.
 * Quarantined units are never taken: a loss beyond on hand − quarantined stays NEGATIVE_STOCK.
 */
import { byCodeUnits } from '../../domain/code-units.js';
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { lockRow } from '../../db/row-lock.js';
import { lockBalances, type BalanceKey } from '../../db/stock.repo.js';
import { emit } from '../outbox.js';
import {
  ConcurrentChange,
  HELD_ALLOCATION_COLUMNS,
  releaseAllocations,
  type Ctx,
  type HeldAllocation,
  type Released,
} from './allocation.js';
import { loadOrderForChange, heldAllocationsOf, record, saveLines, saveOrder } from './order-changes.js';
import { componentQuantities } from './order-lines.js';
import { lockOrders, type WaitingBackorders } from './backorders.js';

/** Who a loss at a balance would take from, read without locks (`holdersForLoss`). */
export type LossHolders = {
  readonly orders: ReadonlyArray<{ readonly order_id: string; readonly order_created_at: string }>;
  readonly leases: readonly string[];
};

/** The holders a command locked (`lockForLosses`): a loss may take only from these. */
export type LockedHolders = { readonly orders: ReadonlySet<string>; readonly leases: ReadonlySet<string> };

/**
 * What the loss is, for the orders' timelines: `adjustment`, `count` and the count's id, or
 * `expiry` and the lot's code (the units are on the shelf, but may not be sold any more).
 */
export type LossCause = {
  readonly kind: 'adjustment' | 'count' | 'expiry';
  readonly id?: string | undefined;
};

/** The reason events give for units a cause took back. */
const reasonOf = (cause: LossCause) => (cause.kind === 'expiry' ? 'lot_expired' : 'stock_lost');

type Holding = HeldAllocation & { readonly owner_created_at: string };

/** The balance's counters, and its allocations, newest holder first (leases, then orders). */
async function holdingsAt(tx: Tx, key: BalanceKey) {
  const balance = await tx
    .selectFrom('balances')
    .select(['on_hand', 'allocated', 'quarantined'])
    .where('sku_id', '=', key.skuId)
    .where('location_id', '=', key.locationId)
    .where('lot_id', '=', key.lotId)
    .executeTakeFirst();
  if (!balance) return null;
  const holdings: Holding[] = await tx
    .selectFrom('allocations as a')
    .leftJoin('orders as o', (j) => j.onRef('o.id', '=', 'a.owner_id').on('a.owner_type', '=', 'order'))
    .select(HELD_ALLOCATION_COLUMNS.map((c) => `a.${c}` as const))
    .select(sql<string>`coalesce(o.created_at, a.created_at)`.as('owner_created_at'))
    .where('a.sku_id', '=', key.skuId)
    .where('a.location_id', '=', key.locationId)
    .where('a.lot_id', '=', key.lotId)
    .execute();
  // Leases first, then the newest owner first (ties by id, descending).
  holdings.sort(
    (a, b) =>
      (a.owner_type === b.owner_type ? 0 : a.owner_type === 'reservation' ? -1 : 1) ||
      byCodeUnits(b.owner_created_at, a.owner_created_at) ||
      byCodeUnits(b.owner_id, a.owner_id) ||
      byCodeUnits(b.id, a.id),
  );
  const free = balance.on_hand - balance.allocated - balance.quarantined;
  return { balance, free, holdings };
}

/** The holdings a shortfall of `units` takes, in turn, and how much of each. */
function taking(holdings: readonly Holding[], units: number): Array<{ holding: Holding; quantity: number }> {
  const out: Array<{ holding: Holding; quantity: number }> = [];
  let left = units;
  for (const h of holdings) {
    if (left <= 0) break;
    const q = Math.min(left, h.quantity);
    out.push({ holding: h, quantity: q });
    left -= q;
  }
  return out;
}

/**
 * The orders and leases a loss of `units` at `key` would take from, read without locks: none when
 * the free stock covers the loss, or when not even every allocated unit would (the movement is then
 * refused).
 */
export async function holdersForLoss(tx: Tx, key: BalanceKey, units: number): Promise<LossHolders> {
  const at = await holdingsAt(tx, key);
  if (at === null || units <= at.free || units > at.balance.on_hand - at.balance.quarantined)
    return { orders: [], leases: [] };
  const taken = taking(at.holdings, units - at.free).map((t) => t.holding);
  return {
    orders: taken
      .filter((h) => h.owner_type === 'order')
      .map((h) => ({ order_id: h.owner_id, order_created_at: h.owner_created_at })),
    leases: [...new Set(taken.filter((h) => h.owner_type === 'reservation').map((h) => h.owner_id))],
  };
}

/**
 * Locks what a command that may take stock back needs, in the one order every command takes them
 * (ADR 11): the holders' orders and any other orders of the command (`waiting` backorders) together,
 * oldest first; then the leases, by id; then, in one sorted step, the balances of `skuIds`, of every
 * SKU the holders' lines draw on (a bundle line taken back releases its other components, and is
 * routed again) and of the waiting lines.
 */
export async function lockForLosses(
  tx: Tx,
  skuIds: readonly string[],
  holders: readonly LossHolders[],
  waiting: WaitingBackorders = [],
): Promise<LockedHolders> {
  const orders = holders.flatMap((h) => h.orders);
  await lockOrders(tx, [...orders, ...waiting]);
  const leases = [...new Set(holders.flatMap((h) => h.leases))].sort();
  for (const id of leases) await lockRow(tx, 'reservations', id);
  const orderIds = [...new Set(orders.map((o) => o.order_id))];
  // Every SKU the holders' lines draw on — a bundle line's components too, held or still waiting —
  // as a line taken back is routed again in the same transaction.
  const drawn =
    orderIds.length === 0
      ? []
      : (
          await tx
            .selectFrom('order_lines as l')
            .leftJoin('bundle_components as c', 'c.bundle_sku_id', 'l.sku_id')
            .select(sql<string>`coalesce(c.component_sku_id, l.sku_id)`.as('sku_id'))
            .distinct()
            .where('l.order_id', 'in', orderIds)
            .execute()
        ).map((r) => r.sku_id);
  await lockBalances(tx, [...skuIds, ...drawn, ...waiting.flatMap((w) => w.stocked)]);
  return { orders: new Set(orderIds), leases: new Set(leases) };
}

/**
 * Takes back what a loss of `units` at `key` needs beyond the free stock from the holders locked by
 * `lockForLosses` (balances included), before the loss itself is recorded. Returns the (SKU,
 * location) pairs released (their `stock.changed` is the caller's). A holder that was not locked —
 * an allocation made since the unlocked read, on PostgreSQL — retries the command; a loss beyond on
 * hand outside quarantine takes nothing (the movement is then refused).
 */
export async function takeBackForLoss(
  tx: Tx,
  key: BalanceKey,
  units: number,
  holders: LockedHolders,
  cause: LossCause,
  ctx: Ctx,
): Promise<{ released: Released[]; waiting: WaitingBackorders }> {
  const at = await holdingsAt(tx, key);
  if (at === null || units <= at.free || units > at.balance.on_hand - at.balance.quarantined)
    return { released: [], waiting: [] };
  const taken = taking(at.holdings, units - at.free);
  for (const { holding } of taken) {
    const locked = holding.owner_type === 'order' ? holders.orders : holders.leases;
    if (!locked.has(holding.owner_id))
      throw new ConcurrentChange(`allocations of ${key.skuId} changed while a loss was posted; retrying`);
  }
  const released: Released[] = [];
  const leases = taken.filter((t) => t.holding.owner_type === 'reservation');
  if (leases.length > 0) released.push(...(await shrinkLeases(tx, leases, cause, ctx)));
  const byOrder = new Map<string, Array<{ holding: Holding; quantity: number }>>();
  for (const t of taken)
    if (t.holding.owner_type === 'order')
      byOrder.set(t.holding.owner_id, [...(byOrder.get(t.holding.owner_id) ?? []), t]);
  const waiting: Array<WaitingBackorders[number]> = [];
  for (const [orderId, takes] of byOrder) {
    const lost = await backorderLost(tx, orderId, takes, key, cause, ctx);
    released.push(...lost.released);
    waiting.push(...lost.waiting);
  }
  return { released, waiting };
}

async function shrinkLeases(
  tx: Tx,
  takes: ReadonlyArray<{ holding: Holding; quantity: number }>,
  cause: LossCause,
  ctx: Ctx,
): Promise<Released[]> {
  const released = await releaseAllocations(
    tx,
    takes.map((t) => ({ allocation: t.holding, quantity: t.quantity })),
    ctx,
  );
  const perLease = new Map<string, number>();
  for (const t of takes)
    perLease.set(t.holding.owner_id, (perLease.get(t.holding.owner_id) ?? 0) + t.quantity);
  for (const [id, lost] of perLease) {
    // Locked by `lockForLosses`: its quantity is the one this transaction reads.
    const { quantity } = await tx
      .selectFrom('reservations')
      .select('quantity')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const lease =
      quantity > lost
        ? { quantity: quantity - lost, status: 'active' as const }
        : { quantity, status: 'released' as const };
    await tx
      .updateTable('reservations')
      .set({ quantity: lease.quantity, status: lease.status, updated_at: ctx.at })
      .where('id', '=', id)
      .execute();
    await emit(tx, ctx.at, [
      {
        type: lease.status === 'released' ? 'reservation.released' : 'reservation.reduced',
        aggregateType: 'reservation',
        aggregateId: id,
        payload: {
          reservationId: id,
          lostUnits: lost,
          quantity: lease.status === 'released' ? 0 : lease.quantity,
          reason: reasonOf(cause),
        },
      },
    ]);
  }
  return released;
}

/** Backorders what the loss takes from one order's lines, releasing those units' allocations. */
async function backorderLost(
  tx: Tx,
  orderId: string,
  takes: ReadonlyArray<{ holding: Holding; quantity: number }>,
  key: BalanceKey,
  cause: LossCause,
  ctx: Ctx,
): Promise<{ released: Released[]; waiting: WaitingBackorders }> {
  const order = await loadOrderForChange(tx, orderId);
  const lines = await tx
    .selectFrom('order_lines')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('line_no')
    .execute();
  const components = await componentQuantities(tx, lines);
  const held = await heldAllocationsOf(tx, orderId);
  const releases: Array<{ allocation: HeldAllocation; quantity: number }> = [];
  const lost = new Map<string, number>(); // line id → its units backordered
  for (const { holding, quantity } of takes) {
    const line = lines.find((l) => l.id === holding.order_line_id);
    if (!line) throw new Error(`allocation ${holding.id} names no line of order ${orderId}`);
    const parts = components.get(line.sku_id);
    if (!parts) {
      releases.push({ allocation: holding, quantity });
      lost.set(line.id, (lost.get(line.id) ?? 0) + quantity);
      continue;
    }
    // A bundle line loses whole bundle units: the lost component and as many of the others.
    const per = parts.find((p) => p.skuId === key.skuId)!.quantity;
    const allocatedUnits =
      line.quantity - line.backordered - line.shipped_quantity - (lost.get(line.id) ?? 0);
    const bundleUnits = Math.min(allocatedUnits, Math.ceil(quantity / per));
    lost.set(line.id, (lost.get(line.id) ?? 0) + bundleUnits);
    for (const p of parts) {
      let left = bundleUnits * p.quantity;
      // The lost balance's allocation first, then the line's others of that component.
      const mine = held.filter((h) => h.order_line_id === line.id && h.sku_id === p.skuId);
      mine.sort((a, b) => (a.id === holding.id ? -1 : b.id === holding.id ? 1 : 0));
      for (const a of mine) {
        if (left === 0) break;
        const already = releases.filter((r) => r.allocation.id === a.id).reduce((s, r) => s + r.quantity, 0);
        const q = Math.min(left, a.quantity - already);
        if (q <= 0) continue;
        releases.push({ allocation: a, quantity: q });
        left -= q;
      }
    }
  }
  // One release per allocation row (its claim checks the quantity it read).
  const merged = new Map<string, { allocation: HeldAllocation; quantity: number }>();
  for (const r of releases) {
    const m = merged.get(r.allocation.id);
    if (m) m.quantity += r.quantity;
    else merged.set(r.allocation.id, { ...r });
  }
  const released = await releaseAllocations(tx, [...merged.values()], ctx);
  const next = lines.map((l) =>
    lost.has(l.id) ? { ...l, backordered: l.backordered + lost.get(l.id)! } : l,
  );
  await saveLines(tx, next);
  await saveOrder(tx, order, next, {}, ctx);
  const names = next.filter((l) => lost.has(l.id)).map((l) => ({ sku: l.sku, quantity: lost.get(l.id)! }));
  const list = names.map((n) => `${n.quantity} × ${n.sku}`).join(', ');
  const what =
    cause.kind === 'count' ? `a stock count${cause.id ? ` (${cause.id})` : ''}` : 'a stock adjustment';
  const detail =
    cause.kind === 'expiry'
      ? {
          message: `Lot ${cause.id ?? ''} expired: ${list} taken back, to be allocated from other stock`,
          data: { lot: cause.id },
        }
      : {
          message: `Stock found missing by ${what}: ${list} backordered until stock is found`,
          data: cause.id ? { countId: cause.id } : {},
        };
  await record(
    tx,
    orderId,
    ctx,
    [
      {
        type: 'order.backordered',
        message: detail.message,
        data: { lines: names, cause: cause.kind, ...detail.data },
      },
    ],
    [
      {
        type: 'order.backordered',
        aggregateType: 'order',
        aggregateId: orderId,
        // No fulfilment status: the caller routes these lines again in this transaction, and the
        // `order.allocated` that follows says what the order became.
        payload: { orderId, lines: names, reason: reasonOf(cause) },
      },
    ],
  );
  // The lines now waiting, for the caller to route again once the loss is recorded.
  const waiting = next
    .filter((l) => lost.has(l.id))
    .map((l) => ({
      id: l.id,
      order_id: orderId,
      order_created_at: order.created_at,
      stocked: components.get(l.sku_id)?.map((c) => c.skuId) ?? [l.sku_id],
    }));
  return { released, waiting };
}
