/** Holds keep an order's allocations but stop it from moving on (fraud check, address query…). */
import type { Tx } from '../../db/database.js';
import type { ExpectedVersions } from '../../domain/versions.js';
import { assertOrderTransition } from '../../domain/orders/lifecycle.js';
import type { Ctx } from './allocation.js';
import {
  completedEntry,
  completedEvent,
  loadOrderForChange,
  nothingLeftToShip,
  record,
  saveOrder,
} from './order-changes.js';
import { getOrder, type OrderView } from './order-view.js';

export async function holdOrder(
  tx: Tx,
  id: string,
  reason: string,
  ctx: Ctx,
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  const order = await loadOrderForChange(tx, id, expected);
  assertOrderTransition(order.status, 'on_hold', 'hold');
  const lines = await tx.selectFrom('order_lines').selectAll().where('order_id', '=', id).execute();
  await saveOrder(tx, order, lines, { status: 'on_hold', holdReason: reason }, ctx);
  await record(
    tx,
    id,
    ctx,
    [{ type: 'order.held', message: `Put on hold: ${reason}` }],
    [{ type: 'order.held', aggregateType: 'order', aggregateId: id, payload: { orderId: id, reason } }],
  );
  return getOrder(tx, id);
}

export async function releaseHold(
  tx: Tx,
  id: string,
  ctx: Ctx,
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  const order = await loadOrderForChange(tx, id, expected);
  assertOrderTransition(order.status, 'open', 'release the hold on');
  const lines = await tx.selectFrom('order_lines').selectAll().where('order_id', '=', id).execute();
  // An order whose every remaining unit shipped (the rest cancelled on hold by an earlier version,
  // which kept it on hold) has nothing left to do once released: it completes.
  const done = nothingLeftToShip(lines);
  await saveOrder(tx, order, lines, { status: done ? 'completed' : 'open', holdReason: null }, ctx);
  await record(
    tx,
    id,
    ctx,
    [{ type: 'order.released', message: 'Hold released' }, ...(done ? [completedEntry] : [])],
    [
      {
        type: 'order.released',
        aggregateType: 'order',
        aggregateId: id,
        payload: { orderId: id, status: done ? 'completed' : 'open' },
      },
      ...(done ? [completedEvent(id)] : []),
    ],
  );
  return getOrder(tx, id);
}
