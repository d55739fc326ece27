/**
 * Prepared statements answer exactly what the same Kysely query answers, for any values and any
 * shape, on both dialects; and the server's background checkpointer really checkpoints.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, openConnectionOf, openDatabase, type Database } from '../../src/db/database.js';
import { prepare, shapeOf, writeAll } from '../../src/db/prepared.js';
import type { BinTable, Flag, LocationTable } from '../../src/db/schema.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const insertLocations = prepare((db, p: { rows: LocationTable[] }) =>
  db.insertInto('locations').values(p.rows),
);

const insertBins = prepare((db, p: { rows: BinTable[] }) => db.insertInto('bins').values(p.rows));

const locationsByCode = prepare((db, p: { codes: readonly string[]; sellable: Flag | undefined }) => {
  let q = db.selectFrom('locations').select(['code', 'lat', 'sellable']).where('code', 'in', p.codes);
  if (p.sellable !== undefined) q = q.where('sellable', '=', p.sellable);
  return q.where('kind', '=', 'warehouse').orderBy('code');
});

const row = (i: number): LocationTable => ({
  id: `loc_${i}`,
  code: `W${i}`,
  code_key: `w${i}`,
  name: `Warehouse ${i}`,
  kind: i % 5 === 0 ? 'store' : 'warehouse',
  address: null,
  lat: i / 10,
  lon: null,
  sellable: i % 2 === 0 ? 0 : 1,
  version: 1,
  created_at: '2026-11-29T00:00:00.000Z',
  updated_at: '2026-11-29T00:00:00.000Z',
});

for (const dialect of DIALECTS) {
  describe(`prepared statements (${dialect})`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      // Multi-row inserts of different row counts share nothing but the builder.
      await insertLocations(t.database.db, { rows: [row(0)] });
      await insertLocations(t.database.db, { rows: [1, 2, 3].map(row) });
      await insertLocations(t.database.db, { rows: Array.from({ length: 16 }, (_, i) => row(i + 4)) });
    });
    afterAll(() => t.drop());

    it('reads rows as plain objects: every column, its value and type, the last of a repeated name', async () => {
      const db = t.database.db;
      const { rows } = await sql<Record<string, unknown>>`select 1 as a, 'x' as b, null as c, 2 as a`.execute(
        db,
      );
      expect(rows).toEqual([{ a: 2, b: 'x', c: null }]);
      const none = await sql`select 1 as a where 1 = 0`.execute(db);
      expect(none.rows).toEqual([]);
      const returned = await db
        .updateTable('locations')
        .set({ version: 7 })
        .where('code', 'in', ['W1', 'W2'])
        .returning(['code', 'version', 'lon'])
        .execute();
      expect(returned.sort((x, y) => x.code.localeCompare(y.code))).toEqual([
        { code: 'W1', version: 7, lon: null },
        { code: 'W2', version: 7, lon: null },
      ]);
    });

    it('reads a table’s new columns after a schema change, its own or another connection’s', async () => {
      const db = t.database.db;
      const all = async () =>
        (await sql<Record<string, unknown>>`select * from probe_columns`.execute(db)).rows;
      await sql`create table probe_columns (a integer)`.execute(db);
      await sql`insert into probe_columns (a) values (1)`.execute(db);
      expect(await all()).toEqual([{ a: 1 }]);
      await sql`alter table probe_columns add column b integer default 2`.execute(db);
      expect(await all()).toEqual([{ a: 1, b: 2 }]);
      const other = openDatabase(configFromEnv(t.env)); // as another process would
      try {
        await sql`alter table probe_columns add column c integer default 3`.execute(other.db);
      } finally {
        await other.close();
      }
      expect(await all()).toEqual([{ a: 1, b: 2, c: 3 }]);
      await sql`drop table probe_columns`.execute(db);
    });

    it('binds new values on every call and compiles per shape', async () => {
      const tx = t.database.db;
      const one = await locationsByCode(tx, { codes: ['W1', 'W3', 'W5'], sellable: undefined });
      expect(one.rows.map((r) => r.code)).toEqual(['W1', 'W3']); // W5 is a store
      const two = await locationsByCode(tx, { codes: ['W2', 'W4'], sellable: undefined });
      expect(two.rows.map((r) => r.code)).toEqual(['W2', 'W4']);
      const sellable = await locationsByCode(tx, { codes: ['W1', 'W2', 'W3'], sellable: 1 });
      expect(sellable.rows).toEqual([
        { code: 'W1', lat: 0.1, sellable: 1 },
        { code: 'W3', lat: 0.3, sellable: 1 },
      ]);
    });

    it('answers what the unprepared query answers, for any codes and filter', async () => {
      const codes = fc.constantFrom(...Array.from({ length: 24 }, (_, i) => `W${i}`));
      await fc.assert(
        fc.asyncProperty(
          fc.array(codes, { minLength: 1, maxLength: 8 }),
          fc.option(fc.constantFrom(0, 1), { nil: undefined }),
          async (list, sellable) => {
            const db = t.database.db;
            let q = db.selectFrom('locations').select(['code', 'lat', 'sellable']).where('code', 'in', list);
            if (sellable !== undefined) q = q.where('sellable', '=', sellable);
            const expected = await q.where('kind', '=', 'warehouse').orderBy('code').execute();
            const { rows } = await locationsByCode(db, { codes: list, sellable });
            expect(rows).toEqual(expected);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('puts each value in its column whatever the order of a row’s keys', async () => {
      let next = 10_000; // ids of five digits: apart from every other test’s rows
      const shuffled = (r: LocationTable, order: number[]): LocationTable => {
        const keys = Object.keys(r) as (keyof LocationTable)[];
        const out: Record<string, unknown> = {};
        for (const i of order) out[keys[i % keys.length]!] = r[keys[i % keys.length]!];
        for (const k of keys) out[k] = r[k]; // any key the permutation missed, last
        return out as unknown as LocationTable;
      };
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.nat({ max: 11 }), { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
          async (orders) => {
            const rows = orders.map((order) => shuffled(row(next++), order));
            await t.database.transact((tx) => insertLocations(tx, { rows }));
            const stored = await t.database.db
              .selectFrom('locations')
              .selectAll()
              .where(
                'id',
                'in',
                rows.map((r) => r.id),
              )
              .orderBy('id')
              .execute();
            const expected = [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
            expect(stored.map((r) => ({ ...r }))).toEqual(expected.map((r) => ({ ...r })));
          },
        ),
        { numRuns: 40 },
      );
    });

    it('writes several statements together, children after parents, all or nothing', async () => {
      const bin = (id: string, locationId: string): BinTable => ({
        id,
        location_id: locationId,
        code: id,
        sort_order: 0,
      });
      await t.database.transact((tx) =>
        writeAll(tx, [
          insertLocations.bind(tx, { rows: [row(60)] }),
          insertBins.bind(tx, { rows: [bin('B1', 'loc_60'), bin('B2', 'loc_60')] }),
          insertBins.bind(tx, { rows: [bin('B3', 'loc_60')] }),
        ]),
      );
      const bins = await t.database.db.selectFrom('bins').select('code').orderBy('code').execute();
      expect(bins.map((b) => b.code)).toEqual(['B1', 'B2', 'B3']);

      // The last write breaks the bins' unique key: the location written with it is gone too.
      await expect(
        t.database.transact((tx) =>
          writeAll(tx, [
            insertLocations.bind(tx, { rows: [row(61)] }),
            insertBins.bind(tx, { rows: [bin('B4', 'loc_61')] }),
            insertBins.bind(tx, { rows: [bin('B1', 'loc_60')] }),
          ]),
        ),
      ).rejects.toThrow();
      const after = await t.database.db
        .selectFrom('locations')
        .select('id')
        .where('id', '=', 'loc_61')
        .execute();
      expect(after).toEqual([]);
      expect(await t.database.db.selectFrom('bins').select('code').execute()).toHaveLength(3);
    });

    it('writes more values than one PostgreSQL statement can carry', async () => {
      const many = (from: number) =>
        Array.from({ length: 1_300 }, (_, i) => ({ ...row(1_000 + from + i), kind: 'warehouse' as const }));
      await t.database.transact((tx) =>
        writeAll(tx, [
          insertLocations.bind(tx, { rows: many(0) }), // 1,300 rows × 12 columns each: 31,200 values
          insertLocations.bind(tx, { rows: many(1_300) }),
        ]),
      );
      const n = await t.database.db
        .selectFrom('locations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('id', '>=', 'loc_1000')
        .where('id', 'like', 'loc_____')
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(2_600);
    });

    if (dialect === 'postgres') {
      it('survives a schema change under a named statement (stale plans are retried on a fresh connection)', async () => {
        const names = prepare((db, p: { code: string }) =>
          db.selectFrom('locations').select(['code', 'name']).where('code', '=', p.code),
        );
        for (let i = 0; i < 20; i++) await t.database.transact((tx) => names(tx, { code: 'W1' }));
        await sql`alter table locations alter column name type varchar(300)`.execute(t.database.db);
        for (let i = 0; i < 20; i++) {
          const { rows } = await t.database.transact((tx) => names(tx, { code: 'W1' }));
          expect(rows).toEqual([{ code: 'W1', name: 'Warehouse 1' }]);
        }
      });
    }

    it('refuses object values, which would freeze at the first call', async () => {
      const byAddress = prepare((db, p: { address: { line1: string } }) =>
        db
          .selectFrom('locations')
          .select('code')
          .where('address', '=', p.address as unknown as string),
      );
      await expect(byAddress(t.database.db, { address: { line1: 'x' } })).rejects.toThrow(/serialised/);
    });

    it('follows a params object its caller changes between calls', async () => {
      const params = { codes: ['W1'], sellable: undefined as Flag | undefined };
      const first = await locationsByCode(t.database.db, params);
      expect(first.rows.map((r) => r.code)).toEqual(['W1']);
      params.codes.push('W3');
      params.sellable = 1;
      const second = await locationsByCode(t.database.db, params);
      expect(second.rows.map((r) => r.code)).toEqual(['W1', 'W3']);
    });

    it('refuses a statement through a transaction that has ended, instead of running it in another', async () => {
      let finished: Parameters<Parameters<typeof t.database.transact>[0]>[0] | undefined;
      await t.database.transact(async (tx) => {
        await locationsByCode(tx, { codes: ['W1'], sellable: undefined });
        expect(openConnectionOf(tx)).toBeDefined(); // the fast path: later statements go straight to it
        finished = tx;
      });
      expect(openConnectionOf(finished!)).toBeUndefined();
      await expect(insertLocations(finished!, { rows: [row(77)] })).rejects.toThrow(/committed/);
      // Another transaction is open meanwhile: the stray INSERT must not land in it either.
      await t.database.transact(async (tx) => {
        await expect(insertLocations(finished!, { rows: [row(78)] })).rejects.toThrow(/committed/);
        await locationsByCode(tx, { codes: ['W1'], sellable: undefined });
      });
      // The same for a transaction opened with Kysely directly rather than through `transact`.
      let direct: typeof finished;
      await t.database.db.transaction().execute(async (tx) => {
        await locationsByCode(tx, { codes: ['W1'], sellable: undefined });
        expect(openConnectionOf(tx)).toBeUndefined();
        direct = tx;
      });
      await expect(insertLocations(direct!, { rows: [row(79)] })).rejects.toThrow(/committed/);
      const stray = await t.database.db
        .selectFrom('locations')
        .select('id')
        .where('id', 'in', ['loc_77', 'loc_78', 'loc_79'])
        .execute();
      expect(stray).toEqual([]);
    });

    it('works inside transactions, where it sees the transaction’s own writes', async () => {
      await t.database.transact(async (tx) => {
        await insertLocations(tx, { rows: [row(41)] });
        const { rows } = await locationsByCode(tx, { codes: ['W41'], sellable: undefined });
        expect(rows).toEqual([{ code: 'W41', lat: 4.1, sellable: 1 }]);
      });
    });
  });
}

describe('shapeOf', () => {
  it('writes rows of one shape as their count and that shape', () => {
    const rows = [
      { a: 1, b: 'x' },
      { b: 'y', a: 2 },
    ];
    expect(shapeOf({ rows })).toBe('{rows:[2*{a:,b:,}],}');
    expect(shapeOf({ rows: [] })).toBe('{rows:[],}');
  });

  it('tells apart what changes the SQL: a missing value, another key, another length', () => {
    const base = shapeOf({
      rows: [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
    });
    const shapes = [
      shapeOf({
        rows: [
          { a: 1, b: 2 },
          { a: 3, b: undefined },
        ],
      }),
      shapeOf({
        rows: [
          { a: 1, b: 2 },
          { a: 3, c: 4 },
        ],
      }),
      shapeOf({ rows: [{ a: 1, b: 2 }, { a: 3 }] }),
      shapeOf({
        rows: [
          { a: 1, b: 2 },
          { a: 3, b: 4, c: 5 },
        ],
      }),
      shapeOf({
        rows: [
          { a: 1, b: 2 },
          { a: 3, b: [4] },
        ],
      }),
      shapeOf({ rows: [{ a: 1, b: 2 }] }),
      shapeOf({
        rows: [
          { b: 2, a: 1 },
          { a: 3, b: 4 },
        ],
      }),
    ];
    expect(new Set([base, ...shapes]).size).toBe(shapes.length + 1);
  });
});

describe('background checkpoints (SQLite server)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function writeAndWait(backgroundCheckpoints: boolean): Promise<{ before: number; after: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'kibble-ckpt-'));
    dirs.push(dir);
    const file = join(dir, 'k.sqlite');
    const database: Database = openDatabase({ dialect: 'sqlite', file, backgroundCheckpoints });
    await database.migrate();
    await new Promise((r) => setTimeout(r, 200));
    const before = statSync(file).size;
    // ~750 KB of rows: far below the writer's own threshold, so only a background checkpoint moves
    // them from the WAL into the database file.
    for (let batch = 0; batch < 10; batch++) {
      await database.transact(async (tx) => {
        await insertLocations(tx, {
          rows: Array.from({ length: 50 }, (_, i) => ({
            ...row(batch * 50 + i),
            address: 'x'.repeat(1500),
          })),
        });
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    const after = statSync(file).size;
    await database.close();
    return { before, after };
  }

  it('closes once or twice without hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kibble-ckpt-'));
    dirs.push(dir);
    const database = openDatabase({
      dialect: 'sqlite',
      file: join(dir, 'k.sqlite'),
      backgroundCheckpoints: true,
    });
    await database.migrate();
    await database.close();
    await database.close();
  });

  it('copies committed pages into the database file without waiting for the writer', async () => {
    const background = await writeAndWait(true);
    expect(background.after - background.before).toBeGreaterThan(500_000);
    const inline = await writeAndWait(false);
    expect(inline.after).toBe(inline.before);
  });
});
