import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { verifyBalances } from '../../src/db/stock.repo.js';
import { hasUsableStock, waitingSkusWithFreeStock } from '../../src/app/orders/backorders.js';
import { serveWaitingBackorders } from '../../src/jobs/backorders.job.js';
import { formerEmailKey, hashOfCapture, type PlaceOrderInput } from '../../src/app/orders/place-order.js';

/** A shipping address near the "near" warehouses of these tests (lat 40, lon −83). */
const COLUMBUS = {
  line1: '1 Main',
  city: 'Columbus',
  postalCode: '43004',
  country: 'US',
  lat: 40,
  lon: -83,
};

const order = (
  lines: Array<{ sku: string; quantity: number; unitPriceMinor?: number }>,
  extra: Record<string, unknown> = {},
) => ({
  customer: { email: 'buyer@example.com', name: 'Buyer' },
  currency: 'USD',
  lines: lines.map((l) => ({ unitPriceMinor: 1000, ...l })),
  ...extra,
});

for (const dialect of DIALECTS) {
  describe(`orders on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());
    /** The outbox events of one aggregate (of one type when given), in order, payloads parsed. */
    const eventsOf = async (aggregateId: string, type?: string) => {
      let q = s.testDb.database.db
        .selectFrom('outbox')
        .select(['type', 'payload'])
        .where('aggregate_id', '=', aggregateId);
      if (type !== undefined) q = q.where('type', '=', type);
      const rows = await q.orderBy('seq').execute();
      return rows.map((e) => ({ type: e.type, payload: JSON.parse(e.payload) as Record<string, unknown> }));
    };

    it('writes customer.created for a new customer and customer.updated when an order renames one, without personal data', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      const email = `new-${Date.now()}@example.com`;
      const place = (name?: string) =>
        s.request('POST', '/api/v1/orders', {
          ...order([{ sku: a.sku, quantity: 1 }]),
          customer: { email, ...(name ? { name } : {}) },
        });
      const first = await place('Ann');
      const customerId = first.body.customer.id as string;
      await place(); // no name: nothing changes
      await place('Ann Lee');
      expect(await eventsOf(customerId)).toEqual([
        { type: 'customer.created', payload: { customerId } },
        { type: 'customer.updated', payload: { customerId, changed: ['name'] } },
      ]);
      expect((await eventsOf(first.body.id, 'order.created'))[0]!.payload).toMatchObject({ customerId });
    });

    it('captures an order, allocating from the one location that can ship everything', async () => {
      const near = await makeLocation(s, { lat: 40.0, lon: -83.0 });
      const far = await makeLocation(s, { lat: 39.5, lon: -119.8 });
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, near.code, 5);
      await receive(s, a.sku, far.code, 10);
      await receive(s, b.sku, far.code, 10);
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order(
          [
            { sku: a.sku, quantity: 2 },
            { sku: b.sku, quantity: 1 },
          ],
          { shippingAddress: COLUMBUS },
        ),
      );
      expect(r.status).toBe(201);
      // The ETag to edit it with comes with the order, as from its GET.
      expect(r.headers.get('etag')).toBe(`"${r.body.version}"`);
      expect((await s.request('GET', `/api/v1/orders/${r.body.id}`)).headers.get('etag')).toBe(
        r.headers.get('etag'),
      );
      expect(r.body.status).toBe('open');
      expect(r.body.fulfillmentStatus).toBe('allocated');
      expect(r.body.totalMinor).toBe(3000);
      expect(r.body.lines[0].allocations).toEqual([
        { location: far.code, lot: null, sku: a.sku, quantity: 2 },
      ]);
      expect(r.body.timeline.map((t: any) => t.type)).toContain('order.created');
      const got = await s.request('GET', `/api/v1/orders/${r.body.id}`);
      expect(got.status).toBe(200);
      expect(got.body.lines).toEqual(r.body.lines);
      const stock = await s.request('GET', `/api/v1/stock/${a.sku}`);
      expect(stock.body.totals).toMatchObject({ onHand: 15, allocated: 2, available: 13 });
    });

    it('rejects the whole order when the last line names an unknown SKU, writing nothing', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      const before = await s.testDb.database.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 1 },
          { sku: 'NOPE-404', quantity: 1 },
        ]),
      );
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('UNKNOWN_SKU');
      expect(r.body.errors[0].field).toBe('lines.1.sku');
      const after = await s.testDb.database.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
      const stock = await s.request('GET', `/api/v1/stock/${a.sku}`);
      expect(stock.body.totals.allocated).toBe(0);
    });

    it('answers 409 INSUFFICIENT_STOCK naming each short line, or backorders and allocates on arrival', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 1);
      const rejected = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 2 },
          { sku: b.sku, quantity: 3 },
        ]),
      );
      expect(rejected.status).toBe(409);
      expect(rejected.body.code).toBe('INSUFFICIENT_STOCK');
      expect(rejected.body.errors.map((e: any) => e.field)).toEqual(['lines.0.quantity', 'lines.1.quantity']);

      const first = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 3 }], { onShortage: 'backorder' }),
      );
      expect(first.status).toBe(201);
      expect(first.body.fulfillmentStatus).toBe('backordered');
      expect(first.body.lines[0].backordered).toBe(2);
      const second = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], { onShortage: 'backorder' }),
      );
      expect(second.body.lines[0].backordered).toBe(1);
      await receive(s, a.sku, loc.code, 2);
      const o1 = await s.request('GET', `/api/v1/orders/${first.body.id}`);
      const o2 = await s.request('GET', `/api/v1/orders/${second.body.id}`);
      expect(o1.body.fulfillmentStatus).toBe('allocated');
      // Allocated in two steps (1 at capture, 2 on arrival), shown as the one stock it is.
      expect(o1.body.lines[0].allocations).toEqual([
        { location: loc.code, lot: null, sku: a.sku, quantity: 3 },
      ]);
      expect(o2.body.fulfillmentStatus).toBe('backordered');
      await receive(s, a.sku, loc.code, 5);
      expect((await s.request('GET', `/api/v1/orders/${second.body.id}`)).body.fulfillmentStatus).toBe(
        'allocated',
      );
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('is idempotent by Idempotency-Key (20 at once → one order) and by channel + externalId', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 100);
      const body = order([{ sku: a.sku, quantity: 1 }]);
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          s.request('POST', '/api/v1/orders', body, { headers: { 'idempotency-key': `k-${a.sku}` } }),
        ),
      );
      // One creates the order; a duplicate that arrives while it runs is told to retry (409 with
      // Retry-After, issue #2: concurrent same key → 409), one that arrives after it replays it.
      const ok = replies.filter((r) => r.status === 201);
      const busy = replies.filter((r) => r.status === 409);
      expect(ok.length + busy.length).toBe(20);
      expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
      for (const r of busy) {
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
        expect(r.headers.get('retry-after')).toBe('1');
      }
      const other = await s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 2 }]), {
        headers: { 'idempotency-key': `k-${a.sku}` },
      });
      expect(other.status).toBe(422);
      const replay = await s.request('POST', '/api/v1/orders', body, {
        headers: { 'idempotency-key': `k-${a.sku}` },
      });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.id).toBe(ok[0]!.body.id);
      // Replays of a finished request at once: each answers with the order.
      const replays = await Promise.all(
        Array.from({ length: 10 }, () =>
          s.request('POST', '/api/v1/orders', body, { headers: { 'idempotency-key': `k-${a.sku}` } }),
        ),
      );
      expect(replays.map((r) => [r.status, r.body.id])).toEqual(replays.map(() => [201, ok[0]!.body.id]));
      // A repeat with another body in flight at the same time (bound to get its 422) does not make the
      // key's own request a 422: what the key recorded decides.
      for (let i = 0; i < 10; i++) {
        const [wrong, own] = await Promise.all([
          s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 3 }]), {
            headers: { 'idempotency-key': `k-${a.sku}` },
          }),
          s.request('POST', '/api/v1/orders', body, { headers: { 'idempotency-key': `k-${a.sku}` } }),
        ]);
        expect(wrong.status).toBe(422);
        expect([own.status, own.body.id]).toEqual([201, ok[0]!.body.id]);
      }
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(1);

      const ext = order([{ sku: a.sku, quantity: 1 }], { channel: 'shopify', externalId: `ext-${a.sku}` });
      const x1 = await s.request('POST', '/api/v1/orders', ext);
      const x2 = await s.request('POST', '/api/v1/orders', ext);
      expect(x1.status).toBe(201);
      expect(x2.body.id).toBe(x1.body.id);
      expect(x2.headers.get('idempotent-replayed')).toBe('true');
      // A channel's name in another case or with spaces, an external id with spaces: the same order.
      for (const spelling of [
        { channel: 'SHOPIFY' },
        { channel: ' Shopify ' },
        { externalId: ` ext-${a.sku}\t` },
      ]) {
        const again = await s.request('POST', '/api/v1/orders', { ...ext, ...spelling });
        expect([again.status, again.body.id]).toEqual([201, x1.body.id]);
      }
      expect(x1.body.channel).toBe('shopify');
      expect(
        (await s.request('GET', `/api/v1/orders?channel=Shopify`)).body.items.map((o: any) => o.id),
      ).toContain(x1.body.id);
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(2);

      // The same external id with other contents is another order, not a repeat: refused, naming it.
      const changed = await s.request('POST', '/api/v1/orders', {
        ...ext,
        lines: [{ sku: a.sku, quantity: 7, unitPriceMinor: 100 }],
      });
      expect(changed.status).toBe(409);
      expect(changed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(changed.body.code).toBe('DUPLICATE_ORDER');
      expect(changed.body.errors[0].field).toBe('externalId');
      expect(changed.body.orderId).toBe(x1.body.id);
      // Key order, defaults spelled out, the e-mail's case, the SKU's spelling, a processing option
      // and the payment's later state do not make another order; another channel does.
      const reordered = Object.fromEntries(Object.entries(ext).reverse());
      expect((await s.request('POST', '/api/v1/orders', reordered)).body.id).toBe(x1.body.id);
      const spelledOut = await s.request('POST', '/api/v1/orders', {
        ...ext,
        onShortage: 'backorder',
        shippingMinor: 0,
        taxMinor: 0,
        customer: { ...ext.customer, email: ext.customer.email.toUpperCase() },
        lines: ext.lines.map((l) => ({ ...l, sku: l.sku.toLowerCase(), discountMinor: 0 })),
        payments: [{ provider: 'manual', amountMinor: 100, status: 'paid' }],
      });
      expect(spelledOut.status).toBe(201);
      expect(spelledOut.body.id).toBe(x1.body.id);
      const elsewhere = await s.request('POST', '/api/v1/orders', { ...ext, channel: 'woocommerce' });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body.id).not.toBe(x1.body.id);
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(3);
      // After an edit, the capturing request still replays (to the order as it is now).
      const current = await s.request('GET', `/api/v1/orders/${x1.body.id}`);
      const edited = await s.request(
        'PATCH',
        `/api/v1/orders/${x1.body.id}`,
        { lines: [{ sku: a.sku, quantity: 2 }] },
        { headers: { 'if-match': current.headers.get('etag')! } },
      );
      expect(edited.status).toBe(200);
      const again = await s.request('POST', '/api/v1/orders', ext);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(edited.body);
    });

    it('still repeats an order whose capture hash was written under the former e-mail key', async () => {
      const near = await makeLocation(s, { lat: 40.0, lon: -83.0 });
      const a = await makeSku(s);
      await receive(s, a.sku, near.code, 5);
      // Before migration 0016 the hash keyed the customer by the trimmed, lower-cased address: a
      // full-width or dotted one hashed apart from its canonical form.
      const ext = order([{ sku: a.sku, quantity: 1 }], {
        channel: 'shopify',
        externalId: `old-${a.sku}`,
        customer: { email: 'Ｂｕｙｅｒ@Example.com.', name: 'Buyer' },
      });
      const first = await s.request('POST', '/api/v1/orders', ext);
      expect(first.status).toBe(201);
      await s.testDb.database.db
        .updateTable('orders')
        .set({ capture_hash: hashOfCapture(ext as PlaceOrderInput, formerEmailKey) })
        .where('id', '=', first.body.id)
        .execute();
      const again = await s.request('POST', '/api/v1/orders', ext);
      expect([again.status, again.body.id]).toEqual([201, first.body.id]);
      // Other contents under that id are still another order.
      const other = await s.request('POST', '/api/v1/orders', {
        ...ext,
        lines: [{ sku: a.sku, quantity: 2, unitPriceMinor: 1000 }],
      });
      expect([other.status, other.body.code]).toEqual([409, 'DUPLICATE_ORDER']);
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(1);
    });

    it('serves backorders, oldest first, from stock a cancellation or a quarantine release frees (the backorder job)', async () => {
      const loc = await makeLocation(s);
      const other = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      // One unit set aside before anyone waits (an arrival would serve a waiting order at once).
      await receive(s, a.sku, other.code, 1);
      const setAside = await s.request('POST', '/api/v1/stock/movements', {
        type: 'quarantine',
        sku: a.sku,
        location: other.code,
        quantity: 1,
        reason: 'damaged',
      });
      expect(setAside.status).toBe(201);
      const place = async (quantity: number) =>
        (
          await s.request(
            'POST',
            '/api/v1/orders',
            order([{ sku: a.sku, quantity }], { onShortage: 'backorder' }),
          )
        ).body as { id: string; fulfillmentStatus: string };
      const first = await place(5);
      const older = await place(2);
      const newer = await place(2);
      expect([first.fulfillmentStatus, older.fulfillmentStatus, newer.fulfillmentStatus]).toEqual([
        'allocated',
        'backordered',
        'backordered',
      ]);
      /** The order once the job has run (within about a second), or as it is after 5 s. */
      const settled = async (id: string, status: string) => {
        for (let i = 0; i < 50; i++) {
          const o = (await s.request('GET', `/api/v1/orders/${id}`)).body;
          if (o.fulfillmentStatus === status) return o;
          await new Promise((r) => setTimeout(r, 100));
        }
        return (await s.request('GET', `/api/v1/orders/${id}`)).body;
      };
      // 3 units freed: the older backorder takes 2, the newer gets the last 1 and waits for 1 (both
      // in the job's one transaction for the SKU).
      await s.request('POST', `/api/v1/orders/${first.id}/cancel`, { lines: [{ sku: a.sku, quantity: 3 }] });
      const served = await settled(older.id, 'allocated');
      expect(served.fulfillmentStatus).toBe('allocated');
      expect(served.timeline.at(-1)).toMatchObject({ type: 'order.allocated', actor: 'job:backorders' });
      // The same payload as a capture's, plus the line served.
      expect((await eventsOf(older.id, 'order.allocated')).at(-1)!.payload).toEqual({
        orderId: older.id,
        locations: [loc.code],
        sku: a.sku,
        quantity: 2,
        fulfillmentStatus: 'allocated',
      });
      const partly = (await s.request('GET', `/api/v1/orders/${newer.id}`)).body;
      expect(partly.lines[0]).toMatchObject({ backordered: 1 });
      expect(partly.lines[0].allocations).toEqual([
        expect.objectContaining({ location: loc.code, quantity: 1 }),
      ]);

      // The unit set aside, released, serves the rest.
      await s.request('POST', '/api/v1/stock/movements', {
        type: 'quarantine_release',
        sku: a.sku,
        location: other.code,
        quantity: 1,
        reason: 'inspected',
      });
      expect((await settled(newer.id, 'allocated')).fulfillmentStatus).toBe('allocated');
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('stock a request frees goes to the waiting backorder before that request answers: a new order right after it cannot take it', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 4);
      const place = async (quantity: number, onShortage: 'backorder' | 'reject' = 'backorder') =>
        s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity }], { onShortage }));
      const holder = (await place(3)).body;
      const lease = (
        await s.request('POST', '/api/v1/reservations', { sku: a.sku, quantity: 1, ttlSeconds: 600 })
      ).body;
      const frees = [
        () =>
          s.request('POST', `/api/v1/orders/${holder.id}/cancel`, { lines: [{ sku: a.sku, quantity: 1 }] }),
        () => s.request('DELETE', `/api/v1/reservations/${lease.id}`),
        () =>
          s.request('PATCH', `/api/v1/orders/${holder.id}`, {
            lines: [{ sku: a.sku, quantity: 1, unitPriceMinor: 1000 }],
          }),
      ];
      for (const free of frees) {
        const waiting = (await place(1)).body;
        expect(waiting.fulfillmentStatus).toBe('backordered');
        expect((await free()).status).toBe(200);
        // Asked at once, by the same client: the unit is the waiting order's already.
        const newcomer = await place(1, 'reject');
        expect(newcomer.status).toBe(409);
        expect((await s.request('GET', `/api/v1/orders/${waiting.id}`)).body.fulfillmentStatus).toBe(
          'allocated',
        );
      }
    });

    it('an arrival too small for an older six-pack still serves a newer order of single units', async () => {
      const loc = await makeLocation(s);
      const x = await makeSku(s);
      const six = await makeSku(s, { components: [{ sku: x.sku, quantity: 6 }] });
      const waiting = async (sku: string, quantity: number) =>
        (await s.request('POST', '/api/v1/orders', order([{ sku, quantity }], { onShortage: 'backorder' })))
          .body as { id: string; fulfillmentStatus: string };
      const pack = await waiting(six.sku, 1);
      const singles = await waiting(x.sku, 3);
      expect([pack.fulfillmentStatus, singles.fulfillmentStatus]).toEqual(['backordered', 'backordered']);
      await receive(s, x.sku, loc.code, 5); // no whole pack; three singles
      const served = (await s.request('GET', `/api/v1/orders/${singles.id}`)).body;
      expect(served.fulfillmentStatus).toBe('allocated');
      expect((await s.request('GET', `/api/v1/orders/${pack.id}`)).body.fulfillmentStatus).toBe(
        'backordered',
      );
      expect((await s.request('GET', `/api/v1/stock/${x.sku}`)).body.totals).toMatchObject({
        onHand: 5,
        allocated: 3,
      });
    });

    it('the backorder job passes over stock held back (safety stock, short-dated lots) without locking, and walks every waiting SKU in turn', async () => {
      const loc = await makeLocation(s);
      const waitFor = async (sku: string, quantity = 1) =>
        (await s.request('POST', '/api/v1/orders', order([{ sku, quantity }], { onShortage: 'backorder' })))
          .body as { id: string; fulfillmentStatus: string };
      // Free units that are all safety stock: not even listed.
      const kept = await makeSku(s);
      await receive(s, kept.sku, loc.code, 1);
      await s.request('PUT', `/api/v1/stock/${kept.sku}/safety-stock/${loc.code}`, { quantity: 1 });
      expect((await waitFor(kept.sku)).fulfillmentStatus).toBe('backordered');
      // Free units in a lot too close to expiry: listed, passed over by the routing's own rules.
      const food = await makeSku(s, { tracking: 'lot', minRemainingShelfLifeDays: 30 });
      await receive(s, food.sku, loc.code, 5, {
        lot: 'SOON',
        expiresOn: new Date(Date.now() + 5 * 86400e3).toISOString().slice(0, 10),
      });
      expect((await waitFor(food.sku)).fulfillmentStatus).toBe('backordered');
      const database = s.testDb.database;
      const listed = await waitingSkusWithFreeStock(database.db, 1000);
      expect(listed).not.toContain(kept.id);
      expect(listed).toContain(food.id);
      expect(await hasUsableStock(database.db, food.id, new Date().toISOString().slice(0, 10))).toBe(false);
      // A run over all of them serves none of these two and locks nothing for them.
      const cursor = { after: null };
      await serveWaitingBackorders(database, cursor);
      expect(cursor.after).toBeNull();
      // Walked a page at a time, every waiting SKU comes up, in id order.
      const pages: string[] = [];
      for (let after: string | null = null, page: string[]; ; after = page.at(-1)!) {
        page = await waitingSkusWithFreeStock(database.db, 1, { after });
        if (page.length === 0) break;
        pages.push(...page);
      }
      expect(pages).toEqual(listed);
      expect([...pages].sort()).toEqual(pages);
    });

    it('an order that owes nothing is paid, until it is cancelled; an edit that makes it owe is unpaid again', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const free = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'sample@example.com' },
        currency: 'USD',
        lines: [{ sku: a.sku, quantity: 1, unitPriceMinor: 500, discountMinor: 500 }],
      });
      expect(free.status).toBe(201);
      expect(free.body).toMatchObject({ totalMinor: 0, paymentStatus: 'paid' });
      const edited = await s.request('PATCH', `/api/v1/orders/${free.body.id}`, {
        lines: [{ sku: a.sku, quantity: 2, unitPriceMinor: 500, discountMinor: 500 }],
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ totalMinor: 500, paymentStatus: 'unpaid' });
      const back = await s.request('PATCH', `/api/v1/orders/${free.body.id}`, {
        lines: [{ sku: a.sku, quantity: 1, unitPriceMinor: 0 }],
      });
      expect(back.body).toMatchObject({ totalMinor: 0, paymentStatus: 'paid' });
      const cancelled = await s.request('POST', `/api/v1/orders/${free.body.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', totalMinor: 0, paymentStatus: 'unpaid' });
    });

    it('cancels partially and fully, releasing stock; holds and releases; edits re-allocate', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      await receive(s, b.sku, loc.code, 10);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 4 },
          { sku: b.sku, quantity: 2 },
        ]),
      );
      const id = placed.body.id;
      const partial = await s.request('POST', `/api/v1/orders/${id}/cancel`, {
        lines: [{ sku: a.sku, quantity: 3 }],
      });
      expect(partial.status).toBe(200);
      expect(partial.body.lines[0]).toMatchObject({ quantity: 1, cancelledQuantity: 3, totalMinor: 1000 });
      expect(partial.body.totalMinor).toBe(3000);
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(1);
      const held = await s.request('POST', `/api/v1/orders/${id}/hold`, { reason: 'address check' });
      expect(held.body.status).toBe('on_hold');
      expect((await s.request('POST', `/api/v1/orders/${id}/hold`, { reason: 'again' })).status).toBe(409);
      expect((await s.request('POST', `/api/v1/orders/${id}/release`)).body.status).toBe('open');
      const current = await s.request('GET', `/api/v1/orders/${id}`);
      const stale = await s.request(
        'PATCH',
        `/api/v1/orders/${id}`,
        { lines: [{ sku: b.sku, quantity: 5 }] },
        { headers: { 'if-match': '"1"' } },
      );
      expect(stale.status).toBe(412);
      const edited = await s.request(
        'PATCH',
        `/api/v1/orders/${id}`,
        { lines: [{ sku: b.sku, quantity: 5 }] },
        { headers: { 'if-match': current.headers.get('etag')! } },
      );
      expect(edited.status).toBe(200);
      expect(edited.body.totalMinor).toBe(5000);
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(0);
      expect((await s.request('GET', `/api/v1/stock/${b.sku}`)).body.totals.allocated).toBe(5);
      const full = await s.request('POST', `/api/v1/orders/${id}/cancel`, {});
      expect(full.body.status).toBe('cancelled');
      expect(full.body.totalMinor).toBe(0);
      const cancelled = await s.testDb.database.db
        .selectFrom('outbox')
        .select('payload')
        .where('type', '=', 'order.cancelled')
        .where('aggregate_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(cancelled.payload)).toEqual({
        orderId: id,
        status: 'cancelled',
        fulfillmentStatus: full.body.fulfillmentStatus,
        cancelledUnits: 5,
        totalMinor: 0,
      });
      expect((await s.request('GET', `/api/v1/stock/${b.sku}`)).body.totals.allocated).toBe(0);
      expect((await s.request('POST', `/api/v1/orders/${id}/cancel`, {})).status).toBe(409);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('every order action honours If-Match: a stale version is 412 and changes nothing, the current one applies', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const placed = await s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 4 }]));
      expect(placed.status).toBe(201);
      const id = placed.body.id;
      const etag = async () => (await s.request('GET', `/api/v1/orders/${id}`)).headers.get('etag')!;
      const allocated = async () => (await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated;
      const stale = '"1"';
      const bump = await s.request('PATCH', `/api/v1/orders/${id}`, {
        shippingAddress: { ...COLUMBUS, line1: '2 Main St' },
      });
      expect(bump.status, JSON.stringify(bump.body)).toBe(200);
      expect(bump.headers.get('etag')).toBe('"2"');

      const actions: Array<[string, unknown]> = [
        ['hold', { reason: 'fraud check' }],
        ['release', undefined],
        ['cancel', { lines: [{ sku: a.sku, quantity: 1 }] }],
        ['ship', {}],
        ['deliver', {}],
      ];
      for (const [action, body] of actions) {
        const before = await s.request('GET', `/api/v1/orders/${id}`);
        const refused = await s.request('POST', `/api/v1/orders/${id}/${action}`, body, {
          headers: { 'if-match': stale },
        });
        expect(refused.status, `${action}: ${JSON.stringify(refused.body)}`).toBe(412);
        expect(refused.body).toMatchObject({ code: 'VERSION_MISMATCH', currentVersion: before.body.version });
        const after = await s.request('GET', `/api/v1/orders/${id}`);
        expect(after.body, action).toEqual(before.body);
        const applied = await s.request('POST', `/api/v1/orders/${id}/${action}`, body, {
          headers: { 'if-match': await etag() },
        });
        expect(applied.status, `${action}: ${JSON.stringify(applied.body)}`).toBe(200);
        expect(applied.headers.get('etag')).toBe(`"${applied.body.version}"`);
        expect(applied.body.version).toBeGreaterThan(before.body.version);
        if (action === 'cancel') expect(await allocated()).toBe(3);
      }
      expect((await s.request('GET', `/api/v1/orders/${id}`)).body).toMatchObject({
        status: 'completed',
        fulfillmentStatus: 'delivered',
      });
      // A list naming the current version matches (`*` is covered by the If-Match rules test).
      const listed = await s.request(
        'POST',
        `/api/v1/orders/${id}/hold`,
        { reason: 'x' },
        {
          headers: { 'if-match': `"1", ${await etag()}` },
        },
      );
      expect(listed.status).toBe(409); // matched; a completed order cannot be held
    });

    it('answers 400 naming the field when amounts add up past the largest amount (10^14), at capture and on edit', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 200);
      await receive(s, b.sku, loc.code, 200);
      const huge = 90_000_000_000_000; // each line is within 10^14 minor units, two of them are not
      const before = (await s.request('GET', '/api/v1/orders')).body;
      const capture = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 1, unitPriceMinor: huge },
          { sku: b.sku, quantity: 1, unitPriceMinor: huge },
        ]),
      );
      expect(capture.status).toBe(400);
      expect(capture.headers.get('content-type')).toContain('application/problem+json');
      expect(capture.body.errors).toEqual([expect.objectContaining({ field: 'lines' })]);
      const oneLine = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2, unitPriceMinor: huge }]),
      );
      expect(oneLine.status).toBe(400);
      expect(oneLine.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.unitPriceMinor' })]);
      expect((await s.request('GET', '/api/v1/orders')).body).toEqual(before);

      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1, unitPriceMinor: huge }]),
      );
      expect(placed.status).toBe(201);
      const etag = (await s.request('GET', `/api/v1/orders/${placed.body.id}`)).headers.get('etag')!;
      const edit = await s.request(
        'PATCH',
        `/api/v1/orders/${placed.body.id}`,
        {
          lines: [
            { sku: a.sku, quantity: 1 },
            { sku: b.sku, quantity: 1, unitPriceMinor: huge },
          ],
        },
        { headers: { 'if-match': etag } },
      );
      expect(edit.status).toBe(400);
      expect(edit.body.errors).toEqual([expect.objectContaining({ field: 'lines' })]);
      // One line past it on its own (10^9 × 10^14): named, as at capture — on PostgreSQL this reached
      // the bigint column and answered 500.
      const oneHuge = await s.request(
        'PATCH',
        `/api/v1/orders/${placed.body.id}`,
        { lines: [{ sku: a.sku, quantity: 1_000_000_000, unitPriceMinor: 100_000_000_000_000 }] },
        { headers: { 'if-match': etag } },
      );
      expect(oneHuge.status).toBe(400);
      expect(oneHuge.body.errors).toEqual([expect.objectContaining({ field: 'lines.0.unitPriceMinor' })]);
      // Lines within the largest amount that take the total past it with the order's shipping: the
      // edit's lines are at fault (an edit has no totalMinor to name).
      const shipped = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1, unitPriceMinor: 1000 }], { shippingMinor: 9_000_000_000_000 }),
      );
      expect(shipped.status).toBe(201);
      const pastTotal = await s.request('PATCH', `/api/v1/orders/${shipped.body.id}`, {
        lines: [{ sku: a.sku, quantity: 1, unitPriceMinor: 100_000_000_000_000 }],
      });
      expect(pastTotal.status).toBe(400);
      expect(pastTotal.body.errors).toEqual([expect.objectContaining({ field: 'lines' })]);
      expect((await s.request('GET', `/api/v1/orders/${shipped.body.id}`)).body.totalMinor).toBe(
        9_000_000_001_000,
      );
      expect((await s.request('GET', `/api/v1/stock/${b.sku}`)).body.totals.allocated).toBe(0);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('an edit adds a line at the catalog price only in the order currency; otherwise it asks for the price', async () => {
      const loc = await makeLocation(s);
      const kept = await makeSku(s);
      const dollars = await makeSku(s, { priceMinor: 1999, currency: 'USD' });
      await receive(s, kept.sku, loc.code, 5);
      await receive(s, dollars.sku, loc.code, 5);
      const yen = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: kept.sku, quantity: 1 }], { currency: 'JPY' }),
      );
      expect(yen.status).toBe(201);
      const edit = (lines: unknown[]) => s.request('PATCH', `/api/v1/orders/${yen.body.id}`, { lines });
      const unpriced = await edit([
        { sku: kept.sku, quantity: 1 },
        { sku: dollars.sku, quantity: 1 },
      ]);
      expect([unpriced.status, unpriced.body.errors?.[0]?.field]).toEqual([400, 'lines.1.unitPriceMinor']);
      expect(unpriced.body.detail).toMatch(/priced in USD and the order is in JPY/);
      expect((await s.request('GET', `/api/v1/orders/${yen.body.id}`)).body.version).toBe(yen.body.version);
      const priced = await edit([
        { sku: kept.sku, quantity: 1 },
        { sku: dollars.sku, quantity: 1, unitPriceMinor: 3000 },
      ]);
      expect([priced.status, priced.body.lines[1].unitPriceMinor]).toEqual([200, 3000]);
      // In the SKU's own currency the catalog price applies.
      const usd = await s.request('POST', '/api/v1/orders', order([{ sku: kept.sku, quantity: 1 }]));
      const added = await s.request('PATCH', `/api/v1/orders/${usd.body.id}`, {
        lines: [
          { sku: kept.sku, quantity: 1 },
          { sku: dollars.sku, quantity: 1 },
        ],
      });
      expect([added.status, added.body.lines[1].unitPriceMinor]).toEqual([200, 1999]);
    });

    it('repeated edits and cancels prorate the discount from what it was set for, and count cancelled units once', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 20);
      const placed = await s.request('POST', '/api/v1/orders', {
        ...order([]),
        lines: [{ sku: a.sku, quantity: 3, unitPriceMinor: 10, discountMinor: 10 }],
      });
      expect(placed.body.totalMinor).toBe(20);
      const id = placed.body.id as string;
      const edit = async (quantity: number) => {
        const r = await s.request('PATCH', `/api/v1/orders/${id}`, { lines: [{ sku: a.sku, quantity }] });
        expect([r.status, r.body.detail]).toEqual([200, undefined]);
        return r.body.lines[0] as { discountMinor: number; cancelledQuantity: number; quantity: number };
      };
      const seen = [];
      for (const q of [2, 1, 2, 3]) seen.push(await edit(q));
      expect(seen.map((l) => [l.quantity, l.discountMinor, l.cancelledQuantity])).toEqual([
        [2, 6, 1],
        [1, 3, 2],
        [2, 6, 1],
        [3, 10, 0],
      ]);
      expect((await s.request('GET', `/api/v1/orders/${id}`)).body.totalMinor).toBe(20);
      // A cancel prorates from the same basis; units added back undo cancellations first.
      await edit(2);
      const cancelled = await s.request('POST', `/api/v1/orders/${id}/cancel`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      expect(cancelled.body.lines[0]).toMatchObject({ quantity: 1, discountMinor: 3, cancelledQuantity: 2 });
      expect(await edit(7)).toMatchObject({ discountMinor: 23, cancelledQuantity: 0 });
      // Given explicitly, a discount is the new basis.
      const reset = await s.request('PATCH', `/api/v1/orders/${id}`, {
        lines: [{ sku: a.sku, quantity: 4, unitPriceMinor: 10, discountMinor: 4 }],
      });
      expect(reset.body.lines[0]).toMatchObject({ quantity: 4, discountMinor: 4, cancelledQuantity: 3 });
      expect(await edit(2)).toMatchObject({ discountMinor: 2, cancelledQuantity: 5 });
      const all = await s.request('POST', `/api/v1/orders/${id}/cancel`, {});
      expect(all.body.lines[0]).toMatchObject({ quantity: 0, discountMinor: 0, cancelledQuantity: 7 });

      // A lower price caps the discount at the line's amount, and that is the new basis: a later
      // cancel never takes the line below zero.
      const dear = await s.request('POST', '/api/v1/orders', {
        ...order([]),
        lines: [{ sku: a.sku, quantity: 2, unitPriceMinor: 1000, discountMinor: 1500 }],
      });
      const cheaper = await s.request('PATCH', `/api/v1/orders/${dear.body.id}`, {
        lines: [{ sku: a.sku, quantity: 2, unitPriceMinor: 500 }],
      });
      expect(cheaper.body).toMatchObject({ totalMinor: 0 });
      expect(cheaper.body.timeline.at(-1).message).toBe(`Lines changed to 2 × ${a.sku} at 5.00 USD`);
      const one = await s.request('POST', `/api/v1/orders/${dear.body.id}/cancel`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      expect(one.body.lines[0]).toMatchObject({ discountMinor: 500, totalMinor: 0 });
      expect(one.body.totalMinor).toBe(0);
    });

    it('an edit that moves the order to other stock says where, on the timeline', async () => {
      const near = await makeLocation(s, { lat: 40, lon: -83 });
      const far = await makeLocation(s, { lat: 34, lon: -118 });
      const a = await makeSku(s);
      await receive(s, a.sku, near.code, 2);
      await receive(s, a.sku, far.code, 5);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2 }], {
          onShortage: 'backorder',
          shippingAddress: {
            line1: '1 Main',
            city: 'Columbus',
            postalCode: '43004',
            country: 'US',
            lat: 40,
            lon: -83,
          },
        }),
      );
      expect(placed.body.lines[0].allocations).toEqual([expect.objectContaining({ location: near.code })]);
      const edit = (quantity: number) =>
        s.request('PATCH', `/api/v1/orders/${placed.body.id}`, { lines: [{ sku: a.sku, quantity }] });
      // 4 fit only where 5 are: one shipment from the far warehouse.
      const moved = await edit(4);
      expect(moved.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: far.code, quantity: 4 }),
      ]);
      expect(
        moved.body.timeline.slice(-2).map((t: { type: string; message: string }) => [t.type, t.message]),
      ).toEqual([
        ['order.edited', `Lines changed to 4 × ${a.sku}`],
        ['order.allocated', `Re-allocated: 4 at ${far.code}; before: 2 at ${near.code}`],
      ]);
      // More than there is: the rest waits, and the timeline says so.
      const short = await edit(9);
      expect(short.body.timeline.at(-1)).toMatchObject({
        type: 'order.backordered',
        message: `Backorders: 2 × ${a.sku} (was 0)`,
      });
      expect((await eventsOf(placed.body.id, 'order.backordered')).at(-1)!.payload).toMatchObject({
        lines: [{ sku: a.sku, quantity: 2 }],
        fulfillmentStatus: 'backordered',
      });
      expect((await eventsOf(placed.body.id, 'order.allocated')).at(-1)!.payload).toMatchObject({
        locations: [near.code, far.code].sort(),
        reallocated: true,
      });
      // The same allocations again: nothing re-allocated to report.
      const same = await edit(9);
      expect(same.body.timeline.at(-1)).toMatchObject({ type: 'order.edited' });
      // Fewer again: the backorder is gone, and the timeline says so.
      const fewer = await edit(4);
      expect(fewer.body.timeline.map((t: { message: string }) => t.message)).toContain(
        `Backorders: 0 × ${a.sku} (was 2)`,
      );
    });

    it('an edit that drops a line names the locations the line held by their codes, not their ids', async () => {
      const first = await makeLocation(s);
      const second = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, first.code, 3);
      await receive(s, b.sku, second.code, 3);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 1 },
          { sku: b.sku, quantity: 1 },
        ]),
      );
      expect(placed.status).toBe(201);
      const edited = await s.request('PATCH', `/api/v1/orders/${placed.body.id}`, {
        lines: [{ sku: a.sku, quantity: 2 }],
      });
      expect(edited.status).toBe(200);
      expect(edited.body.timeline.at(-1)).toMatchObject({
        type: 'order.allocated',
        message: `Re-allocated: 2 at ${first.code}; before: ${[`1 at ${first.code}`, `1 at ${second.code}`]
          .sort()
          .join(', ')}`,
      });
    });

    it('edits keep what the order had: its discount per unit, its allocations on an address change, its units under safety stock', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      await receive(s, b.sku, loc.code, 10);
      const placed = await s.request('POST', '/api/v1/orders', {
        ...order([{ sku: a.sku, quantity: 5 }]),
        lines: [
          { sku: a.sku, quantity: 5, unitPriceMinor: 1000 },
          { sku: b.sku, quantity: 2, unitPriceMinor: 1000, discountMinor: 500 },
        ],
      });
      expect(placed.status).toBe(201);
      expect(placed.body.totalMinor).toBe(6500);
      const id = placed.body.id as string;
      const safety = await s.request('PUT', `/api/v1/stock/${a.sku}/safety-stock/${loc.code}`, {
        quantity: 2,
      });
      expect(safety.status).toBe(200);
      const etag = async () => (await s.request('GET', `/api/v1/orders/${id}`)).headers.get('etag')!;

      // A new address only: nothing is re-routed, so raising safety stock since capture is no reason
      // to refuse it, and the allocations stay where they were.
      const moved = await s.request(
        'PATCH',
        `/api/v1/orders/${id}`,
        { shippingAddress: { line1: '2 Side St', city: 'Dayton', postalCode: '45402', country: 'US' } },
        { headers: { 'if-match': await etag() } },
      );
      expect(moved.status).toBe(200);
      expect(moved.body.shippingAddress).toMatchObject({ city: 'Dayton' });
      expect(moved.body.lines[0].allocations).toEqual(placed.body.lines[0].allocations);
      expect(moved.body.timeline.at(-1)).toMatchObject({ type: 'order.edited' });

      // Lines edited without discountMinor (as the admin UI sends them): b keeps 250 off per unit,
      // and a keeps its 5 units although 2 of them are now safety stock.
      const edited = await s.request(
        'PATCH',
        `/api/v1/orders/${id}`,
        {
          lines: [
            { sku: a.sku, quantity: 5, unitPriceMinor: 1000 },
            { sku: b.sku, quantity: 3, unitPriceMinor: 1000 },
          ],
        },
        { headers: { 'if-match': await etag() } },
      );
      expect(edited.status).toBe(200);
      expect(edited.body.lines[1]).toMatchObject({ quantity: 3, discountMinor: 750, totalMinor: 2250 });
      expect(edited.body.lines[0].allocations).toEqual([expect.objectContaining({ quantity: 5 })]);
      expect(edited.body.fulfillmentStatus).toBe('allocated');
      // What it held, not more: 6 units of a would take safety stock the order never had.
      await receive(s, a.sku, loc.code, 1);
      const more = await s.request(
        'PATCH',
        `/api/v1/orders/${id}`,
        { lines: [{ sku: a.sku, quantity: 6, unitPriceMinor: 1000 }] },
        { headers: { 'if-match': await etag() } },
      );
      expect(more.status).toBe(409);
      expect(more.body.code).toBe('INSUFFICIENT_STOCK');
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(5);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('refuses an address change once shipping has started (the shipments went to the old one)', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 1);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2 }], { onShortage: 'backorder' }),
      );
      expect((await s.request('POST', `/api/v1/orders/${placed.body.id}/ship`, {})).status).toBe(200);
      const moved = await s.request('PATCH', `/api/v1/orders/${placed.body.id}`, {
        shippingAddress: { line1: '2 Side St', city: 'Dayton', postalCode: '45402', country: 'US' },
      });
      expect(moved.status).toBe(409);
      expect(moved.body.code).toBe('INVALID_TRANSITION');
    });

    it('answers 400 listing the choices for a value outside a fixed set', async () => {
      const a = await makeSku(s);
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], { onShortage: 'maybe' }),
      );
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([
        expect.objectContaining({ field: 'onShortage', message: 'must be one of: "reject", "backorder"' }),
      ]);
    });

    it('answers 400 naming the line when a bundle line needs more component units than one line may hold', async () => {
      const loc = await makeLocation(s);
      const part = await makeSku(s);
      const crate = await makeSku(s, { components: [{ sku: part.sku, quantity: 1000 }] });
      await receive(s, part.sku, loc.code, 10);
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: part.sku, quantity: 1 },
          { sku: crate.sku, quantity: 2_000_000 },
        ]),
      );
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([expect.objectContaining({ field: 'lines.1.quantity' })]);
      expect((await s.request('GET', `/api/v1/stock/${part.sku}`)).body.totals.allocated).toBe(0);
    });

    it('allocates bundles through their components, and lot-tracked SKUs first-expiry-first', async () => {
      const loc = await makeLocation(s);
      const food = await makeSku(s, { tracking: 'lot', minRemainingShelfLifeDays: 30 });
      const toy = await makeSku(s);
      const kit = await makeSku(s, {
        components: [
          { sku: food.sku, quantity: 2 },
          { sku: toy.sku, quantity: 1 },
        ],
      });
      await receive(s, food.sku, loc.code, 4, { lot: 'LATE', expiresOn: '2099-01-01' });
      await receive(s, food.sku, loc.code, 4, { lot: 'SOON', expiresOn: '2098-01-01' });
      await receive(s, food.sku, loc.code, 50, {
        lot: 'NEAR',
        expiresOn: new Date(Date.now() + 5 * 86400e3).toISOString().slice(0, 10),
      });
      await receive(s, toy.sku, loc.code, 3);
      const kitStock = await s.request('GET', `/api/v1/stock/${kit.sku}`);
      expect(kitStock.body.totals.available).toBe(3);
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: kit.sku, quantity: 3 },
          { sku: food.sku, quantity: 2 },
        ]),
      );
      expect(r.status).toBe(201);
      const byLot: Record<string, number> = {};
      for (const l of r.body.lines)
        for (const a of l.allocations.filter((x: any) => x.sku === food.sku))
          byLot[a.lot] = (byLot[a.lot] ?? 0) + a.quantity;
      expect(byLot).toEqual({ SOON: 4, LATE: 4 });
      // Three kits and two bags as ordered, eleven stock units behind them.
      expect(r.body.timeline.find((t: any) => t.type === 'order.allocated').message).toMatch(
        /^Allocated 5 units \(11 stock units\) from /,
      );
      const more = await s.request('POST', '/api/v1/orders', order([{ sku: food.sku, quantity: 1 }]));
      expect(more.status).toBe(409);
    });

    it('holds stock with a reservation lease that stops counting at expiry', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 3);
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        quantity: 3,
        ttlSeconds: 1,
      });
      expect(lease.status).toBe(201);
      expect((await s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 1 }]))).status).toBe(
        409,
      );
      await new Promise((r) => setTimeout(r, 1100));
      const after = await s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 3 }]));
      expect(after.status).toBe(201);
      expect((await s.request('GET', `/api/v1/reservations/${lease.body.id}`)).body.status).toBe('expired');
      // The capture's sweep said so on the outbox too.
      const expired = await s.testDb.database.db
        .selectFrom('outbox')
        .select('type')
        .where('aggregate_id', '=', lease.body.id)
        .orderBy('seq')
        .execute();
      expect(expired.map((e) => e.type)).toEqual(['reservation.created', 'reservation.expired']);
      const lease2 = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        quantity: 1,
        ttlSeconds: 60,
      });
      expect(lease2.status).toBe(409);
      expect(lease2.body.code).toBe('INSUFFICIENT_STOCK');
      // The field is the request's own: a reservation has one quantity, not lines.
      expect(lease2.body.errors).toEqual([
        { field: 'quantity', pointer: '/quantity', message: '1 requested, 0 available' },
      ]);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('holds no stock of an inactive SKU, as it sells none', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 2);
      const current = await s.request('GET', `/api/v1/skus/${a.sku}`);
      const off = await s.request(
        'PATCH',
        `/api/v1/skus/${a.sku}`,
        { active: false },
        {
          headers: { 'if-match': current.headers.get('etag')! },
        },
      );
      expect(off.status).toBe(200);
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        quantity: 1,
        ttlSeconds: 60,
      });
      expect(lease.status).toBe(400);
      expect(lease.body.errors[0].field).toBe('sku');
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(0);
    });

    it('converts a lease into an order', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 2);
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        quantity: 2,
        ttlSeconds: 600,
        reference: 'cart-1',
      });
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2 }], { reservations: [lease.body.id] }),
      );
      expect(r.status).toBe(201);
      expect((await s.request('GET', `/api/v1/reservations/${lease.body.id}`)).body).toMatchObject({
        status: 'converted',
        orderId: r.body.id,
      });
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(2);
    });

    it('allocates a converted lease from the location it held, though another is nearer', async () => {
      const near = await makeLocation(s, { lat: 39.96, lon: -83.0 }); // Columbus
      const store = await makeLocation(s, { lat: 41.88, lon: -87.63 }); // Chicago
      const a = await makeSku(s);
      await receive(s, a.sku, near.code, 5);
      await receive(s, a.sku, store.code, 5);
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        location: store.code,
        quantity: 2,
        ttlSeconds: 600,
      });
      expect(lease.status).toBe(201);
      const shippingAddress = {
        line1: '1 High St',
        city: 'Columbus',
        postalCode: '43215',
        country: 'US',
        lat: 39.96,
        lon: -82.99,
      };
      const r = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2 }], { reservations: [lease.body.id], shippingAddress }),
      );
      expect(r.status).toBe(201);
      expect(r.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: store.code, quantity: 2 }),
      ]);
      // Without a lease the nearer location ships.
      const plain = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], { shippingAddress }),
      );
      expect(plain.body.lines[0].allocations).toEqual([
        expect.objectContaining({ location: near.code, quantity: 1 }),
      ]);
    });

    it('creates or matches customers by e-mail, with addresses and lifetime value', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const email = `Pat.${a.sku}@Example.com`;
      const address = { line1: '9 Elm St', city: 'Reno', postalCode: '89501', country: 'US' };
      const o1 = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], { customer: { email, name: 'Pat' }, shippingAddress: address }),
      );
      const o2 = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2 }], {
          customer: { email: email.toLowerCase() },
          shippingAddress: address,
        }),
      );
      expect(o2.body.customer.id).toBe(o1.body.customer.id);
      expect(o2.body.customer.name).toBe('Pat');
      const found = await s.request('GET', `/api/v1/customers?q=${encodeURIComponent(a.sku.toLowerCase())}`);
      expect(found.body.items.map((c: any) => c.id)).toEqual([o1.body.customer.id]);
      const c = await s.request('GET', `/api/v1/customers/${o1.body.customer.id}`);
      expect(c.body).toMatchObject({ orderCount: 2, lifetimeValueMinor: { USD: 3000 } });
      expect(c.body.addresses).toHaveLength(1);
    });

    it('a known customer takes a new name from an order, keeps it when an order brings none', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const email = `rename.${a.sku}@example.com`;
      const place = (name?: string) =>
        s.request(
          'POST',
          '/api/v1/orders',
          order([{ sku: a.sku, quantity: 1 }], {
            customer: name === undefined ? { email } : { email, name },
          }),
        );
      const first = await place();
      expect(first.status).toBe(201);
      expect(first.body.customer.name).toBeNull();
      const named = await place('Robin');
      const renamed = await place('Robin Hood');
      const unnamed = await place();
      for (const r of [named, renamed, unnamed]) expect(r.body.customer.id).toBe(first.body.customer.id);
      expect([named.body.customer.name, renamed.body.customer.name, unnamed.body.customer.name]).toEqual([
        'Robin',
        'Robin Hood',
        'Robin Hood',
      ]);
      const stored = await s.request('GET', `/api/v1/customers/${first.body.customer.id}`);
      expect(stored.body).toMatchObject({ name: 'Robin Hood', orderCount: 4 });
    });

    it('ten first orders of one new customer at once: one customer, ten orders', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 50);
      const email = `rush.${a.sku}@example.com`;
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.request(
            'POST',
            '/api/v1/orders',
            order([{ sku: a.sku, quantity: 1 }], { customer: { email, name: i % 2 ? 'Sam' : 'Sam Lee' } }),
          ),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
      const ids = new Set(replies.map((r) => r.body.customer.id));
      expect(ids.size).toBe(1);
      const stored = await s.request('GET', `/api/v1/customers/${[...ids][0]}`);
      expect(stored.body.orderCount).toBe(10);
      expect(['Sam', 'Sam Lee']).toContain(stored.body.name);
    });

    it('captures and refunds a manual payment; the order payment status follows', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 2 }], {
          payments: [{ provider: 'manual', amountMinor: 2000, status: 'authorized' }],
        }),
      );
      expect(placed.body.paymentStatus).toBe('authorized');
      const pay = placed.body.payments[0].id;
      const captured = await s.request(
        'POST',
        `/api/v1/orders/${placed.body.id}/payments/${pay}/capture`,
        {},
      );
      expect(captured.status).toBe(200);
      expect(captured.body.paymentStatus).toBe('paid');
      expect(
        (await s.request('POST', `/api/v1/orders/${placed.body.id}/payments/${pay}/capture`, {})).status,
      ).toBe(409);
      const refunded = await s.request('POST', `/api/v1/orders/${placed.body.id}/payments/${pay}/refund`, {
        amountMinor: 500,
      });
      expect(refunded.body.paymentStatus).toBe('partially_refunded');
      expect(
        (
          await s.request('POST', `/api/v1/orders/${placed.body.id}/payments/${pay}/refund`, {
            amountMinor: 5000,
          })
        ).status,
      ).toBe(400);
    });

    it('a payment action retried with its Idempotency-Key moves money once and replays the first answer', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], {
          payments: [{ provider: 'manual', amountMinor: 1000, status: 'paid' }],
        }),
      );
      const url = `/api/v1/orders/${placed.body.id}/payments/${placed.body.payments[0].id}/refund`;
      const refund = (amountMinor: number, key: string) =>
        s.request('POST', url, { amountMinor }, { headers: { 'idempotency-key': key } });
      const first = await refund(300, 'refund-once');
      expect(first.status).toBe(200);
      expect(first.body.payments[0].refundedMinor).toBe(300);
      const retried = await refund(300, 'refund-once');
      expect(retried.status).toBe(200);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body).toEqual(first.body);
      // Another amount under the same key is another request; a new key is a new refund.
      expect((await refund(200, 'refund-once')).status).toBe(422);
      expect((await refund(300, 'refund-twice')).body.payments[0].refundedMinor).toBe(600);
      // Retries at once: one refund; those that arrive while it runs are told to retry (409).
      const together = await Promise.all([1, 2, 3].map(() => refund(100, 'refund-together')));
      const done = together.filter((r) => r.status === 200);
      expect(done.length + together.filter((r) => r.status === 409).length).toBe(3);
      expect(done.map((r) => r.body.payments[0].refundedMinor)).toEqual(done.map(() => 700));
      const later = await refund(100, 'refund-together');
      expect([later.status, later.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
      expect(later.body.payments[0].refundedMinor).toBe(700);
      const timeline = (await s.request('GET', `/api/v1/orders/${placed.body.id}`)).body.timeline;
      expect(timeline.filter((e: { type: string }) => e.type === 'payment.refund')).toHaveLength(3);
    });

    it('records a provider payment on one order only: a reference reused is 409 PAYMENT_EXISTS, twice in one order 400', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const paid = (payments: unknown[]) =>
        s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 1 }], { payments }));
      const first = await paid([
        { provider: 'stripe', reference: 'pi_once', amountMinor: 1000, status: 'authorized' },
      ]);
      expect(first.status).toBe(201);
      const again = await paid([
        { provider: 'manual', reference: 'pi_once', amountMinor: 500, status: 'paid' }, // another provider: fine
        { provider: 'stripe', reference: 'pi_once', amountMinor: 500, status: 'authorized' },
      ]);
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
      expect(again.body.code).toBe('PAYMENT_EXISTS');
      expect(again.body.orderId).toBe(first.body.id);
      expect(again.body.errors.map((e: { field: string }) => e.field)).toEqual(['payments.1.reference']);
      const twice = await paid([
        { provider: 'manual', reference: 'INV-7', amountMinor: 500, status: 'paid' },
        { provider: 'manual', reference: 'INV-7', amountMinor: 500, status: 'paid' },
      ]);
      expect(twice.status).toBe(400);
      expect(twice.body.errors.map((e: { field: string }) => e.field)).toEqual(['payments.1.reference']);
      // Nothing of the refused orders was written: one unit allocated, one order for the SKU.
      const stock = await s.request('GET', `/api/v1/stock/${a.sku}`);
      expect(stock.body.totals.allocated).toBe(1);
      // A channel re-delivering the order that holds the payment replays it: not PAYMENT_EXISTS.
      const ext = order([{ sku: a.sku, quantity: 1 }], {
        channel: 'shop',
        externalId: `pay-${a.sku}`,
        payments: [
          {
            provider: 'stripe',
            reference: `pi_${a.sku.toLowerCase()}`,
            amountMinor: 1000,
            status: 'authorized',
          },
        ],
      });
      const delivered = await s.request('POST', '/api/v1/orders', ext);
      const redelivered = await s.request('POST', '/api/v1/orders', ext);
      expect([delivered.status, redelivered.status]).toEqual([201, 201]);
      expect(redelivered.body.id).toBe(delivered.body.id);
      // Payments without a reference never collide.
      const bare = await paid([{ provider: 'manual', amountMinor: 1000, status: 'authorized' }]);
      const bare2 = await paid([{ provider: 'manual', amountMinor: 1000, status: 'authorized' }]);
      expect([bare.status, bare2.status]).toEqual([201, 201]);
    });

    it('cancelling what was not shipped of a partly shipped order completes it; nothing is left to cancel after', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 2);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 5 }], { onShortage: 'backorder' }),
      );
      const shipped = await s.request('POST', `/api/v1/orders/${placed.body.id}/ship`, {});
      expect(shipped.body).toMatchObject({ status: 'open', fulfillmentStatus: 'partially_shipped' });
      await receive(s, a.sku, loc.code, 10); // the backorder is allocated on arrival
      const rest = await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {});
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({
        status: 'completed',
        fulfillmentStatus: 'shipped',
        totalMinor: 2000,
      });
      expect(rest.body.lines[0]).toMatchObject({ quantity: 2, shippedQuantity: 2, cancelledQuantity: 3 });
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(0);
      const again = await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {});
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('INVALID_TRANSITION');
      const timeline = (await s.request('GET', `/api/v1/orders/${placed.body.id}`)).body.timeline as Array<{
        type: string;
      }>;
      expect(timeline.filter((t) => t.type === 'order.lines_cancelled')).toHaveLength(1);
    });

    it('cancels from the line named by its id when the SKU is on several lines', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      const placed = await s.request('POST', '/api/v1/orders', {
        ...order([{ sku: a.sku, quantity: 1 }]),
        lines: [
          { sku: a.sku, quantity: 1, unitPriceMinor: 1000 },
          { sku: a.sku, quantity: 2, unitPriceMinor: 0 }, // two free with the first
        ],
      });
      expect(placed.status).toBe(201);
      const [paidLine, freeLine] = placed.body.lines as Array<{ id: string }>;
      const cut = await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {
        lines: [{ sku: a.sku, line: freeLine!.id, quantity: 1 }],
      });
      expect(cut.status).toBe(200);
      expect(cut.body.lines.map((l: any) => [l.quantity, l.cancelledQuantity])).toEqual([
        [1, 0],
        [1, 1],
      ]);
      expect(cut.body.totalMinor).toBe(1000);
      // A line of another SKU, or of no order, is named as the fault; nothing changes.
      for (const line of [paidLine!.id.replace(/.$/, (c) => (c === '0' ? '1' : '0')), 'nope']) {
        const bad = await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {
          lines: [{ sku: a.sku, line, quantity: 1 }],
        });
        expect(bad.status).toBe(400);
        expect(bad.body.errors[0].field).toBe('lines.0.line');
      }
      const other = await makeSku(s);
      const wrongSku = await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {
        lines: [{ sku: other.sku, line: paidLine!.id, quantity: 1 }],
      });
      expect(wrongSku.status).toBe(400);
      expect((await s.request('GET', `/api/v1/orders/${placed.body.id}`)).body.totalMinor).toBe(1000);
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals.allocated).toBe(2);
    });

    it('lists a cancelled order with the lines it was placed with', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      await receive(s, b.sku, loc.code, 5);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 1 },
          { sku: b.sku, quantity: 2 },
        ]),
      );
      expect((await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {})).body.status).toBe(
        'cancelled',
      );
      const listed = await s.request('GET', `/api/v1/orders?q=${placed.body.id}`);
      const row = (listed.body.items as Array<{ id: string; lineCount: number }>).find(
        (o) => o.id === placed.body.id,
      );
      expect(row?.lineCount).toBe(2);
      // A line an edit removed stays on the order with its units cancelled, and is counted as such.
      const edited = await s.request(
        'POST',
        '/api/v1/orders',
        order([
          { sku: a.sku, quantity: 1 },
          { sku: b.sku, quantity: 1 },
        ]),
      );
      const patched = await s.request('PATCH', `/api/v1/orders/${edited.body.id}`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      expect(patched.status).toBe(200);
      const after = await s.request('GET', `/api/v1/orders?q=${edited.body.id}`);
      expect(after.body.items[0].lineCount).toBe(2);
      const removed = patched.body.lines.find((l: any) => l.sku === b.sku);
      expect(removed).toMatchObject({ quantity: 0, cancelledQuantity: 1 });
    });

    /** An order of `quantity` units with one in stock: that one shipped, the rest backordered, on hold. */
    async function partlyShippedOnHold(quantity: number) {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 1);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity }], { onShortage: 'backorder' }),
      );
      const id = placed.body.id as string;
      expect((await s.request('POST', `/api/v1/orders/${id}/ship`, {})).status).toBe(200);
      expect((await s.request('POST', `/api/v1/orders/${id}/hold`, { reason: 'check' })).status).toBe(200);
      return { id, sku: a.sku };
    }

    it('a partly shipped order on hold completes when its rest is cancelled: nothing is left to hold', async () => {
      const { id, sku } = await partlyShippedOnHold(3);
      // A partial cancel that leaves an unshipped unit keeps the hold.
      const partly = await s.request('POST', `/api/v1/orders/${id}/cancel`, {
        lines: [{ sku, quantity: 1 }],
      });
      expect(partly.body).toMatchObject({ status: 'on_hold', fulfillmentStatus: 'partially_shipped' });
      const done = await s.request('POST', `/api/v1/orders/${id}/cancel`, {});
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({
        status: 'completed',
        fulfillmentStatus: 'shipped',
        totalMinor: 1000,
      });
      expect(done.body.lines[0]).toMatchObject({ quantity: 1, shippedQuantity: 1, cancelledQuantity: 2 });
      expect(done.body.holdReason).toBeNull();
      expect(done.body.timeline.at(-1)).toMatchObject({ type: 'order.completed' });
      // Nothing is left to cancel, release or ship: each says so and changes nothing.
      for (const action of ['cancel', 'release', 'ship']) {
        const r = await s.request('POST', `/api/v1/orders/${id}/${action}`, {});
        expect(r.status).toBe(409);
        expect(r.body.code).toBe('INVALID_TRANSITION');
      }
      const after = (await s.request('GET', `/api/v1/orders/${id}`)).body;
      expect(after.status).toBe('completed');
      expect(after.timeline.filter((t: { type: string }) => t.type === 'order.lines_cancelled')).toHaveLength(
        2,
      );
    });

    it('releasing the hold of an order whose every remaining unit shipped completes it', async () => {
      // The state an earlier version left behind when the rest was cancelled on hold.
      const { id } = await partlyShippedOnHold(2);
      await s.testDb.database.db
        .updateTable('order_lines')
        .set({ quantity: 1, cancelled_quantity: 1, backordered: 0, total_minor: 1000 })
        .where('order_id', '=', id)
        .execute();
      const released = await s.request('POST', `/api/v1/orders/${id}/release`);
      expect(released.status).toBe(200);
      expect(released.body).toMatchObject({ status: 'completed', fulfillmentStatus: 'shipped' });
      expect(released.body.timeline.map((t: { type: string }) => t.type)).toEqual(
        expect.arrayContaining(['order.released', 'order.completed']),
      );
      expect(await eventsOf(id, 'order.completed')).toHaveLength(1);
    });

    it('ships what is allocated: on hand and allocated fall together, and the order completes', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 3);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 5 }], { onShortage: 'backorder' }),
      );
      const partly = await s.request('POST', `/api/v1/orders/${placed.body.id}/ship`, {
        carrier: 'UPS',
        trackingNumber: '1Z999',
      });
      expect(partly.status).toBe(200);
      expect(partly.body).toMatchObject({ status: 'open', fulfillmentStatus: 'partially_shipped' });
      expect(partly.body.lines[0]).toMatchObject({ shippedQuantity: 3, backordered: 2 });
      expect((await s.request('GET', `/api/v1/stock/${a.sku}`)).body.totals).toMatchObject({
        onHand: 0,
        allocated: 0,
      });
      await receive(s, a.sku, loc.code, 2);
      const done = await s.request('POST', `/api/v1/orders/${placed.body.id}/ship`, {});
      expect(done.body).toMatchObject({ status: 'completed', fulfillmentStatus: 'shipped' });
      // The shipment that completes the order says so, on the timeline and in the outbox, as a
      // cancellation or a hold released that completes one does.
      expect(done.body.timeline.slice(-2).map((t: { type: string }) => t.type)).toEqual([
        'order.shipped',
        'order.completed',
      ]);
      expect((await eventsOf(placed.body.id, 'order.completed')).map((e) => e.payload)).toEqual([
        { orderId: placed.body.id, status: 'completed' },
      ]);
      expect((await s.request('POST', `/api/v1/orders/${placed.body.id}/ship`, {})).status).toBe(409);
      expect((await s.request('POST', `/api/v1/orders/${placed.body.id}/cancel`, {})).status).toBe(409);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('refuses overpayment, garbage cursors, unknown filters and unknown bins, and revokes keys at once', async () => {
      const loc = await makeLocation(s, { bins: ['A-01'] });
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 5, { bin: 'A-01' });
      const bad = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], {
          payments: [{ provider: 'manual', amountMinor: 999_999, status: 'paid' }],
        }),
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('payments.0.amountMinor');
      expect(
        (await s.request('GET', `/api/v1/stock/${a.sku}/movements?cursor=garbage`)).body.errors[0].field,
      ).toBe('cursor');
      expect((await s.request('GET', '/api/v1/orders?status=weird')).status).toBe(400);
      const noBin = await s.request('POST', '/api/v1/stock/movements', {
        type: 'receipt',
        sku: a.sku,
        location: loc.code,
        quantity: 1,
        bin: 'ZZ-99',
      });
      expect(noBin.status).toBe(422);
      expect(noBin.body.errors[0].field).toBe('bin');
      const key = await s.request('POST', '/api/v1/api-keys', { role: 'admin', name: 'to revoke' });
      expect(
        (await s.request('GET', `/api/v1/stock/${a.sku}`, undefined, { key: key.body.key })).status,
      ).toBe(200);
      expect((await s.request('DELETE', `/api/v1/api-keys/${key.body.id}`)).status).toBe(204);
      expect(
        (await s.request('GET', `/api/v1/stock/${a.sku}`, undefined, { key: key.body.key })).status,
      ).toBe(401);
    });

    it('does not count lots inside the minimum remaining shelf life as available', async () => {
      const loc = await makeLocation(s);
      const food = await makeSku(s, { tracking: 'lot', minRemainingShelfLifeDays: 30 });
      const soon = new Date(Date.now() + 10 * 86400e3).toISOString().slice(0, 10);
      await receive(s, food.sku, loc.code, 5, { lot: 'SOON', expiresOn: soon });
      await receive(s, food.sku, loc.code, 5, { lot: 'GOOD', expiresOn: '2099-12-31' });
      const stock = await s.request('GET', `/api/v1/stock/${food.sku}`);
      expect(stock.body.totals.available).toBe(5);
      expect(stock.body.locations[0].lots.find((l: any) => l.lot === 'SOON')).toMatchObject({
        sellable: false,
        available: 0,
      });
      expect(
        (await s.request('POST', '/api/v1/orders', order([{ sku: food.sku, quantity: 6 }]))).status,
      ).toBe(409);
      expect(
        (await s.request('POST', '/api/v1/orders', order([{ sku: food.sku, quantity: 5 }]))).status,
      ).toBe(201);
    });

    it('captures authorised payments on shipment; a failed capture never blocks the shipment', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const manual = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], {
          payments: [{ provider: 'manual', amountMinor: 1000, status: 'authorized' }],
        }),
      );
      const shipped = await s.request('POST', `/api/v1/orders/${manual.body.id}/ship`, {});
      expect(shipped.body).toMatchObject({ status: 'completed', paymentStatus: 'paid' });
      const keep = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], {
          payments: [{ provider: 'manual', amountMinor: 1000, status: 'authorized' }],
        }),
      );
      expect(
        (await s.request('POST', `/api/v1/orders/${keep.body.id}/ship`, { capturePayments: false })).body
          .paymentStatus,
      ).toBe('authorized');
      const stripe = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 1 }], {
          payments: [
            { provider: 'stripe', reference: `pi_${a.id}`, amountMinor: 1000, status: 'authorized' },
          ],
        }),
      );
      const noStripe = await s.request('POST', `/api/v1/orders/${stripe.body.id}/ship`, {});
      expect(noStripe.status).toBe(200);
      expect(noStripe.body).toMatchObject({ status: 'completed', paymentStatus: 'authorized' });
      expect(noStripe.body.timeline.map((t: any) => t.type)).toContain('payment.capture_failed');
    });

    /**
     * Two SKUs with 20 units each in a new location, and `place(payments)`: an order of one unit of
     * the first and `bUnits` of the second at 10.00 each, with those payments.
     */
    async function paidShop(bUnits: number) {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 20);
      await receive(s, b.sku, loc.code, 20);
      const lines = [
        { sku: a.sku, quantity: 1 },
        { sku: b.sku, quantity: bUnits },
      ];
      const place = (payments: unknown[]) => s.request('POST', '/api/v1/orders', order(lines, { payments }));
      return { a, b, place };
    }

    it('a cancelled order voids its authorised payments; a shipment captures only what the order still owes', async () => {
      const { a, b, place } = await paidShop(1);
      const types = (o: any) => o.timeline.map((t: any) => t.type);

      // Cancelled in full: the hold on the card is released.
      const voided = await place([{ provider: 'manual', amountMinor: 2000, status: 'authorized' }]);
      const cancelled = await s.request('POST', `/api/v1/orders/${voided.body.id}/cancel`, {});
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.body.payments[0]).toMatchObject({ status: 'voided', capturedMinor: 0 });
      expect(types(cancelled.body)).toContain('payment.void');

      // A pending payment, even one of 0 (an invoice not yet sent), is voided too.
      const pending = await place([{ provider: 'manual', amountMinor: 0, status: 'pending' }]);
      const pendingCancel = await s.request('POST', `/api/v1/orders/${pending.body.id}/cancel`, {});
      expect(pendingCancel.body.payments[0].status).toBe('voided');
      expect(types(pendingCancel.body)).not.toContain('payment.void_failed');

      // Asked not to: the authorisation stays for a person to decide.
      const kept = await place([{ provider: 'manual', amountMinor: 2000, status: 'authorized' }]);
      const keptCancel = await s.request('POST', `/api/v1/orders/${kept.body.id}/cancel`, {
        voidPayments: false,
      });
      expect(keptCancel.body.payments[0].status).toBe('authorized');

      // A line cancelled, then shipped: 10.00 of the 20.00 authorised is captured, and the order is paid.
      const cut = await place([{ provider: 'manual', amountMinor: 2000, status: 'authorized' }]);
      const partly = await s.request('POST', `/api/v1/orders/${cut.body.id}/cancel`, {
        lines: [{ sku: b.sku, quantity: 1 }],
      });
      expect(partly.body).toMatchObject({ status: 'open', totalMinor: 1000 });
      expect(partly.body.payments[0].status).toBe('authorized'); // the order is not cancelled
      const shipped = await s.request('POST', `/api/v1/orders/${cut.body.id}/ship`, {});
      expect(shipped.body).toMatchObject({ status: 'completed', paymentStatus: 'paid' });
      expect(shipped.body.payments[0]).toMatchObject({
        status: 'paid',
        amountMinor: 2000,
        capturedMinor: 1000,
      });

      // Two authorisations and a line cancelled: the first covers what is owed, the second is voided.
      const two = await place([
        { provider: 'manual', amountMinor: 1500, status: 'authorized' },
        { provider: 'manual', amountMinor: 500, status: 'authorized' },
      ]);
      await s.request('POST', `/api/v1/orders/${two.body.id}/cancel`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      const both = await s.request('POST', `/api/v1/orders/${two.body.id}/ship`, {});
      expect(both.body.paymentStatus).toBe('paid');
      expect(both.body.payments.map((p: any) => [p.status, p.capturedMinor])).toEqual([
        ['paid', 1000],
        ['voided', 0],
      ]);

      // A provider this process cannot reach: the cancellation stands and the failure is on the timeline.
      const stripe = await place([
        { provider: 'stripe', reference: `pi_${a.id}`, amountMinor: 2000, status: 'authorized' },
      ]);
      const noStripe = await s.request('POST', `/api/v1/orders/${stripe.body.id}/cancel`, {});
      expect(noStripe.status).toBe(200);
      expect(noStripe.body).toMatchObject({ status: 'cancelled', paymentStatus: 'authorized' });
      expect(types(noStripe.body)).toContain('payment.void_failed');
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('refunds on cancellation when asked: what the order no longer owes, newest payment first', async () => {
      const { a, b, place } = await paidShop(2);
      // Paid 30.00; one unit of b cancelled: 10.00 refunded, the order still holds its 20.00.
      const paid = await place([{ provider: 'manual', amountMinor: 3000, status: 'paid' }]);
      const cut = await s.request('POST', `/api/v1/orders/${paid.body.id}/cancel`, {
        lines: [{ sku: b.sku, quantity: 1 }],
        refundPayments: true,
      });
      expect(cut.status).toBe(200);
      expect(cut.body).toMatchObject({
        status: 'open',
        totalMinor: 2000,
        paymentStatus: 'partially_refunded',
      });
      expect(cut.body.payments[0]).toMatchObject({ capturedMinor: 3000, refundedMinor: 1000 });
      // Without the flag nothing is refunded.
      const kept = await s.request('POST', `/api/v1/orders/${paid.body.id}/cancel`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      expect(kept.body.payments[0].refundedMinor).toBe(1000);
      // Cancelled in full with the flag: the rest comes back.
      const rest = await s.request('POST', `/api/v1/orders/${paid.body.id}/cancel`, { refundPayments: true });
      expect(rest.body).toMatchObject({ status: 'cancelled', paymentStatus: 'refunded' });
      expect(rest.body.payments[0]).toMatchObject({ status: 'refunded', refundedMinor: 3000 });

      // Two payments: the newest is refunded first, and no payment gives back more than it took.
      const split = await place([
        { provider: 'manual', amountMinor: 1000, status: 'paid' },
        { provider: 'manual', amountMinor: 2000, status: 'paid' },
      ]);
      const one = await s.request('POST', `/api/v1/orders/${split.body.id}/cancel`, {
        lines: [{ sku: b.sku, quantity: 2 }],
        refundPayments: true,
      });
      expect(one.body.payments.map((p: any) => p.refundedMinor)).toEqual([0, 2000]);
      const all = await s.request('POST', `/api/v1/orders/${split.body.id}/cancel`, { refundPayments: true });
      expect(all.body.payments.map((p: any) => [p.status, p.refundedMinor])).toEqual([
        ['refunded', 1000],
        ['refunded', 2000],
      ]);
      expect(all.body.timeline.filter((t: any) => t.type === 'payment.refund')).toHaveLength(2);
      const bad = await s.request('POST', `/api/v1/orders/${split.body.id}/cancel`, {
        refundPayments: 'yes',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('refundPayments');
    });

    it('marks a shipped order delivered, once, and only when everything has shipped', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 5);
      const placed = await s.request(
        'POST',
        '/api/v1/orders',
        order(
          [
            { sku: a.sku, quantity: 1 },
            { sku: b.sku, quantity: 1 },
          ],
          { onShortage: 'backorder' },
        ),
      );
      const id = placed.body.id;
      const deliver = (body: object = {}) => s.request('POST', `/api/v1/orders/${id}/deliver`, body);
      const early = await deliver();
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('INVALID_TRANSITION');
      // A malformed instant is named whatever the order's state.
      const garbled = await deliver({ deliveredAt: 'yesterday' });
      expect(garbled.status).toBe(400);
      expect(garbled.body.errors[0].field).toBe('deliveredAt');
      // The body is optional: none at all, or an empty form (`curl -d ''`), is `{}` (409 here: not yet).
      for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }] as Array<
        Record<string, string>
      >) {
        const bare = await fetch(`${s.url}/api/v1/orders/${id}/deliver`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.adminKey}`, ...headers },
          ...('content-type' in headers ? { body: '' } : {}),
        });
        expect(bare.status).toBe(409);
      }
      await s.request('POST', `/api/v1/orders/${id}/ship`, {});
      expect((await deliver()).status).toBe(409); // b is still backordered: partially shipped
      await s.request('POST', `/api/v1/orders/${id}/cancel`, { lines: [{ sku: b.sku, quantity: 1 }] });

      for (const deliveredAt of [
        'yesterday',
        new Date(Date.now() + 86_400_000).toISOString(),
        '2020-01-01T00:00:00Z',
        '2026-11-30T10:00:00',
        '2026-02-30T00:00:00Z',
        '2026-11-29T24:00:00Z', // would roll over into the next day
        '2026-11-29T10:00:00+0100', // an offset without its colon
        new Date(Date.parse(placed.body.createdAt) + 1).toISOString(), // placed, but not yet shipped
      ]) {
        const bad = await deliver({ deliveredAt });
        expect(bad.status).toBe(400);
        expect(bad.body.errors[0].field).toBe('deliveredAt');
      }
      expect((await deliver({ when: 'now' })).status).toBe(400);
      const at = new Date().toISOString();
      const delivered = await deliver({ deliveredAt: at });
      expect(delivered.status).toBe(200);
      expect(delivered.body).toMatchObject({ status: 'completed', fulfillmentStatus: 'delivered' });
      expect(delivered.body.timeline.at(-1)).toMatchObject({
        type: 'order.delivered',
        message: `Delivered at ${at}`,
      });
      expect((await deliver()).body.code).toBe('INVALID_TRANSITION'); // already delivered
      expect(await eventsOf(id, 'order.delivered')).toHaveLength(1);
    });

    it('a manual capture takes what the order still owes, never more; a cancellation leaving money paid asks for a refund', async () => {
      const { a, b, place } = await paidShop(1);
      const act = (o: any, i: number, action: string, body: object = {}) =>
        s.request('POST', `/api/v1/orders/${o.body.id}/payments/${o.body.payments[i].id}/${action}`, body);

      const cut = await place([{ provider: 'manual', amountMinor: 2000, status: 'authorized' }]);
      await s.request('POST', `/api/v1/orders/${cut.body.id}/cancel`, {
        lines: [{ sku: b.sku, quantity: 1 }],
      });
      const tooMuch = await act(cut, 0, 'capture', { amountMinor: 1500 });
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.body.errors[0]).toMatchObject({ field: 'amountMinor' });
      expect(tooMuch.body.errors[0].message).toContain('1000, what the order still owes');
      const owed = await act(cut, 0, 'capture');
      expect(owed.status).toBe(200);
      expect(owed.body.payments[0]).toMatchObject({ status: 'paid', capturedMinor: 1000 });
      expect(owed.body.paymentStatus).toBe('paid');
      // An authorisation is captured once: the timeline says where the rest of it went.
      expect(owed.body.timeline.at(-1)).toMatchObject({
        type: 'payment.capture',
        message: expect.stringContaining('the other 10.00 USD of the authorisation is released'),
      });
      expect((await act(cut, 0, 'capture')).status).toBe(409);

      // The first payment covers the order: the second owes nothing and is to be voided, not captured.
      const two = await place([
        { provider: 'manual', amountMinor: 1000, status: 'authorized' },
        { provider: 'manual', amountMinor: 1000, status: 'authorized' },
      ]);
      await s.request('POST', `/api/v1/orders/${two.body.id}/cancel`, {
        lines: [{ sku: b.sku, quantity: 1 }],
      });
      expect((await act(two, 0, 'capture')).status).toBe(200);
      const nothing = await act(two, 1, 'capture');
      expect(nothing.status).toBe(409);
      expect(nothing.body.code).toBe('INVALID_TRANSITION');
      const noOrder = await s.request(
        'POST',
        `/api/v1/orders/ord_missing/payments/${two.body.payments[1].id}/void`,
        {},
      );
      expect(noOrder.status).toBe(404);
      expect(noOrder.body.errors[0].field).toBe('id');
      const noPayment = await s.request(
        'POST',
        `/api/v1/orders/${two.body.id}/payments/pay_missing/void`,
        {},
      );
      expect(noPayment.status).toBe(404);
      expect(noPayment.body.errors[0].field).toBe('paymentId');
      const voidWithAmount = await act(two, 1, 'void', { amountMinor: 5 });
      expect(voidWithAmount.status).toBe(400);
      expect(voidWithAmount.body.errors[0].field).toBe('amountMinor');
      expect((await act(two, 1, 'void')).body.payments[1].status).toBe('voided');

      // Half captured, then the other half cancelled: the order is paid (its status follows its total).
      const half = await place([{ provider: 'manual', amountMinor: 2000, status: 'authorized' }]);
      expect((await act(half, 0, 'capture', { amountMinor: 1000 })).body.paymentStatus).toBe(
        'partially_paid',
      );
      const halved = await s.request('POST', `/api/v1/orders/${half.body.id}/cancel`, {
        lines: [{ sku: b.sku, quantity: 1 }],
      });
      expect(halved.body).toMatchObject({ totalMinor: 1000, paymentStatus: 'paid' });

      // Paid in full, then a line cancelled without a refund: the timeline says what is owed back.
      const paid = await place([{ provider: 'manual', amountMinor: 2000, status: 'paid' }]);
      const partly = await s.request('POST', `/api/v1/orders/${paid.body.id}/cancel`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      const due = partly.body.timeline.filter((t: any) => t.type === 'payment.refund_due');
      expect(due).toHaveLength(1);
      expect(due[0].message).toContain('10.00');
      const refunded = await s.request('POST', `/api/v1/orders/${paid.body.id}/cancel`, {
        refundPayments: true,
      });
      // Asked again for the rest, with the refund that settles it right after.
      expect(refunded.body.timeline.filter((t: any) => t.type === 'payment.refund_due')).toHaveLength(2);
      expect(refunded.body.payments[0].refundedMinor).toBe(2000);

      // An edit that cuts a paid order's total asks for the refund too; one that raises it does not.
      const edited = await place([{ provider: 'manual', amountMinor: 2000, status: 'paid' }]);
      const down = await s.request('PATCH', `/api/v1/orders/${edited.body.id}`, {
        lines: [{ sku: a.sku, quantity: 1 }],
      });
      expect(down.status).toBe(200);
      expect(down.body.timeline.filter((t: any) => t.type === 'payment.refund_due')).toHaveLength(1);
      const up = await s.request('PATCH', `/api/v1/orders/${edited.body.id}`, {
        lines: [{ sku: a.sku, quantity: 3 }],
      });
      expect(up.body.timeline.filter((t: any) => t.type === 'payment.refund_due')).toHaveLength(1);
      expect(up.body).toMatchObject({ totalMinor: 3000, paymentStatus: 'partially_paid' });
    });

    it('stocks serial-tracked SKUs one serial number at a time and allocates them like lots of one', async () => {
      const loc = await makeLocation(s);
      const other = await makeLocation(s);
      const scanner = await makeSku(s, { tracking: 'serial' });
      const move = (body: Record<string, unknown>) =>
        s.request('POST', '/api/v1/stock/movements', {
          type: 'receipt',
          sku: scanner.sku,
          location: loc.code,
          quantity: 1,
          ...body,
        });
      expect((await move({})).body.errors[0].field).toBe('lot');
      expect((await move({ lot: 'SN-1', quantity: 2 })).body.errors[0].field).toBe('quantity');
      expect((await move({ lot: 'SN-1' })).status).toBe(201);
      expect((await move({ lot: 'SN-2' })).status).toBe(201);
      const twice = await move({ lot: 'SN-1', location: other.code });
      expect(twice.status).toBe(400);
      expect(twice.body.errors[0].field).toBe('lot');
      const stock = await s.request('GET', `/api/v1/stock/${scanner.sku}`);
      expect(stock.body.totals.onHand).toBe(2);
      expect(stock.body.locations[0].lots.map((l: any) => l.lot).sort()).toEqual(['SN-1', 'SN-2']);
      const r = await s.request('POST', '/api/v1/orders', order([{ sku: scanner.sku, quantity: 2 }]));
      expect(r.status).toBe(201);
      expect(r.body.lines[0].allocations.map((a: any) => `${a.lot}:${a.quantity}`).sort()).toEqual([
        'SN-1:1',
        'SN-2:1',
      ]);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('writes stock.changed in one shape, with every counter of the location, whoever changed the stock', async () => {
      const loc = await makeLocation(s);
      const food = await makeSku(s, { tracking: 'lot' });
      const inDays = (n: number) => new Date(Date.now() + n * 86400e3).toISOString().slice(0, 10);
      await receive(s, food.sku, loc.code, 2, { lot: 'OLD', expiresOn: inDays(20) });
      await receive(s, food.sku, loc.code, 5, { lot: 'NEW', expiresOn: inDays(90) });
      // OLD is spoken for: a capture that takes from NEW must still count OLD's units.
      expect(
        (await s.request('POST', '/api/v1/orders', order([{ sku: food.sku, quantity: 2 }]))).status,
      ).toBe(201);
      const since = async () =>
        (
          await s.testDb.database.db
            .selectFrom('outbox')
            .select(['seq', 'payload'])
            .where('type', '=', 'stock.changed')
            .where('aggregate_id', '=', food.id)
            .orderBy('seq')
            .execute()
        ).map((e) => JSON.parse(e.payload));
      const before = (await since()).length;
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: food.sku,
        quantity: 1,
        ttlSeconds: 600,
      });
      expect(lease.status).toBe(201);
      const captured = await s.request('POST', '/api/v1/orders', order([{ sku: food.sku, quantity: 3 }]));
      expect(captured.status).toBe(201);
      await s.request('POST', `/api/v1/orders/${captured.body.id}/cancel`, {});
      const events = (await since()).slice(before);
      expect(events.length).toBeGreaterThanOrEqual(3); // the lease, the capture, the cancellation
      for (const e of events)
        expect(Object.keys(e).sort()).toEqual(
          ['allocated', 'available', 'location', 'onHand', 'quarantined', 'sku'].sort(),
        );
      const stock = (await s.request('GET', `/api/v1/stock/${food.sku}`)).body.locations[0];
      expect(events.at(-1)).toEqual({
        sku: food.sku,
        location: loc.code,
        onHand: stock.onHand,
        allocated: stock.allocated,
        quarantined: stock.quarantined,
        available: stock.available,
      });
      // The capture's event, between the lease's and the cancellation's: all seven units on hand,
      // two for the first order, one leased and three for this one.
      expect(events.find((e) => e.allocated === 6)).toEqual({
        sku: food.sku,
        location: loc.code,
        onHand: 7,
        allocated: 6,
        quarantined: 0,
        available: 1,
      });
    });

    it('writes outbox events in the same transaction as the change', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 2);
      const r = await s.request('POST', '/api/v1/orders', order([{ sku: a.sku, quantity: 1 }]));
      const events = await s.testDb.database.db
        .selectFrom('outbox')
        .select(['type', 'payload'])
        .where('aggregate_id', 'in', [r.body.id, a.id])
        .orderBy('seq')
        .execute();
      const types = events.map((e) => e.type);
      expect(types).toContain('order.created');
      expect(types).toContain('order.allocated');
      const changed = events.filter((e) => e.type === 'stock.changed').map((e) => JSON.parse(e.payload));
      expect(changed.at(-1)).toMatchObject({ sku: a.sku, location: loc.code, available: 1 });
    });

    it('an order converting a lease gets what the lease held, even once that is safety stock', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      const lease = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        quantity: 4,
        ttlSeconds: 600,
      });
      expect(lease.status).toBe(201);
      await s.request('PUT', `/api/v1/stock/${a.sku}/safety-stock/${loc.code}`, { quantity: 10 });
      const converted = await s.request(
        'POST',
        '/api/v1/orders',
        order([{ sku: a.sku, quantity: 4 }], { reservations: [lease.body.id] }),
      );
      expect(converted.status).toBe(201);
      expect(converted.body.fulfillmentStatus).toBe('allocated');
      // No more than the lease held.
      const lease2 = await s.request('POST', '/api/v1/reservations', {
        sku: a.sku,
        quantity: 2,
        ttlSeconds: 600,
      });
      expect(lease2.status).toBe(409);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    // Alone, the order takes one of the lease's units where the lease held them and two are freed;
    // with a SKU only the near warehouse has, one shipment from there beats the lease's location and
    // all three are freed. Either way the outbox says what the conversion freed.
    for (const { name, mustShipNear } of [
      { name: 'with the stock it freed where the order did not take it', mustShipNear: false },
      { name: 'when its order must ship from elsewhere: all of its stock freed', mustShipNear: true },
    ])
      it(`a converted lease says so on the outbox, ${name}`, async () => {
        const near = await makeLocation(s, { lat: 40.0, lon: -83.0 });
        const far = await makeLocation(s, { lat: 39.5, lon: -119.8 });
        const a = await makeSku(s);
        const onlyNear = await makeSku(s);
        await receive(s, a.sku, near.code, 5);
        await receive(s, a.sku, far.code, 5);
        await receive(s, onlyNear.sku, near.code, 5);
        const lease = await s.request('POST', '/api/v1/reservations', {
          sku: a.sku,
          location: far.code,
          quantity: 3,
          ttlSeconds: 600,
        });
        expect(lease.status).toBe(201);
        const seqBefore = (
          await s.testDb.database.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .executeTakeFirstOrThrow()
        ).seq;
        const r = await s.request(
          'POST',
          '/api/v1/orders',
          order(
            [{ sku: a.sku, quantity: 1 }, ...(mustShipNear ? [{ sku: onlyNear.sku, quantity: 1 }] : [])],
            {
              reservations: [lease.body.id],
              shippingAddress: COLUMBUS,
            },
          ),
        );
        expect(r.status).toBe(201);
        expect(r.body.lines[0].allocations).toEqual([
          expect.objectContaining({ location: (mustShipNear ? near : far).code, quantity: 1 }),
        ]);
        const events = (
          await s.testDb.database.db
            .selectFrom('outbox')
            .select(['type', 'payload'])
            .where('seq', '>', Number(seqBefore))
            .orderBy('seq')
            .execute()
        ).map((e) => ({ type: e.type, payload: JSON.parse(e.payload) }));
        expect(events).toContainEqual({
          type: 'reservation.converted',
          payload: { reservationId: lease.body.id, orderId: r.body.id },
        });
        const changed = (location: string) =>
          events
            .filter(
              (e) => e.type === 'stock.changed' && e.payload.location === location && e.payload.sku === a.sku,
            )
            .at(-1)?.payload;
        if (mustShipNear) {
          expect(changed(near.code)).toMatchObject({ sku: a.sku, available: 4 });
          expect(changed(far.code)).toMatchObject({ sku: a.sku, available: 5 });
        } else {
          expect(changed(far.code)).toMatchObject({ sku: a.sku, available: 4 });
          expect(changed(near.code)).toBeUndefined();
        }
        expect((await s.request('GET', `/api/v1/reservations/${lease.body.id}`)).body.status).toBe(
          'converted',
        );
      });
  });
}
