/**
 * An order must not ship a lot that has expired. When the day turns past a lot's expiry, the daily
 * lot-expiry run takes back every allocation on it — leases shrink, order lines are backordered,
 * the newest holder first — and routes them again at once to lots still good, first expiry first,
 * oldest order first; what finds none waits as a backorder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { getOrder } from '../../src/app/orders/order-view.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import { createReservation } from '../../src/app/orders/reservations.js';
import { announceLotExpiries } from '../../src/app/stock/lot-expiry.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';
import { newestStockChanged } from '../helpers/outbox.js';

const ctx = (at: string) => ({ actor: 'test', requestId: null, at });
const JAN1 = '2030-01-01T12:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`allocations on a lot that expires (${dialect})`, () => {
    let t: TestDatabase;
    const ids: string[] = [];
    let leaseId = '';
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'W', name: 'West', kind: 'warehouse' });
        await createSku(tx, { sku: 'FOOD', name: 'Food', priceMinor: 100, tracking: 'lot' });
        for (const [lot, quantity, expiresOn] of [
          ['A', 6, '2030-01-10'],
          ['B', 2, '2030-03-01'],
        ] as const)
          await postMovement(
            tx,
            { type: 'receipt', sku: 'FOOD', location: 'W', quantity, lot, expiresOn },
            ctx(JAN1),
          );
      });
      // First expiry first: both orders and the lease take lot A.
      for (const quantity of [3, 2]) {
        const placed = await t.database.transact((tx) =>
          placeOrder(
            tx,
            {
              customer: { email: 'a@example.com' },
              currency: 'USD',
              onShortage: 'reject',
              lines: [{ sku: 'FOOD', quantity, unitPriceMinor: 100 }],
            },
            ctx(JAN1),
          ),
        );
        ids.push(placed.order.id);
      }
      const lease = await t.database.transact((tx) =>
        createReservation(tx, { sku: 'FOOD', quantity: 1, ttlSeconds: 86_400 * 365 }, ctx(JAN1)),
      );
      leaseId = lease.id;
    });
    afterAll(() => t.drop());

    const allocationsOf = async (id: string) => {
      const o = await t.database.transact((tx) => getOrder(tx, id));
      return {
        allocations: o.lines[0]!.allocations.map((a) => `${a.lot}:${a.quantity}`),
        backordered: o.lines[0]!.backordered,
        fulfillmentStatus: o.fulfillmentStatus,
        timeline: o.timeline.map((e) => e.message),
      };
    };

    it('the day before, nothing moves', async () => {
      await t.database.transact((tx) => announceLotExpiries(tx, ctx('2030-01-09T00:00:30.000Z')));
      expect((await allocationsOf(ids[0]!)).allocations).toEqual(['A:3']);
      expect((await allocationsOf(ids[1]!)).allocations).toEqual(['A:2']);
    });

    it('on the expiry day every allocation on it is taken back and routed again, oldest order first', async () => {
      await t.database.transact((tx) => announceLotExpiries(tx, ctx('2030-01-10T00:00:30.000Z')));
      const first = await allocationsOf(ids[0]!);
      expect(first).toMatchObject({ allocations: ['B:2'], backordered: 1, fulfillmentStatus: 'backordered' });
      expect(first.timeline).toContainEqual(
        'Lot A expired: 3 × FOOD taken back, to be allocated from other stock',
      );
      expect(await allocationsOf(ids[1]!)).toMatchObject({ allocations: [], backordered: 2 });
      const lease = await t.database.db
        .selectFrom('reservations')
        .select(['status', 'quantity'])
        .where('id', '=', leaseId)
        .executeTakeFirstOrThrow();
      expect(lease.status).toBe('released');
      const a = await t.database.db
        .selectFrom('balances as b')
        .innerJoin('lots as l', 'l.id', 'b.lot_id')
        .select(['l.code', 'b.on_hand', 'b.allocated'])
        .orderBy('l.code')
        .execute();
      expect(a.map((r) => [r.code, r.on_hand, r.allocated])).toEqual([
        ['A', 6, 0],
        ['B', 2, 2],
      ]);
      expect(await stockAndOrderViolations(t.database.db)).toEqual([]);
      // The newest stock.changed of the pair: nothing left to sell (A expired, B all allocated).
      expect(await newestStockChanged(t.database.db)).toEqual({ onHand: 8, allocated: 2, available: 0 });
    });
  });
}
