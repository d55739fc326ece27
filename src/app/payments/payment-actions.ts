/**
 * Capture, void or refund a recorded payment through its provider. The provider is called OUTSIDE
 * any database transaction (a slow payment API must never hold stock locks), then its answer is
 * recorded in one transaction. So that two actions on one payment never both reach the provider
 * (ten concurrent refunds of 300 on a capture of 1,000 all used to pass the amount check), the
 * action first claims the payment in a transaction of its own — checking the state and amount
 * against the row it claimed — and the claim is released with the result, or on failure, by its
 * own token only. Another action meanwhile is 409 CONFLICT. A claim left by a crashed process
 * expires after ten minutes, timed from when it was made.
 *
 * Both transactions lock the order row before they read (a write that changes nothing), so that on
 * PostgreSQL they see what concurrent actions on the order's other payments, shipments and
 * cancellations committed: the order's payment status is computed from every payment as it is, a
 * capture claims only while no other payment of the order is being acted on, and captures no more
 * than the order still owes (by default, what is owed up to the authorised amount).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.js';
import type { PaymentTable } from '../../db/schema.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { formatMinor } from '../../domain/money.js';
import { paymentStatusOf, type PaymentStatus } from '../../domain/orders/lifecycle.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { Ctx } from '../orders/allocation.js';
import { heldMoneyOf, paymentStatusFor, record, refundDueEntry } from '../orders/order-changes.js';
import { getOrder, type OrderView } from '../orders/order-view.js';

/** Far above a provider call's worst case (Stripe: 80-s timeout, two retries). */
const CLAIM_TTL_MS = 10 * 60_000;

export type PaymentAction = 'capture' | 'void' | 'refund';

export async function runPaymentAction(
  database: Database,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: { orderId: string; paymentId: string; action: PaymentAction; amountMinor?: number | undefined },
  ctx: Ctx,
): Promise<OrderView> {
  const token = randomUUID();
  const { payment, amount } = await database.transact((tx) => claim(tx, providers, input, token));
  const provider = providers.get(payment.provider)!;
  const reference = payment.reference ?? payment.id;
  let result: Awaited<ReturnType<PaymentProvider['capture']>>;
  try {
    result =
      input.action === 'capture'
        ? await provider.capture(reference, amount)
        : input.action === 'refund'
          ? await provider.refund(reference, amount)
          : await provider.void(reference);
  } catch (error) {
    await database.transact((tx) => releaseClaim(tx, payment.id, token));
    throw error;
  }

  return database.transact(async (tx) => {
    await lockOrder(tx, input.orderId);
    const current = await tx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', payment.id)
      .executeTakeFirstOrThrow();
    const captured =
      input.action === 'capture' && result.status === 'paid'
        ? Math.max(current.captured_minor, result.amountMinor)
        : current.captured_minor;
    const refunded =
      input.action === 'refund' && result.status === 'refunded'
        ? Math.min(captured, current.refunded_minor + result.amountMinor)
        : current.refunded_minor;
    const next = paymentStatusOf({
      authorized: true,
      failed: result.status === 'failed',
      voided: input.action === 'void' && result.status === 'voided',
      amountMinor: current.amount_minor,
      capturedMinor: captured,
      refundedMinor: refunded,
    });
    await tx
      .updateTable('payments')
      .set({
        captured_minor: captured,
        refunded_minor: refunded,
        status: next,
        updated_at: ctx.at,
        // Our claim ends with our result; a claim someone took over after ours expired stays theirs.
        action_claimed_at: sql<
          string | null
        >`case when action_claim = ${token} then null else action_claimed_at end`,
        action_claim: sql<string | null>`case when action_claim = ${token} then null else action_claim end`,
      })
      .where('id', '=', payment.id)
      .execute();
    const order = await tx
      .selectFrom('orders')
      .select(['id', 'total_minor', 'status'])
      .where('id', '=', input.orderId)
      .executeTakeFirstOrThrow();
    const orderStatus = await paymentStatusFor(tx, order.id, order.total_minor);
    await tx
      .updateTable('orders')
      .set((eb) => ({ payment_status: orderStatus, updated_at: ctx.at, version: eb('version', '+', 1) }))
      .where('id', '=', order.id)
      .execute();
    // A capture claimed before the order was cancelled or cut (a cancellation's void found it in
    // progress and left it; a partial cancellation or an edit saw nothing captured yet) may have
    // taken more than the order now costs: say so where people look.
    const excess =
      input.action === 'capture' && captured > current.captured_minor
        ? (await heldMoneyOf(tx, order.id)) - order.total_minor
        : 0;
    await record(
      tx,
      order.id,
      ctx,
      [
        {
          type: `payment.${input.action}`,
          message:
            input.action === 'void'
              ? `${payment.provider} payment voided`
              : `${payment.provider} ${input.action} of ${formatMinor(amount, payment.currency)}: payment is ${next.replace('_', ' ')}`,
        },
        ...(excess <= 0
          ? []
          : order.status === 'cancelled'
            ? [
                {
                  type: 'payment.captured_after_cancel',
                  message: `Payment ${payment.id} was captured (${formatMinor(captured - current.captured_minor, payment.currency)}) after the order was cancelled: refund it`,
                },
              ]
            : [refundDueEntry(excess, payment.currency)]),
      ],
      [
        {
          type: 'payment.updated',
          aggregateType: 'order',
          aggregateId: order.id,
          payload: { orderId: order.id, paymentId: payment.id, status: next, paymentStatus: orderStatus },
        },
      ],
    );
    return getOrder(tx, order.id);
  });
}

/**
 * Claims the payment for this action and checks the action against the claimed row: its state,
 * the amount, the order's state. Any refusal rolls the claim back with the transaction.
 */
async function claim(
  tx: Tx,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: { orderId: string; paymentId: string; action: PaymentAction; amountMinor?: number | undefined },
  token: string,
): Promise<{ payment: PaymentTable; amount: number }> {
  // Timed now, not when the request began: a shipment capturing several payments in turn claims
  // each one only when it comes to it.
  const now = Date.now();
  const staleBefore = new Date(now - CLAIM_TTL_MS).toISOString();
  const order = await lockOrder(tx, input.orderId);
  const claimed = await tx
    .updateTable('payments')
    .set({ action_claimed_at: new Date(now).toISOString(), action_claim: token })
    .where('id', '=', input.paymentId)
    .where('order_id', '=', input.orderId)
    .where((eb) => eb.or([eb('action_claimed_at', 'is', null), eb('action_claimed_at', '<', staleBefore)]))
    .executeTakeFirst();
  const payment = await tx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', input.paymentId)
    .where('order_id', '=', input.orderId)
    .executeTakeFirst();
  if (!payment || !order)
    throw fieldError('NOT_FOUND', 'paymentId', `Order ${input.orderId} has no payment ${input.paymentId}.`);
  if (Number(claimed.numUpdatedRows) === 0)
    throw new DomainError(
      'CONFLICT',
      `Another capture, void or refund of payment ${payment.id} is in progress; retry when it has finished.`,
      [],
      { paymentId: payment.id, inProgress: true },
    );
  if (!providers.has(payment.provider))
    throw new DomainError(
      'CONFLICT',
      `Payment provider ${payment.provider} is not configured in this process.`,
    );
  if (input.action === 'void' && input.amountMinor !== undefined)
    throw fieldError(
      'VALIDATION_FAILED',
      'amountMinor',
      'a void releases the whole authorisation: leave it out',
    );
  const status = payment.status as PaymentStatus;
  const allowed: Record<PaymentAction, readonly PaymentStatus[]> = {
    capture: ['authorized', 'pending'],
    void: ['authorized', 'pending'],
    refund: ['paid', 'partially_refunded'],
  };
  if (!allowed[input.action].includes(status)) {
    throw new DomainError('INVALID_TRANSITION', `Cannot ${input.action} a payment that is ${status}.`, [], {
      status,
    });
  }
  // A void releases the whole authorisation, whatever its amount (a pending payment of 0 included).
  if (input.action === 'void') return { payment, amount: payment.amount_minor };
  if (input.action === 'refund') {
    const refundable = payment.captured_minor - payment.refunded_minor;
    const amount = input.amountMinor ?? refundable;
    if (amount <= 0 || amount > refundable)
      throw fieldError(
        'VALIDATION_FAILED',
        'amountMinor',
        `must be between 1 and ${refundable}, what can be refunded`,
      );
    return { payment, amount };
  }
  if (order.status === 'cancelled')
    throw new DomainError(
      'INVALID_TRANSITION',
      `Cannot capture a payment of a cancelled order: void it instead.`,
      [],
      { status: order.status },
    );
  const others = await tx
    .selectFrom('payments')
    .select(['id', 'captured_minor', 'refunded_minor', 'action_claimed_at'])
    .where('order_id', '=', input.orderId)
    .where('id', '<>', payment.id)
    .execute();
  // Two captures of one order at once would each see the other's money as still owed.
  const busy = others.find((o) => o.action_claimed_at !== null && o.action_claimed_at >= staleBefore);
  if (busy)
    throw new DomainError(
      'CONFLICT',
      `An action on payment ${busy.id} of this order is in progress; retry the capture when it has finished.`,
      [],
      { paymentId: busy.id, inProgress: true },
    );
  const owed = order.total_minor - others.reduce((s, o) => s + o.captured_minor - o.refunded_minor, 0);
  const limit = Math.min(payment.amount_minor, owed);
  if (limit <= 0)
    throw new DomainError(
      'INVALID_TRANSITION',
      payment.amount_minor <= 0
        ? `Payment ${payment.id} authorises nothing to capture: void it.`
        : `Order ${input.orderId} owes nothing more: void payment ${payment.id} instead of capturing it.`,
      [],
      { owedMinor: Math.max(0, owed) },
    );
  const amount = input.amountMinor ?? limit;
  if (amount <= 0 || amount > limit)
    throw fieldError(
      'VALIDATION_FAILED',
      'amountMinor',
      amount > payment.amount_minor
        ? `must be between 1 and ${payment.amount_minor}, the amount authorised`
        : `must be between 1 and ${limit}, what the order still owes`,
    );
  return { payment, amount };
}

/**
 * Locks the order's row for this transaction (an UPDATE that changes nothing) and reads it: the
 * reads after it see what every transaction that held the lock before committed.
 */
async function lockOrder(tx: Tx, orderId: string) {
  await tx
    .updateTable('orders')
    .set((eb) => ({ version: eb.ref('version') }))
    .where('id', '=', orderId)
    .execute();
  return tx
    .selectFrom('orders')
    .select(['id', 'status', 'total_minor'])
    .where('id', '=', orderId)
    .executeTakeFirst();
}

/** Releases this action's claim (a provider call that failed leaves the payment as it was). */
async function releaseClaim(tx: Tx, paymentId: string, token: string): Promise<void> {
  await tx
    .updateTable('payments')
    .set({ action_claimed_at: null, action_claim: null })
    .where('id', '=', paymentId)
    .where('action_claim', '=', token)
    .execute();
}
