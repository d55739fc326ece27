/**
 * Shipping and tax when an order's goods change: a partial cancellation or a line edit scales the
 * tax at the rate it was set at (from a basis, so that repeated changes never drift) unless the
 * request states it; shipping stays unless stated; a whole cancellation makes both 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`shipping and tax of a changed order on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    /** An order of 2 × A at $10 and 1 × B at $20 with $5 shipping and $4 tax (10% of the goods). */
    const place = async (extra: Record<string, unknown> = {}) => {
      const where = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, where.code, 10);
      await receive(s, b.sku, where.code, 10);
      const r = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'tax@example.com' },
        currency: 'USD',
        lines: [
          { sku: a.sku, quantity: 2, unitPriceMinor: 1000 },
          { sku: b.sku, quantity: 1, unitPriceMinor: 2000 },
        ],
        shippingMinor: 500,
        taxMinor: 400,
        ...extra,
      });
      expect(r.status).toBe(201);
      return { id: r.body.id as string, a: a.sku, b: b.sku };
    };
    const amounts = (body: any) => [body.subtotalMinor, body.shippingMinor, body.taxMinor, body.totalMinor];
    const last = (body: any) => body.timeline.at(-1).message as string;

    it('a partial cancellation gives back the tax on what it cancelled, and an edit back restores it exactly', async () => {
      const o = await place({ payments: [{ provider: 'manual', amountMinor: 4900, status: 'paid' }] });
      const one = await s.request('POST', `/api/v1/orders/${o.id}/cancel`, {
        lines: [{ sku: o.a, quantity: 1 }],
      });
      expect(one.status).toBe(200);
      expect(amounts(one.body)).toEqual([3000, 500, 300, 3800]);
      expect(one.body.timeline.map((t: any) => t.message)).toContainEqual(
        expect.stringContaining('tax 4.00 USD → 3.00 USD'),
      );
      // What is owed back is the goods and their tax.
      const due = one.body.timeline.filter((t: any) => t.type === 'payment.refund_due');
      expect(due.at(-1).message).toContain('11.00 USD');

      const two = await s.request('POST', `/api/v1/orders/${o.id}/cancel`, {
        lines: [{ sku: o.b, quantity: 1 }],
      });
      expect(amounts(two.body)).toEqual([1000, 500, 100, 1600]);
      // From the basis, not the previous scaling: back to the first goods is the first tax again.
      const back = await s.request('PATCH', `/api/v1/orders/${o.id}`, {
        lines: [
          { sku: o.a, quantity: 2 },
          { sku: o.b, quantity: 1 },
        ],
      });
      expect(back.status).toBe(200);
      expect(amounts(back.body)).toEqual([4000, 500, 400, 4900]);
      const edited = back.body.timeline.filter((t: any) => t.type === 'order.edited').at(-1);
      expect(edited.message).toMatch(/; tax 1\.00 USD → 4\.00 USD$/);
      // An edit that adds goods charges their tax at the same rate.
      const more = await s.request('PATCH', `/api/v1/orders/${o.id}`, {
        lines: [
          { sku: o.a, quantity: 3 },
          { sku: o.b, quantity: 1 },
        ],
      });
      expect(amounts(more.body)).toEqual([5000, 500, 500, 6000]);
    });

    it('takes shipping and tax as the request states them, and refuses them on a whole cancellation', async () => {
      const o = await place();
      const stated = await s.request('POST', `/api/v1/orders/${o.id}/cancel`, {
        lines: [{ sku: o.a, quantity: 1 }],
        shippingMinor: 0,
        taxMinor: 123,
      });
      expect(amounts(stated.body)).toEqual([3000, 0, 123, 3123]);
      expect(stated.body.timeline.at(-1).message).toContain(
        'shipping 5.00 USD → 0.00 USD; tax 4.00 USD → 1.23 USD',
      );
      // The stated tax is the new basis: a later change scales from it.
      const later = await s.request('POST', `/api/v1/orders/${o.id}/cancel`, {
        lines: [{ sku: o.b, quantity: 1 }],
      });
      expect(amounts(later.body)).toEqual([1000, 0, 41, 1041]);

      const before = (await s.request('GET', `/api/v1/orders/${o.id}`)).body;
      const refused = await s.request('POST', `/api/v1/orders/${o.id}/cancel`, {
        taxMinor: 41,
        shippingMinor: 0,
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body.errors.map((e: any) => e.field)).toEqual(['taxMinor']);
      const after = (await s.request('GET', `/api/v1/orders/${o.id}`)).body;
      expect([after.status, after.version, amounts(after)]).toEqual([
        before.status,
        before.version,
        amounts(before),
      ]);
      const whole = await s.request('POST', `/api/v1/orders/${o.id}/cancel`, {});
      expect([whole.body.status, ...amounts(whole.body)]).toEqual(['cancelled', 0, 0, 0, 0]);
    });

    it('an edit of shipping or tax alone changes them and nothing else', async () => {
      const o = await place();
      const r = await s.request('PATCH', `/api/v1/orders/${o.id}`, { taxMinor: 350 });
      expect(r.status).toBe(200);
      expect(amounts(r.body)).toEqual([4000, 500, 350, 4850]);
      expect(last(r.body)).toBe('Tax 4.00 USD → 3.50 USD');
      expect(r.body.lines.map((l: any) => l.allocations.length)).toEqual([1, 1]);
      const both = await s.request('PATCH', `/api/v1/orders/${o.id}`, {
        shippingMinor: 0,
        shippingAddress: { line1: '1 Main', city: 'Columbus', postalCode: '43004', country: 'US' },
      });
      expect(amounts(both.body)).toEqual([4000, 0, 350, 4350]);
      expect(last(both.body)).toBe('Shipping address changed; shipping 5.00 USD → 0.00 USD');
      const bad = await s.request('PATCH', `/api/v1/orders/${o.id}`, { taxMinor: -1 });
      expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'taxMinor']);
    });
  });
}
