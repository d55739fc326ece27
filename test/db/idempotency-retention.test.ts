/**
 * Idempotency keys older than the retention window are forgotten, in bounded batches; newer stay.
 * A key stored under the hash an earlier version computed still replays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneIdempotencyKeys, runIdempotent } from '../../src/app/idempotency.js';
import { idempotencyTtlHours, pruneExpiredKeys } from '../../src/jobs/idempotency-retention.job.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';

const NOW = Date.parse('2030-06-01T12:00:00.000Z');
const hoursAgo = (h: number, ms = 0) => new Date(NOW - h * 3_600_000 + ms).toISOString();

for (const dialect of DIALECTS) {
  describe(`idempotency key retention on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      const rows = [
        ...Array.from({ length: 2_500 }, (_, i) => ({ key: `old-${i}`, created_at: hoursAgo(48, i) })),
        ...Array.from({ length: 10 }, (_, i) => ({ key: `new-${i}`, created_at: hoursAgo(1, i) })),
        { key: 'edge', created_at: hoursAgo(24) }, // exactly at the cutoff: kept
      ];
      for (let i = 0; i < rows.length; i += 500)
        await t.database.db
          .insertInto('idempotency_keys')
          .values(
            rows.slice(i, i + 500).map((r) => ({
              principal: 'key_test',
              key: r.key,
              request_hash: 'h',
              status_code: 201,
              response: '{}',
              created_at: r.created_at,
            })),
          )
          .execute();
    });
    afterAll(() => t.drop());

    it('deletes at most a batch per transaction, oldest first', async () => {
      const deleted = await t.database.transact((tx) => pruneIdempotencyKeys(tx, hoursAgo(24), 1000));
      expect(deleted).toBe(1000);
      const oldest = await t.database.db
        .selectFrom('idempotency_keys')
        .select('key')
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirstOrThrow();
      expect(oldest.key).toBe('old-1000');
    });

    it('forgets every key older than the window and keeps the rest', async () => {
      expect(await pruneExpiredKeys(t.database, 24, NOW)).toBe(1_500);
      const left = await t.database.db.selectFrom('idempotency_keys').select('key').orderBy('key').execute();
      expect(left.map((r) => r.key)).toEqual(['edge', ...Array.from({ length: 10 }, (_, i) => `new-${i}`)]);
      expect(await pruneExpiredKeys(t.database, 24, NOW)).toBe(0);
    });

    it('reads the window from KIBBLE_IDEMPOTENCY_TTL_HOURS (24 when unset) and refuses anything but a positive number', () => {
      expect(idempotencyTtlHours({})).toBe(24);
      expect(idempotencyTtlHours({ KIBBLE_IDEMPOTENCY_TTL_HOURS: '' })).toBe(24);
      expect(idempotencyTtlHours({ KIBBLE_IDEMPOTENCY_TTL_HOURS: '2' })).toBe(2);
      expect(idempotencyTtlHours({ KIBBLE_IDEMPOTENCY_TTL_HOURS: '0.5' })).toBe(0.5);
      for (const bad of ['soon', '0', '-3', '1e3', ' 2'])
        expect(() => idempotencyTtlHours({ KIBBLE_IDEMPOTENCY_TTL_HOURS: bad })).toThrow(
          /KIBBLE_IDEMPOTENCY_TTL_HOURS must be a positive number of hours/,
        );
    });

    it('replays a key stored under a former hash of the same request; another request still gets 422', async () => {
      const scope = { principal: 'key_test', key: `upgrade-${dialect}` };
      const first = await runIdempotent(t.database, { ...scope, requestHash: 'former' }, async () => ({
        status: 201,
        body: { id: 'o1' },
      }));
      expect(first).toEqual({ status: 201, body: { id: 'o1' }, replayed: false });
      const never = async () => {
        throw new Error('must not run again');
      };
      const replayed = await runIdempotent(
        t.database,
        { ...scope, requestHash: 'current', formerHashes: ['former'] },
        never,
      );
      expect(replayed).toEqual({ status: 201, body: { id: 'o1' }, replayed: true });
      await expect(
        runIdempotent(t.database, { ...scope, requestHash: 'current', formerHashes: ['other'] }, never),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    });
  });
}
