/**
 * Durability: `kill -9` of a real server (dist/ through bin/kibble.js) in the middle of a stream
 * of order captures. After a restart on the same database every order that got a 201 exists,
 * requests whose answer was lost can be retried with their Idempotency-Key to exactly one order,
 * and the ledger, balances and allocation rows still agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';
import { ensureBuilt, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { verifyBalances } from '../../src/db/stock.repo.js';

const CONCURRENCY = 16;
const LOAD_MS = 2000;

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

for (const dialect of DIALECTS) {
  describe(`kill -9 under load on ${dialect}`, () => {
    let testDb: TestDatabase;
    let server: ServerProcess | null = null;
    let direct: Database | null = null;

    beforeAll(async () => {
      testDb = await createTestDatabase(dialect);
      // The server process owns the database; the test opens its own connection after the crash.
      await testDb.database.close();
    });
    afterAll(async () => {
      await server?.stop();
      await direct?.close().catch(() => undefined);
      await testDb?.drop();
    });

    it('every acknowledged order survives, and lost answers retry to exactly one order', async () => {
      server = await spawnServer(testDb.env);
      const setup = server;
      expect(
        (await setup.request('POST', '/api/v1/locations', { code: 'WH-1', name: 'Main', kind: 'warehouse' }))
          .status,
      ).toBe(201);
      expect(
        (
          await setup.request('POST', '/api/v1/locations', {
            code: 'WH-2',
            name: 'Second',
            kind: 'warehouse',
          })
        ).status,
      ).toBe(201);
      for (const [sku, loc, qty] of [
        ['KIBBLE-A', 'WH-1', 100_000],
        ['KIBBLE-B', 'WH-1', 50_000],
        ['KIBBLE-B', 'WH-2', 50_000],
      ] as const) {
        if (loc === 'WH-1')
          expect(
            (await setup.request('POST', '/api/v1/skus', { sku, name: sku, priceMinor: 500 })).status,
          ).toBe(201);
        expect(
          (
            await setup.request('POST', '/api/v1/stock/movements', {
              type: 'receipt',
              sku,
              location: loc,
              quantity: qty,
            })
          ).status,
        ).toBe(201);
      }

      const bodyOf = (n: number) => ({
        customer: { email: `crash${n % 13}@example.com` },
        currency: 'USD',
        lines:
          n % 3 === 0
            ? [{ sku: 'KIBBLE-A', quantity: 1 + (n % 4), unitPriceMinor: 500 }]
            : [
                { sku: 'KIBBLE-B', quantity: 2, unitPriceMinor: 450 },
                { sku: 'KIBBLE-A', quantity: 1, unitPriceMinor: 500 },
              ],
      });
      const acknowledged = new Map<string, string>(); // idempotency key → order id
      const unanswered = new Map<string, number>(); // idempotency key → body number
      const otherStatuses: number[] = [];
      let next = 0;
      let killed = false;
      const target = server;
      const worker = async () => {
        while (!killed) {
          const n = next++;
          const key = `crash-${dialect}-${n}`;
          try {
            const r = await target.request('POST', '/api/v1/orders', bodyOf(n), { 'idempotency-key': key });
            if (r.status === 201) acknowledged.set(key, r.body.id as string);
            else otherStatuses.push(r.status);
          } catch {
            unanswered.set(key, n); // the connection died with the server: outcome unknown
          }
        }
      };
      const workers = Array.from({ length: CONCURRENCY }, worker);
      await new Promise((r) => setTimeout(r, LOAD_MS));
      killed = true;
      await server.kill9();
      await Promise.all(workers);
      server = null;

      expect(otherStatuses).toEqual([]);
      expect(acknowledged.size).toBeGreaterThan(20);

      // Straight from the database, before anything restarts: acknowledged orders are there.
      direct = openDatabase(
        testDb.dialect === 'sqlite'
          ? { dialect: 'sqlite', file: testDb.env['KIBBLE_DB']! }
          : { dialect: 'postgres', url: testDb.env['DATABASE_URL']! },
      );
      const stored = new Set((await direct.db.selectFrom('orders').select('id').execute()).map((o) => o.id));
      const missing = [...acknowledged.values()].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(await verifyBalances(direct.db)).toEqual([]);
      expect(await stockAndOrderViolations(direct.db)).toEqual([]);

      // Restart on the same database.
      server = await spawnServer(testDb.env);
      const restarted = server;
      const ids = [...acknowledged.values()];
      for (let i = 0; i < ids.length; i += 32) {
        const replies = await Promise.all(
          ids.slice(i, i + 32).map((id) => restarted.request('GET', `/api/v1/orders/${id}`)),
        );
        for (const r of replies) {
          expect(r.status).toBe(200);
          expect(r.body.fulfillmentStatus).toBe('allocated');
        }
      }
      // Clients retry the requests whose answer they never got: each ends as exactly one order.
      for (const [key, n] of unanswered) {
        const r = await restarted.request('POST', '/api/v1/orders', bodyOf(n), { 'idempotency-key': key });
        expect(r.status).toBe(201);
        acknowledged.set(key, r.body.id as string);
      }
      const orders = await direct.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(orders.n)).toBe(acknowledged.size);
      expect(new Set(acknowledged.values()).size).toBe(acknowledged.size);
      expect(await stockAndOrderViolations(direct.db)).toEqual([]);
      const stock = await restarted.request('GET', '/api/v1/stock/KIBBLE-A');
      const allocatedA = await direct.db
        .selectFrom('allocations')
        .innerJoin('skus', 'skus.id', 'allocations.sku_id')
        .select((eb) => eb.fn.sum<number>('allocations.quantity').as('q'))
        .where('skus.sku', '=', 'KIBBLE-A')
        .executeTakeFirstOrThrow();
      expect(stock.body.totals.allocated).toBe(Number(allocatedA.q));
    });
  });
}
