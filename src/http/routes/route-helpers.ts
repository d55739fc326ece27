import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../domain/access.js';
import { nowIso } from '../../domain/clock.js';
import { DomainError } from '../../domain/errors.js';
import { principalOf } from '../plugins/auth.js';

/** Who did it, which request, and when: stamped on every movement and event. */
export function contextOf(req: FastifyRequest) {
  return { actor: actorOf(principalOf(req)), requestId: req.id, at: nowIso() };
}

/** The version named by `If-Match: "3"` (or W/"3"), null without the header. */
export function ifMatchVersion(req: FastifyRequest): number | null {
  const header = req.headers['if-match'];
  if (header === undefined) return null;
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  if (!m) {
    throw new DomainError('VALIDATION_FAILED', 'If-Match must be an ETag returned by GET, like "3".', [
      { field: 'If-Match', message: 'must be an ETag returned by GET' },
    ]);
  }
  return Number(m[1]);
}

export function sendWithEtag<T extends { version: number }>(reply: FastifyReply, body: T): FastifyReply {
  return reply.header('etag', `"${body.version}"`).send(body);
}
