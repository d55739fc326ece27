/**
 * Two first orders of one new customer in overlapping transactions: the second waits on the first's
 * new customer row (PostgreSQL: on the unique index; SQLite: behind the first transaction), then
 * must use that row — one customer, both orders on it, the latest name kept, nothing failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { placeOrder, type PlaceOrderInput } from '../../src/app/orders/place-order.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });

for (const dialect of DIALECTS) {
  describe(`a new customer's overlapping first orders on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' });
        await createSku(tx, { sku: 'FOOD', name: 'Food', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'FOOD', location: 'W', quantity: 10 }, ctx());
      });
    });
    afterAll(() => t.drop());

    for (const [label, names] of [
      ['the same name', ['Ada', 'Ada']],
      ['another name', ['Ada', 'Ada L.']],
      ['no name second', ['Ada', undefined]],
    ] as const) {
      it(`second order with ${label}`, async () => {
        const email = `${label.replace(/\W/g, '')}@example.com`;
        const input = (name: string | undefined): PlaceOrderInput => ({
          customer: name === undefined ? { email } : { email, name },
          currency: 'USD',
          lines: [{ sku: 'FOOD', quantity: 1, unitPriceMinor: 100 }],
        });
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let firstWrote!: () => void;
        const wrote = new Promise<void>((resolve) => (firstWrote = resolve));
        // The first transaction creates the customer and stays open until the gate opens.
        const first = t.database.transact(async (tx) => {
          const placed = await placeOrder(tx, input(names[0]), ctx());
          firstWrote();
          await gate;
          return placed;
        });
        await wrote;
        const second = t.database.transact((tx) => placeOrder(tx, input(names[1]), ctx()));
        await new Promise((resolve) => setTimeout(resolve, 100)); // let the second reach the row
        release();
        const [a, b] = await Promise.all([first, second]);
        expect(b.order.customer.id).toBe(a.order.customer.id);
        expect(b.order.customer.name).toBe(names[1] ?? names[0]);
        const customers = await t.database.db
          .selectFrom('customers')
          .select(['id', 'name'])
          .where('email_key', '=', email)
          .execute();
        expect(customers).toEqual([{ id: a.order.customer.id, name: names[1] ?? names[0] }]);
      });
    }
  });
}
