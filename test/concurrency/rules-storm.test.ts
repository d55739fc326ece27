/**
 * Rule changes (a location's sellable flag, safety stock, a SKU's active flag) racing order capture
 * over two server processes on one PostgreSQL database. Every write takes the availability rules'
 * lock shared and every rule change takes it exclusively (ADR 11): this guards that doing so never
 * stalls nor fails a request across processes (no 5xx, well within the time), that the newest
 * `stock.changed` of every pair agrees with `GET /stock` when the storm is over, and every
 * invariant. The race the lock closes is caught in process, round by round, by
 * `rule-events-race.test.ts` (this end state passed without the lock too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';
import { ensureBuilt, spawnServer, type ServerProcess } from '../helpers/server-process.js';

const describePg = DIALECTS.includes('postgres') ? describe : describe.skip;
const SKUS = ['STORM-A', 'STORM-B', 'STORM-C'];

describePg('rule changes racing orders over two processes (postgres)', () => {
  let testDb: TestDatabase;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    testDb = await createTestDatabase('postgres');
    servers = await Promise.all([spawnServer(testDb.env), spawnServer(testDb.env)]);
    const s = servers[0]!;
    for (const code of ['WH-1', 'WH-2'])
      expect(
        (await s.request('POST', '/api/v1/locations', { code, name: code, kind: 'warehouse' })).status,
      ).toBe(201);
    for (const sku of SKUS) {
      expect((await s.request('POST', '/api/v1/skus', { sku, name: sku, priceMinor: 100 })).status).toBe(201);
      for (const location of ['WH-1', 'WH-2'])
        await s.request('POST', '/api/v1/stock/movements', { type: 'receipt', sku, location, quantity: 500 });
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(servers.map((p) => p.stop()));
    await testDb?.drop();
  });

  it('no 5xx, and the newest event of every pair agrees with GET /stock', async () => {
    const statuses: number[] = [];
    const started = Date.now();
    const buyers = Array.from({ length: 12 }, async (_, b) => {
      for (let i = 0; i < 15; i++) {
        const s = servers[(b + i) % servers.length]!;
        const r = await s.request('POST', '/api/v1/orders', {
          customer: { email: `storm${b}@example.com` },
          currency: 'USD',
          onShortage: 'backorder',
          lines: [
            { sku: SKUS[(b + i) % 3]!, quantity: 1, unitPriceMinor: 100 },
            { sku: SKUS[(b + i + 1) % 3]!, quantity: 2, unitPriceMinor: 100 },
          ],
        });
        statuses.push(r.status);
      }
    });
    const rules = (async () => {
      for (let i = 0; i < 30; i++) {
        const s = servers[i % servers.length]!;
        const sku = SKUS[i % 3]!;
        const r =
          i % 3 === 0
            ? await s.request('PATCH', '/api/v1/locations/WH-1', { sellable: i % 2 === 0 })
            : i % 3 === 1
              ? await s.request('PUT', `/api/v1/stock/${sku}/safety-stock/WH-2`, { quantity: i % 5 })
              : await s.request('PATCH', `/api/v1/skus/${sku}`, { active: i % 4 !== 2 });
        statuses.push(r.status);
      }
    })();
    await Promise.all([...buyers, rules]);
    const seconds = (Date.now() - started) / 1000;
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(seconds).toBeLessThan(60);

    // The newest event of every pair, as the storm left it, against the stock view.
    const s = servers[0]!;
    const rows = await testDb.database.db
      .selectFrom('outbox')
      .select(['seq', 'payload'])
      .where('type', '=', 'stock.changed')
      .orderBy('seq')
      .execute();
    const newest = new Map<string, { onHand: number; allocated: number; available: number }>();
    for (const r of rows) {
      const p = JSON.parse(r.payload) as {
        sku: string;
        location: string;
        onHand: number;
        allocated: number;
        available: number;
      };
      newest.set(`${p.sku}@${p.location}`, {
        onHand: p.onHand,
        allocated: p.allocated,
        available: p.available,
      });
    }
    const stale: string[] = [];
    for (const sku of SKUS) {
      const stock = (await s.request('GET', `/api/v1/stock/${sku}`)).body as {
        locations: Array<{ location: string; onHand: number; allocated: number; available: number }>;
      };
      for (const l of stock.locations) {
        const want = { onHand: l.onHand, allocated: l.allocated, available: l.available };
        const got = newest.get(`${sku}@${l.location}`);
        if (JSON.stringify(got) !== JSON.stringify(want))
          stale.push(`${sku}@${l.location}: event ${JSON.stringify(got)}, stock ${JSON.stringify(want)}`);
      }
    }
    expect(stale).toEqual([]);
    expect(await stockAndOrderViolations(testDb.database.db)).toEqual([]);
  }, 120_000);
});
