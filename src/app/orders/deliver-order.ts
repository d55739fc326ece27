/**
 * Marks a shipped order delivered (a carrier's proof of delivery, a customer's word): fulfilment
 * moves from `shipped` to `delivered`, the last step of its lifecycle, with the instant on the
 * timeline. Tracking webhooks from carriers will call the same command. Errors: NOT_FOUND,
 * INVALID_TRANSITION (not everything has shipped, or it was already delivered), VALIDATION_FAILED
 * (`deliveredAt` not an instant, in the future, or before the order was placed).
 */
import type { Tx } from '../../db/database.js';
import { parseInstant } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import type { Ctx } from './allocation.js';
import { loadOrderForChange, record, saveOrder } from './order-changes.js';
import { getOrder, type OrderView } from './order-view.js';

/** A carrier's clock may run a little ahead of ours. */
const CLOCK_SKEW_MS = 5 * 60_000;

export async function deliverOrder(
  tx: Tx,
  id: string,
  input: { deliveredAt?: string | undefined },
  ctx: Ctx,
): Promise<OrderView> {
  const order = await loadOrderForChange(tx, id);
  if (order.fulfillment_status !== 'shipped')
    throw new DomainError(
      'INVALID_TRANSITION',
      order.fulfillment_status === 'delivered'
        ? `Order ${id} was already delivered.`
        : `Only an order whose every unit has shipped can be delivered; this one is ${order.fulfillment_status.replace('_', ' ')}.`,
      [],
      { fulfillmentStatus: order.fulfillment_status },
    );
  const at = deliveredAt(input.deliveredAt, order.created_at, ctx.at);
  const lines = await tx.selectFrom('order_lines').selectAll().where('order_id', '=', id).execute();
  await saveOrder(tx, order, lines, { delivered: true }, ctx);
  await record(
    tx,
    id,
    ctx,
    [{ type: 'order.delivered', message: `Delivered at ${at}`, data: { deliveredAt: at } }],
    [
      {
        type: 'order.delivered',
        aggregateType: 'order',
        aggregateId: id,
        payload: { orderId: id, deliveredAt: at },
      },
    ],
  );
  return getOrder(tx, id);
}

function deliveredAt(given: string | undefined, placedAt: string, now: string): string {
  if (given === undefined) return now;
  // An instant with its offset: a bare date or local time would be read in the server's zone.
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/i.test(given))
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', 'must be an ISO-8601 instant with a time zone');
  const at = parseInstant(given);
  if (at === null)
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', `${given} is not a real calendar day and time`);
  if (at.getTime() > Date.parse(now) + CLOCK_SKEW_MS)
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', 'must not be in the future');
  if (at.getTime() < Date.parse(placedAt))
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', 'must not be before the order was placed');
  return at.toISOString();
}
