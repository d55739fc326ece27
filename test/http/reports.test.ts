import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { addDays, isoDate, nowIso } from '../../src/domain/clock.js';

for (const dialect of DIALECTS) {
  describe(`reports on ${dialect}`, () => {
    let s: TestServer;
    // One shop, built once; the dashboard's figures are over the whole database.
    const shop = {} as {
      wh: string;
      store: string;
      cage: string;
      kibble: string; // 40 on hand at cost 250 USD, 5 allocated by an order
      treats: string; // lot-tracked: 6 good + 4 expired, cost 100 USD, safety stock 3 at WH
      toy: string; // 3 on hand, no cost → unvalued, low (≤ 5)
      euroBowl: string; // EUR cost 1000, 2 on hand, 2 quarantined → out of stock
      neverReceived: string; // out of stock
      inactive: string; // inactive, not counted
      bundle: string; // bundle, not counted
      orderId: string;
      cancelledId: string;
    };

    beforeAll(async () => {
      s = await startServer(dialect);
      shop.wh = (await makeLocation(s, { kind: 'warehouse' })).code;
      shop.store = (await makeLocation(s, { kind: 'store', bins: ['A-01'] })).code;
      shop.cage = (await makeLocation(s, { kind: 'quarantine' })).code;
      shop.kibble = (await makeSku(s, { name: 'Salmon Kibble 2kg', costMinor: 250, priceMinor: 999 })).sku;
      shop.treats = (await makeSku(s, { name: 'Chicken Treats', costMinor: 100, tracking: 'lot' })).sku;
      shop.toy = (await makeSku(s, { name: 'Squeaky Toy' })).sku;
      shop.euroBowl = (await makeSku(s, { name: 'Steel Bowl', costMinor: 1000, currency: 'EUR' })).sku;
      shop.neverReceived = (await makeSku(s, { name: 'Catnip Spray' })).sku;
      shop.inactive = (await makeSku(s, { name: 'Old Leash', active: false })).sku;
      shop.bundle = (
        await makeSku(s, { name: 'Starter Kit', components: [{ sku: shop.kibble, quantity: 1 }] })
      ).sku;

      await receive(s, shop.kibble, shop.wh, 30);
      await receive(s, shop.kibble, shop.store, 10, { bin: 'A-01' });
      await receive(s, shop.treats, shop.wh, 6, { lot: 'GOOD', expiresOn: addDays(isoDate(nowIso()), 20) });
      await receive(s, shop.treats, shop.wh, 4, { lot: 'OLD', expiresOn: '2020-01-01' });
      await receive(s, shop.toy, shop.wh, 3);
      await receive(s, shop.euroBowl, shop.wh, 2);
      await receive(s, shop.inactive, shop.cage, 9);
      const q = await s.request('POST', '/api/v1/stock/movements', {
        type: 'quarantine',
        sku: shop.euroBowl,
        location: shop.wh,
        quantity: 2,
        reason: 'damaged',
      });
      expect(q.status).toBe(201);
      const ss = await s.request('PUT', `/api/v1/stock/${shop.treats}/safety-stock/${shop.wh}`, {
        quantity: 3,
      });
      expect(ss.status).toBe(200);

      const order = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'ada@example.com', name: 'Ada' },
        currency: 'USD',
        lines: [{ sku: shop.kibble, quantity: 5, unitPriceMinor: 999 }],
      });
      expect(order.status).toBe(201);
      shop.orderId = order.body.id;
      const other = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'bob@example.com' },
        currency: 'USD',
        lines: [{ sku: shop.kibble, quantity: 1, unitPriceMinor: 999 }],
      });
      shop.cancelledId = other.body.id;
      expect((await s.request('POST', `/api/v1/orders/${shop.cancelledId}/cancel`, {})).status).toBe(200);
      const held = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'cy@example.com' },
        currency: 'USD',
        lines: [{ sku: shop.kibble, quantity: 2, unitPriceMinor: 500 }],
      });
      expect(
        (await s.request('POST', `/api/v1/orders/${held.body.id}/hold`, { reason: 'fraud check' })).status,
      ).toBe(200);
    });
    afterAll(async () => s?.close());

    it('computes stock value per currency, low and out of stock, and open orders', async () => {
      const r = await s.request('GET', '/api/v1/reports/dashboard');
      expect(r.status).toBe(200);
      const d = r.body;
      // USD: kibble 40 × 250 (allocated units are still on hand) + treats 10 × 100; EUR: bowl 2 × 1000.
      expect(d.stockValue).toEqual([
        { currency: 'EUR', valueMinor: 2000, valueMinorText: '2000', units: 2 },
        {
          currency: 'USD',
          valueMinor: 40 * 250 + 10 * 100,
          valueMinorText: String(40 * 250 + 10 * 100),
          units: 50,
        },
      ]);
      expect(d.unvaluedUnits).toBe(3 + 9);
      // Active non-bundle SKUs: kibble, treats, toy, bowl, catnip.
      // kibble: 40 − 5 − 2 allocated = 33 → fine. treats: 6 good − safety 3 = 3 ≤ safety 3 → low.
      // toy: 3 ≤ 5 → low. bowl: all quarantined → out. catnip: never received → out.
      expect(d.skus).toEqual({ active: 5, outOfStock: 2, lowStock: 2, lowStockThreshold: 5 });
      expect(d.lowStockItems).toEqual(
        [
          { sku: shop.toy, name: 'Squeaky Toy', available: 3, threshold: 5 },
          { sku: shop.treats, name: 'Chicken Treats', available: 3, threshold: 3 },
        ].sort((a, b) => a.available - b.available || a.sku.localeCompare(b.sku)),
      );
      expect(d.openOrders).toEqual({
        total: 2,
        byStatus: [
          { status: 'on_hold', count: 1 },
          { status: 'open', count: 1 },
        ],
        byFulfillmentStatus: [{ fulfillmentStatus: 'allocated', count: 2 }],
      });
    });

    it('lists exactly the SKUs the dashboard counts as out of stock or low (GET /skus?stock=…)', async () => {
      const codes = async (query: string) =>
        ((await s.request('GET', `/api/v1/skus?limit=500&${query}`)).body.items as Array<{ sku: string }>)
          .map((i) => i.sku)
          .sort();
      // bowl: all quarantined; catnip: never received (no balance row at all).
      expect(await codes('stock=out')).toEqual([shop.euroBowl, shop.neverReceived].sort());
      expect(await codes('stock=low')).toEqual([shop.toy, shop.treats].sort());
      expect(await codes('stock=low&lowStockThreshold=0')).toEqual([shop.treats]);
      const bad = await s.request('GET', '/api/v1/skus?stock=gone');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('stock');
    });

    it('takes the low-stock threshold from the query', async () => {
      const r = await s.request('GET', '/api/v1/reports/dashboard?lowStockThreshold=0');
      expect(r.body.skus).toMatchObject({ lowStock: 1, lowStockThreshold: 0 }); // treats, by safety stock
      const bad = await s.request('GET', '/api/v1/reports/dashboard?lowStockThreshold=-1');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('lowStockThreshold');
    });

    it('gives 90 zero-filled days of orders, sales without cancellations, and movements by type', async () => {
      const d = (await s.request('GET', '/api/v1/reports/dashboard')).body;
      const today = isoDate(nowIso());
      expect(d.ordersPerDay).toHaveLength(90);
      expect(d.ordersPerDay[0].date).toBe(addDays(today, -89));
      expect(d.ordersPerDay[89]).toEqual({ date: today, orders: 3, cancelled: 1 });
      expect(d.ordersPerDay.slice(0, 89).every((x: any) => x.orders === 0)).toBe(true);
      expect(d.salesPerDay).toEqual([
        {
          date: today,
          currency: 'USD',
          totalMinor: 5 * 999 + 2 * 500,
          totalMinorText: String(5 * 999 + 2 * 500),
        },
      ]);
      const byType = Object.fromEntries(
        d.movementsPerDay.filter((m: any) => m.date === today).map((m: any) => [m.type, [m.count, m.units]]),
      );
      expect(byType).toMatchObject({
        receipt: [7, 30 + 10 + 6 + 4 + 3 + 2 + 9],
        quarantine: [1, 2],
        allocation: [3, 8],
        deallocation: [1, 1],
      });
    });

    it('lists stock by SKU and location with availability, filters and keyset pages', async () => {
      const all = await s.request('GET', '/api/v1/reports/stock?limit=1000');
      expect(all.status).toBe(200);
      const row = (sku: string, location: string) =>
        all.body.items.find((r: any) => r.sku === sku && r.location === location);
      expect(row(shop.kibble, shop.store)).toEqual({
        sku: shop.kibble,
        name: 'Salmon Kibble 2kg',
        location: shop.store,
        sellable: true,
        bin: 'A-01',
        lots: 0,
        nextExpiry: null,
        onHand: 10,
        allocated: expect.any(Number),
        quarantined: 0,
        safetyStock: 0,
        available: expect.any(Number),
      });
      expect(row(shop.treats, shop.wh)).toMatchObject({
        lots: 2,
        nextExpiry: '2020-01-01',
        onHand: 10,
        safetyStock: 3,
        available: 3,
      });
      expect(row(shop.inactive, shop.cage)).toMatchObject({ sellable: false, onHand: 9, available: 0 });

      const quarantined = await s.request('GET', '/api/v1/reports/stock?filter=quarantined');
      expect(quarantined.body.items.map((r: any) => r.sku)).toEqual([shop.euroBowl]);
      const expiring = await s.request('GET', '/api/v1/reports/stock?filter=expiring');
      expect(expiring.body.items.map((r: any) => r.sku)).toEqual([shop.treats]);
      const low = await s.request(
        'GET',
        `/api/v1/reports/stock?filter=low&location=${shop.wh.toLowerCase()}`,
      );
      expect(low.body.items.map((r: any) => r.sku).sort()).toEqual([shop.toy, shop.treats].sort());
      const search = await s.request('GET', `/api/v1/reports/stock?q=${encodeURIComponent('salmon')}`);
      expect(search.body.items.map((r: any) => r.location).sort()).toEqual([shop.store, shop.wh].sort());

      const pages: any[] = [];
      let cursor: string | null = null;
      do {
        const qs: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: any = await s.request('GET', `/api/v1/reports/stock?limit=2${qs}`);
        expect(page.status).toBe(200);
        pages.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(pages.map((r) => `${r.sku}@${r.location}`)).toEqual(
        all.body.items.map((r: any) => `${r.sku}@${r.location}`),
      );
      const bad = await s.request('GET', '/api/v1/reports/stock?cursor=nonsense');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('cursor');
      const badFilter = await s.request('GET', '/api/v1/reports/stock?filter=bogus');
      expect(badFilter.status).toBe(400);
    });

    it('lists the ledger across SKUs, newest first, with filters', async () => {
      const all = await s.request('GET', '/api/v1/reports/movements?limit=500');
      expect(all.status).toBe(200);
      const ids = all.body.items.map((m: any) => m.id);
      expect([...ids].sort().reverse()).toEqual(ids);
      const receipts = await s.request('GET', `/api/v1/reports/movements?type=receipt&location=${shop.wh}`);
      expect(receipts.body.items).toHaveLength(5);
      expect(receipts.body.items.every((m: any) => m.type === 'receipt' && m.location === shop.wh)).toBe(
        true,
      );
      const damaged = await s.request('GET', '/api/v1/reports/movements?reason=DAMAG');
      expect(damaged.body.items).toEqual([
        expect.objectContaining({ type: 'quarantine', sku: shop.euroBowl, quantity: 2, reason: 'damaged' }),
      ]);
      const forSku = await s.request('GET', `/api/v1/reports/movements?sku=${shop.treats.toLowerCase()}`);
      expect(forSku.body.items.map((m: any) => m.lot).sort()).toEqual(['GOOD', 'OLD']);
      const future = await s.request(
        'GET',
        `/api/v1/reports/movements?from=${addDays(isoDate(nowIso()), 1)}`,
      );
      expect(future.body.items).toEqual([]);
      const paged = await s.request('GET', '/api/v1/reports/movements?limit=3');
      const next = await s.request(
        'GET',
        `/api/v1/reports/movements?limit=3&cursor=${encodeURIComponent(paged.body.nextCursor)}`,
      );
      expect([...paged.body.items, ...next.body.items].map((m: any) => m.id)).toEqual(ids.slice(0, 6));
      const badType = await s.request('GET', '/api/v1/reports/movements?type=teleport');
      expect(badType.status).toBe(400);
      const badDate = await s.request('GET', '/api/v1/reports/movements?from=2026-13-45');
      expect(badDate.status).toBe(400);
    });

    it('lets every role read reports, and nobody without a credential', async () => {
      const key = await s.keyFor('fulfilment');
      for (const path of [
        '/api/v1/reports/dashboard',
        '/api/v1/reports/stock',
        '/api/v1/reports/movements',
      ]) {
        expect((await s.request('GET', path, undefined, { key })).status).toBe(200);
        expect((await s.request('GET', path, undefined, { key: null })).status).toBe(401);
      }
    });

    it('shows nothing available for a SKU taken off sale, which is not "out of stock" either', async () => {
      const { sku } = await makeSku(s, { name: 'Retired Harness' });
      await receive(s, sku, shop.wh, 4);
      expect((await s.request('PATCH', `/api/v1/skus/${sku}`, { active: false })).status).toBe(200);
      const listed = await s.request('GET', `/api/v1/reports/stock?q=${encodeURIComponent('Retired')}`);
      expect(listed.body.items).toEqual([expect.objectContaining({ sku, onHand: 4, available: 0 })]);
      const out = await s.request('GET', '/api/v1/reports/stock?filter=out&limit=1000');
      expect(out.body.items.map((r: { sku: string }) => r.sku)).not.toContain(sku);
      expect((await s.request('GET', `/api/v1/stock/${sku}`)).body.totals).toMatchObject({
        onHand: 4,
        available: 0,
      });
      // A bundle containing it is off sale too: nothing available, and no order takes it.
      const kit = await makeSku(s, { name: 'Harness Kit', components: [{ sku, quantity: 1 }] });
      expect((await s.request('GET', `/api/v1/stock/${kit.sku}`)).body.totals.available).toBe(0);
      const refused = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'kit@example.com' },
        currency: 'USD',
        lines: [{ sku: kit.sku, quantity: 1, unitPriceMinor: 100 }],
      });
      expect([refused.status, refused.body.errors[0].field]).toEqual([400, 'lines.0.sku']);
      expect(refused.body.detail).toContain('which is not active');
    });
  });
}
