/**
 * Some changes move a pair's availability without a movement — a safety stock, a location's
 * sellable flag, a SKU's active flag — and announce it with `stock.changed` for every pair they
 * touch, while orders and movements announce the same pairs with figures computed from those very
 * rules. Run at once, each used to read the other's state from before its commit, and the newest
 * event of a pair could carry the old rule or the old counters. On PostgreSQL a change of the rules
 * now waits for every write in flight and holds new ones until it commits (`transact`'s `rules`
 * option), so the newest event must agree with `GET /stock/{sku}` after every round.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { newestStockChanged } from '../helpers/outbox.js';

const ROUNDS = 60;

for (const dialect of DIALECTS) {
  describe(`stock.changed under changes of availability rules racing orders (${dialect})`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
      expect(
        (await s.request('POST', '/api/v1/locations', { code: 'WH', name: 'WH', kind: 'warehouse' })).status,
      ).toBe(201);
      expect(
        (await s.request('POST', '/api/v1/skus', { sku: 'BALL', name: 'Ball', priceMinor: 100 })).status,
      ).toBe(201);
      const receipt = { type: 'receipt', sku: 'BALL', location: 'WH', quantity: 100_000 };
      expect((await s.request('POST', '/api/v1/stock/movements', receipt)).status).toBe(201);
    });
    afterAll(() => s?.close());

    it('the newest event agrees with GET /stock after every round', async () => {
      const stale: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const rule =
          round % 3 === 0
            ? s.request('PUT', '/api/v1/stock/BALL/safety-stock/WH', { quantity: round % 7 })
            : round % 3 === 1
              ? s.request('PATCH', '/api/v1/locations/WH', { sellable: round % 2 === 0 })
              : s.request('PATCH', '/api/v1/skus/BALL', { active: round % 4 !== 2 });
        const replies = await Promise.all([
          s.request('POST', '/api/v1/orders', {
            customer: { email: 'buyer@example.com' },
            currency: 'USD',
            onShortage: 'backorder',
            lines: [{ sku: 'BALL', quantity: 1, unitPriceMinor: 100 }],
          }),
          s.request('POST', '/api/v1/stock/movements', {
            type: 'adjustment',
            sku: 'BALL',
            location: 'WH',
            quantity: -1,
            reason: 'damaged',
          }),
          rule,
        ]);
        for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
        expect(replies[2].status).toBe(200);
        const stock = (await s.request('GET', '/api/v1/stock/BALL')).body;
        const now = stock.locations[0];
        const event = await newestStockChanged(s.testDb.database.db);
        const expected = { onHand: now.onHand, allocated: now.allocated, available: now.available };
        if (JSON.stringify(event) !== JSON.stringify(expected))
          stale.push(`round ${round}: event ${JSON.stringify(event)}, stock ${JSON.stringify(expected)}`);
      }
      expect(stale).toEqual([]);
    });
  });
}
