/**
 * Many buyers at once through a real server: exactly the stock is sold, no order is ever partly
 * allocated, no request gets a 5xx, and balances, allocation rows and the ledger agree afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';
import { startServer, type Reply, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

type Line = { sku: string; quantity: number };

const orderBody = (email: string, lines: readonly Line[], extra: Record<string, unknown> = {}) => ({
  customer: { email },
  currency: 'USD',
  onShortage: 'reject',
  lines: lines.map((l) => ({ ...l, unitPriceMinor: 1250 })),
  ...extra,
});

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const countOf = (replies: readonly Reply[], status: number) =>
  replies.filter((r) => r.status === status).length;

function expectNo5xx(replies: readonly Reply[]): void {
  const bad = replies.filter((r) => r.status >= 500);
  expect(bad.map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
}

for (const dialect of DIALECTS) {
  describe(`order races on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    const allocatedOf = async (sku: string) =>
      (await s.request('GET', `/api/v1/stock/${sku}`)).body.totals.allocated as number;
    const ordersOf = async (skuId: string) =>
      Number(
        (
          await s.testDb.database.db
            .selectFrom('order_lines')
            .select((eb) => eb.fn.count<number>('order_id').distinct().as('n'))
            .where('sku_id', '=', skuId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('200 concurrent buyers of a 50-unit SKU: exactly 50 orders, 150 × 409, allocated 50', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 50);
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          s.request(
            'POST',
            '/api/v1/orders',
            orderBody(`buyer${i % 20}@example.com`, [{ sku: sku.sku, quantity: 1 }]),
          ),
        ),
      );
      expectNo5xx(replies);
      expect(countOf(replies, 201)).toBe(50);
      expect(countOf(replies, 409)).toBe(150);
      for (const r of replies.filter((x) => x.status === 409)) {
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body.code).toBe('INSUFFICIENT_STOCK');
        expect(r.body.errors[0].field).toBe('lines.0.quantity');
      }
      const ids = replies.filter((r) => r.status === 201).map((r) => r.body.id as string);
      expect(new Set(ids).size).toBe(50);
      for (const r of replies.filter((x) => x.status === 201)) {
        expect(r.body.fulfillmentStatus).toBe('allocated');
        expect(r.body.lines[0].allocations).toEqual([
          { location: loc.code, lot: null, sku: sku.sku, quantity: 1 },
        ]);
      }
      expect(await allocatedOf(sku.sku)).toBe(50);
      expect(await ordersOf(sku.id)).toBe(50);
      expect((await s.request('GET', `/api/v1/stock/${sku.sku}`)).body.totals.available).toBe(0);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('stock split over locations and lots: buyers of 1–3 units never get more than exists', async () => {
      const locs = [await makeLocation(s), await makeLocation(s), await makeLocation(s)];
      const sku = await makeSku(s, { tracking: 'lot' });
      // 60 units in 5 balance rows: the router has to split and pick among them under contention.
      await receive(s, sku.sku, locs[0]!.code, 10, { lot: 'L1', expiresOn: '2099-01-01' });
      await receive(s, sku.sku, locs[0]!.code, 15, { lot: 'L2', expiresOn: '2099-06-01' });
      await receive(s, sku.sku, locs[1]!.code, 20, { lot: 'L1', expiresOn: '2099-01-01' });
      await receive(s, sku.sku, locs[2]!.code, 7, { lot: 'L3', expiresOn: '2098-01-01' });
      await receive(s, sku.sku, locs[2]!.code, 8, { lot: 'L1', expiresOn: '2099-01-01' });
      const rnd = prng(7);
      const wanted = Array.from({ length: 120 }, () => 1 + Math.floor(rnd() * 3));
      const replies = await Promise.all(
        wanted.map((quantity, i) =>
          s.request(
            'POST',
            '/api/v1/orders',
            orderBody(`split${i}@example.com`, [{ sku: sku.sku, quantity }]),
          ),
        ),
      );
      expectNo5xx(replies);
      expect(countOf(replies, 201) + countOf(replies, 409)).toBe(replies.length);
      let sold = 0;
      replies.forEach((r, i) => {
        if (r.status !== 201) return;
        const got = (r.body.lines[0].allocations as Array<{ quantity: number }>).reduce(
          (a, x) => a + x.quantity,
          0,
        );
        expect(got).toBe(wanted[i]);
        sold += got;
      });
      // Every rejected buyer wanted more than was left at the end (else it would have been served).
      const left = 60 - sold;
      replies.forEach((r, i) => {
        if (r.status === 409) expect(wanted[i]!).toBeGreaterThan(left);
      });
      expect(sold).toBeLessThanOrEqual(60);
      expect(sold).toBeGreaterThanOrEqual(58);
      expect(await allocatedOf(sku.sku)).toBe(sold);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('multi-line orders racing for overlapping SKUs in opposite order: no 5xx, no partial order', async () => {
      const loc = await makeLocation(s);
      const other = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      const c = await makeSku(s);
      const kit = await makeSku(s, {
        components: [
          { sku: a.sku, quantity: 1 },
          { sku: b.sku, quantity: 2 },
        ],
      });
      await receive(s, a.sku, loc.code, 40);
      await receive(s, b.sku, loc.code, 30);
      await receive(s, b.sku, other.code, 25);
      await receive(s, c.sku, other.code, 20);
      const rnd = prng(42);
      const q = () => 1 + Math.floor(rnd() * 3);
      const shapes: Array<() => Line[]> = [
        () => [
          { sku: a.sku, quantity: q() },
          { sku: b.sku, quantity: q() },
        ],
        () => [
          { sku: b.sku, quantity: q() },
          { sku: a.sku, quantity: q() },
        ],
        () => [
          { sku: c.sku, quantity: q() },
          { sku: b.sku, quantity: q() },
          { sku: a.sku, quantity: q() },
        ],
        () => [
          { sku: kit.sku, quantity: q() },
          { sku: a.sku, quantity: 1 },
        ],
        () => [
          { sku: b.sku, quantity: q() },
          { sku: kit.sku, quantity: 1 },
        ],
      ];
      const bodies = Array.from({ length: 100 }, (_, i) =>
        orderBody(
          `multi${i % 7}@example.com`,
          shapes[i % shapes.length]!(),
          i % 10 === 9 ? { onShortage: 'backorder' } : {},
        ),
      );
      const replies = await Promise.all(bodies.map((body) => s.request('POST', '/api/v1/orders', body)));
      expectNo5xx(replies);
      expect(countOf(replies, 201)).toBeGreaterThan(0);
      expect(countOf(replies, 409)).toBeGreaterThan(0);
      expect(countOf(replies, 201) + countOf(replies, 409)).toBe(replies.length);
      const kitParts = new Map([
        [a.sku, 1],
        [b.sku, 2],
      ]);
      replies.forEach((r, i) => {
        if (r.status === 409) {
          expect(r.body.code).toBe('INSUFFICIENT_STOCK');
          return;
        }
        const body = bodies[i]!;
        expect(r.body.lines).toHaveLength(body.lines.length);
        for (const [n, line] of (
          r.body.lines as Array<{
            sku: string;
            quantity: number;
            backordered: number;
            allocations: Array<{ sku: string; quantity: number }>;
          }>
        ).entries()) {
          expect(line.quantity).toBe(body.lines[n]!.quantity);
          if (body.onShortage === 'reject') expect(line.backordered).toBe(0);
          const units = line.quantity - line.backordered;
          const perUnit = line.sku === kit.sku ? kitParts : new Map([[line.sku, 1]]);
          for (const [part, k] of perUnit) {
            expect(
              line.allocations.filter((x) => x.sku === part).reduce((sum, x) => sum + x.quantity, 0),
            ).toBe(units * k);
          }
        }
      });
      const created = replies.filter((r) => r.status === 201).map((r) => r.body.id as string);
      const stored = await s.testDb.database.db
        .selectFrom('orders')
        .select('id')
        .where('id', 'in', created)
        .execute();
      expect(stored).toHaveLength(created.length);
      const [stockA, stockB, stockC] = await Promise.all(
        [a, b, c].map((x) => s.request('GET', `/api/v1/stock/${x.sku}`)),
      );
      expect(stockA!.body.totals.allocated).toBeLessThanOrEqual(40);
      expect(stockB!.body.totals.allocated).toBeLessThanOrEqual(55);
      expect(stockC!.body.totals.allocated).toBeLessThanOrEqual(20);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('the same channel order id sent 20 times at once without Idempotency-Key: one order', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 100);
      const body = orderBody('shop@example.com', [{ sku: sku.sku, quantity: 2 }], {
        channel: 'shopify',
        externalId: `#${sku.sku}`,
      });
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => s.request('POST', '/api/v1/orders', body)),
      );
      expectNo5xx(replies);
      const ok = replies.filter((r) => r.status >= 200 && r.status < 300);
      expect(ok).toHaveLength(20);
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
      expect(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
      expect(await allocatedOf(sku.sku)).toBe(2);
      expect(await ordersOf(sku.id)).toBe(1);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('one channel order id sent at once with different contents: one order, the others 409 DUPLICATE_ORDER', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 100);
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.request(
            'POST',
            '/api/v1/orders',
            orderBody('shop@example.com', [{ sku: sku.sku, quantity: 1 + i }], {
              channel: 'shopify',
              externalId: `#DIFF-${sku.sku}`,
            }),
          ),
        ),
      );
      expectNo5xx(replies);
      const created = replies.filter((r) => r.status === 201);
      expect(created).toHaveLength(1);
      const refused = replies.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(9);
      for (const r of refused) {
        expect(r.status).toBe(409);
        expect(r.body.code).toBe('DUPLICATE_ORDER');
        expect(r.body.orderId).toBe(created[0]!.body.id);
      }
      expect(await allocatedOf(sku.sku)).toBe(created[0]!.body.lines[0].quantity);
      expect(await ordersOf(sku.id)).toBe(1);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('buyers racing cancels, releases and leases on the same SKU keep every counter exact', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 30);
      const first = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.request(
            'POST',
            '/api/v1/orders',
            orderBody(`c${i}@example.com`, [{ sku: sku.sku, quantity: 1 }]),
          ),
        ),
      );
      expectNo5xx(first);
      const placed = first.filter((r) => r.status === 201).map((r) => r.body.id as string);
      const leases = await Promise.all(
        Array.from({ length: 8 }, () =>
          s.request('POST', '/api/v1/reservations', { sku: sku.sku, quantity: 1, ttlSeconds: 1 }),
        ),
      );
      expectNo5xx(leases);
      const leaseIds = leases.filter((r) => r.status === 201).map((r) => r.body.id as string);
      await new Promise((r) => setTimeout(r, 1100)); // the leases are now expired: every allocation sweeps them
      const mixed = await Promise.all([
        ...placed.map((id) => s.request('POST', `/api/v1/orders/${id}/cancel`, {})),
        ...placed.slice(0, 5).map((id) => s.request('POST', `/api/v1/orders/${id}/cancel`, {})),
        ...leaseIds.map((id) => s.request('POST', `/api/v1/reservations/${id}/release`)),
        ...Array.from({ length: 40 }, (_, i) =>
          s.request(
            'POST',
            '/api/v1/orders',
            orderBody(`d${i}@example.com`, [{ sku: sku.sku, quantity: 1 }]),
          ),
        ),
        ...Array.from({ length: 10 }, () =>
          s.request('POST', '/api/v1/reservations', { sku: sku.sku, quantity: 1, ttlSeconds: 60 }),
        ),
      ]);
      expectNo5xx(mixed);
      for (const r of mixed) expect([200, 201, 409, 412]).toContain(r.status);
      const stock = (await s.request('GET', `/api/v1/stock/${sku.sku}`)).body.totals;
      expect(stock.onHand).toBe(30);
      expect(stock.allocated).toBeLessThanOrEqual(30);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });
  });
}
