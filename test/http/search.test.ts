/**
 * Search boxes (`q`) find names that contain every word typed, in any order and any case; `%` and
 * `_` match themselves. SKU prefixes and exact barcodes still match the whole query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive, uniqueCode } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`search on ${dialect}`, () => {
    let s: TestServer;
    const tag = uniqueCode('Q').toLowerCase().replaceAll('-', '');
    const names = {
      tuna: `Whisker & Co. Tuna Pate ${tag}`,
      salmon: `Whisker & Co. Salmon Pate ${tag}`,
      percent: `Discount 100% Tuna ${tag}`,
    };
    const skus: Record<string, string> = {};
    beforeAll(async () => {
      s = await startServer(dialect);
      const loc = await makeLocation(s);
      for (const [k, name] of Object.entries(names)) {
        skus[k] = (await makeSku(s, { name })).sku;
        await receive(s, skus[k], loc.code, 5);
      }
    });
    afterAll(async () => s?.close());

    const find = async (path: string, q: string) => {
      const r = await s.request('GET', `${path}?q=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      return (r.body.items as Array<{ sku: string }>).map((i) => i.sku).sort();
    };

    it('the catalog finds a name by several words in any order', async () => {
      expect(await find('/api/v1/skus', `whisker tuna ${tag}`)).toEqual([skus['tuna']]);
      expect(await find('/api/v1/skus', `${tag}   PATE whisker`)).toEqual(
        [skus['tuna'], skus['salmon']].sort(),
      );
      expect(await find('/api/v1/skus', `tuna salmon ${tag}`)).toEqual([]);
      expect(await find('/api/v1/skus', `100% ${tag}`)).toEqual([skus['percent']]);
      // Repeats count once (a query is at most eight LIKEs, whatever its length).
      expect(await find('/api/v1/skus', `${'tuna '.repeat(14)}${tag}`)).toEqual(
        [skus['tuna'], skus['percent']].sort(),
      );
      expect(await find('/api/v1/skus', `1_0 ${tag}`)).toEqual([]);
      expect(await find('/api/v1/skus', skus['salmon']!.toLowerCase())).toEqual([skus['salmon']]);
    });

    it('the stock list does too', async () => {
      expect(await find('/api/v1/reports/stock', `tuna whisker ${tag}`)).toEqual([skus['tuna']]);
      expect(await find('/api/v1/reports/stock', `100% tuna ${tag}`)).toEqual([skus['percent']]);
    });

    it('customers are found by their name in any word order', async () => {
      const email = `${tag}@example.com`;
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email, name: `Jane Q. Public ${tag}` },
        currency: 'USD',
        lines: [{ sku: skus['tuna'], quantity: 1, unitPriceMinor: 100 }],
      });
      expect(placed.status).toBe(201);
      const r = await s.request('GET', `/api/v1/customers?q=${encodeURIComponent(`public jane ${tag}`)}`);
      expect(r.body.items.map((c: { email: string }) => c.email)).toEqual([email]);
    });

    it("orders are found by part of the customer's e-mail or by the words of their name", async () => {
      const email = `Grace.Hopper.${tag}@Navy.example`;
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email, name: `Grace Brewster Hopper ${tag}` },
        currency: 'USD',
        lines: [{ sku: skus['tuna'], quantity: 1, unitPriceMinor: 100 }],
      });
      expect(placed.status).toBe(201);
      const orders = async (q: string) =>
        (
          (await s.request('GET', `/api/v1/orders?q=${encodeURIComponent(q)}`)).body.items as Array<{
            id: string;
          }>
        ).map((o) => o.id);
      for (const q of [`hopper.${tag}`, `GRACE.HOPPER.${tag}@navy`, `hopper grace ${tag}`, email])
        expect(await orders(q), q).toEqual([placed.body.id]);
      expect(await orders(`hopper ada ${tag}`)).toEqual([]);
      expect(await orders(`%${tag}`)).toEqual([]);
    });

    it('orders are found by the short number the admin shows, in any case, with or without #', async () => {
      const placed = [];
      for (let i = 0; i < 3; i++) {
        const r = await s.request('POST', '/api/v1/orders', {
          customer: { email: `short-${i}-${tag}@example.com` },
          currency: 'USD',
          lines: [{ sku: skus['salmon'], quantity: 1, unitPriceMinor: 100 }],
        });
        expect(r.status).toBe(201);
        placed.push(r.body.id as string);
      }
      const orders = async (q: string) => {
        const r = await s.request('GET', `/api/v1/orders?q=${encodeURIComponent(q)}`);
        expect(r.status).toBe(200);
        return (r.body.items as Array<{ id: string }>).map((o) => o.id);
      };
      for (const id of placed) {
        // As web/src/lib/format.ts `shortId` shows it: `#` and the id's last eight hex digits in capitals.
        const short = id.slice(-8).toUpperCase();
        for (const q of [`#${short}`, short, `#${short.toLowerCase()}`, ` ${short.toLowerCase()} `])
          expect(await orders(q), q).toEqual([id]);
        expect(await orders(`#${short.slice(1)}`)).toEqual([]);
        expect(await orders(`#${short}0`)).toEqual([]);
      }
      // The other meanings of q still hold.
      expect(await orders(placed[0]!)).toEqual([placed[0]]);
      expect(await orders(`SHORT-1-${tag}@EXAMPLE.COM`)).toEqual([placed[1]]);
    });

    it('a stored SKU whose code breaks a newer rule (an invisible character) can still be edited', async () => {
      const made = await makeSku(s, { name: `Legacy ${tag}` });
      const legacy = `LEG\u200bACY-${tag}`.toUpperCase();
      await s.testDb.database.db
        .updateTable('skus')
        .set({ sku: legacy, sku_key: legacy })
        .where('id', '=', made.id)
        .execute();
      const path = `/api/v1/skus/${encodeURIComponent(legacy)}`;
      const current = await s.request('GET', path);
      expect(current.status).toBe(200);
      const off = await s.request(
        'PATCH',
        path,
        { active: false },
        {
          headers: { 'if-match': current.headers.get('etag')! },
        },
      );
      expect(off.status, JSON.stringify(off.body)).toBe(200);
      expect(off.body.active).toBe(false);
    });
  });
}
