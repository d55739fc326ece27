/**
 * Capture, void or refund a recorded payment through its provider. The provider is called OUTSIDE
 * any database transaction (a slow payment API must never hold stock locks), then its answer is
 * recorded in one transaction. Amounts only grow (captured, refunded), so a retried call is safe.
 */
import type { Database } from '../../db/database.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { orderPaymentStatusOf, paymentStatusOf, type PaymentStatus } from '../../domain/orders/lifecycle.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { Ctx } from '../orders/allocation.js';
import { record } from '../orders/order-changes.js';
import { getOrder, type OrderView } from '../orders/order-view.js';

export type PaymentAction = 'capture' | 'void' | 'refund';

export async function runPaymentAction(
  database: Database,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: { orderId: string; paymentId: string; action: PaymentAction; amountMinor?: number | undefined },
  ctx: Ctx,
): Promise<OrderView> {
  const payment = await database.db
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', input.paymentId)
    .where('order_id', '=', input.orderId)
    .executeTakeFirst();
  if (!payment)
    throw fieldError('NOT_FOUND', 'paymentId', `Order ${input.orderId} has no payment ${input.paymentId}.`);
  const provider = providers.get(payment.provider);
  if (!provider)
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
  const amount =
    input.amountMinor ??
    (input.action === 'refund' ? payment.captured_minor - payment.refunded_minor : payment.amount_minor);
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
  const reference = payment.reference ?? payment.id;
  const result =
    input.action === 'capture'
      ? await provider.capture(reference, amount)
      : input.action === 'refund'
        ? await provider.refund(reference, amount)
        : await provider.void(reference);

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
      .set({ captured_minor: captured, refunded_minor: refunded, status: next, updated_at: ctx.at })
      .where('id', '=', payment.id)
      .execute();
    const order = await tx
      .selectFrom('orders')
      .select(['id', 'total_minor'])
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
    await record(
      tx,
      order.id,
      ctx,
      [
        {
          type: `payment.${input.action}`,
          message: `${payment.provider} ${input.action} of ${amount}: payment is ${next}`,
        },
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
