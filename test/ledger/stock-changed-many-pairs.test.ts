/**
 * `stock.changed` for many (SKU, location) pairs at once — a count's approval can announce
 * thousands — is read in chunks of SKUs × locations. Each chunk's read is a cross product, so a pair
 * of another chunk can come back with it: every pair must still be counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { exactStockChanged } from '../../src/app/stock/availability.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });
const SKUS = 502;

for (const dialect of DIALECTS) {
  describe(`stock.changed of many pairs at once (${dialect})`, () => {
    let t: TestDatabase;
    const ids: string[] = [];
    let east = '';
    let west = '';
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      await t.database.transact(async (tx) => {
        east = (await createLocation(tx, { code: 'E', name: 'East', kind: 'warehouse' })).id;
        west = (await createLocation(tx, { code: 'W', name: 'West', kind: 'warehouse' })).id;
        for (let i = 0; i < SKUS; i++) {
          ids.push((await createSku(tx, { sku: `S${i}`, name: `S${i}`, priceMinor: 100 })).id);
          await postMovement(tx, { type: 'receipt', sku: `S${i}`, location: 'E', quantity: i + 1 }, ctx());
        }
        await postMovement(tx, { type: 'receipt', sku: 'S500', location: 'W', quantity: 7 }, ctx());
      });
    }, 60_000);
    afterAll(() => t.drop());

    it('counts a pair once when another chunk’s cross product also reads it', async () => {
      // The first 500 pairs name S500 at West, so their read of SKUs × {East, West} also returns
      // S500 at East — which the second chunk names.
      const pairs = [
        ...ids.slice(0, 499).map((skuId) => ({ skuId, locationId: east })),
        { skuId: ids[500]!, locationId: west },
        { skuId: ids[500]!, locationId: east },
        { skuId: ids[499]!, locationId: east },
        { skuId: ids[501]!, locationId: east },
      ];
      const events = await t.database.transact((tx) => exactStockChanged(tx, pairs, ctx().at));
      expect(events).toHaveLength(pairs.length);
      const onHand = (i: number) => (events[i]!.payload as { onHand: number; sku: string }).onHand;
      pairs.forEach((p, i) => {
        const sku = ids.indexOf(p.skuId);
        expect(onHand(i)).toBe(p.locationId === west ? 7 : sku + 1);
      });
    });
  });
}
