/**
 * Settling an order's payments after the fact that decides them has committed (ADR 10):
 *
 * - **capture on shipment** (the default): once goods have left, each authorised payment, oldest
 *   first, is captured up to what the order still owes when its turn comes (decided under the
 *   order's lock by the payment action: an order cut by cancelled lines is not charged its first
 *   total), or voided when nothing is owed any more;
 * - **void on cancellation** (the default): a cancelled order's authorised or pending payments are
 *   voided, so the customer's card hold is released at once rather than when it lapses;
 * - **refund on cancellation** (when asked): what the payments took beyond the order's total after
 *   the cancellation — all of it for a cancelled order — is refunded, newest payment first, each
 *   refund capped under the lock at what is still overpaid.
 *
 * Each step runs through the payment actions (claimed, the provider called outside any database
 * transaction) in its own transaction, so a payment problem never undoes or blocks the shipment or
 * the cancellation; a failed step leaves the payment as it was and is written to the order's
 * timeline for a person to follow up.
 */
import type { Database } from '../../db/database.js';
import type { ExpectedVersions } from '../../domain/versions.js';
import { DomainError } from '../../domain/errors.js';
import { nextRefund } from '../../domain/orders/settlement.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import type { Ctx } from '../orders/allocation.js';
import { cancelOrder, type CancelInput } from '../orders/cancel-order.js';
import { record } from '../orders/order-changes.js';
import { getOrder, type OrderView } from '../orders/order-view.js';
import { shipOrder } from '../orders/ship-order.js';
import { runPaymentAction } from './payment-actions.js';

type Providers = ReadonlyMap<string, PaymentProvider>;

/** A payment that can still be captured or voided. */
const isOpen = (p: { status: string }) => p.status === 'authorized' || p.status === 'pending';
/** A payment that holds money to give back. */
const holdsMoney = (p: { status: string }) => p.status === 'paid' || p.status === 'partially_refunded';

/** A capture's amount is decided when it runs; a refund's is capped then. */
type Step =
  | { readonly paymentId: string; readonly action: 'capture' | 'void' }
  | { readonly paymentId: string; readonly action: 'refund'; readonly amountMinor: number };

/** Ships what is allocated, then (unless `capturePayments: false`) captures what the order owes. */
export async function shipAndSettle(
  database: Database,
  providers: Providers,
  orderId: string,
  input: {
    carrier?: string | undefined;
    trackingNumber?: string | undefined;
    capturePayments?: boolean | undefined;
  },
  ctx: Ctx,
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  const { capturePayments = true, ...shipping } = input;
  const shipped = await database.transact((tx) => shipOrder(tx, orderId, ctx, shipping, expected));
  if (!capturePayments || !shipped.payments.some((p) => p.status === 'authorized')) return shipped;
  await captureAuthorizedPayments(database, providers, orderId, ctx);
  return getOrder(database.db, orderId);
}

/**
 * Cancels all or some units, then voids the open payments of an order cancelled in full (unless
 * `voidPayments: false`) and, with `refundPayments: true`, refunds what it was overpaid.
 */
export async function cancelAndSettle(
  database: Database,
  providers: Providers,
  orderId: string,
  input: CancelInput & { voidPayments?: boolean | undefined; refundPayments?: boolean | undefined },
  ctx: Ctx,
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  const { voidPayments = true, refundPayments = false, ...cancel } = input;
  const cancelled = await database.transact((tx) => cancelOrder(tx, orderId, cancel, ctx, expected));
  const voiding = voidPayments && cancelled.status === 'cancelled' && cancelled.payments.some(isOpen);
  const refunding = refundPayments && cancelled.payments.some(holdsMoney);
  if (!voiding && !refunding) return cancelled;
  if (voiding) await voidOpenPayments(database, providers, orderId, ctx);
  if (refunding) await refundExcess(database, providers, orderId, ctx);
  return getOrder(database.db, orderId);
}

/** Captures (or voids) the order's authorised payments after a shipment, oldest first. */
export const captureAuthorizedPayments = (
  database: Database,
  providers: Providers,
  orderId: string,
  ctx: Ctx,
) =>
  settleBy(database, providers, orderId, ctx, 'shipment', ({ payments }) =>
    payments
      .filter((p) => p.status === 'authorized')
      .map((p) => ({ paymentId: p.id, action: 'capture' as const })),
  );

/** Voids the authorised and pending payments of an order that was cancelled. */
export const voidOpenPayments = (database: Database, providers: Providers, orderId: string, ctx: Ctx) =>
  settleBy(database, providers, orderId, ctx, 'cancellation', ({ payments }) =>
    payments.filter(isOpen).map((p) => ({ paymentId: p.id, action: 'void' as const })),
  );

/**
 * Refunds what the order's payments hold beyond its total (all of it once it is cancelled: 0), one
 * refund at a time, each planned afresh from what is committed: a manual refund racing this one
 * changes both what is still overpaid and which payment can give it back.
 */
export async function refundExcess(
  database: Database,
  providers: Providers,
  orderId: string,
  ctx: Ctx,
): Promise<void> {
  for (let round = 0; round < MAX_REFUND_ROUNDS; round++) {
    const { planned, failed } = await settleBy(database, providers, orderId, ctx, 'cancellation', (facts) =>
      refundSteps(facts),
    );
    if (planned === 0 || failed > 0) return;
  }
}

/** Enough for a refund from every payment of any real order, and a few lost races. */
const MAX_REFUND_ROUNDS = 12;

/** The next refund of what the order was overpaid, from what is committed (`nextRefund`). */
const refundSteps = ({ payments, totalMinor }: Awaited<ReturnType<typeof factsOf>>): Step[] => {
  const next = nextRefund(
    payments
      .filter(holdsMoney)
      .map((p) => ({ id: p.id, refundableMinor: p.captured_minor - p.refunded_minor })),
    totalMinor,
  );
  return next ? [{ ...next, action: 'refund' }] : [];
};

/** The order's total and payments as committed, oldest payment first. */
async function factsOf(database: Database, orderId: string) {
  const order = await database.db
    .selectFrom('orders')
    .select('total_minor')
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  const payments = await database.db
    .selectFrom('payments')
    .select(['id', 'provider', 'status', 'amount_minor', 'captured_minor', 'refunded_minor'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
  return { totalMinor: order.total_minor, payments };
}

const verbs = { capture: 'Capture', void: 'Void', refund: 'Refund' } as const;

/** How long a step waits, in turn, while another payment of the order is being acted on. */
const BUSY_WAITS_MS = [20, 50, 100, 250, 500, 1000];

/**
 * Runs the plan's steps one by one through the payment actions. A capture takes what the order
 * owes when it runs (the plan's amount was what it owed when planned; a cancellation may have cut
 * it since), and becomes a void when nothing is owed any more. A capture or void whose payment
 * someone else is acting on right now, or just did, is skipped; a step that waited in vain for the
 * order's other actions (a refund waits for any), or failed, goes on the order's timeline. Returns
 * how many steps were planned and how many failed.
 */
async function settleBy(
  database: Database,
  providers: Providers,
  orderId: string,
  ctx: Ctx,
  after: 'shipment' | 'cancellation',
  plan: (facts: Awaited<ReturnType<typeof factsOf>>) => readonly Step[],
): Promise<{ planned: number; failed: number }> {
  const facts = await factsOf(database, orderId);
  const steps = plan(facts);
  let failed = 0;
  const providerNames = new Map(facts.payments.map((p) => [p.id, p.provider]));
  const run = (paymentId: string, action: Step['action'], amountMinor?: number) =>
    runPaymentAction(
      database,
      providers,
      { orderId, paymentId, action, amountMinor, upToExcess: action === 'refund' },
      ctx,
    );
  for (const step of steps) {
    // What was being done when it failed: a capture falls back to a void when nothing is owed.
    let acting: Step['action'] = step.action;
    try {
      for (let attempt = 0; ; attempt++) {
        acting = step.action;
        try {
          if (step.action === 'void') await run(step.paymentId, 'void');
          else if (step.action === 'refund') await run(step.paymentId, 'refund', step.amountMinor);
          else {
            try {
              await run(step.paymentId, 'capture');
            } catch (error) {
              if (!(error instanceof DomainError && error.data['owedMinor'] !== undefined)) throw error;
              acting = 'void';
              await run(step.paymentId, 'void'); // the order owes nothing more
            }
          }
          break;
        } catch (error) {
          // A refund is capped by what the other payments hold, so it waits for any action on the
          // order; a capture or void leaves its own payment to whoever is acting on it.
          const busy =
            error instanceof DomainError &&
            error.code === 'CONFLICT' &&
            error.data['inProgress'] === true &&
            (step.action === 'refund' || error.data['paymentId'] !== step.paymentId);
          const wait = BUSY_WAITS_MS[attempt];
          if (!busy || wait === undefined) throw error;
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    } catch (error) {
      // Someone is acting on this very payment right now, or just did: not a failure of this step.
      if (
        error instanceof DomainError &&
        (error.code === 'INVALID_TRANSITION' ||
          (step.action !== 'refund' &&
            error.code === 'CONFLICT' &&
            error.data['inProgress'] === true &&
            error.data['paymentId'] === step.paymentId))
      )
        continue;
      failed++;
      // A provider's refusal: its own reason (the step's message says the rest).
      const reason =
        error instanceof DomainError && typeof error.data['reason'] === 'string'
          ? error.data['reason']
          : error instanceof Error
            ? error.message
            : String(error);
      const type = `payment.${acting}_failed`;
      await database.transact((tx) =>
        record(
          tx,
          orderId,
          ctx,
          [
            {
              type,
              message: `${verbs[acting]} of ${providerNames.get(step.paymentId)} payment ${step.paymentId} after ${after} failed: ${reason}`,
            },
          ],
          [
            {
              type,
              aggregateType: 'order',
              aggregateId: orderId,
              payload: { orderId, paymentId: step.paymentId, reason },
            },
          ],
        ),
      );
    }
  }
  return { planned: steps.length, failed };
}
