/**
 * The Stripe provider through the official SDK against a local stand-in for Stripe's API (nothing
 * touches the network): each call carries the idempotency key Kibble gives it, so Stripe performs a
 * retried capture, refund or cancellation once; and Stripe's states map to Kibble's (a PaymentIntent
 * awaiting the customer is pending, not failed; a cancelled refund returned no money).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeProvider } from '../../src/integrations/payments/stripe.js';
import type { PaymentProvider } from '../../src/integrations/payments/provider.js';

type Seen = { method: string; path: string; idempotencyKey: string | undefined; body: string };

describe('the Stripe provider', () => {
  const seen: Seen[] = [];
  /** What the stand-in answers next, per path. */
  const answers = new Map<string, Record<string, unknown>>();
  let server: http.Server;
  let stripe: PaymentProvider;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const header = req.headers['idempotency-key'];
        seen.push({
          method: req.method!,
          path: req.url!,
          idempotencyKey: Array.isArray(header) ? header[0] : header,
          body,
        });
        const answer = answers.get(req.url!);
        res.writeHead(answer ? 200 : 404, { 'content-type': 'application/json', 'request-id': 'req_local' });
        res.end(JSON.stringify(answer ?? { error: { type: 'invalid_request_error', message: 'unknown' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    stripe = stripeProvider('sk_test_local', {
      host: '127.0.0.1',
      port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const intent = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'payment_intent',
    amount: 1000,
    amount_received: status === 'succeeded' ? 1000 : 0,
    status,
    ...extra,
  });

  it('sends the idempotency key with captures, refunds and cancellations', async () => {
    answers.set('/v1/payment_intents/pi_local/capture', intent('pi_local', 'succeeded'));
    answers.set('/v1/refunds', { id: 're_local', object: 'refund', amount: 300, status: 'succeeded' });
    answers.set('/v1/payment_intents/pi_other/cancel', intent('pi_other', 'canceled'));
    seen.length = 0;
    expect(await stripe.capture('pi_local', 1000, { idempotencyKey: 'key-capture' })).toEqual({
      reference: 'pi_local',
      status: 'paid',
      amountMinor: 1000,
    });
    expect(await stripe.refund('pi_local', 300, { idempotencyKey: 'key-refund' })).toEqual({
      reference: 'pi_local',
      status: 'refunded',
      amountMinor: 300,
    });
    expect((await stripe.void('pi_other', { idempotencyKey: 'key-void' })).status).toBe('voided');
    expect(seen.map((r) => [r.method, r.path, r.idempotencyKey])).toEqual([
      ['POST', '/v1/payment_intents/pi_local/capture', 'key-capture'],
      ['POST', '/v1/refunds', 'key-refund'],
      ['POST', '/v1/payment_intents/pi_other/cancel', 'key-void'],
    ]);
    expect(new URLSearchParams(seen[0]!.body).get('amount_to_capture')).toBe('1000');
    expect(Object.fromEntries(new URLSearchParams(seen[1]!.body))).toEqual({
      payment_intent: 'pi_local',
      amount: '300',
    });
  });

  it("maps Stripe's states: undecided is pending, a refund that did not happen failed", async () => {
    for (const [status, expected] of [
      ['requires_payment_method', 'pending'],
      ['requires_action', 'pending'],
      ['processing', 'pending'],
      ['requires_capture', 'authorized'],
      ['succeeded', 'paid'],
      ['canceled', 'voided'],
    ] as const) {
      answers.set('/v1/payment_intents/pi_state/capture', intent('pi_state', status));
      expect((await stripe.capture('pi_state', 1000)).status, status).toBe(expected);
    }
    for (const [status, expected] of [
      ['succeeded', 'refunded'],
      ['pending', 'refunded'],
      ['failed', 'failed'],
      ['canceled', 'failed'],
      ['requires_action', 'failed'],
    ] as const) {
      answers.set('/v1/refunds', { id: 're_state', object: 'refund', amount: 300, status });
      expect((await stripe.refund('pi_state', 300)).status, status).toBe(expected);
    }
  });
});
