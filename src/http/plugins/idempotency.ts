/**
 * `Idempotency-Key` on creating POSTs and on payment actions. The request's identity is its method,
 * route and body (as parsed: whitespace and key order do not count); a second request with the
 * same key and another body is a 422. Requests with one key run one after another: within one
 * process a request waits for the one in flight with its key and then replays its result (or, if
 * that one failed, runs); across processes the database's unique index makes creating requests
 * wait the same way (see src/app/idempotency.ts), and a payment action's claim on its payment
 * answers 409 until the first attempt has finished. A client that retries while its first attempt
 * still runs in the same process gets the first attempt's answer, not an error.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { actorOf } from '../../domain/access.js';
import { canonicalJson } from '../../domain/canonical-json.js';
import { DomainError } from '../../domain/errors.js';
import {
  runIdempotent,
  type Created,
  type IdempotencyScope,
  type IdempotentOutcome,
} from '../../app/idempotency.js';
import { principalOf } from './auth.js';

/**
 * Per (principal, key): the outcome of the request with that key running in this process, and how
 * many wait behind it. Waiters chain on outcomes, not on replies, so a client slow to read its
 * answer holds nobody up.
 */
const inFlight = new Map<string, { tail: Promise<unknown>; waiting: number }>();
/** More retries of one key than this at once are refused (409, `Retry-After`) rather than queued. */
const MAX_WAITING = 64;

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
): Promise<FastifyReply> {
  return sendOnce(req, reply, (scope) => runIdempotent(req.server.database, scope, work));
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
  const flight = inFlight.get(flightKey) ?? { tail: Promise.resolve(), waiting: 0 };
  if (flight.waiting >= MAX_WAITING) {
    void reply.header('retry-after', '1');
    throw new DomainError(
      'IDEMPOTENCY_IN_PROGRESS',
      'Too many requests with this Idempotency-Key are waiting for the first; retry after a second to get its result.',
    );
  }
  // Queue behind the request in flight with this key (and those already waiting for it): once it
  // has committed, this one replays its answer; if it failed, this one runs.
  const mine = flight.tail.catch(() => undefined).then(() => run(scope));
  flight.tail = mine;
  flight.waiting++;
  inFlight.set(flightKey, flight);
  try {
    return send(await mine);
  } finally {
    flight.waiting--;
    if (flight.tail === mine) inFlight.delete(flightKey);
  }
}
