/**
 * Applies a verified Stripe event once per event id. Facts only ever grow (captured and refunded
 * amounts take the maximum seen), so duplicate and out-of-order deliveries converge on the same
 * state. Events for PaymentIntents Kibble does not know (and event types it does not use) are
 * acknowledged and ignored without being recorded, so a redelivery after the order arrives applies.
 * The order row is locked first, as payment actions take it, so events for one payment apply one
 * after another on PostgreSQL, each reading what the one before committed; the writes stay
 * conditional on what was read as a guard (a mismatch is retried, never overwritten).
 */
import type { Tx } from '../../db/database.js';
import { paymentStatusOf, type OrderStatus } from '../../domain/orders/lifecycle.js';
import { DomainError } from '../../domain/errors.js';
import { MAX_AMOUNT_MINOR } from '../../domain/quantity.js';
import { ConcurrentChange, type Ctx } from '../orders/allocation.js';
import { lockOrderRow, overpaymentEntries, paymentStatusFor, record } from '../orders/order-changes.js';

export type StripeEventLike = { id: string; type: string; data: { object: Record<string, unknown> } };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !v.includes('\u0000');
/** Stripe's ids are a few dozen characters; a longer one is no id (and too long for a key's index). */
const MAX_ID_LENGTH = 255;
/** A PaymentIntent id as the event names it, or null: one with a NUL is none Kibble could hold. */
const idOf = (v: unknown): string | null => (isText(v) && v.length <= MAX_ID_LENGTH ? v : null);

/**
 * The event a verified body holds, or VALIDATION_FAILED naming what is missing: a signature proves
 * who sent the body, not that it has an event's shape (`id`, `type`, `data.object`).
 */
export function stripeEventOf(body: unknown): StripeEventLike {
  const problem = !isObject(body)
    ? { field: '(body)', message: 'must be a Stripe event object' }
    : !isText(body['id']) || body['id'].length > MAX_ID_LENGTH
      ? { field: 'id', message: `must be the event id (at most ${MAX_ID_LENGTH} characters)` }
      : !isText(body['type'])
        ? { field: 'type', message: 'must be the event type' }
        : !isObject(body['data']) || !isObject(body['data']['object'])
          ? { field: 'data.object', message: 'must be the object the event is about' }
          : null;
  if (problem)
    throw new DomainError('VALIDATION_FAILED', `Not a Stripe event: ${problem.field} ${problem.message}.`, [
      problem,
    ]);
  return body as StripeEventLike;
}

/**
 * `mismatch`: the event is about a payment of this order but in another currency than the order's;
 * its amounts are not the order's money, so only the state it reports applies (failed, authorised,
 * cancelled), and the order's timeline says so for someone to look at.
 */
export type ApplyOutcome = 'applied' | 'duplicate' | 'ignored' | 'mismatch';

export async function applyStripeEvent(tx: Tx, event: StripeEventLike, ctx: Ctx): Promise<ApplyOutcome> {
  const obj = event.data.object;
  // An amount Kibble could not hold (see MAX_AMOUNT_MINOR) is no fact about a real payment.
  const num = (v: unknown) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_AMOUNT_MINOR ? v : 0;
  let reference: string | null;
  let facts: {
    captured?: number;
    refunded?: number;
    failed?: boolean;
    authorized?: boolean;
    voided?: boolean;
  };
  switch (event.type) {
    case 'payment_intent.succeeded':
      reference = idOf(obj['id']);
      facts = { captured: num(obj['amount_received']) || num(obj['amount']) };
      break;
    case 'payment_intent.amount_capturable_updated':
      reference = idOf(obj['id']);
      facts = { authorized: true };
      break;
    case 'payment_intent.payment_failed':
      reference = idOf(obj['id']);
      facts = { failed: true };
      break;
    case 'payment_intent.canceled':
      // Cancelled by the shop, or by Stripe when an authorisation went uncaptured for too long.
      reference = idOf(obj['id']);
      facts = { voided: true };
      break;
    case 'charge.refunded':
      reference = idOf(obj['payment_intent']);
      {
        // A refunded charge was captured, at least what it refunded: API versions before
        // `amount_captured` say only `captured` and `amount`.
        const refunded = num(obj['amount_refunded']);
        const captured = num(obj['amount_captured']) || (obj['captured'] === true ? num(obj['amount']) : 0);
        facts = { captured: Math.max(captured, refunded), refunded };
      }
      break;
    default:
      return 'ignored';
  }
  if (reference === null) return 'ignored';
  const byReference = () =>
    tx
      .selectFrom('payments')
      .selectAll()
      .where('provider', '=', 'stripe')
      .where('reference', '=', reference)
      .executeTakeFirst();
  const found = await byReference();
  if (!found) return 'ignored';
  // The order row first, as payment actions take it (no deadlock between the two), then the payment
  // as it is once they have committed.
  await lockOrderRow(tx, found.order_id);
  const payment = (await byReference())!;

  // Dedupe on the event id. A concurrent delivery of the same event waits here on the primary key
  // until the first commits, then sees it and answers 'duplicate'.
  if (!(await firstDelivery(tx, event, ctx))) return 'duplicate';

  const order = await tx
    .selectFrom('orders')
    .select(['id', 'total_minor', 'payment_status', 'version', 'status', 'currency'])
    .where('id', '=', payment.order_id)
    .executeTakeFirstOrThrow();
  // Stripe names currencies in lower case; an event without one (none we know of) is taken as is.
  // In another currency its amounts are not the order's money: only what it says about the state
  // (failed, authorised, cancelled) applies, and the order says why the amounts did not.
  // A NUL is no currency's (and no database text's): it is shown as U+FFFD, and is a mismatch.
  const currency =
    typeof obj['currency'] === 'string'
      ? obj['currency'].replaceAll('\u0000', '\uFFFD').toUpperCase()
      : order.currency;
  const mismatch = currency !== order.currency;
  const captured = Math.max(payment.captured_minor, mismatch ? 0 : (facts.captured ?? 0));
  const refunded = Math.min(captured, Math.max(payment.refunded_minor, mismatch ? 0 : (facts.refunded ?? 0)));
  const status = paymentStatusOf({
    // Every status but pending and failed means the payment was authorised at some point.
    authorized: (payment.status !== 'pending' && payment.status !== 'failed') || facts.authorized === true,
    failed: payment.status === 'failed' || facts.failed === true,
    voided: payment.status === 'voided' || facts.voided === true,
    amountMinor: payment.amount_minor,
    capturedMinor: captured,
    refundedMinor: refunded,
  });
  const changed =
    status !== payment.status || captured !== payment.captured_minor || refunded !== payment.refunded_minor;
  if (!changed && !mismatch) return 'applied';
  if (changed) {
    const updated = await tx
      .updateTable('payments')
      .set({ captured_minor: captured, refunded_minor: refunded, status, updated_at: ctx.at })
      .where('id', '=', payment.id)
      .where('status', '=', payment.status)
      .where('captured_minor', '=', payment.captured_minor)
      .where('refunded_minor', '=', payment.refunded_minor)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw new ConcurrentChange(`payment ${payment.id} changed concurrently; retrying`);
  }

  // The order changes too (its timeline at least): a new version, so its ETag does.
  const orderStatus = await paymentStatusFor(tx, order.id, order.total_minor, order.status as OrderStatus);
  const bumped = await tx
    .updateTable('orders')
    .set((eb) => ({ payment_status: orderStatus, updated_at: ctx.at, version: eb('version', '+', 1) }))
    .where('id', '=', order.id)
    .where('version', '=', order.version)
    .executeTakeFirst();
  if (Number(bumped.numUpdatedRows) !== 1)
    throw new ConcurrentChange(`order ${order.id} changed concurrently; retrying`);
  /** An outbox event about this payment of the order, naming the Stripe event it came from. */
  const orderEvent = (type: string, more: Record<string, unknown>) => ({
    type,
    aggregateType: 'order',
    aggregateId: order.id,
    payload: { orderId: order.id, paymentId: payment.id, reference, eventId: event.id, ...more },
  });
  await record(
    tx,
    order.id,
    ctx,
    [
      ...(mismatch
        ? [
            {
              type: 'payment.currency_mismatch',
              message: `Stripe ${event.type} for payment ${reference} is in ${currency}, the order in ${order.currency}: its amounts were not applied`,
              data: { eventId: event.id },
            },
          ]
        : []),
      ...(changed
        ? [
            {
              type: 'payment.updated',
              message: `Stripe ${event.type}: payment ${reference} is ${status} (captured ${captured}, refunded ${refunded})`,
              data: { eventId: event.id },
            },
          ]
        : []),
      // Captured at Stripe while the order was cancelled or cut (Kibble's own capture records it
      // here first when the webhook wins the race, and then finds nothing new to flag).
      ...(captured > payment.captured_minor
        ? await overpaymentEntries(tx, order, captured - payment.captured_minor, payment.id)
        : []),
    ],
    [
      ...(mismatch
        ? [
            orderEvent('payment.currency_mismatch', {
              eventType: event.type,
              currency,
              orderCurrency: order.currency,
            }),
          ]
        : []),
      ...(changed ? [orderEvent('payment.updated', { status, paymentStatus: orderStatus })] : []),
    ],
  );
  return mismatch ? 'mismatch' : 'applied';
}

/**
 * Records the event as received; false when it was before. An event's type never changes, so a
 * recorded id of another type is another event under the same id — as Stripe's test fixtures have
 * (their ids are zeroed: a failure, a success and a refund all `evt_000…`) — and it is recorded
 * under its id and type together (a space is in no Stripe id), so it applies once too instead of
 * being taken for a redelivery of the first.
 */
async function firstDelivery(tx: Tx, event: StripeEventLike, ctx: Ctx): Promise<boolean> {
  const insert = (eventId: string) =>
    tx
      .insertInto('provider_events')
      .values({ provider: 'stripe', event_id: eventId, type: event.type, received_at: ctx.at })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .executeTakeFirst();
  if (Number((await insert(event.id)).numInsertedOrUpdatedRows ?? 0n) === 1) return true;
  const recorded = await tx
    .selectFrom('provider_events')
    .select('type')
    .where('provider', '=', 'stripe')
    .where('event_id', '=', event.id)
    .executeTakeFirst();
  if (recorded === undefined || recorded.type === event.type) return false;
  return Number((await insert(`${event.id} ${event.type}`)).numInsertedOrUpdatedRows ?? 0n) === 1;
}
