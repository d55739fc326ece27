/**
 * A lease stops counting at its expiry instant, whatever else is being tried on it. A capture
 * sweeping lapsed leases skips a lease another transaction holds (ADR 11); an extension, release or
 * conversion of a lease that had already lapsed used to lock it before refusing it, so on PostgreSQL
 * an order placed meanwhile for the stock it had held got 409 INSUFFICIENT_STOCK (over HTTP: 19
 * rounds in 20, with 30 extensions of the lapsed lease in flight). Here another transaction places
 * the order at the moment the refused command would hold the lease's lock (its `lockRow`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin, QueryId, RootOperationNode } from 'kysely';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { placeOrder } from '../../src/app/orders/place-order.js';
import {
  createReservation,
  extendReservation,
  releaseReservation,
} from '../../src/app/orders/reservations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { configFromEnv, openDatabase, type Database, type Tx } from '../../src/db/database.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';

const ctx = (iso: string) => ({ actor: 'test', requestId: null, at: iso });

/** Whether a statement is `lockRow`'s on a lease (`update reservations set id = id …`). */
const isLeaseLock = (node: RootOperationNode): boolean => {
  if (node.kind !== 'RawNode') return false;
  const text = node.sqlFragments.join('?');
  return (
    /^update \? set id = id where id = \?$/.test(text) && JSON.stringify(node).includes('"reservations"')
  );
};

for (const dialect of DIALECTS) {
  describe(`commands refused on a lapsed lease keep no hold on its stock, on ${dialect}`, () => {
    let t: TestDatabase;
    let other: Database;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      other = openDatabase(configFromEnv({ ...process.env, ...t.env }));
      await t.database.transact((tx) => createLocation(tx, { code: 'W', name: 'W', kind: 'warehouse' }));
    });
    afterAll(async () => {
      await other.close();
      await t.drop();
    });

    const order = (db: Database, sku: string, extra: { reservations?: string[] } = {}) =>
      db.transact((tx) =>
        placeOrder(
          tx,
          {
            customer: { email: 'a@example.com' },
            currency: 'USD',
            lines: [{ sku, quantity: 5, unitPriceMinor: 100 }],
            ...extra,
          },
          ctx(new Date().toISOString()),
        ),
      );

    /**
     * Runs `refused` (a command on a lapsed lease, which must fail) with another process's order for
     * the lease's 5 units placed while `refused` holds the lease's lock, if it ever takes it; else
     * right after. Returns how that order ended.
     */
    async function orderWhileRefused(sku: string, refused: (tx: Tx) => Promise<unknown>) {
      const locks = new Set<QueryId>();
      let placed: Promise<unknown> | null = null;
      const placeOnLock: KyselyPlugin = {
        transformQuery(args) {
          if (isLeaseLock(args.node)) locks.add(args.queryId);
          return args.node;
        },
        async transformResult(args) {
          if (locks.has(args.queryId) && placed === null) {
            placed = order(other, sku).then(
              () => 'placed',
              (e: unknown) => (e as { code?: string }).code ?? e,
            );
            await placed;
          }
          return args.result;
        },
      };
      await expect(t.database.transact((tx) => refused(tx.withPlugin(placeOnLock)))).rejects.toMatchObject({
        code: 'RESERVATION_EXPIRED',
      });
      placed ??= order(other, sku).then(
        () => 'placed',
        (e: unknown) => (e as { code?: string }).code ?? e,
      );
      return placed;
    }

    async function lapsedLease(sku: string) {
      return t.database.transact(async (tx) => {
        await createSku(tx, { sku, name: sku, priceMinor: 100 });
        await postMovement(
          tx,
          { type: 'receipt', sku, location: 'W', quantity: 5 },
          ctx(new Date().toISOString()),
        );
        // Lapsed ten seconds ago; no job runs here.
        const lease = await createReservation(
          tx,
          { sku, quantity: 5, ttlSeconds: 5 },
          ctx(new Date(Date.now() - 15_000).toISOString()),
        );
        return lease.id;
      });
    }

    it('an extension refused', async () => {
      const id = await lapsedLease('EXT');
      const now = () => ctx(new Date().toISOString());
      expect(await orderWhileRefused('EXT', (tx) => extendReservation(tx, id, 60, now()))).toBe('placed');
    });

    it('a release refused', async () => {
      const id = await lapsedLease('REL');
      const now = () => ctx(new Date().toISOString());
      expect(await orderWhileRefused('REL', (tx) => releaseReservation(tx, id, now()))).toBe('placed');
    });

    it('a conversion refused', async () => {
      const id = await lapsedLease('CONV');
      expect(
        await orderWhileRefused('CONV', (tx) =>
          placeOrder(
            tx,
            {
              customer: { email: 'b@example.com' },
              currency: 'USD',
              lines: [{ sku: 'CONV', quantity: 5, unitPriceMinor: 100 }],
              reservations: [id],
            },
            ctx(new Date().toISOString()),
          ),
        ),
      ).toBe('placed');
      expect(await stockAndOrderViolations(t.database.db)).toEqual([]);
    });
  });
}
