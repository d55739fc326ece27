/**
 * Reservation leases: a cart or an external channel holds stock for a limited time before the
 * order exists. A lease commits stock exactly like an order line (allocated counter + allocation
 * rows owned by the reservation), and stops counting at its expiry instant: every allocation and
 * stock movement sweeps expired leases of its SKUs first, reads show them expired and their stock
 * free, and a job sweeps the rest every second.
 */
import type { Tx } from '../../db/database.js';
import { lockRow } from '../../db/row-lock.js';
import { lockBalances } from '../../db/stock.repo.js';
import { isoDate, nowIso } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { routeOrder } from '../../domain/orders/routing.js';
import { emit } from '../outbox.js';
import { resolveLocation, resolveSku } from '../stock/post-movement.js';
import { emitStockChanged } from '../stock/availability.js';
import {
  applyAllocations,
  loadSnapshot,
  notReallocated,
  releaseAllocations,
  routingInput,
  lapsedLeaseSkus,
  type Ctx,
} from './allocation.js';
import type { ResolvedLines } from './order-lines.js';
import { heldAllocationsOf } from './order-changes.js';
import { lockForLapsedLeases, releaseLapsedLeases } from './backorders.js';
import { shortageError } from './place-order.js';

export const MAX_TTL_SECONDS = 7 * 24 * 3600;

export type ReservationView = {
  id: string;
  sku: string;
  location: string | null;
  quantity: number;
  status: string;
  reference: string | null;
  orderId: string | null;
  expiresAt: string;
  createdAt: string;
  allocations: Array<{ location: string; lot: string | null; quantity: number }>;
};

/**
 * A lease stops holding stock at its expiry instant, whether or not a sweep has marked it yet
 * (`listReservations` states the same rule in SQL).
 */
const hasLapsed = (r: { status: string; expires_at: string }, at: string) =>
  r.status === 'expired' || (r.status === 'active' && r.expires_at <= at);

const expiry = (at: string, ttlSeconds: number) => new Date(Date.parse(at) + ttlSeconds * 1000).toISOString();

export async function getReservation(tx: Tx, id: string): Promise<ReservationView> {
  const r = await tx
    .selectFrom('reservations as r')
    .innerJoin('skus as s', 's.id', 'r.sku_id')
    .leftJoin('locations as l', 'l.id', 'r.location_id')
    .select([
      'r.id',
      's.sku',
      'l.code as location',
      'r.quantity',
      'r.status',
      'r.reference',
      'r.order_id',
      'r.expires_at',
      'r.created_at',
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!r) throw fieldError('NOT_FOUND', 'id', `Reservation ${id} does not exist.`);
  if (hasLapsed(r, nowIso())) r.status = 'expired';
  const allocations =
    r.status !== 'active'
      ? []
      : await tx
          .selectFrom('allocations as a')
          .innerJoin('locations as l', 'l.id', 'a.location_id')
          .leftJoin('lots as t', 't.id', 'a.lot_id')
          .select(['l.code as location', 't.code as lot', 'a.quantity'])
          .where('a.owner_id', '=', id)
          .execute();
  return {
    id: r.id,
    sku: r.sku,
    location: r.location,
    quantity: r.quantity,
    status: r.status,
    reference: r.reference,
    orderId: r.order_id,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    allocations,
  };
}

export async function listReservations(
  tx: Tx,
  opts: {
    status?: 'active' | 'released' | 'expired' | 'converted' | undefined;
    limit: number;
    after?: string | undefined;
  },
) {
  let q = tx
    .selectFrom('reservations')
    .select('id')
    .orderBy('id', 'desc')
    .limit(opts.limit + 1);
  // As `getReservation` shows them: an active lease past its expiry is expired.
  const now = nowIso();
  if (opts.status === 'active') q = q.where('status', '=', 'active').where('expires_at', '>', now);
  else if (opts.status === 'expired')
    q = q.where((eb) =>
      eb.or([
        eb('status', '=', 'expired'),
        eb.and([eb('status', '=', 'active'), eb('expires_at', '<=', now)]),
      ]),
    );
  else if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.after) q = q.where('id', '<', opts.after);
  const ids = (await q.execute()).map((r) => r.id);
  const page = ids.slice(0, opts.limit);
  return {
    items: await Promise.all(page.map((id) => getReservation(tx, id))),
    nextCursor: ids.length > opts.limit ? page[page.length - 1]! : null,
  };
}

/** Holds `quantity` of a SKU (at one location when named) for `ttlSeconds`. INSUFFICIENT_STOCK when short. */
export async function createReservation(
  tx: Tx,
  input: {
    sku: string;
    location?: string | undefined;
    quantity: number;
    ttlSeconds: number;
    reference?: string | undefined;
  },
  ctx: Ctx,
): Promise<ReservationView> {
  const sku = await resolveSku(tx, input.sku);
  if (sku.is_bundle === 1)
    throw fieldError('VALIDATION_FAILED', 'sku', 'Reserve the components of a bundle, not the bundle.');
  // A hold is for a sale, and an inactive SKU cannot be ordered (see resolveLines).
  if (sku.active !== 1) throw fieldError('VALIDATION_FAILED', 'sku', `SKU ${sku.sku} is not active`);
  const location = input.location === undefined ? null : await resolveLocation(tx, input.location);
  const id = newId('reservation');
  const expiresAt = expiry(ctx.at, input.ttlSeconds);
  const today = isoDate(ctx.at);
  // Lapsed leases of the SKU are released, and the backorders waiting for it served first.
  const lapsed = await releaseLapsedLeases(
    tx,
    [sku.id],
    await lockForLapsedLeases(tx, [sku.id], ctx.at),
    ctx,
  );
  const snapshot = await loadSnapshot(tx, [sku.id], location?.id);
  const routed = routeOrder(
    routingInput(
      snapshot,
      [{ lineIndex: 0, skuId: sku.id, quantity: input.quantity }],
      new Map([
        [sku.id, { tracking: sku.tracking, minRemainingShelfLifeDays: sku.min_remaining_shelf_life_days }],
      ]),
      null,
      today,
      'reject',
    ),
  );
  if (!routed.ok) throw shortageError(routed.shortages, [{ sku: sku.sku }], () => 'quantity');
  await tx
    .insertInto('reservations')
    .values({
      id,
      sku_id: sku.id,
      location_id: location?.id ?? null,
      quantity: input.quantity,
      status: 'active',
      reference: input.reference ?? null,
      order_id: null,
      expires_at: expiresAt,
      actor: ctx.actor,
      created_at: ctx.at,
      updated_at: ctx.at,
    })
    .execute();
  const stockEvents = await applyAllocations(
    tx,
    routed.plan.decrements,
    routed.plan.lines.flatMap((l) => l.allocations.map((allocation) => ({ lineId: null, allocation }))),
    { type: 'reservation', id, expiresAt },
    snapshot,
    ctx,
    today,
  );
  await emit(tx, ctx.at, [
    {
      type: 'reservation.created',
      aggregateType: 'reservation',
      aggregateId: id,
      payload: { reservationId: id, sku: sku.sku, quantity: input.quantity, expiresAt },
    },
    ...stockEvents,
  ]);
  await emitStockChanged(tx, notReallocated(lapsed, routed.plan.decrements), ctx.at);
  return getReservation(tx, id);
}

async function readReservation(tx: Tx, id: string) {
  const r = await tx.selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw fieldError('NOT_FOUND', 'id', `Reservation ${id} does not exist.`);
  return r;
}

function assertActive(r: { id: string; status: string; expires_at: string }, ctx: Ctx): void {
  if (hasLapsed(r, ctx.at))
    throw new DomainError('RESERVATION_EXPIRED', `Reservation ${r.id} expired at ${r.expires_at}.`);
  if (r.status !== 'active')
    throw new DomainError('INVALID_TRANSITION', `Reservation ${r.id} is ${r.status}.`, [], {
      status: r.status,
    });
}

/**
 * A lease that has lapsed, or is no longer active, is refused before its lock is taken: a lease
 * never becomes active again, so nothing can change that answer, and a sweep of lapsed leases (an
 * order or lease taking the stock this one held) skips a lease another transaction holds (ADR 11) —
 * extensions or conversions refused while holding it kept its units from every capture meanwhile
 * (on PostgreSQL, an order for the stock of a lease that had lapsed got 409 INSUFFICIENT_STOCK
 * while attempts to extend it were being refused).
 */
async function refuseIfDone(tx: Tx, id: string, ctx: Ctx): Promise<void> {
  assertActive(await readReservation(tx, id), ctx);
}

/**
 * The lease, locked for the rest of the transaction (`lockRow`), and active:
 * conversions, releases and extensions of one lease run one after another on PostgreSQL, each
 * reading what the one before committed — two orders converting one lease, or a release racing a
 * conversion, cannot both succeed. Refused without the lock when already lapsed (`refuseIfDone`).
 */
async function activeReservation(tx: Tx, id: string, ctx: Ctx) {
  await refuseIfDone(tx, id, ctx);
  await lockRow(tx, 'reservations', id);
  const r = await readReservation(tx, id);
  assertActive(r, ctx);
  return r;
}

/** Moves the expiry to now + ttlSeconds. RESERVATION_EXPIRED once it has lapsed. */
export async function extendReservation(
  tx: Tx,
  id: string,
  ttlSeconds: number,
  ctx: Ctx,
): Promise<ReservationView> {
  const r = await activeReservation(tx, id, ctx);
  const expiresAt = expiry(ctx.at, ttlSeconds);
  await tx
    .updateTable('reservations')
    .set({ expires_at: expiresAt, updated_at: ctx.at })
    .where('id', '=', r.id)
    .where('status', '=', 'active')
    .execute();
  await tx.updateTable('allocations').set({ expires_at: expiresAt }).where('owner_id', '=', r.id).execute();
  await emit(tx, ctx.at, [
    {
      type: 'reservation.extended',
      aggregateType: 'reservation',
      aggregateId: id,
      payload: { reservationId: id, expiresAt },
    },
  ]);
  return getReservation(tx, id);
}

/** Releases a lease's stock now. */
export async function releaseReservation(tx: Tx, id: string, ctx: Ctx): Promise<ReservationView> {
  const r = await activeReservation(tx, id, ctx);
  await releaseHeld(tx, r.id, ctx);
  await tx
    .updateTable('reservations')
    .set({ status: 'released', updated_at: ctx.at })
    .where('id', '=', r.id)
    .execute();
  await emit(tx, ctx.at, [
    {
      type: 'reservation.released',
      aggregateType: 'reservation',
      aggregateId: id,
      payload: { reservationId: id },
    },
  ]);
  return getReservation(tx, id);
}

async function releaseHeld(tx: Tx, ownerId: string, ctx: Ctx): Promise<void> {
  const held = await heldAllocationsOf(tx, ownerId);
  const touched = await releaseAllocations(
    tx,
    held.map((allocation) => ({ allocation })),
    ctx,
  );
  await emitStockChanged(tx, touched, ctx.at);
}

/**
 * An order converts leases into its own allocations: the leases' stock is released inside the
 * order's transaction, right before the order allocates, so nobody else can take it in between.
 * Each lease must be active and hold a SKU the order contains. Returns the (SKU, location) pairs
 * released, and what the leases held there: the order may take that back even where it is now
 * safety stock (routing's `held`), as the lease had it.
 */
export async function consumeReservations(
  tx: Tx,
  ids: readonly string[],
  resolved: ResolvedLines,
  orderId: string,
  ctx: Ctx,
  /** More SKUs whose balances the order's transaction will touch (backorders it serves first). */
  alsoLock: readonly string[] = [],
): Promise<{
  released: Array<{ skuId: string; locationId: string }>;
  held: Array<{ skuId: string; locationId: string; quantity: number }>;
}> {
  const skuIds = new Set(resolved.stockedSkuIds);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i)
      throw fieldError('VALIDATION_FAILED', `reservations.${i}`, `is also reservations.${ids.indexOf(id)}`);
  });
  /** Lease `i`, active and of a SKU of the order; errors name `reservations.i`. */
  const usable = async (i: number) => {
    const id = ids[i]!;
    const r = await readReservation(tx, id)
      .then((lease) => (assertActive(lease, ctx), lease))
      .catch((e: unknown) => {
        if (e instanceof DomainError)
          throw new DomainError(e.code, e.message, [{ field: `reservations.${i}`, message: e.message }]);
        throw e;
      });
    if (!skuIds.has(r.sku_id))
      throw fieldError(
        'VALIDATION_FAILED',
        `reservations.${i}`,
        `Reservation ${id} holds a SKU this order does not contain.`,
      );
    return r;
  };
  // Leases already lapsed or done are refused before any is locked (see `refuseIfDone`), and so are
  // leases of other SKUs (a lease's SKU never changes); checked again once locked.
  for (const i of ids.keys()) await usable(i);
  // The leases, in id order, then every balance the order will touch (see `lockBalances`): the lease
  // before its balances, as release and extension take them, and the release and the order's own
  // allocation as one sorted step.
  for (const id of [...ids].sort()) await lockRow(tx, 'reservations', id);
  await lockBalances(tx, [...resolved.stockedSkuIds, ...alsoLock]);
  const released: Array<{ skuId: string; locationId: string }> = [];
  const heldByLeases: Array<{ skuId: string; locationId: string; quantity: number }> = [];
  for (const i of ids.keys()) {
    const r = await usable(i); // locked now: read again
    const held = await heldAllocationsOf(tx, r.id);
    for (const a of held)
      heldByLeases.push({ skuId: a.sku_id, locationId: a.location_id, quantity: a.quantity });
    released.push(
      ...(await releaseAllocations(
        tx,
        held.map((allocation) => ({ allocation })),
        ctx,
      )),
    );
    await tx
      .updateTable('reservations')
      .set({ status: 'converted', order_id: orderId, updated_at: ctx.at })
      .where('id', '=', r.id)
      .execute();
  }
  await emit(
    tx,
    ctx.at,
    ids.map((id) => ({
      type: 'reservation.converted',
      aggregateType: 'reservation',
      aggregateId: id,
      payload: { reservationId: id, orderId },
    })),
  );
  return { released, held: heldByLeases };
}

/** Releases every expired lease (the job's sweep). Returns how many allocation rows were freed. */
export async function expireLeases(tx: Tx, ctx: Ctx): Promise<number> {
  // The backorders waiting for those SKUs are served in the same transaction: between a release
  // and a later backorder run, any capture could take the units first.
  const skuIds = await lapsedLeaseSkus(tx, ctx.at);
  const touched = await releaseLapsedLeases(tx, skuIds, await lockForLapsedLeases(tx, skuIds, ctx.at), ctx);
  await emitStockChanged(tx, touched, ctx.at);
  return touched.length;
}
