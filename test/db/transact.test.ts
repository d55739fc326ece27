/**
 * `Database.transact` runs each unit of work atomically, and one unit's failure never touches
 * another's writes — on SQLite, where concurrent units share one group commit (each in a savepoint
 * of its own), as on PostgreSQL, where each has its own transaction. On SQLite a unit that arrives
 * while a batch runs joins that batch's commit.
 */
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../src/db/database.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

/** Two outbox rows per unit, so a half-done unit would show. */
async function writeUnit(tx: Tx, id: string): Promise<void> {
  for (const part of ['a', 'b'])
    await tx
      .insertInto('outbox')
      .values({
        id: `${id}-${part}`,
        type: 'test',
        aggregate_type: 'test',
        aggregate_id: id,
        payload: '{}',
        created_at: new Date().toISOString(),
        published_at: null,
      })
      .execute();
}

for (const dialect of DIALECTS) {
  describe(`transact on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    const written = async (prefix: string) =>
      (
        await t.database.db
          .selectFrom('outbox')
          .select('aggregate_id')
          .distinct()
          .where('aggregate_id', 'like', `${prefix}%`)
          .orderBy('aggregate_id')
          .execute()
      ).map((r) => r.aggregate_id);

    it('keeps every succeeding unit and nothing of a failing one, whatever the interleaving', async () => {
      const units = Array.from({ length: 60 }, (_, i) => `iso-${String(i).padStart(2, '0')}`);
      const outcomes = await Promise.allSettled(
        units.map((id, i) =>
          t.database.transact(async (tx) => {
            await writeUnit(tx, id);
            if (i % 3 === 0) throw new Error(`unit ${id} fails after writing`);
            return id;
          }),
        ),
      );
      outcomes.forEach((o, i) => expect(o.status).toBe(i % 3 === 0 ? 'rejected' : 'fulfilled'));
      expect(await written('iso-')).toEqual(units.filter((_, i) => i % 3 !== 0));
      const rows = await t.database.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('aggregate_id', 'like', 'iso-%')
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(40 * 2);
    });

    it('rolls back a lone failing unit entirely', async () => {
      await expect(
        t.database.transact(async (tx) => {
          await writeUnit(tx, 'lone-1');
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(await written('lone-')).toEqual([]);
    });

    it('a unit whose statement fails leaves the others of its batch intact', async () => {
      const [bad, good] = await Promise.allSettled([
        t.database.transact(async (tx) => {
          await writeUnit(tx, 'stmt-1');
          await sql`insert into no_such_table values (1)`.execute(tx);
        }),
        t.database.transact((tx) => writeUnit(tx, 'stmt-2')),
      ]);
      expect(bad.status).toBe('rejected');
      expect(good.status).toBe('fulfilled');
      expect(await written('stmt-')).toEqual(['stmt-2']);
    });

    if (dialect === 'sqlite') {
      it('closing waits for the units already queued, which commit', async () => {
        const db = await createTestDatabase('sqlite');
        try {
          const units = Array.from({ length: 10 }, (_, i) =>
            db.database.transact((tx) => writeUnit(tx, `close-${i}`)),
          );
          const closed = db.database.close();
          await expect(db.database.transact((tx) => writeUnit(tx, 'too-late'))).rejects.toThrow(/closing/);
          await closed;
          await Promise.all(units);
          const reader = new Sqlite(db.env['KIBBLE_DB'], { readonly: true });
          const { n } = reader
            .prepare(`select count(*) as n from outbox where aggregate_id like 'close-%'`)
            .get() as {
            n: number;
          };
          reader.close();
          expect(n).toBe(20);
        } finally {
          await db.drop();
        }
      });

      it('a unit that joins a running batch and fails leaves the batch’s first unit committed', async () => {
        let late: Promise<unknown> | undefined;
        await t.database.transact(async (tx) => {
          await writeUnit(tx, 'joinfail-1');
          late = new Promise((resolve) =>
            setImmediate(() =>
              resolve(
                t.database
                  .transact(async (tx2) => {
                    await writeUnit(tx2, 'joinfail-2');
                    throw new Error('the joined unit fails');
                  })
                  .catch((e: Error) => e.message),
              ),
            ),
          );
        });
        expect(await late).toBe('the joined unit fails');
        expect(await written('joinfail-')).toEqual(['joinfail-1']);
      });

      it('a batch with a read waiting for the connection commits instead of taking in more', async () => {
        const reader = new Sqlite(t.env['KIBBLE_DB'], { readonly: true });
        try {
          const committed = (id: string) =>
            (
              reader.prepare('select count(*) as n from outbox where aggregate_id = ?').get(id) as {
                n: number;
              }
            ).n;
          let late: Promise<number> | undefined;
          let read: Promise<unknown> | undefined;
          await t.database.transact(async (tx) => {
            await writeUnit(tx, 'read-1');
            late = new Promise((resolve, reject) =>
              setImmediate(() => {
                // A GET's query and a write arrive in the same turn: the read must not wait for the write.
                read = t.database.db.selectFrom('outbox').select('id').limit(1).execute();
                t.database
                  .transact(async (tx2) => {
                    await writeUnit(tx2, 'read-2');
                    return committed('read-1');
                  })
                  .then(resolve, reject);
              }),
            );
          });
          await read;
          // The write ran in a batch of its own, after the first had committed.
          expect(await late).toBe(2);
        } finally {
          reader.close();
        }
      });

      it('a unit that arrives while a batch runs joins that batch’s commit', async () => {
        const file = t.env['KIBBLE_DB']!;
        const reader = new Sqlite(file, { readonly: true });
        try {
          const committed = (id: string) =>
            reader.prepare('select count(*) as n from outbox where aggregate_id = ?').get(id) as {
              n: number;
            };
          let late: Promise<number> | undefined;
          await t.database.transact(async (tx) => {
            await writeUnit(tx, 'join-1');
            // Queued on the next event-loop turn, after this unit has finished but before its commit.
            late = new Promise((resolve, reject) =>
              setImmediate(() => {
                t.database
                  .transact(async (tx2) => {
                    await writeUnit(tx2, 'join-2');
                    // Another connection does not see the first unit yet: both commit together.
                    return committed('join-1').n;
                  })
                  .then(resolve, reject);
              }),
            );
          });
          expect(await late).toBe(0);
          expect(committed('join-1').n).toBe(2);
          expect(committed('join-2').n).toBe(2);
        } finally {
          reader.close();
        }
      });
    }
  });
}
