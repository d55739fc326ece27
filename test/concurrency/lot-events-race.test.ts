/**
 * A lot-tracked SKU keeps one balance row per lot at a location, and two commands can change two
 * lots of one (SKU, location) at once (an order taking lot A while an adjustment takes lot B); each
 * locks only its own rows. The newest `stock.changed` of that pair must still carry the figures
 * `GET /stock/{sku}` reports once both have committed — on PostgreSQL each event is read under the
 * pair's lock, after the other's commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { newestStockChanged } from '../helpers/outbox.js';

const ROUNDS = 100;

for (const dialect of DIALECTS) {
  describe(`stock.changed of a lot-tracked SKU under concurrent changes to its lots (${dialect})`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
      expect(
        (await s.request('POST', '/api/v1/locations', { code: 'WH', name: 'WH', kind: 'warehouse' })).status,
      ).toBe(201);
      const sku = { sku: 'FOOD', name: 'Dry food', priceMinor: 100, tracking: 'lot', shelfLifeDays: 365 };
      expect((await s.request('POST', '/api/v1/skus', sku)).status).toBe(201);
      for (const [lot, expiresOn] of [
        ['A', '2099-05-01'],
        ['B', '2099-06-01'],
        ['C', '2099-07-01'],
      ]) {
        const receipt = { type: 'receipt', sku: 'FOOD', location: 'WH', quantity: 10_000, lot, expiresOn };
        expect((await s.request('POST', '/api/v1/stock/movements', receipt)).status).toBe(201);
      }
    });
    afterAll(() => s?.close());

    it('the newest event agrees with GET /stock after every round', async () => {
      const stale: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const adjust = (lot: string) =>
          s.request('POST', '/api/v1/stock/movements', {
            type: 'adjustment',
            sku: 'FOOD',
            location: 'WH',
            lot,
            quantity: -1,
          });
        const replies = await Promise.all([
          s.request('POST', '/api/v1/orders', {
            customer: { email: 'buyer@example.com' },
            currency: 'USD',
            lines: [{ sku: 'FOOD', quantity: 1, unitPriceMinor: 100 }],
          }),
          adjust('B'),
          adjust('C'),
        ]);
        expect(replies.map((r) => r.status)).toEqual([201, 201, 201]);
        const stock = (await s.request('GET', '/api/v1/stock/FOOD')).body;
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
