/**
 * Forgets idempotency keys older than the retention window (`KIBBLE_IDEMPOTENCY_TTL_HOURS`, default
 * 24), once a minute, a thousand per transaction so the writer is never held for long. Without it
 * the table grows by one stored response (~2 KB) per keyed request, forever. Safe with several
 * processes: deleting an already deleted key deletes nothing.
 */
import type { Database } from '../db/database.js';
import { positiveNumberFromEnv } from '../config.js';
import { pruneIdempotencyKeys } from '../app/idempotency.js';
import { every, pruneAll } from './every.js';

/** The retention window in hours: `KIBBLE_IDEMPOTENCY_TTL_HOURS`, 24 when unset. */
export const idempotencyTtlHours = (env: NodeJS.ProcessEnv = process.env): number =>
  positiveNumberFromEnv(env, 'KIBBLE_IDEMPOTENCY_TTL_HOURS', 24, { unit: 'hours' });

/**
 * Keys younger than this are kept whatever the window: a payment action holds its key (PENDING)
 * while its provider call runs, which its claim allows ten minutes.
 */
const YOUNGEST_PRUNED_MS = 10 * 60_000;

/** Deletes every key created more than `ttlHours` (and ten minutes) before `now`; returns how many. */
export async function pruneExpiredKeys(
  database: Database,
  ttlHours: number,
  now = Date.now(),
): Promise<number> {
  const before = new Date(now - Math.max(ttlHours * 3_600_000, YOUNGEST_PRUNED_MS)).toISOString();
  return pruneAll(database, (tx) => pruneIdempotencyKeys(tx, before));
}

export function startIdempotencyRetention(
  database: Database,
  ttlHours = idempotencyTtlHours(),
  intervalMs = 60_000,
  onError: (e: unknown) => void = () => undefined,
): () => void {
  return every(intervalMs, () => pruneExpiredKeys(database, ttlHours), onError);
}
