import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { verifyBalances } from '../../src/db/stock.repo.js';

for (const dialect of DIALECTS) {
  describe(`concurrent adjustments on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('200 concurrent −1 adjustments on a balance of 100: exactly 100 succeed and on hand ends at 0', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 100);
      const replies = await Promise.all(
        Array.from({ length: 200 }, () =>
          s.request('POST', '/api/v1/stock/movements', {
            type: 'adjustment',
            sku: sku.sku,
            location: loc.code,
            quantity: -1,
            reason: 'shrinkage',
          }),
        ),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((x) => x === 201)).toHaveLength(100);
      expect(statuses.filter((x) => x === 409)).toHaveLength(100);
      for (const r of replies.filter((x) => x.status === 409)) {
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body.code).toBe('NEGATIVE_STOCK');
      }
      const stock = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(stock.body.totals.onHand).toBe(0);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
      const ledger = await s.testDb.database.db
        .selectFrom('movements')
        .select((eb) => eb.fn.sum<number>('on_hand_delta').as('sum'))
        .where('sku_id', '=', sku.id)
        .executeTakeFirstOrThrow();
      expect(Number(ledger.sum)).toBe(0);
    });
  });
}
