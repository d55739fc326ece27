/**
 * The transactional outbox: every state change writes its domain event in the same transaction,
 * so an event exists if and only if the change committed. Dispatchers (webhooks, the UI's live
 * stream) read it afterwards in `seq` order.
 */
import type { Tx } from '../db/database.js';
import { newId } from '../domain/ids.js';

export type DomainEvent = {
  readonly type: string; // e.g. 'order.created', 'stock.changed'
  readonly aggregateType: string; // 'order', 'sku', …
  readonly aggregateId: string;
  readonly payload: Readonly<Record<string, unknown>>;
};

export async function emit(tx: Tx, at: string, events: readonly DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insertInto('outbox')
    .values(
      events.map((e) => ({
        id: newId('event'),
        type: e.type,
        aggregate_type: e.aggregateType,
        aggregate_id: e.aggregateId,
        payload: JSON.stringify(e.payload),
        created_at: at,
        published_at: null,
      })),
    )
    .execute();
}
