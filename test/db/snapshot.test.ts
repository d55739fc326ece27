/**
 * `Database.snapshot` reads one committed state however many statements it takes: another
 * process's commit in between is not seen (so `stock verify` never reports a difference that is
 * only another transaction half-read), and it takes no write lock (the other commit goes through).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, openDatabase, type Database, type Tx } from '../../src/db/database.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

for (const dialect of DIALECTS) {
  describe(`read snapshots on ${dialect}`, () => {
    let t: TestDatabase;
    let other: Database;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      other = openDatabase(configFromEnv({ ...process.env, ...t.env }));
    });
    afterAll(async () => {
      await other?.close();
      await t?.drop();
    });

    const insert = (db: Database, id: string) =>
      db.transact((tx) =>
        tx
          .insertInto('outbox')
          .values({
            id,
            type: 'test.snapshot',
            aggregate_type: 'test',
            aggregate_id: id,
            payload: '{}',
            created_at: new Date().toISOString(),
            published_at: null,
          })
          .execute(),
      );
    const count = async (tx: Tx) =>
      Number(
        (
          await tx
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('type', '=', 'test.snapshot')
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('sees the same rows before and after another process commits, and the commit is not blocked', async () => {
      await insert(t.database, 'evt_snapshot_1');
      const seen = await t.database.snapshot(async (tx) => {
        const first = await count(tx);
        await insert(other, 'evt_snapshot_2'); // commits while the snapshot is open
        return [first, await count(tx)];
      });
      expect(seen).toEqual([1, 1]);
      expect(await count(t.database.db)).toBe(2);
    });
  });
}
