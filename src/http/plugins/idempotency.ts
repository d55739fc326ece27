/**
 * `Idempotency-Key` on creating POSTs and on payment actions. The request's identity is its method,
 * route and body (as parsed: whitespace and key order do not count); a second request with the
 * same key and another body is a 422. A request whose key is still in flight gets 409
 * IDEMPOTENCY_IN_PROGRESS with `Retry-After: 1` (never a second effect); once the first has
 * finished, the same request replays its answer (`Idempotent-Replayed: true`), or runs if the first
 * failed (a failure is not recorded). Within one process the key in flight is known here; across
 * processes the database's unique index makes a creating request wait for the first one's commit
 * and then replay (see src/app/idempotency.ts), and a payment action's claim on its payment answers
 * 409 until the first attempt has finished.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { TransactOptions } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { actorOf } from '../../domain/access.js';
import { canonicalJson } from '../../domain/canonical-json.js';
import { DomainError } from '../../domain/errors.js';
import {
  assertSameRequest,
  completedOutcome,
  inProgress,
  runIdempotent,
  type Created,
  type IdempotencyScope,
  type IdempotentOutcome,
} from '../../app/idempotency.js';
import { principalOf } from './auth.js';

/** Per (principal, key): the request hash of the request with that key running in this process. */
const inFlight = new Map<string, string>();

function hashOf(req: FastifyRequest, json: (value: unknown) => string): string {
  return createHash('sha256')
    .update(`${req.method} ${req.routeOptions.url ?? ''} ${json(req.params)}\n`)
    .update(json(req.body ?? null))
    .digest('base64url');
}

/**
 * The request's hash, and the hash Kibble stored for the same request before it sorted keys
 * (0.1.0 until 2026-11-30: `JSON.stringify` in the client's key order), so that a request retried
 * across that upgrade still replays instead of failing as "another body".
 */
function requestHashes(req: FastifyRequest): { requestHash: string; formerHashes: string[] } {
  return { requestHash: hashOf(req, canonicalJson), formerHashes: [hashOf(req, JSON.stringify)] };
}

/** Runs a creating command in one transaction, honouring `Idempotency-Key`, and sends its result. */
export function sendCreated<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  work: (tx: Transaction<DB>) => Promise<Created<T>>,
  options?: TransactOptions,
): Promise<FastifyReply> {
  return sendOnce(req, reply, (scope) => runIdempotent(req.server.database, scope, work, options));
}

/**
 * Runs a command honouring `Idempotency-Key` — `run` replays the recorded outcome of the key, or
 * runs and records it — and sends its result. For commands that are not one transaction (a
 * payment action calls its provider between two); `sendCreated` is the usual case.
 */
export async function sendOnce<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  run: (scope: IdempotencyScope | null) => Promise<IdempotentOutcome<T>>,
): Promise<FastifyReply> {
  const header = req.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (key !== undefined && (key.length === 0 || key.length > 255 || /[^\x21-\x7e]/.test(key))) {
    throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1–255 visible ASCII characters.', [
      { field: 'Idempotency-Key', message: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  const principal = actorOf(principalOf(req));
  const scope = key === undefined ? null : { principal, key, ...requestHashes(req) };
  const send = (outcome: IdempotentOutcome<T>) => {
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    // A versioned resource (an order, a SKU) comes with the ETag its GET gives, for a later If-Match.
    const version = (outcome.body as { version?: unknown } | null)?.version;
    if (typeof version === 'number') reply.header('etag', `"${version}"`);
    return reply.code(outcome.status).send(outcome.body);
  };
  if (scope === null) return send(await run(null));
  const flightKey = `${principal}\u0000${scope.key}`;
  const running = inFlight.get(flightKey);
  if (running !== undefined) {
    // What the key recorded decides first: the one in flight may be a replay itself (a finished
    // request replays to everyone at once), or a repeat with another body, bound to get its 422 —
    // which must not turn this request, the key's own, into one.
    const done = await completedOutcome<T>(req.server.database, scope);
    if (done !== null) return send(done);
    assertSameRequest({ request_hash: running }, scope);
    void reply.header('retry-after', '1');
    throw inProgress();
  }
  inFlight.set(flightKey, scope.requestHash);
  try {
    return send(await run(scope));
  } finally {
    inFlight.delete(flightKey);
  }
}
