/**
 * An order keeps the lot it holds when it is edited, even if the SKU's minimum remaining shelf life
 * was raised since and the lot is now too short to allocate to a new order: the order would ship
 * it as it is, so reducing a line or adding another one never fails over it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  describe(`editing an order holding a lot now inside the minimum shelf life on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('keeps what it held of the lot, takes no more of it, and releases what a reduction frees', async () => {
      const loc = await makeLocation(s);
      const food = (await makeSku(s, { tracking: 'lot', minRemainingShelfLifeDays: 10 })).sku;
      const toy = (await makeSku(s)).sku;
      await receive(s, food, loc.code, 5, { lot: 'L40', expiresOn: inDays(40) });
      await receive(s, toy, loc.code, 5);
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'buyer@example.com' },
        currency: 'USD',
        lines: [{ sku: food, quantity: 3, unitPriceMinor: 1000 }],
      });
      expect(placed.status).toBe(201);
      const id = placed.body.id as string;
      expect(
        (await s.request('PATCH', `/api/v1/skus/${food}`, { minRemainingShelfLifeDays: 60 })).status,
      ).toBe(200);

      const added = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 3 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      expect(added.body.lines[0].allocations).toEqual([expect.objectContaining({ lot: 'L40', quantity: 3 })]);

      const reduced = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 2 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(reduced.status, JSON.stringify(reduced.body)).toBe(200);
      expect(reduced.body.lines[0].allocations).toEqual([
        expect.objectContaining({ lot: 'L40', quantity: 2 }),
      ]);

      // More than it holds is new stock from a lot too short to allocate: refused, nothing changes.
      const more = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 3 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(more.status).toBe(409);
      expect(more.body.code).toBe('INSUFFICIENT_STOCK');
      expect(more.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.quantity' })]);
      const stock = await s.request('GET', `/api/v1/stock/${food}`);
      expect(stock.body.totals).toMatchObject({ onHand: 5, allocated: 2, available: 0 });
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });
  });
}
