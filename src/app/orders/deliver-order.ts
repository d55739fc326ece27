/**
 * Marks a shipped order delivered (a carrier's proof of delivery, a customer's word): fulfilment
 * moves from `shipped` to `delivered`, the last step of its lifecycle, with the instant on the
 * timeline. Tracking webhooks from carriers will call the same command. Errors: NOT_FOUND,
 * INVALID_TRANSITION (not everything has shipped, or it was already delivered), VALIDATION_FAILED
 * (`deliveredAt` not an instant, in the future, or before the last shipment left).
 */
import type { Tx } from '../../db/database.js';
import type { ExpectedVersions } from '../../domain/versions.js';
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
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  // The request's own field first: a malformed instant is the client's to fix whatever the state.
  const given = input.deliveredAt === undefined ? null : parseDeliveredAt(input.deliveredAt);
  const order = await loadOrderForChange(tx, id, expected);
  if (order.fulfillment_status !== 'shipped')
    throw new DomainError(
      'INVALID_TRANSITION',
      order.fulfillment_status === 'delivered'
        ? `Order ${id} was already delivered.`
        : `Only an order whose every unit has shipped can be delivered; this one is ${order.fulfillment_status.replace('_', ' ')}.`,
      [],
      { fulfillmentStatus: order.fulfillment_status },
    );
  const shipped = await tx
    .selectFrom('order_events')
    .select((eb) => eb.fn.max('at').as('at'))
    .where('order_id', '=', id)
    .where('type', '=', 'order.shipped')
    .executeTakeFirst();
  const at = given === null ? ctx.at : deliveredAt(given, shipped?.at ?? order.created_at, ctx.at);
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

function parseDeliveredAt(given: string): Date {
  // An instant with its offset: a bare date or local time would be read in the server's zone.
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/i.test(given))
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', 'must be an ISO-8601 instant with a time zone');
  const at = parseInstant(given);
  if (at === null)
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', `${given} is not a real calendar day and time`);
  return at;
}

/** `given` within what is possible: not in the future, not before the last shipment left. */
function deliveredAt(given: Date, shippedAt: string, now: string): string {
  if (given.getTime() > Date.parse(now) + CLOCK_SKEW_MS)
    throw fieldError('VALIDATION_FAILED', 'deliveredAt', 'must not be in the future');
  if (given.getTime() < Date.parse(shippedAt))
    throw fieldError(
      'VALIDATION_FAILED',
      'deliveredAt',
      `must not be before the order shipped (${shippedAt})`,
    );
  return given.toISOString();
}
