/**
 * The transactional outbox: every state change writes its domain event in the same transaction,
 * so an event exists if and only if the change committed. Dispatchers (webhooks, the UI's live
 * stream) read it afterwards in `seq` order.
 */
import type { Tx } from '../db/database.js';
import type { Insertable } from 'kysely';
import { prepare, writeOrQueue, type Bound } from '../db/prepared.js';
import type { OutboxTable } from '../db/schema.js';
import { newId } from '../domain/ids.js';

export type DomainEvent = {
  readonly type: string; // e.g. 'order.created', 'stock.changed'
  readonly aggregateType: string; // 'order', 'sku', …
  readonly aggregateId: string;
  readonly payload: Readonly<Record<string, unknown>>;
};

const insertOutboxRows = prepare((db, p: { rows: Insertable<OutboxTable>[] }) =>
  db.insertInto('outbox').values(p.rows),
);

/**
 * Rows per INSERT: 7 parameters each, so 7,000 per statement — far below SQLite's limit of 32,766
 * bound parameters and PostgreSQL's 65,535, and within `writeAll`'s budget for combining. A change
 * that writes thousands of events (a location's sellable flag, one `stock.changed` per SKU there)
 * sends them in statements of this many rows.
 */
export const OUTBOX_ROWS_PER_INSERT = 1_000;

/** Writes the events; with `writes`, queues the INSERTs there instead (see `writeAll`). */
export async function emit(
  tx: Tx,
  at: string,
  events: readonly DomainEvent[],
  writes?: Bound[],
): Promise<void> {
  for (let start = 0; start < events.length; start += OUTBOX_ROWS_PER_INSERT) {
    const chunk =
      events.length <= OUTBOX_ROWS_PER_INSERT ? events : events.slice(start, start + OUTBOX_ROWS_PER_INSERT);
    const bound = insertOutboxRows.bind(tx, {
      rows: chunk.map((e) => ({
        id: newId('event'),
        type: e.type,
        aggregate_type: e.aggregateType,
        aggregate_id: e.aggregateId,
        payload: JSON.stringify(e.payload),
        created_at: at,
        published_at: null,
      })),
    });
    await writeOrQueue(tx, bound, writes);
  }
}

/**
 * Deletes the oldest events created before `before`, at most `limit`, walking the outbox in `seq`
 * order (its primary key: no scan) and stopping at the first event that is still inside the window.
 * The newest event always stays: on SQLite the next `seq` is the largest one plus one, so an empty
 * outbox would issue again numbers a live-stream client has already seen (ADR 12).
 * Returns how many were deleted; the caller repeats in separate transactions.
 */
export async function pruneOutbox(tx: Tx, before: string, limit = 1000): Promise<number> {
  const oldest = await tx
    .selectFrom('outbox')
    .select(['seq', 'created_at'])
    .orderBy('seq')
    .limit(limit)
    .execute();
  let last: number | null = null;
  for (const e of oldest) {
    if (e.created_at >= before) break;
    last = Number(e.seq);
  }
  if (last === null) return 0;
  const deleted = await tx
    .deleteFrom('outbox')
    .where('seq', '<=', last)
    .where('created_at', '<', before) // a lower seq committed since the read, if younger, stays
    .where('seq', '<', (eb) => eb.selectFrom('outbox').select((e) => e.fn.max('seq').as('top')))
    .executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
