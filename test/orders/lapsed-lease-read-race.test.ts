/**
 * `GET /stock/{sku}` shows a lease past its expiry instant as holding nothing, before any job has
 * released it. Its balance read must not race that release: read in two statements (the balance,
 * then the lapsed allocations), a release committed in between by another process — or another
 * connection of the pool — left the lease counted as held, and the stock shown short (seen over
 * HTTP on PostgreSQL: a few reads in a hundred, right after 40 one-second leases lapsed).
 * Here the release is committed, through a second connection, right after the read's first
 * statement returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { createReservation, expireLeases } from '../../src/app/orders/reservations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { stockOf } from '../../src/app/stock/stock-view.js';
import { findSku } from '../../src/db/catalog.repo.js';
import { configFromEnv, openDatabase, type Database } from '../../src/db/database.js';
import { balancesOf } from '../../src/db/stock.repo.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const at = (iso: string) => ({ actor: 'test', requestId: null, at: iso });

for (const dialect of DIALECTS) {
  describe(`a stock read racing the lease-expiry job on ${dialect}`, () => {
    let t: TestDatabase;
    let other: Database;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      other = openDatabase(configFromEnv({ ...process.env, ...t.env }));
    });
    afterAll(async () => {
      await other.close();
      await t.drop();
    });

    it('never counts a lapsed lease as held, whenever the job releases it', async () => {
      const now = Date.now();
      const skuId = await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' });
        const sku = await createSku(tx, { sku: 'RACED', name: 'Raced', priceMinor: 100 });
        await postMovement(
          tx,
          { type: 'receipt', sku: 'RACED', location: 'W', quantity: 5 },
          at(new Date(now).toISOString()),
        );
        // Lapsed ten seconds ago; no job runs here.
        await createReservation(
          tx,
          { sku: 'RACED', quantity: 3, ttlSeconds: 5 },
          at(new Date(now - 15_000).toISOString()),
        );
        return sku.id;
      });

      // After the read's first statement, the expiry job (as another process would) releases it.
      let releases = 0;
      const releaseAfterFirstStatement: KyselyPlugin = {
        transformQuery: (args) => args.node,
        async transformResult(args) {
          if (releases++ === 0) await other.transact((tx) => expireLeases(tx, at(new Date().toISOString())));
          return args.result;
        },
      };
      const racing = t.database.db.withPlugin(releaseAfterFirstStatement);
      const rows = await balancesOf(racing, [skuId]);
      expect(releases).toBeGreaterThan(0);
      expect(rows.map((r) => ({ onHand: r.onHand, allocated: r.allocated }))).toEqual([
        { onHand: 5, allocated: 0 },
      ]);
      // And what GET /stock/{sku} answers, now the job has run.
      const sku = (await findSku(t.database.db, 'RACED'))!;
      expect((await stockOf(t.database.db, sku)).totals).toMatchObject({ allocated: 0, available: 5 });
    });
  });
}
