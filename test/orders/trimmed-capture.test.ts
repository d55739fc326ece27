/**
 * An order's shipping address and customer name are stored trimmed, as location addresses, names
 * and codes are: a storefront that pads a field (`"  1 Main St  "`, a postal code `" 43004"`) no
 * longer prints the padding on a label, gives the customer a second copy of an address they
 * already have, or renames them (a `customer.updated` event) for nothing but spaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`a padded shipping address and customer name on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('are stored trimmed at capture and on an address edit; the customer keeps one address and one name', async () => {
      const loc = await makeLocation(s);
      const sku = (await makeSku(s)).sku;
      await receive(s, sku, loc.code, 10);
      const email = `padded-${dialect}@example.com`;
      const address = (pad: string) => ({
        name: `${pad}Zoë Ωmega${pad}`,
        line1: `${pad}1 Main St${pad}`,
        line2: pad,
        city: `Columbus${pad}`,
        postalCode: `${pad}43004`,
        country: 'US',
        lat: 40,
        lon: -83,
      });
      const place = (pad: string) =>
        s.request('POST', '/api/v1/orders', {
          customer: { email, name: `${pad}Zoë${pad}` },
          currency: 'USD',
          shippingAddress: address(pad),
          lines: [{ sku, quantity: 1, unitPriceMinor: 100 }],
        });
      const tidy = {
        name: 'Zoë Ωmega',
        line1: '1 Main St',
        city: 'Columbus',
        postalCode: '43004',
        country: 'US',
        lat: 40,
        lon: -83,
      };

      const plain = await place('');
      const padded = await place('  ');
      expect([plain.status, padded.status]).toEqual([201, 201]);
      expect(padded.body.shippingAddress).toEqual(tidy);
      expect(padded.body.customer).toMatchObject({ id: plain.body.customer.id, name: 'Zoë' });
      expect((await s.request('GET', `/api/v1/orders/${padded.body.id}`)).body.shippingAddress).toEqual(tidy);

      const customer = await s.request('GET', `/api/v1/customers/${plain.body.customer.id}`);
      expect(customer.body.name).toBe('Zoë');
      expect(customer.body.addresses).toHaveLength(1);
      const renamed = await s.testDb.database.db
        .selectFrom('outbox')
        .select('type')
        .where('aggregate_id', '=', plain.body.customer.id)
        .where('type', '=', 'customer.updated')
        .execute();
      expect(renamed).toHaveLength(0);

      const edited = await s.request('PATCH', `/api/v1/orders/${plain.body.id}`, {
        shippingAddress: { ...address('\t '), line1: ' 2 Side St ' },
      });
      expect(edited.status).toBe(200);
      expect(edited.body.shippingAddress).toEqual({ ...tidy, line1: '2 Side St' });
    });
  });
}
