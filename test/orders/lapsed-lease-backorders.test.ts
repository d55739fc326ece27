/**
 * A lease that lapses frees its units at its expiry instant, before any job releases them. An order
 * or a lease captured in that moment must not take the units that older orders' backorders wait
 * for (backorders allocate oldest first): it serves those backorders first, in its own transaction.
 * Units beyond what the backorders wait for are the capture's.
 */
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
