/**
 * Ships everything that is allocated on an order, in one transaction: each allocation becomes a
 * `shipment` movement (on hand and allocated both fall), lines count their shipped units, and the
 * order completes once nothing is left to ship. Backordered units stay open (partially shipped).
 * Pick lists, packing and carriers build on this in the fulfilment module.
 * Errors: NOT_FOUND, INVALID_TRANSITION (on hold, cancelled, completed, or nothing allocated).
 */
import type { Tx } from '../../db/database.js';
import type { ExpectedVersions } from '../../domain/versions.js';
import { applyDeltas, compareBalanceKeys, insertMovements, type MovementRow } from '../../db/stock.repo.js';
import { DomainError } from '../../domain/errors.js';
import { appliedAt } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import { keyOf, StockRaced, type Ctx } from './allocation.js';
import {
  completedEntry,
  completedEvent,
  heldAllocationsOf,
  loadOrderForChange,
  nothingLeftToShip,
  record,
  saveLines,
  saveOrder,
} from './order-changes.js';
import { getOrder, type OrderView } from './order-view.js';
import { emitStockChanged } from '../stock/availability.js';

export async function shipOrder(
  tx: Tx,
  id: string,
  ctx: Ctx,
  opts: { carrier?: string | undefined; trackingNumber?: string | undefined } = {},
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  const order = await loadOrderForChange(tx, id, expected);
  if (order.status !== 'open')
    throw new DomainError(
      'INVALID_TRANSITION',
      `Cannot ship an order that is ${order.status.replace('_', ' ')}.`,
      [],
      { status: order.status },
    );
  const held = await heldAllocationsOf(tx, id);
  if (held.length === 0)
    throw new DomainError('INVALID_TRANSITION', 'Nothing on this order is allocated, so nothing can ship.');
  const lines = await tx
    .selectFrom('order_lines')
    .selectAll()
    .where('order_id', '=', id)
    .orderBy('line_no')
    .execute();

  const sorted = [...held].sort((a, b) => compareBalanceKeys(keyOf(a), keyOf(b)));
  const movements: MovementRow[] = [];
  for (const a of sorted) {
    const gone = Number(
      (
        await tx
          .deleteFrom('allocations')
          .where('id', '=', a.id)
          .where('quantity', '=', a.quantity)
          .executeTakeFirst()
      ).numDeletedRows,
    );
    if (gone !== 1) throw new StockRaced();
    const key = { skuId: a.sku_id, locationId: a.location_id, lotId: a.lot_id };
    const counters = await applyDeltas(
      tx,
      key,
      { onHand: -a.quantity, allocated: -a.quantity, quarantined: 0 },
      ctx.at,
    );
    if (counters === null) throw new Error(`allocation ${a.id} exceeds its balance: ledger invariant broken`);
    movements.push({
      id: newId('movement'),
      createdAt: appliedAt(ctx.at),
      type: 'shipment',
      key,
      deltas: { onHand: -a.quantity, allocated: -a.quantity, quarantined: 0 },
      reason: opts.trackingNumber ? `${opts.carrier ?? 'carrier'} ${opts.trackingNumber}` : null,
      referenceType: 'order',
      referenceId: id,
      actor: ctx.actor,
      requestId: ctx.requestId,
    });
  }
  await insertMovements(tx, movements);

  const shippedUnits = new Map<string, number>();
  const next = lines.map((l) => {
    const allocatedUnits = l.quantity - l.backordered - l.shipped_quantity;
    if (allocatedUnits <= 0) return l;
    shippedUnits.set(l.sku, (shippedUnits.get(l.sku) ?? 0) + allocatedUnits);
    return { ...l, shipped_quantity: l.shipped_quantity + allocatedUnits };
  });
  await saveLines(tx, next);
  const complete = nothingLeftToShip(next);
  const saved = await saveOrder(tx, order, next, complete ? { status: 'completed' } : {}, ctx);
  const summary = [...shippedUnits].map(([sku, q]) => `${q} × ${sku}`).join(', ');
  await record(
    tx,
    id,
    ctx,
    [
      {
        type: 'order.shipped',
        message: `Shipped ${summary}${opts.trackingNumber ? ` (${opts.carrier ?? 'carrier'} ${opts.trackingNumber})` : ''}`,
      },
      ...(complete ? [completedEntry] : []),
    ],
    [
      {
        type: 'order.shipped',
        aggregateType: 'order',
        aggregateId: id,
        payload: {
          orderId: id,
          fulfillmentStatus: saved.fulfillment_status,
          status: saved.status,
          carrier: opts.carrier ?? null,
          trackingNumber: opts.trackingNumber ?? null,
        },
      },
      ...(complete ? [completedEvent(id)] : []),
    ],
  );
  const touched = new Map(
    sorted.map((a) => [`${a.sku_id}|${a.location_id}`, { skuId: a.sku_id, locationId: a.location_id }]),
  );
  await emitStockChanged(tx, [...touched.values()], ctx.at);
  return getOrder(tx, id);
}
