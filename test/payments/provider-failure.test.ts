/**
 * A payment action the provider refuses (Stripe: an authorisation that expired, a PaymentIntent
 * already cancelled) is a 409 PAYMENT_REFUSED, and one it cannot be reached for a 502
 * PAYMENT_PROVIDER_ERROR: problem+json with the provider's reason, the payment left as it was and
 * free for another attempt. Both were a 500 "An unexpected error occurred" that said nothing of why.
 * The SDK is replaced by a stand-in whose calls fail with the SDK's own error classes (nothing
 * touches the network).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

vi.mock('stripe', async () => {
  const actual = await vi.importActual<typeof import('stripe')>('stripe');
  const Real = actual.default;
  const refuse = (message: string, code: string) => () =>
    Promise.reject(
      new Real.errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        message,
        code,
        statusCode: 400,
      }),
    );
  class FakeStripe {
    static errors = Real.errors;
    paymentIntents = {
      capture: refuse(
        'This PaymentIntent could not be captured because it has a status of canceled.',
        'payment_intent_unexpected_state',
      ),
      cancel: refuse(
        'You cannot cancel this PaymentIntent because it has a status of succeeded.',
        'payment_intent_unexpected_state',
      ),
    };
    refunds = {
      create: (params: { amount?: number }) =>
        params.amount === 1
          ? Promise.reject(
              new Real.errors.StripeConnectionError({
                type: 'api_error',
                message: 'An error occurred with our connection to Stripe. Request was retried 2 times.',
              }),
            )
          : refuse('Charge ch_1 has already been refunded.', 'charge_already_refunded')(),
    };
  }
  return { ...actual, default: FakeStripe };
});

for (const dialect of DIALECTS) {
  describe(`a payment provider's refusal on ${dialect}`, () => {
    let s: TestServer;
    const previous = process.env['STRIPE_SECRET_KEY'];
    beforeAll(async () => {
      process.env['STRIPE_SECRET_KEY'] = 'sk_test_refusing';
      s = await startServer(dialect);
    });
    afterAll(async () => {
      if (previous === undefined) delete process.env['STRIPE_SECRET_KEY'];
      else process.env['STRIPE_SECRET_KEY'] = previous;
      await s?.close();
    });

    it('is a 409 (refused) or 502 (unreachable) problem naming the provider and its reason; the payment stays as it was and can be tried again', async () => {
      const loc = await makeLocation(s);
      const sku = (await makeSku(s)).sku;
      await receive(s, sku, loc.code, 5);
      const place = (status: string) =>
        s.request('POST', '/api/v1/orders', {
          customer: { email: 'refused@example.com' },
          currency: 'USD',
          lines: [{ sku, quantity: 1, unitPriceMinor: 1000 }],
          payments: [
            {
              provider: 'stripe',
              reference: `pi_${status}_${Date.now()}`,
              amountMinor: 1000,
              status,
            },
          ],
        });
      const authorized = await place('authorized');
      const paid = await place('paid');
      expect([authorized.status, paid.status]).toEqual([201, 201]);
      const act = (o: typeof authorized, action: string, key?: string, body: object = {}) =>
        s.request(
          'POST',
          `/api/v1/orders/${o.body.id}/payments/${o.body.payments[0].id}/${action}`,
          body,
          key === undefined ? {} : { headers: { 'idempotency-key': key } },
        );

      for (const [o, action, reason] of [
        [authorized, 'capture', 'status of canceled'],
        [authorized, 'void', 'status of succeeded'],
        [paid, 'refund', 'already been refunded'],
      ] as const) {
        const key = `refused-${action}-${dialect}`;
        for (const attempt of [await act(o, action, key), await act(o, action, key), await act(o, action)]) {
          expect(attempt.status).toBe(409);
          expect(attempt.headers.get('content-type')).toContain('application/problem+json');
          expect(attempt.body).toMatchObject({ status: 409, code: 'PAYMENT_REFUSED', provider: 'stripe' });
          expect(attempt.body.detail).toContain('stripe refused');
          expect(attempt.body.detail).toContain(reason);
        }
      }
      // Stripe not reached at all: a 502, the payment as it was.
      const unreachable = await act(paid, 'refund', undefined, { amountMinor: 1 });
      expect(unreachable.status).toBe(502);
      expect(unreachable.body).toMatchObject({
        status: 502,
        code: 'PAYMENT_PROVIDER_ERROR',
        provider: 'stripe',
      });
      expect(unreachable.body.detail).toContain('connection to Stripe');
      const after = await Promise.all(
        [authorized, paid].map((o) => s.request('GET', `/api/v1/orders/${o.body.id}`)),
      );
      expect(after.map((o) => o.body.payments[0])).toMatchObject([
        { status: 'authorized', capturedMinor: 0, refundedMinor: 0 },
        { status: 'paid', capturedMinor: 1000, refundedMinor: 0 },
      ]);
    });
  });
}
