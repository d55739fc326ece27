import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { verifyBalances } from '../../src/db/stock.repo.js';

for (const dialect of DIALECTS) {
  describe(`transfers on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    async function openTransfer(sku: string, from: string, to: string, quantity: number, lot?: string) {
      const r = await s.request('POST', '/api/v1/stock/movements', {
        type: 'transfer',
        sku,
        location: from,
        toLocation: to,
        quantity,
        ...(lot ? { lot } : {}),
      });
      expect(r.status).toBe(201);
      return r.body.transfer.id as string;
    }

    it('shows stock in transit as incoming at the destination, then receives it there for the same lot', async () => {
      const a = await makeLocation(s);
      const b = await makeLocation(s);
      const sku = await makeSku(s, { tracking: 'lot' });
      await receive(s, sku.sku, a.code, 10, { lot: 'L1', expiresOn: '2099-01-01' });
      const id = await openTransfer(sku.sku, a.code, b.code, 4, 'L1');

      const inTransit = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(inTransit.body.totals).toMatchObject({ onHand: 6, incoming: 4 });
      const dest = inTransit.body.locations.find((l: any) => l.location === b.code);
      expect(dest).toMatchObject({ onHand: 0, available: 0, incoming: 4, lots: [] });
      expect(inTransit.body.locations.find((l: any) => l.location === a.code).incoming).toBeUndefined();

      const got = await s.request('GET', `/api/v1/transfers/${id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        id,
        sku: sku.sku,
        lot: 'L1',
        fromLocation: a.code,
        toLocation: b.code,
        quantity: 4,
        status: 'in_transit',
        receivedAt: null,
      });
      expect(got.body.movements.map((m: any) => m.type)).toEqual(['transfer_out']);

      const received = await s.request('POST', `/api/v1/transfers/${id}/receive`);
      expect(received.status).toBe(200);
      expect(received.body.status).toBe('received');
      expect(received.body.receivedAt).toEqual(expect.any(String));
      expect(received.body.movements.map((m: any) => [m.type, m.location, m.lot, m.quantity])).toEqual([
        ['transfer_out', a.code, 'L1', -4],
        ['transfer_in', b.code, 'L1', 4],
      ]);

      const after = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(after.body.totals.onHand).toBe(10);
      expect(after.body.totals.incoming).toBeUndefined();
      const destAfter = after.body.locations.find((l: any) => l.location === b.code);
      expect(destAfter.onHand).toBe(4);
      expect(destAfter.lots.map((l: any) => [l.lot, l.onHand])).toEqual([['L1', 4]]);

      const again = await s.request('POST', `/api/v1/transfers/${id}/receive`);
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
      expect(again.body.code).toBe('INVALID_TRANSITION');
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('reconstructs incoming as of an instant while the transfer was in transit', async () => {
      const a = await makeLocation(s);
      const b = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, a.code, 5);
      const id = await openTransfer(sku.sku, a.code, b.code, 2);
      await new Promise((r) => setTimeout(r, 5));
      const during = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      expect((await s.request('POST', `/api/v1/transfers/${id}/receive`)).status).toBe(200);
      const past = await s.request('GET', `/api/v1/stock/${sku.sku}?asOf=${during}`);
      expect(past.body.totals).toMatchObject({ onHand: 3, incoming: 2 });
      expect(past.body.locations.find((l: any) => l.location === b.code)).toMatchObject({
        onHand: 0,
        incoming: 2,
      });
      const now = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(now.body.totals.onHand).toBe(5);
    });

    it('lets exactly one of 20 concurrent receipts of one transfer apply', async () => {
      const a = await makeLocation(s);
      const b = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, a.code, 7);
      const id = await openTransfer(sku.sku, a.code, b.code, 7);
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => s.request('POST', `/api/v1/transfers/${id}/receive`)),
      );
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses.filter((x) => x === 200)).toHaveLength(1);
      expect(statuses.filter((x) => x === 409)).toHaveLength(19);
      for (const r of replies.filter((x) => x.status === 409)) expect(r.body.code).toBe('INVALID_TRANSITION');
      const ins = await s.testDb.database.db
        .selectFrom('movements')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('reference_id', '=', id)
        .where('type', '=', 'transfer_in')
        .executeTakeFirstOrThrow();
      expect(Number(ins.n)).toBe(1);
      const stock = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(stock.body.locations.find((l: any) => l.location === b.code).onHand).toBe(7);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('lists transfers newest first by status and destination, with cursor pagination', async () => {
      const a = await makeLocation(s);
      const b = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, a.code, 50);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await openTransfer(sku.sku, a.code, b.code, i + 1));
      await s.request('POST', `/api/v1/transfers/${ids[0]}/receive`);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await s.request(
          'GET',
          `/api/v1/transfers?toLocation=${b.code}&status=in_transit&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((t: any) => t.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(ids.slice(1).reverse());

      const received = await s.request('GET', `/api/v1/transfers?sku=${sku.sku}&status=received`);
      expect(received.body.items.map((t: any) => t.id)).toEqual([ids[0]]);
      const none = await s.request('GET', '/api/v1/transfers?toLocation=NOWHERE');
      expect(none.body).toEqual({ items: [], nextCursor: null });
      const bad = await s.request('GET', '/api/v1/transfers?status=lost');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('status');
    });

    it('answers 404 for an unknown transfer and 403 when a readonly key tries to receive', async () => {
      const missing = await s.request('POST', '/api/v1/transfers/trf_nope/receive');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('NOT_FOUND');
      expect((await s.request('GET', '/api/v1/transfers/trf_nope')).status).toBe(404);
      const a = await makeLocation(s);
      const b = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, a.code, 1);
      const id = await openTransfer(sku.sku, a.code, b.code, 1);
      const readonly = await s.keyFor('readonly');
      const r = await s.request('POST', `/api/v1/transfers/${id}/receive`, undefined, { key: readonly });
      expect(r.status).toBe(403);
      expect((await s.request('GET', `/api/v1/transfers/${id}`, undefined, { key: readonly })).status).toBe(
        200,
      );
      expect((await s.request('GET', `/api/v1/transfers/${id}`)).body.status).toBe('in_transit');
    });
  });
}
