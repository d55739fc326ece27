/**
 * On PostgreSQL every statement is a round trip that wakes a backend, so capture counts them: an
 * order of a returning customer is six — begin (which takes the availability rules' lock shared in
 * the same round trip: TransactOptions in src/db/database.ts); the SKUs with the customer; the stock snapshot;
 * the conditional UPDATE of every balance; every INSERT in one statement; commit. A lot-tracked line
 * adds two: its (SKU, location) pairs locked, then read again for their stock.changed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { placeOrder, type PlaceOrderInput } from '../../src/app/orders/place-order.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });

describe.skipIf(!postgresAvailable)('round trips per order on postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await t.database.transact(async (tx) => {
      await createLocation(tx, { code: 'E', name: 'East', kind: 'warehouse' });
      await createLocation(tx, { code: 'W', name: 'West', kind: 'warehouse' });
      for (const sku of ['A', 'B', 'C']) {
        await createSku(tx, { sku, name: sku, priceMinor: 100 });
        await postMovement(tx, { type: 'receipt', sku, location: 'E', quantity: 100 }, ctx());
      }
      await postMovement(tx, { type: 'receipt', sku: 'C', location: 'W', quantity: 100 }, ctx());
      await createSku(tx, { sku: 'L', name: 'L', priceMinor: 100, tracking: 'lot' });
      for (const lot of ['L1', 'L2'])
        await postMovement(
          tx,
          { type: 'receipt', sku: 'L', location: 'E', quantity: 100, lot, expiresOn: '2099-12-31' },
          ctx(),
        );
    });
  });
  afterAll(() => t.drop());

  /** What each statement the driver sends while `work` runs does. */
  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = [];
    // The driver's own method, called on each client below and put back afterwards.
    const proto = pg.Client.prototype as unknown as { query: (this: pg.Client, ...a: unknown[]) => unknown };
    const query = proto.query;
    proto.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
      sent.push(
        /\bupdate "balances"/i.test(text)
          ? 'update balances'
          : /\binsert into/i.test(text)
            ? 'insert'
            : /^begin; select pg_advisory_xact_lock_shared\(/.test(text)
              ? 'begin'
              : text.trim().split(/\s+/)[0]!.toLowerCase(),
      );
      return query.apply(this, args);
    };
    try {
      await work();
    } finally {
      proto.query = query;
    }
    return sent;
  }

  const order = (lines: string[]): PlaceOrderInput => ({
    customer: { email: 'Returning@Example.com', name: 'Ada' },
    shippingAddress: { line1: '1 Main St', city: 'Town', postalCode: '1', country: 'US' },
    currency: 'USD',
    lines: lines.map((sku) => ({ sku, quantity: 1, unitPriceMinor: 100 })),
  });

  it('a returning customer’s order, one line or three, is six statements', async () => {
    const place = (lines: string[]) => t.database.transact((tx) => placeOrder(tx, order(lines), ctx()));
    await place(['A']); // creates the customer (one statement more: the upsert)
    for (const lines of [['A'], ['A', 'B', 'C']]) {
      expect(await statementsOf(() => place(lines))).toEqual([
        'begin',
        'select', // the SKUs, with the customer
        'select', // the stock snapshot
        'update balances', // every balance, conditionally
        'insert', // every INSERT, in one statement
        'commit',
      ]);
    }
  });
  it('an order with a lot-tracked line is two statements more: its pairs locked, then read again', async () => {
    // Another lot of the same (SKU, location) may change in another transaction at once, so the
    // pair's stock.changed is read after an advisory lock on the pair (exactStockChanged).
    const place = (lines: string[]) => t.database.transact((tx) => placeOrder(tx, order(lines), ctx()));
    await place(['A']);
    expect(await statementsOf(() => place(['A', 'L']))).toEqual([
      'begin',
      'select',
      'select',
      'update balances',
      'select', // the lot-tracked pairs' advisory locks
      'select', // their balance rows, read after the locks
      'insert',
      'commit',
    ]);
  });
});
