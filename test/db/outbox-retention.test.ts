/**
 * Domain events older than the retention window leave the outbox, oldest first, in bounded
 * batches; newer ones and the `seq` order stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOutbox } from '../../src/app/outbox.js';
import { eventRetentionDays, pruneOldEvents } from '../../src/jobs/outbox-retention.job.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const NOW = Date.parse('2030-06-01T12:00:00.000Z');
const daysAgo = (d: number, ms = 0) => new Date(NOW - d * 86_400_000 + ms).toISOString();

for (const dialect of DIALECTS) {
  describe(`event retention on ${dialect}`, () => {
    let t: TestDatabase;
    const count = async () =>
      Number(
        (
          await t.database.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      const rows = [
        ...Array.from({ length: 2_500 }, (_, i) => ({ id: `old-${i}`, created_at: daysAgo(45, i) })),
        { id: 'edge', created_at: daysAgo(30) }, // exactly at the cutoff: kept
        ...Array.from({ length: 10 }, (_, i) => ({ id: `new-${i}`, created_at: daysAgo(1, i) })),
      ];
      for (let i = 0; i < rows.length; i += 500)
        await t.database.db
          .insertInto('outbox')
          .values(
            rows.slice(i, i + 500).map((r) => ({
              id: r.id,
              type: 'stock.changed',
              aggregate_type: 'sku',
              aggregate_id: 'sku_1',
              payload: '{}',
              created_at: r.created_at,
              published_at: null,
            })),
          )
          .execute();
    });
    afterAll(() => t.drop());

    it('deletes at most a batch per transaction, lowest seq first', async () => {
      expect(await t.database.transact((tx) => pruneOutbox(tx, daysAgo(30), 1000))).toBe(1000);
      const first = await t.database.db
        .selectFrom('outbox')
        .select('id')
        .orderBy('seq')
        .limit(1)
        .executeTakeFirstOrThrow();
      expect(first.id).toBe('old-1000');
      expect(await count()).toBe(1_511);
    });

    it('stops at the first event inside the window, even within a batch', async () => {
      expect(await t.database.transact((tx) => pruneOutbox(tx, daysAgo(30), 5000))).toBe(1_500);
      expect(await t.database.transact((tx) => pruneOutbox(tx, daysAgo(30), 5000))).toBe(0);
      expect(await count()).toBe(11);
    });

    it('forgets every event older than the window and keeps the rest, in seq order', async () => {
      expect(await pruneOldEvents(t.database, 2, NOW)).toBe(1); // the edge: 30 days is outside 2
      const left = await t.database.db.selectFrom('outbox').select('id').orderBy('seq').execute();
      expect(left.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `new-${i}`));
      expect(await pruneOldEvents(t.database, 2, NOW)).toBe(0);
    });

    it('reads the window from KIBBLE_EVENT_RETENTION_DAYS (30 when unset) and refuses anything but a positive number', () => {
      expect(eventRetentionDays({})).toBe(30);
      expect(eventRetentionDays({ KIBBLE_EVENT_RETENTION_DAYS: '' })).toBe(30);
      expect(eventRetentionDays({ KIBBLE_EVENT_RETENTION_DAYS: '7' })).toBe(7);
      for (const bad of ['forever', '0', '-3', '1e3'])
        expect(() => eventRetentionDays({ KIBBLE_EVENT_RETENTION_DAYS: bad })).toThrow(
          /KIBBLE_EVENT_RETENTION_DAYS must be a positive number of days/,
        );
    });
  });
}
