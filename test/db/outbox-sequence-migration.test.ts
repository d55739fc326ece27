/**
 * Migration 0011 rebuilds the outbox without `AUTOINCREMENT` (SQLite) and without the UNIQUE
 * constraint on event ids (both): rows and their `seq` survive, the next `seq` follows the largest
 * ever issued even when retention had emptied the table, and retention keeps the newest event so
 * that numbers never go back afterwards.
 */
import { Migrator, sql, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../src/db/migrations/index.js';
import { pruneOutbox } from '../../src/app/outbox.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const migrator = (t: TestDatabase) =>
  new Migrator({
    db: t.database.db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
  });

const event = (id: string, created_at: string) => ({
  id,
  type: 'stock.changed',
  aggregate_type: 'sku',
  aggregate_id: 'sku_1',
  payload: '{}',
  created_at,
  published_at: null,
});

const OLD = '2020-01-01T00:00:00.000Z';
const NEW = '2030-01-01T00:00:00.000Z';

for (const dialect of DIALECTS) {
  describe(`outbox sequence on ${dialect}`, () => {
    let t: TestDatabase | undefined;
    afterEach(async () => t?.drop());

    const seqs = async () =>
      (await t!.database.db.selectFrom('outbox').select(['seq', 'id']).orderBy('seq').execute()).map((r) => [
        Number(r.seq),
        r.id,
      ]);
    const insert = (...ids: string[]) =>
      t!.database.db
        .insertInto('outbox')
        .values(ids.map((id) => event(id, OLD)))
        .execute();

    it('keeps every event and its seq through the migration; the next seq follows on', async () => {
      t = await createTestDatabase(dialect, { migrate: false });
      await migrator(t).migrateTo('0010-channel-names');
      await insert('a', 'b', 'c');
      await t.database.db.deleteFrom('outbox').where('id', '=', 'a').execute();
      await migrator(t).migrateToLatest();
      await insert('d');
      expect(await seqs()).toEqual([
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
      ]);
      // An event id is no longer a constraint of the table (ids are UUIDv7s Kibble makes).
      await insert('d');
      expect((await seqs()).length).toBe(4);
    });

    it('keeps the high-water mark of an outbox retention had emptied', async () => {
      t = await createTestDatabase(dialect, { migrate: false });
      await migrator(t).migrateTo('0010-channel-names');
      await insert('a', 'b', 'c');
      await t.database.db.deleteFrom('outbox').execute();
      await migrator(t).migrateToLatest();
      await insert('d');
      const after = await seqs();
      expect(after.at(-1)).toEqual([4, 'd']);
      if (dialect === 'sqlite') {
        // The mark survives as one event of its own, and SQLite's sequence table forgets the outbox.
        expect(after.map(([seq]) => seq)).toEqual([3, 4]);
        const { rows } = await sql<{
          n: number;
        }>`select count(*) as n from sqlite_sequence where name = 'outbox'`.execute(t.database.db);
        expect(Number(rows[0]!.n)).toBe(0);
      }
    });

    it('retention never deletes the newest event, so seq never goes back', async () => {
      t = await createTestDatabase(dialect);
      await insert('a', 'b', 'c');
      expect(await t.database.transact((tx) => pruneOutbox(tx, NEW))).toBe(2);
      expect(await t.database.transact((tx) => pruneOutbox(tx, NEW))).toBe(0);
      await insert('d');
      expect(await seqs()).toEqual([
        [3, 'c'],
        [4, 'd'],
      ]);
    });
  });
}
