/**
 * On PostgreSQL an import that may change a rule of availability (a SKU's active flag, a
 * location's sellable flag, a bundle) runs as a rules change: it waits for the writes in flight and
 * holds new ones back until it commits (TransactOptions.changesRules, ADR 11). One that cannot —
 * names, prices, barcodes — must not: orders go on while it runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/databases.js';
import { assertBuilt, kibble } from '../helpers/cli.js';

describe.skipIf(!postgresAvailable)('CSV imports and the availability rules lock (postgres)', () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'kibble-rules-'));
    t = await createTestDatabase('postgres');
    await t.database.transact((tx) => createSku(tx, { sku: 'TOY', name: 'Toy', priceMinor: 100 }));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A write transaction held open (it holds the rules lock shared, as every write does). */
  function holdAWrite(): () => Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const held = t.database.transact(async () => released);
    return async () => {
      release();
      await held;
    };
  }

  it('names and prices import while a write is in flight', async () => {
    const release = holdAWrite();
    try {
      writeFileSync(join(dir, 'names.csv'), 'sku,name,priceMinor\nTOY,Squeaky toy,150\n');
      const r = await kibble(['import', 'skus', join(dir, 'names.csv')], { env: t.env, timeoutMs: 20_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      await release();
    }
  });

  it('an active flag waits for the write in flight, then applies', async () => {
    const release = holdAWrite();
    writeFileSync(join(dir, 'active.csv'), 'sku,active\nTOY,false\n');
    let done = false;
    const run = kibble(['import', 'skus', join(dir, 'active.csv')], { env: t.env, timeoutMs: 30_000 }).then(
      (r) => {
        done = true;
        return r;
      },
    );
    await new Promise((r) => setTimeout(r, 2_500));
    expect(done).toBe(false);
    await release();
    const r = await run;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const row = await t.database.db
      .selectFrom('skus')
      .select('active')
      .where('sku', '=', 'TOY')
      .executeTakeFirst();
    expect(row?.active).toBe(0);
  });
});
