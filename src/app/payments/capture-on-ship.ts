/**
 * Capture on shipment (the default): once goods have left, every authorised payment of the order
 * is captured through its provider. Runs after the shipment committed, each capture in its own
 * transaction, so a payment problem never undoes or blocks a shipment; a failed capture is left
 * authorised and written to the order's timeline for a person to follow up.
 */
import type { Database } from '../../db/database.js';
import { DomainError } from '../../domain/errors.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { Ctx } from '../orders/allocation.js';
import { record } from '../orders/order-changes.js';
import { runPaymentAction } from './payment-actions.js';

export async function captureAuthorizedPayments(
  database: Database,
  providers: ReadonlyMap<string, PaymentProvider>,
  orderId: string,
  ctx: Ctx,
): Promise<void> {
  const authorized = await database.db
    .selectFrom('payments')
    .select(['id', 'provider'])
    .where('order_id', '=', orderId)
    .where('status', '=', 'authorized')
    .orderBy('id')
    .execute();
  for (const p of authorized) {
    try {
      await runPaymentAction(database, providers, { orderId, paymentId: p.id, action: 'capture' }, ctx);
    } catch (error) {
      // Someone is capturing or voiding it right now, or just did: not a failure of this capture.
      if (
        error instanceof DomainError &&
        (error.code === 'INVALID_TRANSITION' ||
          (error.code === 'CONFLICT' && error.data['inProgress'] === true))
      )
        continue;
      const reason = error instanceof Error ? error.message : String(error);
      await database.transact((tx) =>
        record(
          tx,
          orderId,
          ctx,
          [
            {
              type: 'payment.capture_failed',
              message: `Capture of ${p.provider} payment ${p.id} after shipment failed: ${reason}`,
            },
          ],
          [
            {
              type: 'payment.capture_failed',
              aggregateType: 'order',
              aggregateId: orderId,
              payload: { orderId, paymentId: p.id, reason },
            },
          ],
        ),
      );
    }
  }
}
