/**
 * Orders at the edges of what one statement can carry: an allocation over more than 500 balances
 * (SQLite caps a compound SELECT at 500 terms) and more writes than PostgreSQL's 65,535 parameters
 * per statement. Both must work, stay exact, and leave the ledger verifiable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { verifyBalances } from '../../src/db/stock.repo.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });

for (const dialect of DIALECTS) {
  describe(`large orders on ${dialect}`, () => {
    let t: TestDatabase;
    const skus: string[] = [];
    const LINES = 130;
    const LOCATIONS = ['A', 'B', 'C', 'D'];
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      await t.database.transact(async (tx) => {
        for (const code of LOCATIONS) await createLocation(tx, { code, name: code, kind: 'warehouse' });
        for (let i = 0; i < LINES; i++) {
          const sku = `BIG-${i}`;
          await createSku(tx, { sku, name: sku, priceMinor: 100 });
          // One unit in each location: 4 units of a line must come from 4 balances.
          for (const location of LOCATIONS)
            await postMovement(tx, { type: 'receipt', sku, location, quantity: 1 }, ctx());
          skus.push(sku);
        }
      });
    });
    afterAll(() => t.drop());
    /** One order with a line of `quantity` for every SKU. */
    const orderAll = (email: string, quantity: number) =>
      t.database.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: { email },
            currency: 'USD',
            lines: skus.map((sku) => ({ sku, quantity, unitPriceMinor: 100 })),
          },
          ctx(),
        ),
      );

    it('allocates an order over 520 balances in one transaction, exactly', async () => {
      const { order } = await orderAll('big@example.com', 4);
      expect(order.lines).toHaveLength(LINES);
      expect(order.lines.every((l) => l.allocations.length === 4)).toBe(true);
      const allocated = await t.database.db
        .selectFrom('balances')
        .select((eb) => eb.fn.sum<number>('allocated').as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(allocated.n)).toBe(LINES * 4);
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });

    it('rejects the next order for the same stock and writes nothing', async () => {
      const before = await t.database.db.selectFrom('orders').select('id').execute();
      await expect(orderAll('late@example.com', 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
      expect(await t.database.db.selectFrom('orders').select('id').execute()).toEqual(before);
      expect(await verifyBalances(t.database.db)).toEqual([]);
    });
  });
}
