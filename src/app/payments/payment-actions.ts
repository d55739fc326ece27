/**
 * Capture, void or refund a recorded payment through its provider. The provider is called OUTSIDE
 * any database transaction (a slow payment API must never hold stock locks), then its answer is
 * recorded in one transaction. So that two actions on one payment never both reach the provider
 * (ten concurrent refunds of 300 on a capture of 1,000 all used to pass the amount check), the
 * action first claims the payment in a transaction of its own — checking the state and amount
 * against the row it claimed — and the claim is released with the result, or on failure, by its
 * own token only. Another action meanwhile is 409 CONFLICT. A claim left by a crashed process
 * expires after ten minutes, timed from when it was made.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.js';
import type { PaymentTable } from '../../db/schema.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { orderPaymentStatusOf, paymentStatusOf, type PaymentStatus } from '../../domain/orders/lifecycle.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { Ctx } from '../orders/allocation.js';
import { record } from '../orders/order-changes.js';
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
    const payments = await tx.selectFrom('payments').selectAll().where('order_id', '=', order.id).execute();
    const orderStatus = orderPaymentStatusOf(
      payments.map((p) => ({
        status: p.status as PaymentStatus,
        amountMinor: p.amount_minor,
        capturedMinor: p.captured_minor,
        refundedMinor: p.refunded_minor,
      })),
      order.total_minor,
    );
    await tx
      .updateTable('orders')
      .set((eb) => ({ payment_status: orderStatus, updated_at: ctx.at, version: eb('version', '+', 1) }))
      .where('id', '=', order.id)
      .execute();
    // A capture claimed before the order was cancelled (the cancellation's void then found it in
    // progress and left it) took money for goods that will not ship: say so where people look.
    const capturedAfterCancel =
      input.action === 'capture' && captured > current.captured_minor && order.status === 'cancelled';
    await record(
      tx,
      order.id,
      ctx,
      [
        {
          type: `payment.${input.action}`,
          message: `${payment.provider} ${input.action} of ${amount}: payment is ${next}`,
        },
        ...(capturedAfterCancel
          ? [
              {
                type: 'payment.captured_after_cancel',
                message: `Payment ${payment.id} was captured (${captured - current.captured_minor}) after the order was cancelled: refund it`,
              },
            ]
          : []),
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
  if (!payment)
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
  if (input.action === 'capture') {
    const order = await tx
      .selectFrom('orders')
      .select('status')
      .where('id', '=', input.orderId)
      .executeTakeFirstOrThrow();
    if (order.status === 'cancelled')
      throw new DomainError(
        'INVALID_TRANSITION',
        `Cannot capture a payment of a cancelled order: void it instead.`,
        [],
        { status: order.status },
      );
  }
  const amount =
    input.amountMinor ??
    (input.action === 'refund' ? payment.captured_minor - payment.refunded_minor : payment.amount_minor);
  // A void releases the whole authorisation, whatever its amount (a pending payment of 0 included).
  if (input.action === 'void') return { payment, amount: payment.amount_minor };
  if (
    amount <= 0 ||
    (input.action === 'refund' && amount > payment.captured_minor - payment.refunded_minor) ||
    (input.action === 'capture' && amount > payment.amount_minor)
  ) {
    throw fieldError(
      'VALIDATION_FAILED',
      'amountMinor',
      `must be between 1 and what can be ${input.action === 'refund' ? 'refunded' : 'captured'}`,
    );
  }
  return { payment, amount };
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
