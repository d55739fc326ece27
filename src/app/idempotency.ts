/**
 * Idempotent creation. The key row is inserted FIRST in the same transaction as the effect:
 * a concurrent request with the same key on PostgreSQL waits on the unique index, then finds the
 * committed row and replays it; on SQLite transactions are serialised, so the second simply sees it.
 * The effect and its recorded response commit together or not at all.
 */
import type { Transaction } from 'kysely';
import type { Database, TransactOptions, Tx } from '../db/database.js';
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
 * The status a key row carries until its request's response is written. A creating request writes
 * both in one transaction, so nobody else sees it (on PostgreSQL a second insert of the key waits
 * for the first to commit or roll back); a payment action commits it with its claim (`takeKey`), so
 * that a retry elsewhere sees the attempt under way.
 */
const PENDING = -1;

/** Runs `work` once per (principal, key); later calls with the same key replay the first result. */
export async function runIdempotent<T>(
  database: Database,
  scope: IdempotencyScope | null,
  work: (tx: Transaction<DB>) => Promise<Created<T>>,
  options?: TransactOptions,
): Promise<IdempotentOutcome<T>> {
  return database.transact(async (tx) => {
    if (scope === null) return { ...(await work(tx)), replayed: false };
    if (!(await insertPending(tx, scope, nowIso(), ''))) return (await priorOutcome<T>(tx, scope))!;
    const result = await work(tx);
    await completeKey(tx, scope, result);
    return { ...result, replayed: false };
  }, options);
}

/**
 * The recorded outcome of the request that used this key first, to replay; null when the key is
 * new. IDEMPOTENCY_KEY_REUSED (422) when that request was another one; IDEMPOTENCY_IN_PROGRESS (409)
 * while it is still under way.
 */
async function priorOutcome<T>(tx: Tx, scope: IdempotencyScope): Promise<IdempotentOutcome<T> | null> {
  const prior = await keyRow(tx, scope);
  if (!prior) return null;
  assertSameRequest(prior, scope);
  if (prior.status_code === PENDING) throw inProgress();
  return replayOf<T>(prior);
}

/** A completed key's recorded response, to send again. */
const replayOf = <T>(row: { status_code: number; response: string }): IdempotentOutcome<T> => ({
  status: row.status_code,
  body: JSON.parse(row.response) as T,
  replayed: true,
});

/**
 * Inserts the key as PENDING, held by `holder` (kept in `response` until the real one replaces it);
 * false when it exists already (on PostgreSQL, once that commits).
 */
async function insertPending(tx: Tx, scope: IdempotencyScope, at: string, holder: string): Promise<boolean> {
  const inserted = await tx
    .insertInto('idempotency_keys')
    .values({
      principal: scope.principal,
      key: scope.key,
      request_hash: scope.requestHash,
      status_code: PENDING,
      response: holder,
      created_at: at,
    })
    .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
}

const keyRow = (tx: Tx, scope: IdempotencyScope) =>
  tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response', 'created_at'])
    .where('principal', '=', scope.principal)
    .where('key', '=', scope.key)
    .executeTakeFirst();

export function assertSameRequest(prior: { request_hash: string }, scope: IdempotencyScope): void {
  if (prior.request_hash !== scope.requestHash && !scope.formerHashes?.includes(prior.request_hash))
    throw new DomainError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request.',
      [{ field: 'Idempotency-Key', message: 'was used before with another request body or path' }],
    );
}

/**
 * The recorded outcome of the key's request, to replay, when it has completed; null while it is
 * still under way or unknown. IDEMPOTENCY_KEY_REUSED (422) when it was another request.
 */
export async function completedOutcome<T>(
  database: Database,
  scope: IdempotencyScope,
): Promise<IdempotentOutcome<T> | null> {
  const prior = await keyRow(database.db, scope);
  if (!prior) return null;
  assertSameRequest(prior, scope);
  return prior.status_code === PENDING ? null : replayOf<T>(prior);
}

export const inProgress = () =>
  new DomainError(
    'IDEMPOTENCY_IN_PROGRESS',
    'A request with this Idempotency-Key is still in progress; retry once it has finished to get its result.',
  );

/**
 * For a command whose effect spans transactions (a payment action calls its provider between two):
 * takes the key for the attempt `holder` in the caller's transaction, committed with it. Returns
 * the first request's outcome to replay when it has completed; IDEMPOTENCY_IN_PROGRESS (409) while
 * another attempt holds the key — unless that attempt began before `staleBefore` (its process
 * died), which this one takes over; IDEMPOTENCY_KEY_REUSED (422) for another request. Otherwise the
 * key is now `holder`'s, and null: complete it with `completeKey`, or give it up with `releaseKey`
 * when the attempt fails — both only while `holder` still holds it.
 */
export async function takeKey<T>(
  tx: Tx,
  scope: IdempotencyScope,
  staleBefore: string,
  holder: string,
): Promise<IdempotentOutcome<T> | null> {
  const now = nowIso();
  if (await insertPending(tx, scope, now, holder)) return null;
  const prior = (await keyRow(tx, scope))!;
  assertSameRequest(prior, scope);
  if (prior.status_code !== PENDING) return replayOf<T>(prior);
  if (prior.created_at >= staleBefore) throw inProgress();
  const taken = await tx
    .updateTable('idempotency_keys')
    .set({ created_at: now, response: holder })
    .where('principal', '=', scope.principal)
    .where('key', '=', scope.key)
    .where('status_code', '=', PENDING)
    .where('created_at', '=', prior.created_at)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) throw inProgress();
  return null;
}

/**
 * Writes the outcome of the request holding the key, for later requests to replay — with `holder`
 * (see `takeKey`), only while that attempt still holds it.
 */
export async function completeKey<T>(
  tx: Tx,
  scope: IdempotencyScope,
  result: Created<T>,
  holder?: string,
): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ status_code: result.status, response: JSON.stringify(result.body) })
    .where('principal', '=', scope.principal)
    .where('key', '=', scope.key)
    .$if(holder !== undefined, (q) => q.where('status_code', '=', PENDING).where('response', '=', holder!))
    .execute();
}

/** Gives up the key of `holder`'s failed attempt (see `takeKey`), if it still holds it: a retry runs again. */
export async function releaseKey(tx: Tx, scope: IdempotencyScope, holder: string): Promise<void> {
  await tx
    .deleteFrom('idempotency_keys')
    .where('principal', '=', scope.principal)
    .where('key', '=', scope.key)
    .where('status_code', '=', PENDING)
    .where('response', '=', holder)
    .execute();
}

/**
 * Forgets up to `limit` idempotency keys created before `before` (a retried request older than the
 * retention window is a new request, as with Stripe's 24 hours). Returns how many were deleted; the
 * caller repeats in separate transactions, so a large backlog never holds the writer for long.
 * A payment action's key is committed PENDING while its provider call runs (`takeKey`): keep
 * `before` at least ten minutes back (the retention job does).
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
