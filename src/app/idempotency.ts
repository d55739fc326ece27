/**
 * Idempotent creation. The key row is inserted FIRST in the same transaction as the effect:
 * a concurrent request with the same key on PostgreSQL waits on the unique index, then finds the
 * committed row and replays it; on SQLite transactions are serialised, so the second simply sees it.
 * The effect and its recorded response commit together or not at all.
 */
import type { Transaction } from 'kysely';
import type { Database, Tx } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { nowIso } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';

export type Created<T> = { readonly status: number; readonly body: T };
export type IdempotentOutcome<T> = Created<T> & { readonly replayed: boolean };

export type IdempotencyScope = {
  readonly principal: string;
  readonly key: string;
  readonly requestHash: string;
  /** Hashes an earlier version of Kibble stored for this same request (see the HTTP plugin). */
  readonly formerHashes?: readonly string[] | undefined;
};

/**
 * The status a key row carries until its request's response is written, in the same transaction:
 * no other transaction ever sees it (on PostgreSQL a second insert of the key waits for the first
 * to commit or roll back).
 */
const PENDING = -1;

/** Runs `work` once per (principal, key); later calls with the same key replay the first result. */
export async function runIdempotent<T>(
  database: Database,
  scope: IdempotencyScope | null,
  work: (tx: Transaction<DB>) => Promise<Created<T>>,
): Promise<IdempotentOutcome<T>> {
  return database.transact(async (tx) => {
    if (scope === null) return { ...(await work(tx)), replayed: false };
    const inserted = await tx
      .insertInto('idempotency_keys')
      .values({
        principal: scope.principal,
        key: scope.key,
        request_hash: scope.requestHash,
        status_code: PENDING,
        response: '',
        created_at: nowIso(),
      })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return (await priorOutcome<T>(tx, scope))!;
    const result = await work(tx);
    await tx
      .updateTable('idempotency_keys')
      .set({ status_code: result.status, response: JSON.stringify(result.body) })
      .where('principal', '=', scope.principal)
      .where('key', '=', scope.key)
      .execute();
    return { ...result, replayed: false };
  });
}

/**
 * The recorded outcome of the request that used this key first, to replay; null when the key is
 * new. IDEMPOTENCY_KEY_REUSED (422) when that request was another one.
 */
export async function priorOutcome<T>(tx: Tx, scope: IdempotencyScope): Promise<IdempotentOutcome<T> | null> {
  const prior = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('principal', '=', scope.principal)
    .where('key', '=', scope.key)
    .executeTakeFirst();
  if (!prior) return null;
  if (prior.request_hash !== scope.requestHash && !scope.formerHashes?.includes(prior.request_hash)) {
    throw new DomainError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request.',
      [{ field: 'Idempotency-Key', message: 'was used before with another request body or path' }],
    );
  }
  return { status: prior.status_code, body: JSON.parse(prior.response) as T, replayed: true };
}

/**
 * Records the outcome of a request whose effect spans more than one transaction (a payment action
 * calls its provider between two), in the transaction that completes it. False when the key was
 * recorded meanwhile (the caller then replays that).
 */
export async function recordOutcome<T>(
  tx: Tx,
  scope: IdempotencyScope,
  result: Created<T>,
): Promise<boolean> {
  const inserted = await tx
    .insertInto('idempotency_keys')
    .values({
      principal: scope.principal,
      key: scope.key,
      request_hash: scope.requestHash,
      status_code: result.status,
      response: JSON.stringify(result.body),
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Forgets up to `limit` idempotency keys created before `before` (a retried request older than the
 * retention window is a new request, as with Stripe's 24 hours). Returns how many were deleted; the
 * caller repeats in separate transactions, so a large backlog never holds the writer for long.
 * Only committed keys are visible here, and those always carry their final response.
 */
export async function pruneIdempotencyKeys(tx: Tx, before: string, limit = 1000): Promise<number> {
  // The limit-th oldest expired key bounds this batch (ties on the instant may add a few).
  const boundary = await tx
    .selectFrom('idempotency_keys')
    .select('created_at')
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(1)
    .offset(limit - 1)
    .executeTakeFirst();
  const deleted = await tx
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', before)
    .$if(boundary !== undefined, (q) => q.where('created_at', '<=', boundary!.created_at))
    .executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
