/**
 * Migration 0010: orders stored before channel names became case-insensitive are found by a
 * channel's retry after it, whatever their old spelling; two orders that would collide stay apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../../src/db/migrations/0010-channel-names.js';
import { DIALECTS } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';
import { stockedServer } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`channel names migration on ${dialect}`, () => {
    let s: TestServer;
    let sku: string;
    beforeAll(async () => {
      ({ s, sku } = await stockedServer(dialect, 100));
    });
    afterAll(async () => s?.close());

    const place = (channel: string, externalId: string) =>
      s.request('POST', '/api/v1/orders', {
        channel,
        externalId,
        customer: { email: `m-${externalId}@example.com` },
        currency: 'USD',
        lines: [{ sku, quantity: 1, unitPriceMinor: 500 }],
      });
    /** Stores an order's channel and external id as an earlier version did: verbatim. */
    const storeAsBefore = (id: string, channel: string, externalId: string) =>
      s.testDb.database.db
        .updateTable('orders')
        .set({ channel, external_id: externalId })
        .where('id', '=', id)
        .execute();
    const stored = async (id: string) =>
      s.testDb.database.db
        .selectFrom('orders')
        .select(['channel', 'external_id'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();

    it('normalises old spellings, leaves a would-be duplicate as stored, and retries find the order', async () => {
      const upper = (await place('shopify', 'M-1')).body.id as string;
      await storeAsBefore(upper, 'SHOPIFY', ' M-1 ');
      const kept = (await place('shopify', 'M-2')).body.id as string;
      const twin = (await place('web', 'M-2')).body.id as string;
      await storeAsBefore(twin, 'Shopify ', 'M-2'); // would collide with `kept` once normalised

      await up(s.testDb.database.db);

      expect(await stored(upper)).toEqual({ channel: 'shopify', external_id: 'M-1' });
      expect(await stored(kept)).toEqual({ channel: 'shopify', external_id: 'M-2' });
      expect(await stored(twin)).toEqual({ channel: 'Shopify ', external_id: 'M-2' });
      const retry = await place('SHOPIFY', 'M-1');
      expect([retry.status, retry.body.id]).toEqual([201, upper]);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      // Run again, it changes nothing.
      await up(s.testDb.database.db);
      expect(await stored(twin)).toEqual({ channel: 'Shopify ', external_id: 'M-2' });
    });
  });
}
