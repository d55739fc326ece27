/**
 * A signature proves who sent a body, not that it is an event: signed bodies without an event's
 * shape are a 400 naming what is missing (they were 500s), and an amount no real payment has is not
 * taken as a fact. Synthetic events, signed with the SDK's test helper (no fixtures needed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';
import { deliver, signature, useWebhookSecret } from '../helpers/stripe.js';
import { stockedServer } from '../factories/catalog.js';

const SECRET = 'whsec_test_malformed';

for (const dialect of DIALECTS) {
  describe(`signed Stripe bodies that are not events, on ${dialect}`, () => {
    let s: TestServer;
    let sku: string;
    useWebhookSecret(SECRET);
    beforeAll(async () => {
      ({ s, sku } = await stockedServer(dialect, 10));
    });
    afterAll(async () => s?.close());

    const deliverSigned = (raw: string) => deliver(s, raw, signature(raw, SECRET));

    it.each([
      ['null', '(body)'],
      ['[]', '(body)'],
      ['{"id":"evt_1","type":"payment_intent.succeeded"}', 'data.object'],
      ['{"id":"evt_2","type":"payment_intent.succeeded","data":null}', 'data.object'],
      ['{"id":"evt_3","type":"payment_intent.succeeded","data":{"object":null}}', 'data.object'],
      ['{"type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}', 'id'],
      ['{"id":"evt\\u0000x","type":"payment_intent.payment_failed","data":{"object":{"id":"pi_1"}}}', 'id'],
      ['{"id":"evt_4","type":7,"data":{"object":{"id":"pi_1"}}}', 'type'],
      [
        `{"id":"evt_${'7'.repeat(300)}","type":"payment_intent.canceled","data":{"object":{"id":"pi_1"}}}`,
        'id',
      ],
    ])('%s → 400 naming %s', async (raw, field) => {
      const r = await deliverSigned(raw);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });

    it('an amount beyond any real payment is ignored: the intent’s own amount counts', async () => {
      const pi = `pi_huge_${dialect}`;
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email: `huge-${dialect}@example.com` },
        currency: 'USD',
        lines: [{ sku, quantity: 1, unitPriceMinor: 500 }],
        payments: [{ provider: 'stripe', reference: pi, amountMinor: 500, status: 'authorized' }],
      });
      expect(placed.status).toBe(201);
      const event = (id: string, amount: number) =>
        JSON.stringify({
          id,
          type: 'payment_intent.succeeded',
          data: { object: { id: pi, object: 'payment_intent', amount: 500, amount_received: amount } },
        });
      expect((await deliverSigned(event(`evt_huge_${dialect}`, 1e15))).status).toBe(200);
      let order = (await s.request('GET', `/api/v1/orders/${placed.body.id}`)).body;
      expect(order.payments[0]).toMatchObject({ capturedMinor: 500, status: 'paid' });
      expect((await deliverSigned(event(`evt_real_${dialect}`, 500))).body.outcome).toBe('applied');
      order = (await s.request('GET', `/api/v1/orders/${placed.body.id}`)).body;
      expect(order.payments[0]).toMatchObject({ capturedMinor: 500, status: 'paid' });
    });

    it('a NUL in a PaymentIntent id or a currency, or an event id too long to index, is never a 500', async () => {
      const pi = `pi_nul_${dialect}`;
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email: `nul-${dialect}@example.com` },
        currency: 'USD',
        lines: [{ sku, quantity: 1, unitPriceMinor: 500 }],
        payments: [{ provider: 'stripe', reference: pi, amountMinor: 500, status: 'authorized' }],
      });
      expect(placed.status).toBe(201);
      const event = (id: string, type: string, object: Record<string, unknown>) =>
        JSON.stringify({ id, type, data: { object } });
      const outcomes = [
        event(`evt_nul_ref_${dialect}`, 'payment_intent.succeeded', { id: `${pi}\u0000`, amount: 500 }),
        event(`evt_nul_charge_${dialect}`, 'charge.refunded', {
          payment_intent: `${pi}\u0000x`,
          amount_refunded: 1,
        }),
        event(`evt_nul_cur_${dialect}`, 'payment_intent.succeeded', {
          id: pi,
          amount: 500,
          currency: 'us\u0000d',
        }),
      ];
      const replies = [];
      for (const raw of outcomes) replies.push(await deliverSigned(raw));
      expect(replies.map((r) => [r.status, r.body.outcome])).toEqual([
        [200, 'ignored'],
        [200, 'ignored'],
        [200, 'mismatch'],
      ]);
      // 20,000 random characters compress too little for PostgreSQL's index on the event id.
      const longId = `evt_${Array.from({ length: 20_000 }, () => Math.random().toString(36)[2]).join('')}`;
      const long = await deliverSigned(event(longId, 'payment_intent.canceled', { id: pi, currency: 'usd' }));
      expect(long.status).toBe(400);
      expect(long.body.errors.map((e: { field: string }) => e.field)).toEqual(['id']);
      const order = (await s.request('GET', `/api/v1/orders/${placed.body.id}`)).body;
      expect(order.payments[0]).toMatchObject({ capturedMinor: 0, status: 'authorized' });
      expect(order.timeline.map((e: { type: string }) => e.type)).toContain('payment.currency_mismatch');
    });
  });
}
