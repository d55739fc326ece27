/**
 * PostgreSQL locks rows in the order a statement visits them. An order's allocation is one
 * `UPDATE … FROM`, whose plan may visit balances in heap order; it must still take its row locks in
 * key order, like every other writer, or two transactions can wait on each other in a cycle.
 */
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { allocateBalances } from '../../src/db/stock.repo.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });

describe.runIf(postgresAvailable)('allocation lock order on postgres', () => {
  let t: TestDatabase;
  const ids: string[] = [];
  let location = '';
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await t.database.transact(async (tx) => {
      location = (await createLocation(tx, { code: 'L0', name: 'L0', kind: 'warehouse' })).id;
      for (let i = 0; i < 50; i++) {
        const sku = await createSku(tx, { sku: `S${String(i).padStart(2, '0')}`, name: 'x', priceMinor: 1 });
        await postMovement(tx, { type: 'receipt', sku: sku.sku, location: 'L0', quantity: 1000 }, ctx());
        ids.push(sku.id);
      }
    });
    // Another movement on the lowest key moves its live row to the end of the heap, so a plan that
    // scans the (small) table visits it last.
    await t.database.transact((tx) =>
      postMovement(tx, { type: 'receipt', sku: 'S00', location: 'L0', quantity: 1 }, ctx()),
    );
    await sql`analyze balances`.execute(t.database.db);
  });
  afterAll(() => t?.drop());

  it('never deadlocks against a writer that locks the same balances in key order', async () => {
    const [first, second] = [...ids].sort();
    const other = new pg.Client({ connectionString: t.env['DATABASE_URL'] });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`update balances set allocated = allocated + 1 where sku_id = $1`, [first]);
      const allocation = t.database.db.transaction().execute((tx) =>
        allocateBalances(
          tx,
          [
            { skuId: first!, locationId: location, lotId: '', quantity: 1 },
            { skuId: second!, locationId: location, lotId: '', quantity: 1 },
          ],
          ctx().at,
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      // Without key-order locking the allocation holds `second` and waits for `first`: this waits
      // for `second` and PostgreSQL kills one of them with 40P01 after deadlock_timeout.
      await other.query(`update balances set allocated = allocated + 1 where sku_id = $1`, [second]);
      await other.query('commit');
      const counters = await allocation;
      expect(counters?.size).toBe(2);
    } finally {
      await other.end();
    }
  });
});
