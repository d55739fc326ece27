/**
 * A SKU taken off sale (inactive) after an order was placed stays on that order: customer service
 * can still edit the order's other lines, and keep or reduce the discontinued line, without adding
 * a unit of it. Only selling more of it is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';

const order = (lines: Array<{ sku: string; quantity: number }>) => ({
  customer: { email: 'buyer@example.com' },
  currency: 'USD',
  lines: lines.map((l) => ({ unitPriceMinor: 1000, ...l })),
});

for (const dialect of DIALECTS) {
  describe(`editing an order holding a discontinued SKU on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    const allocated = async (sku: string) =>
      ((await s.request('GET', `/api/v1/stock/${sku}`)).body as { totals: { allocated: number } }).totals
        .allocated;

    it('keeps or reduces the discontinued line and changes the others; adding units of it is a 400', async () => {
      const loc = await makeLocation(s);
      const old = (await makeSku(s)).sku;
      const other = (await makeSku(s)).sku;
      await receive(s, old, loc.code, 10);
      await receive(s, other, loc.code, 10);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: old, quantity: 3 },
          { sku: other, quantity: 1 },
        ]),
      );
      expect(placed.status).toBe(201);
      const id = placed.body.id as string;
      expect((await s.request('PATCH', `/api/v1/skus/${old}`, { active: false })).status).toBe(200);

      // Another line changes; the discontinued one is kept as it is.
      const kept = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: old, quantity: 3 },
          { sku: other, quantity: 2 },
        ],
      });
      expect(kept.status, JSON.stringify(kept.body)).toBe(200);
      expect(kept.body.lines.map((l: { quantity: number }) => l.quantity)).toEqual([3, 2]);
      expect(await allocated(old)).toBe(3);

      // The discontinued line is reduced: its units are released.
      const reduced = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: old, quantity: 1 },
          { sku: other, quantity: 2 },
        ],
      });
      expect(reduced.status, JSON.stringify(reduced.body)).toBe(200);
      expect(await allocated(old)).toBe(1);

      // Selling more of it is refused, naming the line, and changes nothing.
      const more = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: old, quantity: 2 },
          { sku: other, quantity: 2 },
        ],
      });
      expect(more.status).toBe(400);
      expect(more.headers.get('content-type')).toContain('application/problem+json');
      expect(more.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.sku' })]);
      expect(await allocated(old)).toBe(1);

      // And a new order for it still is.
      const fresh = await s.request('POST', '/api/v1/orders', order([{ sku: old, quantity: 1 }]));
      expect(fresh.status).toBe(400);
      expect(fresh.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.sku' })]);

      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('keeps a bundle whose component was discontinued, and refuses more of it', async () => {
      const loc = await makeLocation(s);
      const part = (await makeSku(s)).sku;
      const other = (await makeSku(s)).sku;
      const kit = (await makeSku(s, { components: [{ sku: part, quantity: 2 }] })).sku;
      await receive(s, part, loc.code, 10);
      await receive(s, other, loc.code, 10);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: kit, quantity: 2 },
          { sku: other, quantity: 1 },
        ]),
      );
      expect(placed.status).toBe(201);
      const id = placed.body.id as string;
      expect((await s.request('PATCH', `/api/v1/skus/${part}`, { active: false })).status).toBe(200);

      const edited = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: kit, quantity: 1 },
          { sku: other, quantity: 3 },
        ],
      });
      expect(edited.status, JSON.stringify(edited.body)).toBe(200);
      expect(await allocated(part)).toBe(2);

      const more = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: kit, quantity: 2 },
          { sku: other, quantity: 3 },
        ],
      });
      expect(more.status).toBe(400);
      expect(more.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.sku' })]);
      expect(await allocated(part)).toBe(2);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });
  });
}
