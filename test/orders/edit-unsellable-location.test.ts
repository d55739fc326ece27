/**
 * An order keeps the units it holds at a location taken off sale (`sellable: false`) since: it
 * would ship them from there as they are, so an edit that adds another line or reduces theirs takes
 * them back (preferring them, as held units anywhere) — up to what it held there, of the lots it
 * held, never more, and nothing new from that location. So does an order converting a lease there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { lastSeq } from '../helpers/outbox.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  describe(`editing an order holding stock at a location taken off sale on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    const place = async (lines: Array<{ sku: string; quantity: number }>) => {
      const r = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'buyer@example.com' },
        currency: 'USD',
        lines: lines.map((l) => ({ ...l, unitPriceMinor: 1000 })),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    const offSale = async (code: string) =>
      expect((await s.request('PATCH', `/api/v1/locations/${code}`, { sellable: false })).status).toBe(200);
    const stockEvents = async (from: number, sku: string, location: string) =>
      (
        await s.testDb.database.db
          .selectFrom('outbox')
          .select(['type', 'payload'])
          .where('seq', '>', from)
          .where('type', '=', 'stock.changed')
          .orderBy('seq')
          .execute()
      )
        .map((e) => JSON.parse(e.payload) as { sku: string; location: string })
        .filter((p) => p.sku === sku && p.location === location);

    it('with no stock elsewhere: keeps the lot it held there, takes no more and no other lot', async () => {
      const w1 = await makeLocation(s);
      const w2 = await makeLocation(s);
      const food = (await makeSku(s, { tracking: 'lot' })).sku;
      const toy = (await makeSku(s)).sku;
      await receive(s, food, w2.code, 5, { lot: 'L1', expiresOn: inDays(90) });
      await receive(s, toy, w1.code, 5);
      const id = await place([{ sku: food, quantity: 2 }]);
      // A lot expiring sooner, there too: first-expiry-first would take it, but the order never held it.
      await receive(s, food, w2.code, 4, { lot: 'L0', expiresOn: inDays(30) });
      await offSale(w2.code);

      const from = await lastSeq(s.testDb.database.db);
      const added = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 2 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      expect(added.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w2.code, lot: 'L1', quantity: 2 }),
      ]);
      expect(added.body.lines[1].allocations).toEqual([
        expect.objectContaining({ location: w1.code, quantity: 1 }),
      ]);
      // Availability there stays 0, as `GET /stock` says of a location off sale.
      const events = await stockEvents(from, food, w2.code);
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ onHand: 9, allocated: 2, quarantined: 0, available: 0 });

      const reduced = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 1 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(reduced.status, JSON.stringify(reduced.body)).toBe(200);
      expect(reduced.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w2.code, lot: 'L1', quantity: 1 }),
      ]);

      // More than it holds now is new stock from a location off sale: refused, nothing changes.
      const more = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 2 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(more.status).toBe(409);
      expect(more.body.code).toBe('INSUFFICIENT_STOCK');
      expect(more.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.quantity' })]);
      const stock = await s.request('GET', `/api/v1/stock/${food}`);
      expect(stock.body.totals).toMatchObject({ onHand: 9, allocated: 1, available: 0 });
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);

      // The unchanged order still ships from there.
      const shipped = await s.request('POST', `/api/v1/orders/${id}/ship`, {});
      expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    });

    it('with stock elsewhere: keeps its units where they are and takes nothing new there', async () => {
      const w1 = await makeLocation(s);
      const w2 = await makeLocation(s);
      const w3 = await makeLocation(s);
      const food = (await makeSku(s)).sku;
      const toy = (await makeSku(s)).sku;
      const ball = (await makeSku(s)).sku;
      await receive(s, food, w2.code, 5);
      const id = await place([{ sku: food, quantity: 2 }]);
      await receive(s, food, w1.code, 5);
      await receive(s, toy, w3.code, 5);
      await receive(s, ball, w2.code, 5);
      await offSale(w2.code);

      // Two shipments either way (the toy is only at W3): the held units stay at W2.
      const added = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 2 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      expect(added.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w2.code, quantity: 2 }),
      ]);
      const reduced = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 1 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(reduced.status, JSON.stringify(reduced.body)).toBe(200);
      expect(reduced.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w2.code, quantity: 1 }),
      ]);
      // One unit more: never a new one from W2. Keeping the one held there would take three
      // shipments; W1 and W3 make two, and fewer shipments come first, as at a sellable location.
      const grown = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 2 },
          { sku: toy, quantity: 1 },
        ],
      });
      expect(grown.status, JSON.stringify(grown.body)).toBe(200);
      expect(grown.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w1.code, quantity: 2 }),
      ]);
      // A SKU the order never held at W2 is not taken from there.
      const ball1 = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [
          { sku: food, quantity: 2 },
          { sku: toy, quantity: 1 },
          { sku: ball, quantity: 1 },
        ],
      });
      expect(ball1.status).toBe(409);
      expect(ball1.body.errors).toEqual([expect.objectContaining({ field: 'lines.2.quantity' })]);
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });

    it('a lease converted into an order keeps what it held there, and no more', async () => {
      const w2 = await makeLocation(s);
      const food = (await makeSku(s)).sku;
      await receive(s, food, w2.code, 5);
      const lease = async () => {
        const r = await s.request('POST', '/api/v1/reservations', {
          sku: food,
          quantity: 2,
          ttlSeconds: 600,
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return r.body.id as string;
      };
      const first = await lease();
      const second = await lease();
      await offSale(w2.code);
      const order = (quantity: number, reservation: string) =>
        s.request('POST', '/api/v1/orders', {
          customer: { email: 'buyer@example.com' },
          currency: 'USD',
          lines: [{ sku: food, quantity, unitPriceMinor: 1000 }],
          reservations: [reservation],
        });
      // One more than the lease held: refused, the lease stays as it was.
      const more = await order(3, first);
      expect(more.status).toBe(409);
      expect(more.body.code).toBe('INSUFFICIENT_STOCK');
      expect((await s.request('GET', `/api/v1/reservations/${first}`)).body.status).toBe('active');
      const placed = await order(2, first);
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect(placed.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w2.code, quantity: 2 }),
      ]);
      const fewer = await order(1, second);
      expect(fewer.status, JSON.stringify(fewer.body)).toBe(201);
      expect(fewer.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: w2.code, quantity: 1 }),
      ]);
      const stock = await s.request('GET', `/api/v1/stock/${food}`);
      expect(stock.body.totals).toMatchObject({ onHand: 5, allocated: 3, available: 0 });
      expect(await stockAndOrderViolations(s.testDb.database.db)).toEqual([]);
    });
  });
}
