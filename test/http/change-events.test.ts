/**
 * Changes that are not stock movements still write their domain events, in the same transaction:
 * availability changes (safety stock, a location's sellable flag, a SKU's active flag or minimum
 * remaining shelf life) write `stock.changed` for every (SKU, location) they can move, with the
 * figure `GET /stock/{sku}` reports; catalog, location and access changes write plain events with
 * no secrets. A rejected request writes none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq } from '../helpers/outbox.js';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive, uniqueCode } from '../factories/catalog.js';

type Event = { type: string; aggregateType: string; aggregateId: string; payload: any };

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  describe(`change events on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => {
      await s?.close();
    });

    const mark = () => lastSeq(s.testDb.database.db);

    async function eventsAfter(seq: number): Promise<Event[]> {
      const rows = await s.testDb.database.db
        .selectFrom('outbox')
        .select(['type', 'aggregate_type', 'aggregate_id', 'payload'])
        .where('seq', '>', seq)
        .orderBy('seq')
        .execute();
      return rows.map((r) => ({
        type: r.type,
        aggregateType: r.aggregate_type,
        aggregateId: r.aggregate_id,
        payload: JSON.parse(r.payload),
      }));
    }

    /** What `GET /stock/{sku}` reports as available at `location`. */
    async function reported(sku: string, location: string): Promise<number> {
      const r = await s.request('GET', `/api/v1/stock/${encodeURIComponent(sku)}`);
      expect(r.status).toBe(200);
      return r.body.locations.find((l: { location: string }) => l.location === location).available;
    }

    /** Sends a request that must fail with `status` and write no event. */
    async function rejected(status: number, method: string, path: string, body?: unknown, headers = {}) {
      const before = await mark();
      const r = await s.request(method, path, body, { headers });
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(await eventsAfter(before)).toEqual([]);
    }

    it('setting safety stock writes safety_stock.set and the pair’s new availability', async () => {
      const loc = await makeLocation(s);
      const other = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 10);
      await receive(s, sku.sku, other.code, 4);
      const from = await mark();
      const path = `/api/v1/stock/${sku.sku}/safety-stock/${loc.code}`;
      const r = await s.request('PUT', path, { quantity: 3 });
      expect(r.status).toBe(200);
      expect(await eventsAfter(from)).toEqual([
        {
          type: 'safety_stock.set',
          aggregateType: 'sku',
          aggregateId: sku.id,
          payload: { sku: sku.sku, location: loc.code, quantity: 3 },
        },
        {
          type: 'stock.changed',
          aggregateType: 'sku',
          aggregateId: sku.id,
          payload: {
            sku: sku.sku,
            location: loc.code,
            onHand: 10,
            allocated: 0,
            quarantined: 0,
            available: 7,
          },
        },
      ]);
      expect(await reported(sku.sku, loc.code)).toBe(7);
      // The same quantity again changes nothing and says nothing.
      const again = await mark();
      expect((await s.request('PUT', path, { quantity: 3 })).status).toBe(200);
      expect(await eventsAfter(again)).toEqual([]);

      await rejected(400, 'PUT', path, { quantity: -1 });
      await rejected(400, 'PUT', path, { quantity: 1, extra: true });
      await rejected(422, 'PUT', `/api/v1/stock/${sku.sku}/safety-stock/NOWHERE-${uniqueCode('X')}`, {
        quantity: 1,
      });
    });

    it('safety stock where the SKU holds nothing writes safety_stock.set alone', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      const from = await mark();
      const r = await s.request('PUT', `/api/v1/stock/${sku.sku}/safety-stock/${loc.code}`, { quantity: 5 });
      expect(r.status).toBe(200);
      expect((await eventsAfter(from)).map((e) => e.type)).toEqual(['safety_stock.set']);
    });

    it('flipping a location’s sellable flag writes stock.changed for every SKU with stock there', async () => {
      const loc = await makeLocation(s);
      const elsewhere = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      const spent = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      await receive(s, b.sku, loc.code, 5);
      await receive(s, a.sku, elsewhere.code, 8);
      await receive(s, spent.sku, loc.code, 2);
      const gone = await s.request('POST', '/api/v1/stock/movements', {
        type: 'adjustment',
        sku: spent.sku,
        location: loc.code,
        quantity: -2,
        reason: 'damaged',
      });
      expect(gone.status, JSON.stringify(gone.body)).toBe(201);
      await s.request('PUT', `/api/v1/stock/${b.sku}/safety-stock/${loc.code}`, { quantity: 2 });

      const payload = (sku: string, onHand: number, available: number) => ({
        sku,
        location: loc.code,
        onHand,
        allocated: 0,
        quarantined: 0,
        available,
      });
      const bySku = (x: Event, y: Event) => (x.payload.sku < y.payload.sku ? -1 : 1);

      let from = await mark();
      const off = await s.request('PATCH', `/api/v1/locations/${loc.code}`, { sellable: false });
      expect(off.status).toBe(200);
      const [updated, ...changed] = await eventsAfter(from);
      expect(updated).toEqual({
        type: 'location.updated',
        aggregateType: 'location',
        aggregateId: loc.id,
        payload: { code: loc.code, version: 2, changed: ['sellable'], sellable: false },
      });
      // Not the SKU with nothing left there, not the other location.
      expect(changed).toEqual(
        [
          { type: 'stock.changed', aggregateType: 'sku', aggregateId: a.id, payload: payload(a.sku, 10, 0) },
          { type: 'stock.changed', aggregateType: 'sku', aggregateId: b.id, payload: payload(b.sku, 5, 0) },
        ].sort(bySku),
      );
      expect(await reported(a.sku, loc.code)).toBe(0);
      expect(await reported(b.sku, loc.code)).toBe(0);

      // Setting the flag it already has flips nothing: no stock.changed.
      from = await mark();
      expect((await s.request('PATCH', `/api/v1/locations/${loc.code}`, { sellable: false })).status).toBe(
        200,
      );
      expect((await eventsAfter(from)).map((e) => e.type)).toEqual(['location.updated']);

      from = await mark();
      expect((await s.request('PATCH', `/api/v1/locations/${loc.code}`, { sellable: true })).status).toBe(
        200,
      );
      const back = (await eventsAfter(from)).filter((e) => e.type === 'stock.changed');
      expect(back.map((e) => e.payload)).toEqual(
        [payload(a.sku, 10, 10), payload(b.sku, 5, 3)].sort((x, y) => (x.sku < y.sku ? -1 : 1)),
      );
      expect(await reported(b.sku, loc.code)).toBe(3);

      // A name change is a location.updated alone.
      from = await mark();
      expect((await s.request('PATCH', `/api/v1/locations/${loc.code}`, { name: 'Renamed' })).status).toBe(
        200,
      );
      expect(await eventsAfter(from)).toEqual([
        {
          type: 'location.updated',
          aggregateType: 'location',
          aggregateId: loc.id,
          payload: { code: loc.code, version: 5, changed: ['name'], sellable: true },
        },
      ]);

      await rejected(400, 'PATCH', `/api/v1/locations/${loc.code}`, { sellable: 'no' });
      await rejected(404, 'PATCH', `/api/v1/locations/NOWHERE-${uniqueCode('X')}`, { sellable: false });
      await rejected(
        412,
        'PATCH',
        `/api/v1/locations/${loc.code}`,
        { sellable: false },
        { 'if-match': '"1"' },
      );
      expect(await reported(a.sku, loc.code)).toBe(10);
    });

    it('a SKU’s minimum remaining shelf life and active flag write stock.changed at each of its locations', async () => {
      const near = await makeLocation(s);
      const far = await makeLocation(s);
      const sku = await makeSku(s, { tracking: 'lot' });
      await receive(s, sku.sku, near.code, 6, { lot: 'SOON', expiresOn: inDays(10) });
      await receive(s, sku.sku, near.code, 4, { lot: 'LATER', expiresOn: inDays(100) });
      await receive(s, sku.sku, far.code, 3, { lot: 'SOON', expiresOn: inDays(10) });
      const payload = (location: string, onHand: number, available: number) => ({
        sku: sku.sku,
        location,
        onHand,
        allocated: 0,
        quarantined: 0,
        available,
      });
      const byLocation = (x: { location: string }, y: { location: string }) =>
        x.location < y.location ? -1 : 1;

      let from = await mark();
      const r = await s.request('PATCH', `/api/v1/skus/${sku.sku}`, { minRemainingShelfLifeDays: 30 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const [updated, ...changed] = await eventsAfter(from);
      expect(updated).toEqual({
        type: 'sku.updated',
        aggregateType: 'sku',
        aggregateId: sku.id,
        payload: {
          sku: sku.sku,
          version: 2,
          changed: ['minRemainingShelfLifeDays'],
          active: true,
          minRemainingShelfLifeDays: 30,
        },
      });
      expect(changed.every((e) => e.type === 'stock.changed' && e.aggregateId === sku.id)).toBe(true);
      expect(changed.map((e) => e.payload)).toEqual(
        [payload(near.code, 10, 4), payload(far.code, 3, 0)].sort(byLocation),
      );
      expect(await reported(sku.sku, near.code)).toBe(4);
      expect(await reported(sku.sku, far.code)).toBe(0);

      // Deactivating: nothing can be ordered or leased, so nothing is available anywhere — in the
      // events and in GET /stock alike.
      from = await mark();
      expect((await s.request('PATCH', `/api/v1/skus/${sku.sku}`, { active: false })).status).toBe(200);
      const events = await eventsAfter(from);
      expect(events[0]).toMatchObject({
        type: 'sku.updated',
        payload: { changed: ['active'], active: false },
      });
      expect(events.slice(1).map((e) => e.payload)).toEqual(
        [payload(near.code, 10, 0), payload(far.code, 3, 0)].sort(byLocation),
      );
      expect(await reported(sku.sku, near.code)).toBe(0);

      // A change that leaves availability alone is a sku.updated alone.
      from = await mark();
      expect(
        (await s.request('PATCH', `/api/v1/skus/${sku.sku}`, { name: 'Renamed', active: false })).status,
      ).toBe(200);
      expect((await eventsAfter(from)).map((e) => e.type)).toEqual(['sku.updated']);

      await rejected(400, 'PATCH', `/api/v1/skus/${sku.sku}`, { minRemainingShelfLifeDays: -1 });
      await rejected(404, 'PATCH', `/api/v1/skus/NOPE-${uniqueCode('X')}`, { active: true });
      await rejected(412, 'PATCH', `/api/v1/skus/${sku.sku}`, { active: true }, { 'if-match': '"1"' });
    });

    it('creating SKUs, products and locations writes their events; a rejected create writes none', async () => {
      let from = await mark();
      const code = uniqueCode('NEW');
      const r = await s.request('POST', '/api/v1/skus', { sku: code, name: 'New thing', priceMinor: 500 });
      expect(r.status).toBe(201);
      const [product, created] = await eventsAfter(from);
      expect(product).toEqual({
        type: 'product.created',
        aggregateType: 'product',
        aggregateId: r.body.productId,
        payload: { id: r.body.productId, name: 'New thing' },
      });
      expect(created).toEqual({
        type: 'sku.created',
        aggregateType: 'sku',
        aggregateId: r.body.id,
        payload: { sku: code, name: 'New thing', productId: r.body.productId, isBundle: false, active: true },
      });
      await rejected(409, 'POST', '/api/v1/skus', { sku: code.toLowerCase(), name: 'Again' });
      await rejected(400, 'POST', '/api/v1/skus', { sku: uniqueCode('NEW'), name: 'Bad', priceMinor: -1 });

      from = await mark();
      const locCode = uniqueCode('WH');
      const l = await s.request('POST', '/api/v1/locations', {
        code: locCode,
        name: 'Depot',
        kind: 'returns',
      });
      expect(l.status).toBe(201);
      expect(await eventsAfter(from)).toEqual([
        {
          type: 'location.created',
          aggregateType: 'location',
          aggregateId: l.body.id,
          payload: { code: locCode, name: 'Depot', kind: 'returns', sellable: false },
        },
      ]);
      await rejected(409, 'POST', '/api/v1/locations', { code: locCode, name: 'Again', kind: 'warehouse' });
      await rejected(400, 'POST', '/api/v1/locations', { code: uniqueCode('WH'), name: 'X', kind: 'moon' });
    });

    it('API keys and users write events with no secret in them', async () => {
      let from = await mark();
      const k = await s.request('POST', '/api/v1/api-keys', { role: 'warehouse', name: 'scanner 3' });
      expect(k.status).toBe(201);
      expect(await eventsAfter(from)).toEqual([
        {
          type: 'api_key.created',
          aggregateType: 'api_key',
          aggregateId: k.body.id,
          payload: { id: k.body.id, name: 'scanner 3', role: 'warehouse' },
        },
      ]);
      from = await mark();
      expect((await s.request('DELETE', `/api/v1/api-keys/${k.body.id}`)).status).toBe(204);
      expect(await eventsAfter(from)).toEqual([
        {
          type: 'api_key.revoked',
          aggregateType: 'api_key',
          aggregateId: k.body.id,
          payload: { id: k.body.id },
        },
      ]);
      await rejected(404, 'DELETE', `/api/v1/api-keys/${k.body.id}`);
      await rejected(400, 'POST', '/api/v1/api-keys', { role: 'emperor', name: 'x' });

      from = await mark();
      const email = `${uniqueCode('u').toLowerCase()}@example.com`;
      const password = 'correct horse battery';
      const u = await s.request('POST', '/api/v1/users', { email, role: 'warehouse', password });
      expect(u.status, JSON.stringify(u.body)).toBe(201);
      const p = await s.request('PATCH', `/api/v1/users/${u.body.id}`, {
        password: `${password}!`,
        role: 'readonly',
      });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
      expect(await eventsAfter(from)).toEqual([
        {
          type: 'user.created',
          aggregateType: 'user',
          aggregateId: u.body.id,
          payload: { id: u.body.id, role: 'warehouse' },
        },
        {
          type: 'user.updated',
          aggregateType: 'user',
          aggregateId: u.body.id,
          payload: { id: u.body.id, changed: ['role', 'password'], role: 'readonly', disabled: false },
        },
      ]);
      await rejected(409, 'POST', '/api/v1/users', { email, role: 'warehouse', password });
      await rejected(404, 'PATCH', '/api/v1/users/usr_nobody', { name: 'x' });

      // Nothing secret anywhere in the outbox: no key, key hash or password hash.
      const db = s.testDb.database.db;
      const secrets = [
        k.body.key,
        ...(await db.selectFrom('api_keys').select('key_hash').execute()).map((r) => r.key_hash),
        ...(await db.selectFrom('users').select('password_hash').execute()).map((r) => r.password_hash),
      ];
      const all = (await db.selectFrom('outbox').select('payload').execute())
        .map((r) => r.payload)
        .join('\n');
      for (const secret of secrets) expect(all).not.toContain(secret);
      expect(all).not.toContain(email);
    });
  });
}
