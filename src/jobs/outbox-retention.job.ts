/**
 * Forgets domain events older than the retention window (`KIBBLE_EVENT_RETENTION_DAYS`, default 30,
 * as long as Stripe keeps its events), once a minute, a thousand per transaction. Without it the
 * outbox grows by every stock and order change, forever. A live-stream client that reconnects
 * after its last event was deleted gets `stream.reset` and reloads (see the events route). Events
 * are deleted whether or not anything published them (`published_at`): nothing does yet; the first
 * outbound dispatcher must keep its undelivered events out of this job's reach. Safe with several
 * processes.
 */
import type { Database } from '../db/database.js';
import { positiveNumberFromEnv } from '../config.js';
import { pruneOutbox } from '../app/outbox.js';
import { every, pruneAll } from './every.js';

/** The retention window in days: `KIBBLE_EVENT_RETENTION_DAYS`, 30 when unset. */
export const eventRetentionDays = (env: NodeJS.ProcessEnv = process.env): number =>
  positiveNumberFromEnv(env, 'KIBBLE_EVENT_RETENTION_DAYS', 30, { unit: 'days' });

/** Deletes every event created more than `days` before `now`; returns how many. */
export async function pruneOldEvents(database: Database, days: number, now = Date.now()): Promise<number> {
  const before = new Date(now - days * 86_400_000).toISOString();
  return pruneAll(database, (tx) => pruneOutbox(tx, before));
}

export function startOutboxRetention(
  database: Database,
  days = eventRetentionDays(),
  intervalMs = 60_000,
  onError: (e: unknown) => void = () => undefined,
): () => void {
  return every(intervalMs, () => pruneOldEvents(database, days), onError);
}
