/**
 * Stripe through the official SDK: PaymentIntents with manual capture (capture on shipment),
 * refunds, cancellation; and webhook verification with the SDK's own signature check over the raw
 * body. Requires STRIPE_SECRET_KEY for API calls and STRIPE_WEBHOOK_SECRET for webhooks.
 */
import type Stripe from 'stripe';
import type { CallOptions, PaymentProvider, ProviderResult } from './provider.js';

export type StripeEvent = Stripe.Event;

/**
 * The SDK, loaded on first use: a shop without Stripe never pays for it (about 4 MB of the
 * server's live heap, and its load time at start).
 */
const sdk = async () => (await import('stripe')).default;

/**
 * A PaymentIntent's state in Kibble's terms. Awaiting a payment method, a confirmation, customer
 * action or an asynchronous method's outcome (`processing`) is undecided, not failed: a declined
 * attempt returns the intent to `requires_payment_method`, and the next attempt may succeed.
 */
const statusOf = (pi: Stripe.PaymentIntent): ProviderResult['status'] =>
  pi.status === 'succeeded'
    ? 'paid'
    : pi.status === 'requires_capture'
      ? 'authorized'
      : pi.status === 'canceled'
        ? 'voided'
        : 'pending';

/**
 * A refund's state: `pending` refunds are under way and count as refunded (Stripe's
 * `amount_refunded` counts them too); failed, cancelled and ones awaiting customer action did not
 * return the money.
 */
const refundStatusOf = (refund: Stripe.Refund): ProviderResult['status'] =>
  refund.status === 'succeeded' || refund.status === 'pending' ? 'refunded' : 'failed';

/** Stripe's own `Idempotency-Key`: a retried call returns the first call's result, moving no money twice. */
const requestOptions = (options: CallOptions | undefined): Stripe.RequestOptions =>
  options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {};

/** `config`: the SDK's settings (tests point `host`, `port` and `protocol` at a local server). */
export function stripeProvider(secretKey: string, config: Stripe.StripeConfig = {}): PaymentProvider {
  let client: Stripe | undefined;
  const stripe = async () => (client ??= new (await sdk())(secretKey, config));
  return {
    name: 'stripe',
    reportsRunningTotals: true,
    async authorize({ amountMinor, currency, orderId }) {
      const client = await stripe();
      const pi = await client.paymentIntents.create({
        amount: amountMinor,
        currency: currency.toLowerCase(),
        capture_method: 'manual',
        metadata: { kibble_order_id: orderId },
      });
      return { reference: pi.id, status: statusOf(pi), amountMinor: pi.amount };
    },
    async capture(reference, amountMinor, options) {
      const client = await stripe();
      const pi = await client.paymentIntents.capture(
        reference,
        { amount_to_capture: amountMinor },
        requestOptions(options),
      );
      return { reference: pi.id, status: statusOf(pi), amountMinor: pi.amount_received };
    },
    async refund(reference, amountMinor, options) {
      const client = await stripe();
      const refund = await client.refunds.create(
        { payment_intent: reference, amount: amountMinor },
        requestOptions(options),
      );
      return { reference, status: refundStatusOf(refund), amountMinor: refund.amount };
    },
    async void(reference, options) {
      const client = await stripe();
      const pi = await client.paymentIntents.cancel(reference, {}, requestOptions(options));
      return { reference: pi.id, status: statusOf(pi), amountMinor: 0 };
    },
  };
}

let webhookClient: Stripe | undefined;

/** Verifies `Stripe-Signature` over the exact raw bytes; throws on a bad or stale signature. */
export async function verifyStripeEvent(
  rawBody: Buffer,
  signature: string | undefined,
  secret: string,
): Promise<StripeEvent> {
  const Stripe = await sdk();
  // Verification is local (no API call), so one client without a real key serves every webhook.
  const stripe = (webhookClient ??= new Stripe('sk_unused_for_webhooks'));
  // The SDK's error takes the header and the payload first; its message comes last, in `raw`.
  if (!signature)
    throw new Stripe.errors.StripeSignatureVerificationError(signature ?? '', rawBody.toString('utf8'), {
      message: 'No stripe-signature header value was provided.',
    });
  return stripe.webhooks.constructEvent(rawBody, signature, secret);
}

/**
 * Whether `verifyStripeEvent` found a genuine (signed) thin event notification — Stripe's v2 event
 * destinations, which Kibble does not use: to acknowledge and ignore like any event it does not use.
 * The SDK says so only in a plain Error's message, checked after the signature (a test pins it).
 */
export function isThinEvent(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('You passed a thin event notification');
}

/**
 * Whether `verifyStripeEvent` refused the request (a bad, missing or stale signature, or a signed
 * body that is not JSON) — as opposed to failing itself, say the SDK not loading, which is the
 * server's fault and no client's business.
 */
export function isVerificationFailure(error: unknown): boolean {
  return (
    (error as { type?: unknown } | null)?.type === 'StripeSignatureVerificationError' ||
    error instanceof SyntaxError
  );
}
