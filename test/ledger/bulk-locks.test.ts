/**
 * PostgreSQL keeps every transaction-long advisory lock in a shared table of ~6,400 slots by
 * default: a CSV import of ~12,000 stock rows, one transaction taking a lock per (SKU, location),
 * ran it out ("out of shared memory"). A bulk command locks the table whole instead (`lockWhole`),
 * and its rows then take no advisory lock at all.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { lockWhole } from '../../src/db/row-lock.js';
import type { Tx } from '../../src/db/database.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });

describe.skipIf(!postgresAvailable)('bulk commands and advisory locks (postgres)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await t.database.transact(async (tx) => {
      await createLocation(tx, { code: 'E', name: 'East', kind: 'warehouse' });
      await createSku(tx, { sku: 'L', name: 'L', priceMinor: 100, tracking: 'lot' });
      await createSku(tx, {
        sku: 'G',
        name: 'G',
        priceMinor: 100,
        barcodes: ['4006381333931'],
      });
    });
  });
  afterAll(() => t.drop());

  /** Advisory locks this transaction holds, the availability rules' one (taken at BEGIN) aside. */
  const advisoryLocks = async (tx: Tx) =>
    -1 +
    Number(
      (
        await sql<{ n: string }>`select count(*) as n from pg_locks
          where locktype = 'advisory' and pid = pg_backend_pid()`.execute(tx)
      ).rows[0]!.n,
    );

  const receiveLots = async (tx: Tx) => {
    for (const lot of ['A', 'B', 'C'])
      await postMovement(
        tx,
        { type: 'receipt', sku: 'L', location: 'E', quantity: 5, lot, expiresOn: '2099-12-31' },
        ctx(),
      );
  };

  it('a stock change locks its (SKU, location) with an advisory lock', async () => {
    const held = await t.database.transact(async (tx) => {
      await receiveLots(tx);
      return advisoryLocks(tx);
    });
    expect(held).toBeGreaterThan(0);
  });

  it('with the balances locked whole, stock changes take no advisory lock', async () => {
    const held = await t.database.transact(async (tx) => {
      await lockWhole(tx, 'balances');
      await receiveLots(tx);
      return advisoryLocks(tx);
    });
    expect(held).toBe(0);
  });

  it('with the barcode tables locked whole, a new barcode takes no advisory lock', async () => {
    const held = await t.database.transact(async (tx) => {
      await lockWhole(tx, 'barcodes');
      await createSku(tx, { sku: 'H', name: 'H', priceMinor: 100, barcodes: ['9780306406157'] });
      return advisoryLocks(tx);
    });
    expect(held).toBe(0);
  });
});
