/**
 * A change that moves the availability of thousands of SKUs writes all their events in its own
 * transaction, in INSERTs small enough for SQLite's bound-parameter limit (32,766) and PostgreSQL's
 * (65,535): a location with 10,000 SKUs turned unsellable writes 10,000 `stock.changed` rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emit, OUTBOX_ROWS_PER_INSERT } from '../../src/app/outbox.js';
import { createLocation, updateLocation } from '../../src/app/locations/locations.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const SKUS = 10_000;
const AT = '2030-06-01T12:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`large event batches on ${dialect}`, () => {
    let t: TestDatabase;
    const outboxRows = async (type: string) =>
      t.database.db
        .selectFrom('outbox')
        .select(['aggregate_id', 'payload'])
        .where('type', '=', type)
        .orderBy('seq')
        .execute();

    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      const db = t.database.db;
      const location = await t.database.transact((tx) =>
        createLocation(tx, { code: 'BIG', name: 'Big warehouse', kind: 'warehouse' }),
      );
      await db
        .insertInto('products')
        .values({ id: 'prd_big', name: 'Big', description: null, created_at: AT, updated_at: AT })
        .execute();
      // Seeded directly: 10,000 SKUs through the API would take minutes. Balances with no ledger
      // rows are fine here; nothing verifies the ledger in this database.
      for (let start = 0; start < SKUS; start += 500) {
        const ids = Array.from({ length: Math.min(500, SKUS - start) }, (_, i) => start + i);
        const code = (n: number) => `BIG-${String(n).padStart(5, '0')}`;
        await db
          .insertInto('skus')
          .values(
            ids.map((n) => ({
              id: `sku_big_${n}`,
              sku: code(n),
              sku_key: code(n),
              product_id: 'prd_big',
              name: `Big ${n}`,
              unit: 'each',
              cost_minor: null,
              price_minor: 100,
              currency: 'USD',
              tax_class: null,
              tracking: 'none' as const,
              shelf_life_days: null,
              min_remaining_shelf_life_days: 0,
              weight_grams: null,
              length_mm: null,
              width_mm: null,
              height_mm: null,
              is_bundle: 0 as const,
              active: 1 as const,
              version: 1,
              created_at: AT,
              updated_at: AT,
            })),
          )
          .execute();
        await db
          .insertInto('balances')
          .values(
            ids.map((n) => ({
              sku_id: `sku_big_${n}`,
              location_id: location.id,
              lot_id: '',
              bin_code: null,
              on_hand: 5 + (n % 7),
              allocated: n % 3,
              quarantined: 0,
              updated_at: AT,
            })),
          )
          .execute();
      }
    }, 120_000);
    afterAll(async () => {
      await t?.drop();
    });

    it(`emit writes ${SKUS} events in statements of ${OUTBOX_ROWS_PER_INSERT} rows`, async () => {
      const events = Array.from({ length: SKUS }, (_, i) => ({
        type: 'test.bulk',
        aggregateType: 'test',
        aggregateId: `t${i}`,
        payload: { i },
      }));
      await t.database.transact((tx) => emit(tx, AT, events));
      const rows = await outboxRows('test.bulk');
      expect(rows.map((r) => r.aggregate_id)).toEqual(events.map((e) => e.aggregateId));
    });

    it(`turning a location with ${SKUS} SKUs unsellable writes one stock.changed per SKU, in one transaction`, async () => {
      const started = performance.now();
      await t.database.transact((tx) => updateLocation(tx, 'BIG', { sellable: false }, null));
      const ms = performance.now() - started;
      console.log(`[${dialect}] sellable toggle over ${SKUS} SKUs: ${ms.toFixed(0)} ms`);
      const rows = await outboxRows('stock.changed');
      expect(rows).toHaveLength(SKUS);
      const payloads = rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
      expect(payloads[0]).toEqual({
        sku: 'BIG-00000',
        location: 'BIG',
        onHand: 5,
        allocated: 0,
        quarantined: 0,
        available: 0,
      });
      expect(payloads.every((p) => p['available'] === 0)).toBe(true);
      expect(new Set(rows.map((r) => r.aggregate_id)).size).toBe(SKUS);

      // And back: every SKU's free units again.
      await t.database.transact((tx) => updateLocation(tx, 'BIG', { sellable: true }, null));
      const back = (await outboxRows('stock.changed')).slice(SKUS).map((r) => JSON.parse(r.payload));
      expect(back).toHaveLength(SKUS);
      expect(back[SKUS - 1]).toEqual({
        sku: 'BIG-09999',
        location: 'BIG',
        onHand: 5 + (9999 % 7),
        allocated: 9999 % 3,
        quarantined: 0,
        available: 5 + (9999 % 7) - (9999 % 3),
      });
    }, 60_000);
  });
}
