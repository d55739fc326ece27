/**
 * A lease that lapses frees its units at its expiry instant, before any job releases them. An order
 * or a lease captured in that moment must not take the units that older orders' backorders wait
 * for (backorders allocate oldest first): it serves those backorders first, in its own transaction.
 * Units beyond what the backorders wait for are the capture's.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { getOrder } from '../../src/app/orders/order-view.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import { createReservation, expireLeases, getReservation } from '../../src/app/orders/reservations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { verifyBalances } from '../../src/db/stock.repo.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const at = (iso: string) => ({ actor: 'test', requestId: null, at: iso });
const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:00:01.000Z';
const LAPSED = '2030-01-01T00:01:00.000Z'; // the 60-s leases' expiry instant

for (const dialect of DIALECTS) {
  describe(`lapsed leases and waiting backorders on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      await t.database.transact((tx) => createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' }));
    });
    afterAll(() => t.drop());

    /** SKU `sku` with `stock` units, all of them leased for 60 s at T0, and an order backordered at T1. */
    const setUp = async (sku: string, stock: number, waiting: number) => {
      await t.database.transact(async (tx) => {
        await createSku(tx, { sku, name: sku, priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku, location: 'W', quantity: stock }, at(T0));
        await createReservation(tx, { sku, quantity: stock, ttlSeconds: 60 }, at(T0));
      });
      const waitingOrder = await order(sku, waiting, 'backorder', T1);
      expect(waitingOrder.order.fulfillmentStatus).toBe('backordered');
      return { waitingId: waitingOrder.order.id };
    };
    const order = (sku: string, quantity: number, onShortage: 'reject' | 'backorder', iso: string) =>
      t.database.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: { email: 'lapse@example.com' },
            currency: 'USD',
            onShortage,
            lines: [{ sku, quantity, unitPriceMinor: 100 }],
          },
          at(iso),
        ),
      );

    it('an order captured at the lapse serves the older backorder first, in its transaction', async () => {
      const { waitingId } = await setUp('LB-1', 2, 2);
      const late = await order('LB-1', 2, 'backorder', LAPSED);
      expect(late.order.fulfillmentStatus).toBe('backordered');
      expect(late.order.lines[0]!.allocations).toEqual([]);
      const served = await t.database.transact((tx) => getOrder(tx, waitingId));
      expect(served.fulfillmentStatus).toBe('allocated');
      expect(served.timeline.map((e) => e.type)).toContain('order.allocated');
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('with onShortage reject the late order is refused and nothing changes', async () => {
      const { waitingId } = await setUp('LB-2', 2, 1);
      await expect(order('LB-2', 2, 'reject', LAPSED)).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
      // Refused whole: the lease is not released, the backorder not served by it.
      expect((await t.database.transact((tx) => getOrder(tx, waitingId))).fulfillmentStatus).toBe(
        'backordered',
      );
      // One unit more than the backorder waits for is free to take.
      const one = await order('LB-2', 1, 'reject', LAPSED);
      expect(one.order.fulfillmentStatus).toBe('allocated');
      expect((await t.database.transact((tx) => getOrder(tx, waitingId))).fulfillmentStatus).toBe(
        'allocated',
      );
    });

    it('units beyond what backorders wait for go to the late order', async () => {
      const { waitingId } = await setUp('LB-3', 5, 2);
      const late = await order('LB-3', 3, 'reject', LAPSED);
      expect(late.order.lines[0]!.allocations).toEqual([expect.objectContaining({ quantity: 3 })]);
      expect((await t.database.transact((tx) => getOrder(tx, waitingId))).fulfillmentStatus).toBe(
        'allocated',
      );
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('a new lease at the lapse cannot take what a backorder waits for either', async () => {
      const { waitingId } = await setUp('LB-4', 2, 2);
      await expect(
        t.database.transact((tx) =>
          createReservation(tx, { sku: 'LB-4', quantity: 1, ttlSeconds: 60 }, at(LAPSED)),
        ),
      ).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
      // The refused lease changed nothing: the backorder waits until something serves it.
      expect((await t.database.transact((tx) => getOrder(tx, waitingId))).fulfillmentStatus).toBe(
        'backordered',
      );
    });

    it('an order converting its own lease at another lease’s lapse keeps what its lease held', async () => {
      await t.database.transact(async (tx) => {
        await createSku(tx, { sku: 'LB-6', name: 'LB-6', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'LB-6', location: 'W', quantity: 4 }, at(T0));
        await createReservation(tx, { sku: 'LB-6', quantity: 2, ttlSeconds: 60 }, at(T0)); // lapses
      });
      const mine = await t.database.transact((tx) =>
        createReservation(tx, { sku: 'LB-6', quantity: 2, ttlSeconds: 3600 }, at(T0)),
      );
      const waiting = await order('LB-6', 4, 'backorder', T1);
      expect(waiting.order.fulfillmentStatus).toBe('backordered');
      for (const onShortage of ['reject', 'backorder'] as const) {
        const converted = await t.database
          .transact(async (tx) => {
            const placed = await placeOrder(
              tx,
              {
                customer: { email: 'mine@example.com' },
                currency: 'USD',
                onShortage,
                reservations: [mine.id],
                lines: [{ sku: 'LB-6', quantity: 2, unitPriceMinor: 100 }],
              },
              at(LAPSED),
            );
            // Both variants are checked on the same leases: undo this one.
            if (onShortage === 'reject') throw Object.assign(new Error('undo'), { placed });
            return placed;
          })
          .catch((e: { placed?: Awaited<ReturnType<typeof placeOrder>> }) => {
            if (!e.placed) throw e;
            return e.placed;
          });
        // The lease's 2 units are the order's; the lapsed lease's 2 went to the waiting order.
        expect(converted.order.fulfillmentStatus).toBe('allocated');
      }
      const served = await t.database.transact((tx) => getOrder(tx, waiting.order.id));
      expect(served.lines[0]).toMatchObject({ backordered: 2 });
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('with no backorder waiting, the lapsed units are the late order’s at once', async () => {
      await t.database.transact(async (tx) => {
        await createSku(tx, { sku: 'LB-5', name: 'LB-5', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'LB-5', location: 'W', quantity: 2 }, at(T0));
      });
      const lease = await t.database.transact((tx) =>
        createReservation(tx, { sku: 'LB-5', quantity: 2, ttlSeconds: 60 }, at(T0)),
      );
      const late = await order('LB-5', 2, 'reject', LAPSED);
      expect(late.order.fulfillmentStatus).toBe('allocated');
      expect((await t.database.transact((tx) => getReservation(tx, lease.id))).status).toBe('expired');
    });
  });

  describe(`lapsed leases and waiting backorders over HTTP on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
      await s.request('POST', '/api/v1/locations', { code: 'W', name: 'W', kind: 'warehouse' });
      await s.request('POST', '/api/v1/skus', { sku: 'LBH', name: 'LBH', priceMinor: 100 });
      await s.request('POST', '/api/v1/stock/movements', {
        type: 'receipt',
        sku: 'LBH',
        location: 'W',
        quantity: 2,
      });
    });
    afterAll(async () => s?.close());

    it('the late capture answers after the older backorder got the units', async () => {
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: 'LBH',
        quantity: 2,
        ttlSeconds: 1,
      });
      expect(lease.status).toBe(201);
      const place = (email: string) =>
        s.request('POST', '/api/v1/orders', {
          customer: { email },
          currency: 'USD',
          onShortage: 'backorder',
          lines: [{ sku: 'LBH', quantity: 2, unitPriceMinor: 100 }],
        });
      const waiting = await place('first@example.com');
      expect(waiting.body.fulfillmentStatus).toBe('backordered');
      await new Promise((r) => setTimeout(r, Date.parse(lease.body.expiresAt) - Date.now() + 20));
      const late = await place('second@example.com');
      expect([late.status, late.body.fulfillmentStatus]).toEqual([201, 'backordered']);
      const first = await s.request('GET', `/api/v1/orders/${waiting.body.id}`);
      expect(first.body.fulfillmentStatus).toBe('allocated');
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`the lease-expiry job and waiting backorders on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    it('serves the backorders waiting for a lapsed lease in the transaction that releases it', async () => {
      await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'J', name: 'J', kind: 'warehouse' });
        await createSku(tx, { sku: 'JOB', name: 'JOB', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'JOB', location: 'J', quantity: 2 }, at(T0));
        await createReservation(tx, { sku: 'JOB', quantity: 2, ttlSeconds: 60 }, at(T0));
      });
      const waiting = await t.database.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: { email: 'job@example.com' },
            currency: 'USD',
            onShortage: 'backorder',
            lines: [{ sku: 'JOB', quantity: 2, unitPriceMinor: 100 }],
          },
          at(T1),
        ),
      );
      expect(waiting.order.fulfillmentStatus).toBe('backordered');
      expect(await t.database.transact((tx) => expireLeases(tx, at(LAPSED)))).toBe(1);
      // No backorder job ran: the release itself served the order.
      expect((await t.database.transact((tx) => getOrder(tx, waiting.order.id))).fulfillmentStatus).toBe(
        'allocated',
      );
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });
  });
}

describe.runIf(DIALECTS.includes('postgres'))('lapsed leases and sorted balance locks on postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(() => t.drop());

  it('a capture serving a waiting bundle line locks every balance in one sorted step: no deadlock', async () => {
    const ids = await t.database.transact(async (tx) => {
      await createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' });
      await createSku(tx, { sku: 'P', name: 'P', priceMinor: 100 });
      await createSku(tx, { sku: 'Q', name: 'Q', priceMinor: 100 });
      await createSku(tx, {
        sku: 'K',
        name: 'K',
        priceMinor: 100,
        components: [
          { sku: 'P', quantity: 1 },
          { sku: 'Q', quantity: 1 },
        ],
      });
      const rows = await tx.selectFrom('skus').select(['id', 'sku']).where('sku', 'in', ['P', 'Q']).execute();
      rows.sort((a, b) => (a.id < b.id ? -1 : 1));
      return { low: rows[0]!, high: rows[1]! };
    });
    await t.database.transact(async (tx) => {
      await postMovement(tx, { type: 'receipt', sku: ids.low.sku, location: 'W', quantity: 1 }, at(T0));
      await postMovement(tx, { type: 'receipt', sku: ids.high.sku, location: 'W', quantity: 2 }, at(T0));
      await createReservation(tx, { sku: ids.high.sku, quantity: 2, ttlSeconds: 60 }, at(T0));
    });
    const place = (email: string, sku: string, iso: string) =>
      t.database.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: { email },
            currency: 'USD',
            onShortage: 'backorder',
            lines: [{ sku, quantity: 1, unitPriceMinor: 100 }],
          },
          at(iso),
        ),
      );
    expect((await place('kit@example.com', 'K', T1)).order.fulfillmentStatus).toBe('backordered');
    // Another transaction holds the lower component's balance and goes on to the higher one, as a
    // capture would; meanwhile an order for the higher SKU meets its lapsed lease.
    const other = new pg.Client({ connectionString: t.env['DATABASE_URL'] });
    await other.connect();
    const before = t.database.retried.deadlock;
    try {
      await other.query('begin');
      await other.query('select 1 from balances where sku_id = $1 for update', [ids.low.id]);
      const capture = place('late@example.com', ids.high.sku, LAPSED);
      await new Promise((r) => setTimeout(r, 300));
      await other.query('select 1 from balances where sku_id = $1 for update', [ids.high.id]);
      await other.query('commit');
      await capture;
    } finally {
      await other.end();
    }
    expect(t.database.retried.deadlock).toBe(before);
  });
});
