/**
 * Creates that race on a unique code: on PostgreSQL two transactions can both check "not there yet"
 * and both insert; the loser's unique violation must become the same answer a later request gets
 * (409 naming the field), or — where a second writer may share the row (a new lot, a new
 * customer) — success, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive, uniqueCode } from '../factories/catalog.js';

const AT_ONCE = 8;

for (const dialect of DIALECTS) {
  describe(`racing creates on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    const burst = (path: string, bodies: unknown[]) =>
      Promise.all(bodies.map((b) => s.request('POST', path, b)));

    function expectOneWinner(replies: Array<{ status: number; body: any }>, code: string, field: string) {
      expect(replies.map((r) => r.status).sort()).toEqual([
        201,
        ...Array.from({ length: replies.length - 1 }, () => 409),
      ]);
      for (const r of replies.filter((x) => x.status === 409)) {
        expect(r.body.code).toBe(code);
        expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    }

    it('the same SKU code: one 201, the rest 409 SKU_EXISTS', async () => {
      const sku = uniqueCode('RACE');
      const replies = await burst(
        '/api/v1/skus',
        Array.from({ length: AT_ONCE }, () => ({ sku, name: 'Racing SKU' })),
      );
      expectOneWinner(replies, 'SKU_EXISTS', 'sku');
    });

    it('the same barcode on different SKUs: one 201, the rest 409 BARCODE_EXISTS', async () => {
      const replies = await burst(
        '/api/v1/skus',
        Array.from({ length: AT_ONCE }, () => ({
          sku: uniqueCode('BC'),
          name: 'Barcoded',
          barcodes: ['4006381333931'],
        })),
      );
      expectOneWinner(replies, 'BARCODE_EXISTS', 'barcodes');
    });

    it('one GTIN written as EAN-13, GTIN-14 and UPC-style variants on different SKUs at once: one 201, the rest 409', async () => {
      // 0012345678905 (EAN-13), 00012345678905 (GTIN-14) and 012345678905 (UPC-A) are one product code.
      const forms = ['012345678905', '0012345678905', '00012345678905'];
      const replies = await burst(
        '/api/v1/skus',
        Array.from({ length: AT_ONCE }, (_, i) => ({
          sku: uniqueCode('GTIN'),
          name: 'Same GTIN',
          barcodes: [forms[i % forms.length]!],
        })),
      );
      expectOneWinner(replies, 'BARCODE_EXISTS', 'barcodes');
    });

    it('the same location code: one 201, the rest 409 LOCATION_EXISTS', async () => {
      const code = uniqueCode('LOC');
      const replies = await burst(
        '/api/v1/locations',
        Array.from({ length: AT_ONCE }, () => ({ code, name: 'Racing', kind: 'warehouse' })),
      );
      expectOneWinner(replies, 'LOCATION_EXISTS', 'code');
    });

    it('orders paid with one Stripe PaymentIntent at once: one 201, the rest 409 PAYMENT_EXISTS, stock of one order allocated', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      await receive(s, a.sku, loc.code, 50);
      const reference = `pi_${uniqueCode('race').toLowerCase()}`;
      const replies = await burst(
        '/api/v1/orders',
        Array.from({ length: AT_ONCE }, () => ({
          customer: { email: 'checkout@example.com' },
          currency: 'USD',
          lines: [{ sku: a.sku, quantity: 1, unitPriceMinor: 1000 }],
          payments: [{ provider: 'stripe', reference, amountMinor: 1000, status: 'authorized' }],
        })),
      );
      expectOneWinner(replies, 'PAYMENT_EXISTS', 'payments.0.reference');
      const winner = replies.find((r) => r.status === 201)!;
      for (const r of replies.filter((x) => x.status === 409)) expect(r.body.orderId).toBe(winner.body.id);
      const stock = await s.request('GET', `/api/v1/stock/${a.sku}`);
      expect(stock.body.totals.allocated).toBe(1);
    });

    it('receipts of one new lot at once: every receipt lands on the one lot', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s, { tracking: 'lot' });
      const replies = await Promise.all(
        Array.from({ length: AT_ONCE }, () =>
          s.request('POST', '/api/v1/stock/movements', {
            type: 'receipt',
            sku: sku.sku,
            location: loc.code,
            quantity: 2,
            lot: 'NEW-LOT',
            expiresOn: '2099-01-01',
          }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array.from({ length: AT_ONCE }, () => 201));
      const stock = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(stock.body.totals.onHand).toBe(2 * AT_ONCE);
      const lots = await s.testDb.database.db
        .selectFrom('lots')
        .select('code')
        .where('sku_id', '=', sku.id)
        .execute();
      expect(lots.map((l) => l.code)).toEqual(['NEW-LOT']);
    });

    it('orders of one new customer at once: every order is placed, for one customer', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 100);
      const email = `${uniqueCode('new').toLowerCase()}@example.com`;
      const replies = await Promise.all(
        Array.from({ length: AT_ONCE }, () =>
          s.request('POST', '/api/v1/orders', {
            customer: { email, name: 'New Customer' },
            currency: 'USD',
            lines: [{ sku: sku.sku, quantity: 1, unitPriceMinor: 100 }],
          }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array.from({ length: AT_ONCE }, () => 201));
      const customers = await s.testDb.database.db
        .selectFrom('customers')
        .select('id')
        .where('email', '=', email)
        .execute();
      expect(customers).toHaveLength(1);
      // One customer.created, and no customer.updated: every order brought the same name.
      const events = await s.testDb.database.db
        .selectFrom('outbox')
        .select('type')
        .where('aggregate_id', '=', customers[0]!.id)
        .execute();
      expect(events.map((e) => e.type)).toEqual(['customer.created']);
    });
  });
}
