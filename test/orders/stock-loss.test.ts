/**
 * Stock found missing is recorded even where it was allocated: a negative adjustment or count
 * correction takes the units its free stock does not cover back from the balance's allocations —
 * leases first, then the newest orders — and backorders them; the backorder job then routes them to
 * any location that has the stock. The oldest orders keep theirs; nothing else changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { verifyBalances } from '../../src/db/stock.repo.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { getOrder } from '../../src/app/orders/order-view.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`stock found missing on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    const order = async (sku: string, quantity: number, email = 'loss@example.com') => {
      const r = await s.request('POST', '/api/v1/orders', {
        customer: { email },
        currency: 'USD',
        lines: [{ sku, quantity, unitPriceMinor: 100 }],
      });
      expect(r.status).toBe(201);
      return r.body as { id: string; fulfillmentStatus: string };
    };
    const get = async (id: string) => (await s.request('GET', `/api/v1/orders/${id}`)).body;
    const adjust = (sku: string, location: string, quantity: number) =>
      s.request('POST', '/api/v1/stock/movements', {
        type: 'adjustment',
        sku,
        location,
        quantity,
        reason: 'lost',
      });
    /** Every balance's allocated counter equals its allocation rows, and balances equal the ledger. */
    const consistent = async () => {
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
      const { rows } = await sql<{ n: number }>`
        select count(*) as n from balances b
        where b.allocated <> coalesce((select sum(a.quantity) from allocations a
          where a.sku_id = b.sku_id and a.location_id = b.location_id and a.lot_id = b.lot_id), 0)`.execute(
        s.testDb.database.db,
      );
      expect(Number(rows[0]!.n)).toBe(0);
    };

    it('a count that finds fewer than allocated backorders the newest order, which the job re-routes', async () => {
      const a = await makeLocation(s, { lat: 40, lon: -83 });
      const b = await makeLocation(s, { lat: 34, lon: -118 });
      const { sku } = await makeSku(s);
      await receive(s, sku, a.code, 10);
      await receive(s, sku, b.code, 2);
      const older = await order(sku, 5);
      const newer = await order(sku, 3);
      expect((await get(newer.id)).lines[0].allocations).toEqual([
        expect.objectContaining({ location: a.code, quantity: 3 }),
      ]);

      const count = await s.request('POST', '/api/v1/counts', { location: a.code, skus: [sku] });
      expect(count.status).toBe(201);
      await s.request('POST', `/api/v1/counts/${count.body.id}/lines`, { sku, counted: 5 });
      const approved = await s.request('POST', `/api/v1/counts/${count.body.id}/approve`);
      expect([approved.status, approved.body.status]).toEqual([200, 'approved']);

      // 5 lost, 2 of them free: the newer order loses 3 at A, and the job finds it 2 at B.
      expect((await get(older.id)).lines[0].allocations).toEqual([
        expect.objectContaining({ location: a.code, quantity: 5 }),
      ]);
      const moved = await get(newer.id);
      expect(moved.lines[0]).toMatchObject({ backordered: 1 });
      expect(moved.lines[0].allocations).toEqual([
        expect.objectContaining({ location: b.code, quantity: 2 }),
      ]);
      expect(moved.fulfillmentStatus).toBe('backordered');
      expect(moved.timeline.map((e: any) => e.type)).toContain('order.backordered');
      expect(moved.timeline.find((e: any) => e.type === 'order.backordered').message).toMatch(
        /found missing by a stock count .*3 × /,
      );
      const stock = await s.request('GET', `/api/v1/stock/${sku}`);
      expect(stock.body.locations.find((l: any) => l.location === a.code)).toMatchObject({
        onHand: 5,
        allocated: 5,
        available: 0,
      });
      const events = await s.testDb.database.db
        .selectFrom('outbox')
        .select(['type', 'payload'])
        .where('aggregate_id', '=', newer.id)
        .where('type', '=', 'order.backordered')
        .execute();
      expect(events.map((e) => JSON.parse(e.payload).reason)).toEqual(['stock_lost']);
      await consistent();
    });

    it('an adjustment takes from leases first, then the newest order; past what is on hand it is refused', async () => {
      const w = await makeLocation(s);
      const { sku } = await makeSku(s);
      await receive(s, sku, w.code, 5);
      const first = await order(sku, 2);
      const lease = await s.request('POST', '/api/v1/reservations', { sku, quantity: 2, ttlSeconds: 600 });
      const last = await order(sku, 1);
      // All 5 allocated: losing 3 takes the lease's 2, then 1 of the newest order.
      const lost = await adjust(sku, w.code, -3);
      expect(lost.status).toBe(201);
      expect((await s.request('GET', `/api/v1/reservations/${lease.body.id}`)).body.status).toBe('released');
      expect((await get(last.id)).lines[0]).toMatchObject({ backordered: 1, allocations: [] });
      expect((await get(first.id)).lines[0]).toMatchObject({ backordered: 0 });
      // Cancelling the newest order, whose unit was taken back, releases nothing from stock.
      const cancelled = await s.request('POST', `/api/v1/orders/${last.id}/cancel`, {});
      expect(cancelled.body.timeline.at(-1).message).toBe('Order cancelled: 1 unit');
      // 2 on hand, both allocated to `first`: a loss of 3 cannot be, and nothing changes.
      const refused = await adjust(sku, w.code, -3);
      expect([refused.status, refused.body.code]).toEqual([409, 'NEGATIVE_STOCK']);
      expect((await get(first.id)).lines[0]).toMatchObject({ backordered: 0 });
      await consistent();
    });

    it.runIf(dialect === 'postgres')(
      'a bundle taken back locks every component in key order: no deadlock with a capture locking them in order',
      async () => {
        const w = await makeLocation(s);
        const first = await makeSku(s); // the lower id: a capture locks it first
        const second = await makeSku(s);
        await receive(s, first.sku, w.code, 4);
        await receive(s, second.sku, w.code, 4);
        const kit = await makeSku(s, {
          components: [
            { sku: first.sku, quantity: 1 },
            { sku: second.sku, quantity: 1 },
          ],
        });
        await order(kit.sku, 4);
        const deadlocks = s.testDb.database.retried.deadlock;
        // Another transaction holds the first component's balance, as a capture would, and goes on
        // to the second; meanwhile a loss of the second takes a kit back.
        const other = new pg.Client({ connectionString: s.testDb.env['DATABASE_URL'] });
        await other.connect();
        try {
          const bySku = `update balances set updated_at = updated_at where sku_id = (select id from skus where sku = $1)`;
          await other.query('begin');
          await other.query(bySku, [first.sku]);
          const loss = adjust(second.sku, w.code, -1);
          await new Promise((r) => setTimeout(r, 300));
          await other.query(bySku, [second.sku]);
          await other.query('commit');
          expect((await loss).status).toBe(201);
        } finally {
          await other.end();
        }
        expect(s.testDb.database.retried.deadlock).toBe(deadlocks);
        await consistent();
      },
    );

    it('a bundle line loses whole bundle units, its other components released with them', async () => {
      const w = await makeLocation(s);
      const x = await makeSku(s);
      const y = await makeSku(s);
      await receive(s, x.sku, w.code, 4);
      await receive(s, y.sku, w.code, 2);
      const kit = await makeSku(s, {
        components: [
          { sku: x.sku, quantity: 2 },
          { sku: y.sku, quantity: 1 },
        ],
      });
      const placed = await order(kit.sku, 2);
      expect(placed.fulfillmentStatus).toBe('allocated');
      expect((await adjust(x.sku, w.code, -1)).status).toBe(201);
      const after = await get(placed.id);
      expect(after.lines[0]).toMatchObject({ backordered: 1 });
      const stock = async (sku: string) =>
        (await s.request('GET', `/api/v1/stock/${sku}`)).body.locations.find(
          (l: any) => l.location === w.code,
        );
      expect(await stock(x.sku)).toMatchObject({ onHand: 3, allocated: 2 });
      expect(await stock(y.sku)).toMatchObject({ onHand: 2, allocated: 1 });
      await consistent();
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`stock found missing, in process, on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());
    const at = { actor: 'test', requestId: null, at: '2030-01-01T00:00:00.000Z' };

    it('routes the lines a loss took back to stock elsewhere in the same transaction', async () => {
      await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'NEAR', name: 'Near', kind: 'warehouse', lat: 40, lon: -83 });
        await createLocation(tx, { code: 'FAR', name: 'Far', kind: 'warehouse', lat: 34, lon: -118 });
        await createSku(tx, { sku: 'LOST', name: 'Lost', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'LOST', location: 'NEAR', quantity: 3 }, at);
        await postMovement(tx, { type: 'receipt', sku: 'LOST', location: 'FAR', quantity: 1 }, at);
      });
      const placed = await t.database.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: { email: 'lost@example.com' },
            currency: 'USD',
            lines: [{ sku: 'LOST', quantity: 3, unitPriceMinor: 100 }],
          },
          at,
        ),
      );
      expect(placed.order.lines[0]!.allocations).toEqual([expect.objectContaining({ location: 'NEAR' })]);
      await t.database.transact((tx) =>
        postMovement(tx, { type: 'adjustment', sku: 'LOST', location: 'NEAR', quantity: -1 }, at),
      );
      // No backorder job runs here: the adjustment itself found the unit at FAR.
      const after = await t.database.transact((tx) => getOrder(tx, placed.order.id));
      expect(after.fulfillmentStatus).toBe('allocated');
      expect(after.lines[0]!.allocations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ location: 'NEAR', quantity: 2 }),
          expect.objectContaining({ location: 'FAR', quantity: 1 }),
        ]),
      );
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('stock elsewhere goes to the oldest order a loss took from, not to the newest it took from first', async () => {
      await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'NEAR2', name: 'Near', kind: 'warehouse', lat: 40, lon: -83 });
        await createLocation(tx, { code: 'FAR2', name: 'Far', kind: 'warehouse', lat: 34, lon: -118 });
        await createSku(tx, { sku: 'LOST2', name: 'Lost two', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'LOST2', location: 'NEAR2', quantity: 5 }, at);
        await postMovement(tx, { type: 'receipt', sku: 'LOST2', location: 'FAR2', quantity: 2 }, at);
      });
      const place = () =>
        t.database.transact((tx) =>
          placeOrder(
            tx,
            {
              customer: { email: 'lost@example.com' },
              currency: 'USD',
              onShortage: 'backorder',
              lines: [{ sku: 'LOST2', quantity: 2, unitPriceMinor: 100 }],
            },
            at,
          ),
        );
      const older = await place();
      const newer = await place();
      // Both at NEAR2, the one with the most cover left.
      for (const o of [older, newer])
        expect(o.order.lines[0]!.allocations).toEqual([expect.objectContaining({ location: 'NEAR2' })]);
      await t.database.transact((tx) =>
        postMovement(tx, { type: 'adjustment', sku: 'LOST2', location: 'NEAR2', quantity: -5 }, at),
      );
      const first = await t.database.transact((tx) => getOrder(tx, older.order.id));
      const second = await t.database.transact((tx) => getOrder(tx, newer.order.id));
      expect(first.lines[0]!.allocations).toEqual([
        expect.objectContaining({ location: 'FAR2', quantity: 2 }),
      ]);
      expect(second.lines[0]!.backordered).toBe(2);
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });
  });
}
