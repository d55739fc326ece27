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
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.js';
import type { PaymentTable } from '../../db/schema.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { formatMinor } from '../../domain/money.js';
import { paymentStatusOf, type OrderStatus, type PaymentStatus } from '../../domain/orders/lifecycle.js';
import type { PaymentProvider } from '../../integrations/payments/provider.js';
import {
  completeKey,
  releaseKey,
  takeKey,
  type IdempotencyScope,
  type IdempotentOutcome,
} from '../idempotency.js';
import type { Ctx } from '../orders/allocation.js';
import { captureLimit } from '../../domain/orders/settlement.js';
import { lockOrderRow, overpaymentEntries, paymentStatusFor, record } from '../orders/order-changes.js';
import { getOrder, type OrderView } from '../orders/order-view.js';

/** Far above a provider call's worst case (Stripe: 80-s timeout, two retries). */
export const CLAIM_TTL_MS = 10 * 60_000;

export type PaymentAction = 'capture' | 'void' | 'refund';

export type PaymentActionInput = {
  orderId: string;
  paymentId: string;
  action: PaymentAction;
  amountMinor?: number | undefined;
  /**
   * A refund of what the order was overpaid (settlement after a cancellation): capped, under the
   * order's lock, at what its payments hold beyond its total, and refused while another payment of
   * the order is being acted on.
   */
  upToExcess?: boolean | undefined;
};

/** A payment action without an `Idempotency-Key` (a shipment's capture, a cancellation's void). */
export async function runPaymentAction(
  database: Database,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: PaymentActionInput,
  ctx: Ctx,
): Promise<OrderView> {
  return (await runPaymentActionOnce(database, providers, input, ctx, null)).body;
}

/**
 * A payment action requested with an `Idempotency-Key` (`scope`): the first request's outcome when
 * the key was used before, else the action, its outcome recorded with the key in the transaction
 * that records the provider's answer. The key is taken in the transaction that claims the payment
 * (`takeKey`): a retry in any process meanwhile gets 409 IDEMPOTENCY_IN_PROGRESS, later the first
 * outcome, never a second action — nor does another request under the same key (422). A retry
 * after a failure runs again, with the same provider-side idempotency key.
 */
export async function runPaymentActionOnce(
  database: Database,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: PaymentActionInput,
  ctx: Ctx,
  scope: IdempotencyScope | null,
): Promise<IdempotentOutcome<OrderView>> {
  const token = randomUUID();
  const claimed = await database.transact((tx) => claim(tx, providers, input, token, scope));
  if ('replay' in claimed) return claimed.replay;
  const { payment, amount } = claimed;
  const provider = providers.get(payment.provider)!;
  const reference = payment.reference ?? payment.id;
  // One key per attempt of this action: a client's retries with one Idempotency-Key share it, so
  // a retry after a lost answer (or a crash before we recorded it) moves no money twice.
  const idempotencyKey = `kibble-${payment.id}-${input.action}-${
    scope === null
      ? token
      : createHash('sha256').update(`${scope.principal}\u0000${scope.key}`).digest('base64url')
  }`;
  let result: Awaited<ReturnType<PaymentProvider['capture']>>;
  try {
    result =
      input.action === 'capture'
        ? await provider.capture(reference, amount, { idempotencyKey })
        : input.action === 'refund'
          ? await provider.refund(reference, amount, { idempotencyKey })
          : await provider.void(reference, { idempotencyKey });
  } catch (error) {
    await database.transact(async (tx) => {
      await releaseClaim(tx, payment.id, token);
      if (scope !== null) await releaseKey(tx, scope, token);
    });
    throw providerFailure(error, payment, input.action);
  }

  return database.transact(async (tx) => {
    // Locked and read before the payment: what the order costs as its last change left it.
    const order = (await lockOrderRow(tx, input.orderId))!;
    const current = await tx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', payment.id)
      .executeTakeFirstOrThrow();
    const captured =
      input.action === 'capture' && result.status === 'paid'
        ? Math.max(current.captured_minor, result.amountMinor)
        : current.captured_minor;
    // A provider whose webhooks report running totals may already have told us of this very refund
    // (its total since the claim): ours then counts from what was refunded when we claimed, and a
    // later webhook's total corrects the rare case where another refund also finished meanwhile (a
    // claim taken over). Otherwise ours adds to what is recorded.
    const refunded =
      input.action === 'refund' && result.status === 'refunded'
        ? Math.min(
            captured,
            provider.reportsRunningTotals
              ? Math.max(current.refunded_minor, payment.refunded_minor + result.amountMinor)
              : current.refunded_minor + result.amountMinor,
          )
        : current.refunded_minor;
    const completed =
      result.status ===
      (input.action === 'capture' ? 'paid' : input.action === 'refund' ? 'refunded' : 'voided');
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
    const orderStatus = await paymentStatusFor(tx, order.id, order.total_minor, order.status as OrderStatus);
    await tx
      .updateTable('orders')
      .set((eb) => ({ payment_status: orderStatus, updated_at: ctx.at, version: eb('version', '+', 1) }))
      .where('id', '=', order.id)
      .execute();
    // A capture claimed before the order was cancelled or cut (a cancellation's void found it in
    // progress and left it; a partial cancellation or an edit saw nothing captured yet) may have
    // taken more than the order now costs: say so where people look.
    const overpaid =
      input.action === 'capture' && captured > current.captured_minor
        ? await overpaymentEntries(tx, order, captured - current.captured_minor, payment.id)
        : [];
    await record(
      tx,
      order.id,
      ctx,
      [
        completed
          ? {
              type: `payment.${input.action}`,
              message:
                input.action === 'void'
                  ? `${payment.provider} payment voided`
                  : `${payment.provider} ${input.action} of ${formatMinor(amount, payment.currency)}: payment is ${next.replace('_', ' ')}${
                      // An authorisation is captured once (as Stripe's PaymentIntents are): what a
                      // partial capture leaves goes back to the customer's card.
                      input.action === 'capture' && captured < payment.amount_minor
                        ? `; the other ${formatMinor(payment.amount_minor - captured, payment.currency)} of the authorisation is released`
                        : ''
                    }`,
            }
          : {
              type: `payment.${input.action}_failed`,
              message: `${payment.provider} did not complete the ${input.action}${input.action === 'void' ? '' : ` of ${formatMinor(amount, payment.currency)}`} (it answered ${result.status}): payment is ${next.replace('_', ' ')}`,
            },
        ...overpaid,
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
    const view = await getOrder(tx, order.id);
    if (scope !== null) await completeKey(tx, scope, { status: 200, body: view }, token);
    return { status: 200, body: view, replayed: false };
  });
}

/**
 * Claims the payment for this action and checks the action against the claimed row: its state,
 * the amount, the order's state. Any refusal rolls the claim back with the transaction.
 */
async function claim(
  tx: Tx,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: PaymentActionInput,
  token: string,
  scope: IdempotencyScope | null,
): Promise<{ payment: PaymentTable; amount: number } | { replay: IdempotentOutcome<OrderView> }> {
  // Timed now, not when the request began: a shipment capturing several payments in turn claims
  // each one only when it comes to it.
  const now = Date.now();
  const staleBefore = new Date(now - CLAIM_TTL_MS).toISOString();
  const order = await lockOrderRow(tx, input.orderId);
  // The key, taken with the claim (and given up with it if the action is refused): a retry anywhere
  // replays the outcome once recorded, and meanwhile is told the first attempt is under way.
  const prior = scope === null ? null : await takeKey<OrderView>(tx, scope, staleBefore, token);
  if (prior) return { replay: prior };
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
  if (!order) throw fieldError('NOT_FOUND', 'id', `Order ${input.orderId} does not exist.`);
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
  const others = await tx
    .selectFrom('payments')
    .select(['id', 'captured_minor', 'refunded_minor', 'action_claimed_at'])
    .where('order_id', '=', input.orderId)
    .where('id', '<>', payment.id)
    .execute();
  const heldByOthers = others.reduce((s, o) => s + o.captured_minor - o.refunded_minor, 0);
  // What the order owes or was overpaid depends on the other payments: while one of them is being
  // captured or refunded, its money is in flight and the sums below would be wrong.
  const assertOthersIdle = () => {
    const busy = others.find((o) => o.action_claimed_at !== null && o.action_claimed_at >= staleBefore);
    if (busy)
      throw new DomainError(
        'CONFLICT',
        `An action on payment ${busy.id} of this order is in progress; retry when it has finished.`,
        [],
        { paymentId: busy.id, inProgress: true },
      );
  };
  if (input.action === 'refund') {
    const refundable = payment.captured_minor - payment.refunded_minor;
    let limit = refundable;
    if (input.upToExcess) {
      assertOthersIdle();
      const excess = heldByOthers + refundable - order.total_minor;
      if (excess <= 0 || refundable <= 0)
        throw new DomainError(
          'INVALID_TRANSITION',
          `Order ${input.orderId} was not paid more than it costs: nothing to give back from payment ${payment.id}.`,
          [],
          { excessMinor: Math.max(0, excess) },
        );
      limit = Math.min(refundable, excess);
    }
    const amount = Math.min(input.amountMinor ?? limit, input.upToExcess ? limit : Infinity);
    if (amount <= 0 || amount > limit)
      throw fieldError(
        'VALIDATION_FAILED',
        'amountMinor',
        `must be between 1 and ${limit}, what can be refunded`,
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
  assertOthersIdle();
  const limit = captureLimit(payment.amount_minor, order.total_minor, heldByOthers);
  if (limit === 0)
    throw new DomainError(
      'INVALID_TRANSITION',
      payment.amount_minor <= 0
        ? `Payment ${payment.id} authorises nothing to capture: void it.`
        : `Order ${input.orderId} owes nothing more: void payment ${payment.id} instead of capturing it.`,
      [],
      { owedMinor: Math.max(0, order.total_minor - heldByOthers) },
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

/** Releases this action's claim (a provider call that failed leaves the payment as it was). */
async function releaseClaim(tx: Tx, paymentId: string, token: string): Promise<void> {
  await tx
    .updateTable('payments')
    .set({ action_claimed_at: null, action_claim: null })
    .where('id', '=', paymentId)
    .where('action_claim', '=', token)
    .execute();
}

/**
 * What a provider call that threw tells the client, the payment left as it was. The provider
 * answered and refused — the action does not fit the payment's state there (Stripe: an authorisation
 * that expired, a PaymentIntent already cancelled, a charge already refunded; an HTTP 400, 402, 404
 * or 409 from its API) — a 409 PAYMENT_REFUSED with its reason: repeating it changes nothing.
 * The provider could not be reached or failed (no connection, its 5xx, a rate limit, a key it does
 * not accept) — a 502 PAYMENT_PROVIDER_ERROR: worth trying again later. A DomainError is Kibble's
 * own and passes.
 */
function providerFailure(error: unknown, payment: PaymentTable, action: PaymentAction): unknown {
  if (error instanceof DomainError) return error;
  const e = error as { message?: unknown; code?: unknown; statusCode?: unknown } | null;
  const reason = typeof e?.message === 'string' && e.message.trim() !== '' ? e.message.trim() : String(error);
  const refused = typeof e?.statusCode === 'number' && [400, 402, 404, 409].includes(e.statusCode);
  return new DomainError(
    refused ? 'PAYMENT_REFUSED' : 'PAYMENT_PROVIDER_ERROR',
    `${payment.provider} ${refused ? 'refused to' : 'could not'} ${action} payment ${payment.id}: ${reason}`,
    [],
    {
      paymentId: payment.id,
      provider: payment.provider,
      reason,
      ...(typeof e?.code === 'string' ? { providerCode: e.code } : {}),
    },
  );
}
