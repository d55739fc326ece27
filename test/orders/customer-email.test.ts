/**
 * Customers match on the canonical form of their e-mail (`src/domain/email.ts`): a full-width or
 * trailing-dot spelling of a known address is the same customer, and finding orders by e-mail
 * understands it too. Migration 0016 brings customers made under the old, narrower key together.
 */
import { Migrator, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { getCustomer } from '../../src/app/customers/customers.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { listOrders } from '../../src/app/orders/list-orders.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { migrations } from '../../src/db/migrations/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });

for (const dialect of DIALECTS) {
  describe(`customer e-mails on ${dialect}`, () => {
    let t: TestDatabase | undefined;
    afterEach(async () => t?.drop());

    const stock = () =>
      t!.database.transact(async (tx) => {
        await createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' });
        await createSku(tx, { sku: 'FOOD', name: 'Food', priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku: 'FOOD', location: 'W', quantity: 10 }, ctx());
      });
    const order = (email: string, name?: string) =>
      t!.database.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: name === undefined ? { email } : { email, name },
            currency: 'USD',
            lines: [{ sku: 'FOOD', quantity: 1, unitPriceMinor: 100 }],
          },
          ctx(),
        ),
      );

    it('a full-width or trailing-dot spelling is the same customer, and finds their orders', async () => {
      t = await createTestDatabase(dialect);
      await stock();
      const first = await order('Ada@Example.com', 'Ada');
      const wide = await order('ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ');
      const dotted = await order('ada@example.com.');
      expect(wide.order.customer.id).toBe(first.order.customer.id);
      expect(dotted.order.customer.id).toBe(first.order.customer.id);
      expect(await t.database.db.selectFrom('customers').select('id').execute()).toHaveLength(1);
      // A new customer's address is kept tidied: no full-width forms, no trailing dot; its case kept.
      const ben = await order('ＢＥＮ@Example.com. ');
      expect(ben.order.customer.email).toBe('BEN@Example.com');
      const found = await t.database.transact((tx) =>
        listOrders(tx, { q: 'ＡＤＡ@example.com.', limit: 10 }),
      );
      expect(found.items.map((o) => o.id).sort()).toEqual(
        [first.order.id, wide.order.id, dotted.order.id].sort(),
      );
    });

    it('migration 0016 merges customers the old key kept apart into the first created (and 0017 marks free orders paid)', async () => {
      t = await createTestDatabase(dialect, { migrate: false });
      const migrator = new Migrator({
        db: t.database.db,
        provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
      });
      await migrator.migrateTo('0015-job-marks');
      const db = t.database.db;
      const customer = (id: string, email: string, name: string | null, at: string) => ({
        id,
        email,
        email_key: email.trim().toLowerCase(),
        name,
        created_at: at,
        updated_at: at,
      });
      await db
        .insertInto('customers')
        .values([
          customer('cus_1', 'ada@example.com', null, '2026-01-01T00:00:00.000Z'),
          customer('cus_2', 'ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'Ada', '2026-01-02T00:00:00.000Z'),
          customer('cus_3', 'Ada@Example.com.', 'Ada L.', '2026-01-03T00:00:00.000Z'),
          customer('cus_4', 'ＢＥＮ@example.com', 'Ben', '2026-01-04T00:00:00.000Z'),
        ])
        .execute();
      const address = (id: string, customer_id: string, address_key: string) => ({
        id,
        customer_id,
        address_key,
        address: JSON.stringify({ line1: address_key }),
        created_at: '2026-01-05T00:00:00.000Z',
      });
      await db
        .insertInto('customer_addresses')
        .values([
          address('adr_1', 'cus_1', 'home'),
          address('adr_2', 'cus_2', 'home'),
          address('adr_3', 'cus_3', 'work'),
        ])
        .execute();
      const orderRow = (id: string, customer_id: string, more: { status?: string; total?: number } = {}) => ({
        id,
        channel: 'web',
        external_id: null,
        customer_id,
        status: more.status ?? 'open',
        payment_status: 'unpaid',
        fulfillment_status: 'unallocated',
        on_shortage: 'reject' as const,
        currency: 'USD',
        shipping_address: null,
        subtotal_minor: more.total ?? 0,
        discount_minor: 0,
        shipping_minor: 0,
        tax_minor: 0,
        total_minor: more.total ?? 0,
        version: 1,
        created_at: '2026-01-05T00:00:00.000Z',
        updated_at: '2026-01-05T00:00:00.000Z',
      });
      await db
        .insertInto('orders')
        .values([
          orderRow('ord_1', 'cus_2'),
          orderRow('ord_2', 'cus_3', { status: 'cancelled' }),
          orderRow('ord_3', 'cus_4', { total: 500 }),
        ])
        .execute();

      const { error } = await migrator.migrateToLatest();
      expect(error).toBeUndefined();

      expect(
        await db.selectFrom('customers').select(['id', 'email_key', 'name']).orderBy('id').execute(),
      ).toEqual([
        { id: 'cus_1', email_key: 'ada@example.com', name: 'Ada' },
        { id: 'cus_4', email_key: 'ben@example.com', name: 'Ben' },
      ]);
      // 0017 too: an order that owes nothing is paid, unless it was cancelled.
      expect(
        await db.selectFrom('orders').select(['id', 'customer_id', 'payment_status']).orderBy('id').execute(),
      ).toEqual([
        { id: 'ord_1', customer_id: 'cus_1', payment_status: 'paid' },
        { id: 'ord_2', customer_id: 'cus_1', payment_status: 'unpaid' },
        { id: 'ord_3', customer_id: 'cus_4', payment_status: 'unpaid' },
      ]);
      expect(
        await db
          .selectFrom('customer_addresses')
          .select(['customer_id', 'address_key'])
          .orderBy('address_key')
          .execute(),
      ).toEqual([
        { customer_id: 'cus_1', address_key: 'home' },
        { customer_id: 'cus_1', address_key: 'work' },
      ]);
      const ada = await t.database.transact((tx) => getCustomer(tx, 'cus_1'));
      expect(ada.orderCount).toBe(1); // ord_2, now also Ada's, is cancelled: not counted
    });
  });
}
