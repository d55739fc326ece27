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

/** The counters of the newest `stock.changed` (of any pair), to compare with `GET /stock`. */
export async function newestStockChanged(
  db: Kysely<DB>,
): Promise<{ onHand: unknown; allocated: unknown; available: unknown }> {
  const row = await db
    .selectFrom('outbox')
    .select('payload')
    .where('type', '=', 'stock.changed')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const p = JSON.parse(row.payload) as Record<string, unknown>;
  return { onHand: p['onHand'], allocated: p['allocated'], available: p['available'] };
}
