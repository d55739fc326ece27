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

/** Writes the events; with `writes`, queues the INSERT there instead (see `writeAll`). */
export async function emit(
  tx: Tx,
  at: string,
  events: readonly DomainEvent[],
  writes?: Bound[],
): Promise<void> {
  if (events.length === 0) return;
  const bound = insertOutboxRows.bind(tx, {
    rows: events.map((e) => ({
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
