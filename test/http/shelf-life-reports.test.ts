/**
 * A lot that expires within its SKU's minimum remaining shelf life cannot be allocated, so it is not
 * available — and the reports say so as `GET /stock/{sku}` does: the stock list's available, the
 * dashboard's out-of-stock and low-stock figures, and `GET /skus?stock=out|low` that lists them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, isoDate, nowIso } from '../../src/domain/clock.js';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`minimum remaining shelf life in the reports on ${dialect}`, () => {
    let s: TestServer;
    let wh: string;
    let shortOnly: string; // its only lot expires within the SKU's 10 days: out of stock
    let mixed: string; // 3 units too short-dated, 2 good: low (2 available)
    const today = isoDate(nowIso());

    beforeAll(async () => {
      s = await startServer(dialect);
      wh = (await makeLocation(s, { kind: 'warehouse' })).code;
      shortOnly = (await makeSku(s, { tracking: 'lot', minRemainingShelfLifeDays: 10 })).sku;
      mixed = (await makeSku(s, { tracking: 'lot', minRemainingShelfLifeDays: 30 })).sku;
      await receive(s, shortOnly, wh, 4, { lot: 'SOON', expiresOn: addDays(today, 10) });
      await receive(s, mixed, wh, 3, { lot: 'SOON', expiresOn: addDays(today, 20) });
      await receive(s, mixed, wh, 2, { lot: 'LATE', expiresOn: addDays(today, 31) });
    });
    afterAll(() => s?.close());

    const availableOf = async (sku: string) =>
      (await s.request('GET', `/api/v1/stock/${encodeURIComponent(sku)}`)).body.totals.available as number;

    it('GET /stock, the stock list and GET /skus?stock= agree', async () => {
      expect(await availableOf(shortOnly)).toBe(0);
      expect(await availableOf(mixed)).toBe(2);

      const list = await s.request('GET', `/api/v1/reports/stock?location=${wh}&limit=100`);
      expect(list.status).toBe(200);
      const row = (sku: string) => list.body.items.find((r: { sku: string }) => r.sku === sku);
      expect(row(shortOnly)).toMatchObject({ onHand: 4, available: 0 });
      expect(row(mixed)).toMatchObject({ onHand: 5, available: 2 });

      const skus = async (stock: string) =>
        (
          (await s.request('GET', `/api/v1/skus?stock=${stock}&limit=200`)).body.items as Array<{
            sku: string;
          }>
        ).map((k) => k.sku);
      expect(await skus('out')).toContain(shortOnly);
      expect(await skus('low')).toContain(mixed);
      expect(await skus('low')).not.toContain(shortOnly);
    });

    it('the dashboard counts them as GET /stock would', async () => {
      const d = await s.request('GET', '/api/v1/reports/dashboard');
      expect(d.status).toBe(200);
      const low = d.body.lowStockItems as Array<{ sku: string; available: number }>;
      expect(low.find((i) => i.sku === mixed)).toMatchObject({ available: 2 });
      expect(low.some((i) => i.sku === shortOnly)).toBe(false);
      const out = await s.request('GET', '/api/v1/skus?stock=out&limit=200');
      expect(d.body.skus.outOfStock).toBe(out.body.items.length);
    });
  });
}
