/**
 * Scale-out: four real `kibble serve` processes (the built dist/ through bin/kibble.js) on ONE
 * PostgreSQL database. No oversell across processes, one order per Idempotency-Key even when the
 * retries land on different processes, and no serialization failure or deadlock reaching a client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';
import { ensureBuilt, spawnServer, type ServerProcess } from '../helpers/server-process.js';
import type { Reply } from '../helpers/server.js';

const PROCESSES = 4;

const describePg = DIALECTS.includes('postgres') ? describe : describe.skip;

describePg('four server processes on one PostgreSQL database', () => {
  let testDb: TestDatabase;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    testDb = await createTestDatabase('postgres');
    // All four start at once, as a deployment would start them (migrations and the preset admin key
    // are applied by whichever gets there first).
    servers = await Promise.all(Array.from({ length: PROCESSES }, () => spawnServer(testDb.env)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(servers.map((p) => p.stop()));
    await testDb?.drop();
  });

  const expectNo5xx = (replies: readonly Reply[]) =>
    expect(
      replies.filter((r) => r.status >= 500).map((r) => `${r.status} ${JSON.stringify(r.body)}`),
    ).toEqual([]);

  async function setUpSku(units: number, suffix: string): Promise<string> {
    const s = servers[0]!;
    const loc = await s.request('POST', '/api/v1/locations', {
      code: `WH-${suffix}`,
      name: 'Warehouse',
      kind: 'warehouse',
    });
    expect(loc.status).toBe(201);
    const sku = await s.request('POST', '/api/v1/skus', {
      sku: `SKU-${suffix}`,
      name: 'Cat food',
      priceMinor: 999,
    });
    expect(sku.status).toBe(201);
    const rec = await s.request('POST', '/api/v1/stock/movements', {
      type: 'receipt',
      sku: `SKU-${suffix}`,
      location: `WH-${suffix}`,
      quantity: units,
    });
    expect(rec.status).toBe(201);
    return `SKU-${suffix}`;
  }

  const body = (sku: string, email: string) => ({
    customer: { email },
    currency: 'USD',
    onShortage: 'reject',
    lines: [{ sku, quantity: 1, unitPriceMinor: 999 }],
  });

  it('200 buyers of a 50-unit SKU spread round-robin over 4 processes: exactly 50 orders', async () => {
    const sku = await setUpSku(50, 'RACE');
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        servers[i % PROCESSES]!.request('POST', '/api/v1/orders', body(sku, `buyer${i % 25}@example.com`)),
      ),
    );
    expectNo5xx(replies);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(50);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(150);
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.code).toBe('INSUFFICIENT_STOCK');
    // Every process sold some: the race really was across processes.
    const perProcess = servers.map(
      (_, p) => replies.filter((r, i) => i % PROCESSES === p && r.status === 201).length,
    );
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(50);
    const stock = await servers[3]!.request('GET', `/api/v1/stock/${sku}`);
    expect(stock.body.totals).toMatchObject({ onHand: 50, allocated: 50, available: 0 });
    const orders = await testDb.database.db
      .selectFrom('order_lines')
      .innerJoin('skus', 'skus.id', 'order_lines.sku_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('skus.sku', '=', sku)
      .executeTakeFirstOrThrow();
    expect(Number(orders.n)).toBe(50);
    expect(await stockAndOrderViolations(testDb.database.db)).toEqual([]);
  });

  it('one Idempotency-Key sent to all 4 processes at once (5 times each): one order, one id', async () => {
    const sku = await setUpSku(10, 'IDEM');
    const order = body(sku, 'idem@example.com');
    const headers = { 'idempotency-key': 'checkout-4711' };
    const replies = await Promise.all(
      Array.from({ length: PROCESSES * 5 }, (_, i) =>
        servers[i % PROCESSES]!.request('POST', '/api/v1/orders', order, headers),
      ),
    );
    expectNo5xx(replies);
    // One order. Within a process a duplicate of the request in flight is told to retry (409);
    // across processes the key's unique index makes it wait for the first and replay it.
    const ok = replies.filter((r) => r.status === 201);
    const busy = replies.filter((r) => r.status === 409);
    expect(ok.length + busy.length).toBe(replies.length);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
    // Replays from any process return the same order; another body under the key is a 422.
    for (const s of servers) {
      const again = await s.request('POST', '/api/v1/orders', order, headers);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(ok[0]!.body.id);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    const other = await servers[2]!.request(
      'POST',
      '/api/v1/orders',
      { ...order, lines: [{ sku, quantity: 2, unitPriceMinor: 999 }] },
      headers,
    );
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const stock = await servers[1]!.request('GET', `/api/v1/stock/${sku}`);
    expect(stock.body.totals.allocated).toBe(1);
    expect(await stockAndOrderViolations(testDb.database.db)).toEqual([]);
  });

  it('multi-line orders in opposite SKU order across processes: no deadlock reaches a client', async () => {
    const a = await setUpSku(60, 'DLA');
    const b = await setUpSku(60, 'DLB');
    const replies = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        servers[i % PROCESSES]!.request('POST', '/api/v1/orders', {
          customer: { email: `dl${i}@example.com` },
          currency: 'USD',
          lines: (i % 2 === 0 ? [a, b] : [b, a]).map((sku, n) => ({
            sku,
            quantity: 1 + ((i + n) % 2),
            unitPriceMinor: 500,
          })),
        }),
      ),
    );
    expectNo5xx(replies);
    for (const r of replies) expect([201, 409]).toContain(r.status);
    for (const r of replies.filter((x) => x.status === 201)) {
      for (const line of r.body.lines) {
        expect(line.allocations.reduce((s: number, x: { quantity: number }) => s + x.quantity, 0)).toBe(
          line.quantity,
        );
      }
    }
    expect(await stockAndOrderViolations(testDb.database.db)).toEqual([]);
  });
});
