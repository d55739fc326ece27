/**
 * The dashboard's money sums are exact however large: stock worth more than 2^53 minor units (the
 * API accepts costs up to 10^14) is reported exactly as a decimal string besides the nearest JSON
 * number, never a 500 (PostgreSQL's sum is a numeric that no JavaScript number holds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`dashboard with very large values on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('reports stock value past 2^53 exactly as text, and a small one as a number too', async () => {
      const loc = await makeLocation(s);
      const gold = await makeSku(s, {
        costMinor: 100_000_000_000_000,
        currency: 'CHF',
        priceMinor: 100_000_000_000_000,
      });
      const bar = await makeSku(s, { costMinor: 137, currency: 'CHF' });
      const cheap = await makeSku(s, { costMinor: 250, currency: 'EUR' });
      await receive(s, gold.sku, loc.code, 91);
      await receive(s, bar.sku, loc.code, 1);
      await receive(s, cheap.sku, loc.code, 4);
      const r = await s.request('GET', '/api/v1/reports/dashboard');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.stockValue).toEqual([
        {
          currency: 'CHF',
          valueMinor: Number('9100000000000137') /* the nearest double */,
          valueMinorText: '9100000000000137',
          units: 92,
        },
        { currency: 'EUR', valueMinor: 1000, valueMinorText: '1000', units: 4 },
      ]);
    });

    it('reports a day’s sales past 2^53 exactly as text', async () => {
      const loc = await makeLocation(s);
      const big = await makeSku(s, { currency: 'CHF', priceMinor: 90_000_000_000_000 });
      await receive(s, big.sku, loc.code, 200);
      for (let i = 0; i < 101; i++) {
        const o = await s.request('POST', '/api/v1/orders', {
          customer: { email: 'whale@example.com' },
          currency: 'CHF',
          lines: [{ sku: big.sku, quantity: 1, unitPriceMinor: 90_000_000_000_000 }],
        });
        expect(o.status, JSON.stringify(o.body)).toBe(201);
      }
      const r = await s.request('GET', '/api/v1/reports/dashboard');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const today = r.body.salesPerDay.filter((d: { currency: string }) => d.currency === 'CHF');
      expect(today).toEqual([
        {
          date: r.body.asOf.slice(0, 10),
          currency: 'CHF',
          totalMinor: 9090000000000000,
          totalMinorText: '9090000000000000',
        },
      ]);
    });
  });
}
