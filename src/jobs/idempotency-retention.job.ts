/**
 * Forgets idempotency keys older than the retention window (`KIBBLE_IDEMPOTENCY_TTL_HOURS`, default
 * 24), once a minute, a thousand per transaction so the writer is never held for long. Without it
 * the table grows by one stored response (~2 KB) per keyed request, forever. Safe with several
 * processes: deleting an already deleted key deletes nothing.
 */
import type { Database } from '../db/database.js';
import { positiveNumberFromEnv } from '../config.js';
import { pruneIdempotencyKeys } from '../app/idempotency.js';
import { CLAIM_TTL_MS } from '../app/payments/payment-actions.js';
import { every, pruneAll } from './every.js';

/** The retention window in hours: `KIBBLE_IDEMPOTENCY_TTL_HOURS`, 24 when unset. */
export const idempotencyTtlHours = (env: NodeJS.ProcessEnv = process.env): number =>
  positiveNumberFromEnv(env, 'KIBBLE_IDEMPOTENCY_TTL_HOURS', 24, { unit: 'hours' });

/**
 * Deletes every key created more than `ttlHours` before `now`, and never one younger than a payment
 * action's claim (`CLAIM_TTL_MS`): the action holds its key, PENDING, while its provider call runs.
 * Returns how many.
 */
export async function pruneExpiredKeys(
  database: Database,
  ttlHours: number,
  now = Date.now(),
): Promise<number> {
  const before = new Date(now - Math.max(ttlHours * 3_600_000, CLAIM_TTL_MS)).toISOString();
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
