/**
 * A lot that expires (or comes within its SKU's minimum remaining shelf life) stops being available
 * when the day turns, with no movement: the newest `stock.changed` of its (SKU, location), and of
 * the bundles made of it there, must then say so, once, whichever process notices first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { postMovement } from '../../src/app/stock/post-movement.js';
import { announceLotExpiries } from '../../src/app/stock/lot-expiry.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const ctx = (at: string) => ({ actor: 'test', requestId: null, at });

for (const dialect of DIALECTS) {
  describe(`stock.changed when lots expire (${dialect})`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      const at = ctx('2030-01-01T12:00:00.000Z');
      await t.database.transact(async (tx) => {
        await createLocation(tx, { code: 'W', name: 'West', kind: 'warehouse' });
        await createSku(tx, { sku: 'FOOD', name: 'Food', priceMinor: 100, tracking: 'lot' });
        await createSku(tx, {
          sku: 'MEDS',
          name: 'Meds',
          priceMinor: 100,
          tracking: 'lot',
          minRemainingShelfLifeDays: 5,
        });
        await createSku(tx, {
          sku: 'KIT',
          name: 'Kit',
          priceMinor: 100,
          components: [{ sku: 'FOOD', quantity: 1 }],
        });
        await postMovement(
          tx,
          { type: 'receipt', sku: 'FOOD', location: 'W', quantity: 5, lot: 'A', expiresOn: '2030-01-10' },
          at,
        );
        await postMovement(
          tx,
          { type: 'receipt', sku: 'FOOD', location: 'W', quantity: 3, lot: 'B', expiresOn: '2030-03-01' },
          at,
        );
        await postMovement(
          tx,
          { type: 'receipt', sku: 'MEDS', location: 'W', quantity: 4, lot: 'M', expiresOn: '2030-01-20' },
          at,
        );
      });
    });
    afterAll(() => t.drop());

    const newest = async () => {
      const rows = await t.database.db
        .selectFrom('outbox')
        .select(['seq', 'payload'])
        .where('type', '=', 'stock.changed')
        .orderBy('seq')
        .execute();
      const by = new Map<string, number>();
      for (const r of rows) {
        const p = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as {
          sku: string;
          location: string;
          available: number;
        };
        by.set(`${p.sku}@${p.location}`, p.available);
      }
      return { available: Object.fromEntries(by), count: rows.length };
    };

    it('announces each pair once on the day its lot stops being sellable', async () => {
      expect((await newest()).available).toEqual({ 'FOOD@W': 8, 'KIT@W': 8, 'MEDS@W': 4 });

      // 10 January: lot A expires (a lot expiring today is unsellable); MEDS still has 10 days.
      const jan10 = '2030-01-10T00:00:30.000Z';
      const runs = await Promise.all(
        [1, 2].map(() => t.database.transact((tx) => announceLotExpiries(tx, ctx(jan10)))),
      );
      expect(runs.sort()).toEqual([0, 1]);
      const after10 = await newest();
      expect(after10.available).toEqual({ 'FOOD@W': 3, 'KIT@W': 3, 'MEDS@W': 4 });
      // Again the same day: nothing new.
      expect(
        await t.database.transact((tx) => announceLotExpiries(tx, ctx('2030-01-10T18:00:00.000Z'))),
      ).toBe(0);
      expect((await newest()).count).toBe(after10.count);

      // 15 January: MEDS's lot is within its 5 days of minimum remaining shelf life.
      expect(
        await t.database.transact((tx) => announceLotExpiries(tx, ctx('2030-01-15T00:00:01.000Z'))),
      ).toBe(1);
      const after15 = await newest();
      expect(after15.available).toEqual({ 'FOOD@W': 3, 'KIT@W': 3, 'MEDS@W': 0 });
      expect(after15.count).toBe(after10.count + 1);
    });
  });
}
