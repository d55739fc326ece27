/**
 * A lease stops counting at its expiry instant, before any job releases it: an order captured a
 * moment after expiry gets the stock, with the clock given explicitly (no background job runs here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import { createReservation, getReservation, listReservations } from '../../src/app/orders/reservations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { balancesOf, verifyBalances } from '../../src/db/stock.repo.js';
import { listStock } from '../../src/app/reports/stock-list.js';
import { dashboard } from '../../src/app/reports/dashboard.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const at = (iso: string) => ({ actor: 'test', requestId: null, at: iso });
const T0 = '2030-01-01T00:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`expired leases at capture on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    it('releases an expired lease in the capture transaction and allocates its stock', async () => {
      const lease = await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' });
        await createSku(tx, { sku: 'LEASED', name: 'Leased', priceMinor: 100 });
        await createSku(tx, { sku: 'OTHER', name: 'Other', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'LEASED', location: 'W', quantity: 3 }, at(T0));
        await postMovement(tx, { type: 'receipt', sku: 'OTHER', location: 'W', quantity: 3 }, at(T0));
        return createReservation(tx, { sku: 'LEASED', quantity: 3, ttlSeconds: 60 }, at(T0));
      });
      const order = (iso: string, sku: string) =>
        t.database.transact((tx) =>
          placeOrder(
            tx,
            {
              customer: { email: 'a@example.com' },
              currency: 'USD',
              lines: [{ sku, quantity: 3, unitPriceMinor: 100 }],
            },
            at(iso),
          ),
        );
      // Before expiry the lease holds all 3; an order for another SKU leaves the lease alone.
      await expect(order('2030-01-01T00:00:59.999Z', 'LEASED')).rejects.toMatchObject({
        code: 'INSUFFICIENT_STOCK',
      });
      await order('2030-01-01T00:01:30.000Z', 'OTHER');
      expect((await t.database.transact((tx) => getReservation(tx, lease.id))).status).toBe('active');
      // At the expiry instant it stops counting, swept in the same transaction as the order.
      const { order: placed } = await order('2030-01-01T00:01:00.000Z', 'LEASED');
      expect(placed.lines[0]!.allocations).toEqual([expect.objectContaining({ location: 'W', quantity: 3 })]);
      expect((await t.database.transact((tx) => getReservation(tx, lease.id))).status).toBe('expired');
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('reads a lease past its expiry as expired and its stock as free, before any job ran', async () => {
      const now = Date.now();
      const lapsed = await t.database.transact(async (tx) => {
        const sku = await createSku(tx, { sku: 'LAPSED', name: 'Lapsed', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'LAPSED', location: 'W', quantity: 5 }, at(T0));
        // The lapsed lease last: creating a lease sweeps those expired by its own clock.
        const held = await createReservation(
          tx,
          { sku: 'LAPSED', quantity: 1, ttlSeconds: 600 },
          at(new Date(now).toISOString()),
        );
        const gone = await createReservation(
          tx,
          { sku: 'LAPSED', quantity: 3, ttlSeconds: 5 },
          at(new Date(now - 10_000).toISOString()),
        );
        return { skuId: sku.id, gone: gone.id, held: held.id };
      });
      const view = await t.database.transact((tx) => getReservation(tx, lapsed.gone));
      expect(view).toMatchObject({ status: 'expired', allocations: [] });
      const [balance] = await t.database.transact((tx) => balancesOf(tx, [lapsed.skuId]));
      expect(balance).toMatchObject({ onHand: 5, allocated: 1 });
      const ids = async (status: 'active' | 'expired') =>
        (await t.database.transact((tx) => listReservations(tx, { status, limit: 100 }))).items.map(
          (r) => r.id,
        );
      expect(await ids('expired')).toContain(lapsed.gone);
      expect(await ids('active')).not.toContain(lapsed.gone);
      expect(await ids('active')).toContain(lapsed.held);
      // A movement frees them first: scrapping all four unheld units works (the live lease keeps one).
      await t.database.transact((tx) =>
        postMovement(
          tx,
          { type: 'adjustment', sku: 'LAPSED', location: 'W', quantity: -4, reason: 'damaged' },
          at(new Date(now).toISOString()),
        ),
      );
      expect((await t.database.transact((tx) => getReservation(tx, lapsed.gone))).status).toBe('expired');
      const [after] = await t.database.transact((tx) => balancesOf(tx, [lapsed.skuId]));
      expect(after).toMatchObject({ onHand: 1, allocated: 1 });
      // Balances still equal the ledger.
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('the stock report and the dashboard count a lapsed lease’s units as free, before any job ran', async () => {
      const now = Date.now();
      await t.database.transact(async (tx) => {
        await createSku(tx, { sku: 'REPORTED', name: 'Reported', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'REPORTED', location: 'W', quantity: 5 }, at(T0));
        await createReservation(
          tx,
          { sku: 'REPORTED', quantity: 1, ttlSeconds: 600 },
          at(new Date(now).toISOString()),
        );
        await createReservation(
          tx,
          { sku: 'REPORTED', quantity: 4, ttlSeconds: 5 },
          at(new Date(now - 10_000).toISOString()),
        );
      });
      const report = (filter?: 'allocated' | 'out') =>
        t.database.transact((tx) =>
          listStock(tx, {
            now: new Date().toISOString(),
            limit: 10,
            q: 'REPORTED',
            filter,
            lowStockThreshold: 0,
          }),
        );
      expect((await report()).items).toEqual([
        expect.objectContaining({ sku: 'REPORTED', location: 'W', onHand: 5, allocated: 1, available: 4 }),
      ]);
      expect((await report('out')).items).toEqual([]);
      // The dashboard counts 4 available: low (threshold 4), not out of stock.
      const d = await t.database.transact((tx) =>
        dashboard(tx, { now: new Date().toISOString(), lowStockThreshold: 4 }),
      );
      expect(d.lowStockItems.find((l) => l.sku === 'REPORTED')).toMatchObject({ available: 4 });
    });
  });
}
