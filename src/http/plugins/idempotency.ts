/**
 * `Idempotency-Key` on creating POSTs. The request's identity is its method, route and body (as
 * parsed: whitespace and key order do not count); a second request with the same key and another
 * body is a 422. Requests with one key run one after another: within one process a request waits
 * for the one in flight with its key and then replays its result (or, if that one failed, runs);
 * across processes the database's unique index makes them wait the same way (see
 * src/app/idempotency.ts). A client that retries while its first attempt still runs gets the
 * first attempt's answer, not an error.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { actorOf } from '../../domain/access.js';
import { canonicalJson } from '../../domain/canonical-json.js';
import { DomainError } from '../../domain/errors.js';
import { runIdempotent, type Created } from '../../app/idempotency.js';
import { principalOf } from './auth.js';

/** Per (principal, key): the request with that key running in this process, settled when it ends. */
const inFlight = new Map<string, Promise<unknown>>();

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
export async function sendCreated<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  work: (tx: Transaction<DB>) => Promise<Created<T>>,
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
  const run = async () => {
    const outcome = await runIdempotent(req.server.database, scope, work);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(outcome.status).send(outcome.body);
  };
  if (key === undefined) return run();
  const flightKey = `${principal}\u0000${key}`;
  // Queue behind the request in flight with this key (and those already waiting for it).
  const before = inFlight.get(flightKey);
  const mine = (before ?? Promise.resolve()).catch(() => undefined).then(run);
  inFlight.set(flightKey, mine);
  try {
    return await mine;
  } finally {
    if (inFlight.get(flightKey) === mine) inFlight.delete(flightKey);
  }
}
