/**
 * Stripe webhooks with real event payloads (test/fixtures/stripe, sent as their exact bytes) and
 * signatures made by the official SDK: a redelivered event changes the payment once, a tampered or
 * stale one is refused with 400 and changes nothing, unknown PaymentIntents are acknowledged and
 * ignored, and events arriving out of order converge on the same state as in order.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';
import { deliver as deliverTo, signature, stripe, useWebhookSecret } from '../helpers/stripe.js';
import { stockedServer } from '../factories/catalog.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/stripe/', import.meta.url));

const SECRET = 'whsec_test_secret';
const fixture = (name: string) => readFileSync(`${FIXTURES}${name}`, 'utf8');
const SUCCEEDED_2023 = 'payment_intent.succeeded.api-2023-10-16.testmode-capture.json';
const SUCCEEDED_2020 = 'payment_intent.succeeded.api-2020-08-27.stripe-ruby-mock.json';
const FAILED_2020 = 'payment_intent.payment_failed.api-2020-08-27.stripe-ruby-mock.json';
const REFUNDED_2020 = 'charge.refunded.api-2020-08-27.stripe-ruby-mock.json';
const SETUP_INTENT = 'event-object.docs-example.setup_intent.created.json';

type Json = Record<string, any>;

/** A new event derived from a real fixture (new ids or amounts); signed over these new bytes. */
function variant(name: string, mutate: (event: Json) => void): string {
  const event = JSON.parse(fixture(name)) as Json;
  mutate(event);
  return JSON.stringify(event, null, 2);
}

/** charge.refunded for `pi` (the fixture's legacy charge has no PaymentIntent), refunding `refunded` of `amount`. */
const refundFor = (eventId: string, pi: string, amount: number, refunded: number) =>
  variant(REFUNDED_2020, (e) => {
    e['id'] = eventId;
    Object.assign(e['data']['object'], {
      payment_intent: pi,
      amount,
      amount_captured: amount,
      amount_refunded: refunded,
      refunded: refunded === amount,
    });
  });

const succeededFor = (eventId: string, pi: string) =>
  variant(SUCCEEDED_2023, (e) => {
    e['id'] = eventId;
    e['data']['object']['id'] = pi;
  });

describe('Stripe webhook fixtures', () => {
  for (const dialect of DIALECTS) {
    describe(`on ${dialect}`, () => {
      let s: TestServer;
      let sku: string;
      useWebhookSecret(SECRET);
      beforeAll(async () => {
        ({ s, sku } = await stockedServer(dialect, 100));
      });
      afterAll(async () => s?.close());

      const deliver = (raw: string, header: string | null = signature(raw, SECRET)) =>
        deliverTo(s, raw, header);

      /** An order paid by one Stripe PaymentIntent for its whole total. */
      async function orderPaidBy(
        pi: string,
        amountMinor: number,
        status: 'authorized' | 'pending' = 'authorized',
      ) {
        const r = await s.request('POST', '/api/v1/orders', {
          customer: { email: `stripe-${pi}@example.com` },
          currency: 'USD',
          lines: [{ sku, quantity: 1, unitPriceMinor: amountMinor }],
          payments: [{ provider: 'stripe', reference: pi, amountMinor, status }],
        });
        expect(r.status).toBe(201);
        expect(r.body.paymentStatus).toBe(status === 'pending' ? 'unpaid' : 'authorized');
        return r.body.id as string;
      }

      const getOrder = async (id: string) => (await s.request('GET', `/api/v1/orders/${id}`)).body;
      const timelineCount = (order: Json, type: string) =>
        (order['timeline'] as Array<{ type: string }>).filter((t) => t.type === type).length;
      const providerEvents = async (eventId: string) =>
        s.testDb.database.db
          .selectFrom('provider_events')
          .selectAll()
          .where('provider', '=', 'stripe')
          .where('event_id', '=', eventId)
          .execute();

      it('payment_intent.succeeded delivered 10 times (5 in a row, 5 at once) changes the payment once', async () => {
        const raw = fixture(SUCCEEDED_2023);
        const event = JSON.parse(raw) as Json;
        const pi = event['data']['object']['id'] as string;
        const amount = event['data']['object']['amount_received'] as number;
        expect(event['data']['object']['currency']).toBe('usd');
        const orderId = await orderPaidBy(pi, amount);

        const outcomes: string[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await deliver(raw);
          expect(r.status).toBe(200);
          outcomes.push(r.body.outcome);
        }
        const concurrent = await Promise.all(Array.from({ length: 5 }, () => deliver(raw)));
        for (const r of concurrent) expect(r.status).toBe(200);
        outcomes.push(...concurrent.map((r) => r.body.outcome as string));
        expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(9);

        expect(await providerEvents(event['id'])).toHaveLength(1);
        const order = await getOrder(orderId);
        expect(order.paymentStatus).toBe('paid');
        expect(order.payments).toEqual([
          expect.objectContaining({
            provider: 'stripe',
            reference: pi,
            status: 'paid',
            amountMinor: amount,
            capturedMinor: amount,
            refundedMinor: 0,
          }),
        ]);
        expect(timelineCount(order, 'payment.updated')).toBe(1);
        const outbox = await s.testDb.database.db
          .selectFrom('outbox')
          .select('payload')
          .where('type', '=', 'payment.updated')
          .where('aggregate_id', '=', orderId)
          .execute();
        expect(outbox).toHaveLength(1);
        expect(JSON.parse(outbox[0]!.payload)).toMatchObject({
          orderId,
          reference: pi,
          status: 'paid',
          paymentStatus: 'paid',
          eventId: event['id'],
        });
      });

      it('a tampered body, signature, secret or a stale timestamp gets 400 problem+json and changes nothing', async () => {
        const pi = 'pi_3PBWUkRxqlZt79sD1tamper0';
        const orderId = await orderPaidBy(pi, 50000);
        const raw = succeededFor('evt_3PBWUkRxqlZt79sDtamper00', pi);
        const good = stripe.webhooks.generateTestHeaderString({ payload: raw, secret: SECRET });
        const flipped = good.replace(/v1=([0-9a-f])/, (_, c: string) => `v1=${c === '0' ? '1' : '0'}`);
        const attempts = [
          deliver(raw.replace('"amount_received": 50000', '"amount_received": 50001'), good), // body changed after signing
          deliver(raw, flipped), // signature changed
          deliver(
            raw,
            stripe.webhooks.generateTestHeaderString({ payload: raw, secret: 'whsec_someone_else' }),
          ),
          deliver(
            raw,
            stripe.webhooks.generateTestHeaderString({
              payload: raw,
              secret: SECRET,
              timestamp: Math.floor(Date.now() / 1000) - 301,
            }),
          ),
          deliver(JSON.stringify(JSON.parse(raw)), good), // re-serialised JSON is not the signed bytes
          deliver(raw, null), // no Stripe-Signature header at all
          deliver(raw, 'garbage'),
          deliver(raw, ''), // an empty one
          // signed with the right secret, but not JSON at all: the body is at fault, not the signature
          deliver(
            '{"id": "evt_cut_short',
            stripe.webhooks.generateTestHeaderString({ payload: '{"id": "evt_cut_short', secret: SECRET }),
          ),
        ];
        const replies = await Promise.all(attempts);
        for (const r of replies) {
          expect(r.status).toBe(400);
          expect(r.headers.get('content-type')).toContain('application/problem+json');
        }
        for (const r of replies.slice(0, -1)) {
          expect(r.body.code).toBe('INVALID_SIGNATURE');
          expect(r.body.errors[0].field).toBe('Stripe-Signature');
        }
        expect(replies[5]!.body.detail).toMatch(/header is missing/);
        expect(replies[7]!.body.detail).toBe(
          'The Stripe-Signature does not verify: No stripe-signature header value was provided.',
        );
        expect(replies.at(-1)!.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          errors: [{ field: '(body)', message: 'must be a JSON Stripe event' }],
        });
        expect(await providerEvents('evt_3PBWUkRxqlZt79sDtamper00')).toHaveLength(0);
        const untouched = await getOrder(orderId);
        expect(untouched.paymentStatus).toBe('authorized');
        expect(untouched.payments[0]).toMatchObject({ status: 'authorized', capturedMinor: 0 });
        expect(timelineCount(untouched, 'payment.updated')).toBe(0);

        // The refused deliveries left no trace: the genuine one still applies.
        const genuine = await deliver(raw, good);
        expect(genuine.body.outcome).toBe('applied');
        expect((await getOrder(orderId)).paymentStatus).toBe('paid');
      });

      it('an event in another currency than the order changes nothing about the money and is flagged once', async () => {
        const pi = 'pi_3PBWUkRxqlZt79sD1currcy0';
        const orderId = await orderPaidBy(pi, 50000);
        const raw = variant(SUCCEEDED_2023, (e) => {
          e['id'] = 'evt_3PBWUkRxqlZt79sDcurrcy00';
          Object.assign(e['data']['object'], { id: pi, currency: 'eur' });
        });
        const first = await deliver(raw);
        expect(first.status).toBe(200);
        expect(first.body.outcome).toBe('mismatch');
        expect((await deliver(raw)).body.outcome).toBe('duplicate');

        const order = await getOrder(orderId);
        expect(order.paymentStatus).toBe('authorized');
        expect(order.payments[0]).toMatchObject({ status: 'authorized', capturedMinor: 0 });
        expect(timelineCount(order, 'payment.updated')).toBe(0);
        const flagged = (order['timeline'] as Array<{ type: string; message: string }>).filter(
          (t) => t.type === 'payment.currency_mismatch',
        );
        expect(flagged).toHaveLength(1);
        expect(flagged[0]!.message).toContain('EUR');
        expect(flagged[0]!.message).toContain('USD');
        const outbox = await s.testDb.database.db
          .selectFrom('outbox')
          .select('payload')
          .where('type', '=', 'payment.currency_mismatch')
          .where('aggregate_id', '=', orderId)
          .execute();
        expect(outbox.map((o) => JSON.parse(o.payload))).toEqual([
          expect.objectContaining({ reference: pi, currency: 'EUR', orderCurrency: 'USD' }),
        ]);

        // The same payment's event in the order's currency applies as usual.
        const usd = succeededFor('evt_3PBWUkRxqlZt79sDcurrcy01', pi);
        expect((await deliver(usd)).body.outcome).toBe('applied');
        expect((await getOrder(orderId)).paymentStatus).toBe('paid');
      });

      it('an event in another currency still applies the state it reports (a cancellation voids)', async () => {
        const pi = 'pi_3PBWUkRxqlZt79sD1currcy1';
        const orderId = await orderPaidBy(pi, 50000);
        const before = await getOrder(orderId);
        const cancelled = variant(SUCCEEDED_2023, (e) => {
          e['id'] = 'evt_3PBWUkRxqlZt79sDcurrcy10';
          e['type'] = 'payment_intent.canceled';
          Object.assign(e['data']['object'], { id: pi, currency: 'eur', status: 'canceled' });
        });
        const r = await deliver(cancelled);
        expect(r.body.outcome).toBe('mismatch');
        const order = await getOrder(orderId);
        expect(order.payments[0]).toMatchObject({ status: 'voided', capturedMinor: 0 });
        expect(timelineCount(order, 'payment.currency_mismatch')).toBe(1);
        expect(timelineCount(order, 'payment.updated')).toBe(1);
        expect(order.version).toBeGreaterThan(before.version);
      });

      it('a signed thin event notification (v2 event destinations, unused) is acknowledged and ignored', async () => {
        const thin = JSON.stringify({
          id: 'evt_thin_1',
          object: 'v2.core.event',
          type: 'v1.billing.meter.no_meter_found',
        });
        const r = await deliver(thin);
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ received: true, outcome: 'ignored' });
        // Unsigned, it is refused like any other body.
        expect((await deliver(thin, 'garbage')).status).toBe(400);
      });

      it('events for unknown PaymentIntents, legacy charges and unused types are acknowledged and ignored', async () => {
        const unknown = await deliver(
          variant(SUCCEEDED_2020, (e) => (e['data']['object']['id'] = 'pi_unknown_to_kibble_000000')),
        );
        expect(unknown.status).toBe(200);
        expect(unknown.body.outcome).toBe('ignored');
        const legacyCharge = await deliver(fixture(REFUNDED_2020)); // payment_intent: null
        expect(legacyCharge.status).toBe(200);
        expect(legacyCharge.body.outcome).toBe('ignored');
        const setupIntent = await deliver(fixture(SETUP_INTENT));
        expect(setupIntent.status).toBe(200);
        expect(setupIntent.body.outcome).toBe('ignored');

        // An event that arrived before Kibble knew its PaymentIntent applies when Stripe delivers it again.
        const raw = variant(SUCCEEDED_2020, (e) => {
          e['id'] = 'evt_early_00000000000000000';
          e['data']['object']['id'] = 'pi_early_000000000000000000';
        });
        expect((await deliver(raw)).body.outcome).toBe('ignored');
        expect(await providerEvents('evt_early_00000000000000000')).toHaveLength(0);
        const orderId = await orderPaidBy('pi_early_000000000000000000', 2000);
        expect((await deliver(raw)).body.outcome).toBe('applied');
        expect((await getOrder(orderId)).paymentStatus).toBe('paid');
      });

      it('a failed attempt marks a pending payment failed without touching the order; a later success pays it', async () => {
        const raw = fixture(FAILED_2020);
        const event = JSON.parse(raw) as Json;
        const pi = event['data']['object']['id'] as string;
        const orderId = await orderPaidBy(pi, event['data']['object']['amount'] as number, 'pending');
        const failed = await deliver(raw);
        expect(failed.body.outcome).toBe('applied');
        const afterFailure = await getOrder(orderId);
        expect(afterFailure.payments[0].status).toBe('failed');
        expect(afterFailure.paymentStatus).toBe('failed');
        expect(afterFailure.status).toBe('open');
        expect(afterFailure.fulfillmentStatus).toBe('allocated');
        // The 2020 fixtures share one zeroed event id; the retry's success is its own event.
        const retried = variant(SUCCEEDED_2020, (e) => (e['id'] = 'evt_000000000000000000retry1'));
        expect((await deliver(retried)).body.outcome).toBe('applied');
        const paid = await getOrder(orderId);
        expect(paid.paymentStatus).toBe('paid');
        expect(paid.payments[0]).toMatchObject({ status: 'paid', capturedMinor: 2000 });
      });

      it('events of different types under one event id (as the zeroed fixtures are) each apply once', async () => {
        // The 2020 fixtures are a failure, a success and a refund all named evt_000…: sent as they
        // are (on another PaymentIntent than the other tests'), none is a redelivery of another.
        const pi = 'pi_shared_event_id_000000000';
        const eventId = 'evt_shared_by_three_types_0000';
        const orderId = await orderPaidBy(pi, 2000, 'pending');
        const failed = variant(FAILED_2020, (e) => {
          e['id'] = eventId;
          e['data']['object']['id'] = pi;
        });
        const succeeded = variant(SUCCEEDED_2020, (e) => {
          e['id'] = eventId;
          e['data']['object']['id'] = pi;
        });
        const refunded = variant(REFUNDED_2020, (e) => {
          e['id'] = eventId;
          Object.assign(e['data']['object'], {
            payment_intent: pi,
            amount: 2000,
            amount_captured: 2000,
            amount_refunded: 500,
            refunded: false,
          });
        });
        expect((await deliver(failed)).body.outcome).toBe('applied');
        expect((await getOrder(orderId)).payments[0].status).toBe('failed');
        expect((await deliver(succeeded)).body.outcome).toBe('applied');
        expect((await getOrder(orderId)).payments[0]).toMatchObject({ status: 'paid', capturedMinor: 2000 });
        expect((await deliver(refunded)).body.outcome).toBe('applied');
        // Each is still delivered once: redeliveries, in a row and at once, are duplicates.
        const again = [
          ...(await Promise.all([failed, succeeded, refunded].map((raw) => deliver(raw)))),
          await deliver(succeeded),
          await deliver(refunded),
        ];
        expect(again.map((r) => r.body.outcome)).toEqual(Array(5).fill('duplicate'));
        const order = await getOrder(orderId);
        expect(order.paymentStatus).toBe('partially_refunded');
        expect(order.payments[0]).toMatchObject({
          status: 'partially_refunded',
          capturedMinor: 2000,
          refundedMinor: 500,
        });
        expect(timelineCount(order, 'payment.updated')).toBe(3);
      });

      it('a refund that comes first keeps its amount when the charge has no amount_captured (older API versions)', async () => {
        const pi = 'pi_refund_without_amount_captured';
        const orderId = await orderPaidBy(pi, 2000, 'authorized');
        const refunded = variant(REFUNDED_2020, (e) => {
          e['id'] = 'evt_refund_without_amount_captured';
          const charge = e['data']['object'];
          delete charge['amount_captured'];
          Object.assign(charge, { payment_intent: pi, amount: 2000, captured: true, amount_refunded: 500 });
        });
        const succeeded = variant(SUCCEEDED_2020, (e) => {
          e['id'] = 'evt_success_after_refund_00000';
          e['data']['object']['id'] = pi;
        });
        expect((await deliver(refunded)).body.outcome).toBe('applied');
        expect((await deliver(succeeded)).body.outcome).toBe('applied');
        const order = await getOrder(orderId);
        expect(order.payments[0]).toMatchObject({ capturedMinor: 2000, refundedMinor: 500 });
        expect(order.paymentStatus).toBe('partially_refunded');
      });

      it('a declined attempt does not outlive the authorisation that follows it, nor one that came before it', async () => {
        const amount = 4200;
        /** payment_intent.<type> for `pi` in the given state, derived from the real failure fixture. */
        const intentEvent = (eventId: string, pi: string, type: string, status: string) =>
          variant(FAILED_2020, (e) => {
            e['id'] = eventId;
            e['type'] = `payment_intent.${type}`;
            Object.assign(e['data']['object'], {
              id: pi,
              amount,
              status,
              amount_capturable: status === 'requires_capture' ? amount : 0,
            });
          });
        // Declined, then authorised by the customer's second card: the payment can be captured.
        const retried = await orderPaidBy('pi_declined_then_authorised', amount, 'pending');
        const declined = intentEvent(
          'evt_declined_first',
          'pi_declined_then_authorised',
          'payment_failed',
          'requires_payment_method',
        );
        expect((await deliver(declined)).body.outcome).toBe('applied');
        expect((await getOrder(retried)).payments[0].status).toBe('failed');
        const authorised = intentEvent(
          'evt_authorised_second',
          'pi_declined_then_authorised',
          'amount_capturable_updated',
          'requires_capture',
        );
        expect((await deliver(authorised)).body.outcome).toBe('applied');
        const afterRetry = await getOrder(retried);
        expect(afterRetry.payments[0].status).toBe('authorized');
        expect(afterRetry.paymentStatus).toBe('authorized');

        // Recorded as authorised by the storefront; the earlier attempt's failure arrives late.
        const late = await orderPaidBy('pi_failure_arrives_late', amount);
        const stale = intentEvent(
          'evt_late_failure',
          'pi_failure_arrives_late',
          'payment_failed',
          'requires_payment_method',
        );
        expect((await deliver(stale)).body.outcome).toBe('applied');
        const afterLate = await getOrder(late);
        expect(afterLate.payments[0].status).toBe('authorized');
        expect(afterLate.paymentStatus).toBe('authorized');

        // Stripe cancels an authorisation left uncaptured: the order is no longer covered.
        const lapsed = intentEvent(
          'evt_authorisation_lapsed',
          'pi_failure_arrives_late',
          'canceled',
          'canceled',
        );
        expect((await deliver(lapsed)).body.outcome).toBe('applied');
        const afterCancel = await getOrder(late);
        expect(afterCancel.payments[0].status).toBe('voided');
        expect(afterCancel.paymentStatus).toBe('unpaid');
      });

      it('charge.refunded before payment_intent.succeeded converges to the same state as in order', async () => {
        const amount = 50000;
        const refunded = 12000;
        const inOrder = {
          pi: 'pi_3PBWUkRxqlZt79sD1inorder',
          succeeded: 'evt_inorder_succeeded',
          refund: 'evt_inorder_refund',
        };
        const outOfOrder = {
          pi: 'pi_3PBWUkRxqlZt79sD1outordr',
          succeeded: 'evt_outoforder_succeeded',
          refund: 'evt_outoforder_refund',
        };
        const a = await orderPaidBy(inOrder.pi, amount);
        const b = await orderPaidBy(outOfOrder.pi, amount);

        for (const raw of [
          succeededFor(inOrder.succeeded, inOrder.pi),
          refundFor(inOrder.refund, inOrder.pi, amount, refunded),
        ]) {
          expect((await deliver(raw)).body.outcome).toBe('applied');
        }
        for (const raw of [
          refundFor(outOfOrder.refund, outOfOrder.pi, amount, refunded),
          succeededFor(outOfOrder.succeeded, outOfOrder.pi),
        ]) {
          expect((await deliver(raw)).body.outcome).toBe('applied');
        }
        // Redeliveries in any order change nothing further.
        await Promise.all(
          [
            succeededFor(outOfOrder.succeeded, outOfOrder.pi),
            refundFor(outOfOrder.refund, outOfOrder.pi, amount, refunded),
          ].map((raw) => deliver(raw)),
        );

        const [oa, ob] = [await getOrder(a), await getOrder(b)];
        const state = (o: Json) => ({
          paymentStatus: o['paymentStatus'],
          payment: { ...o['payments'][0], id: undefined, reference: undefined },
        });
        expect(state(ob)).toEqual(state(oa));
        expect(oa.paymentStatus).toBe('partially_refunded');
        expect(oa.payments[0]).toMatchObject({
          status: 'partially_refunded',
          capturedMinor: amount,
          refundedMinor: refunded,
        });

        // A full refund later, then a stale partial one: facts only grow.
        await deliver(refundFor('evt_inorder_refund_full', inOrder.pi, amount, amount));
        await deliver(refundFor('evt_inorder_refund_stale', inOrder.pi, amount, 5000));
        const full = await getOrder(a);
        expect(full.paymentStatus).toBe('refunded');
        expect(full.payments[0]).toMatchObject({
          status: 'refunded',
          capturedMinor: amount,
          refundedMinor: amount,
        });
      });

      it('different events for one payment racing each other: no fact is lost', async () => {
        for (let round = 0; round < 8; round++) {
          const pi = `pi_3PBWUkRxqlZt79sD1racing${round}`;
          const orderId = await orderPaidBy(pi, 50000);
          const events = [
            succeededFor(`evt_race${round}_succeeded`, pi),
            refundFor(`evt_race${round}_refund_1`, pi, 50000, 10000),
            refundFor(`evt_race${round}_refund_2`, pi, 50000, 30000),
            refundFor(`evt_race${round}_refund_3`, pi, 50000, 20000),
          ];
          const signed = [...events, ...events].map((raw) => ({
            raw,
            header: stripe.webhooks.generateTestHeaderString({ payload: raw, secret: SECRET }),
          }));
          const replies = await Promise.all(signed.map(({ raw, header }) => deliver(raw, header)));
          for (const r of replies) expect(r.status).toBe(200);
          expect(replies.filter((r) => r.body.outcome === 'applied')).toHaveLength(4);
          const order = await getOrder(orderId);
          expect(order.payments[0]).toMatchObject({
            status: 'partially_refunded',
            capturedMinor: 50000,
            refundedMinor: 30000,
          });
          expect(order.paymentStatus).toBe('partially_refunded');
        }
      });
    });
  }
});
