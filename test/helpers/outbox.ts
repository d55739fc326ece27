/** Outbox reads for tests: where the outbox stands now, and what was written after that. */
import type { Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.js';

/** The outbox's highest `seq` now (0 when empty): what a later read of new events starts after. */
export async function lastSeq(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.max('seq').as('m'))
    .executeTakeFirstOrThrow();
  return Number(row.m ?? 0);
}
