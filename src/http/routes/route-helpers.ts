import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../domain/access.js';
import { nowIso } from '../../domain/clock.js';
import { DomainError } from '../../domain/errors.js';
import type { ExpectedVersions } from '../../domain/versions.js';
import { principalOf } from '../plugins/auth.js';

/** Who did it (and their name, for views), which request, and when: stamped on every movement and event. */
export function contextOf(req: FastifyRequest) {
  const principal = principalOf(req);
  return { actor: actorOf(principal), actorName: principal.name, requestId: req.id, at: nowIso() };
}

/** One entity-tag of an If-Match list (RFC 9110 §8.8.3), or an empty list element, then a comma or the end. */
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)/y;

/**
 * The versions `If-Match` accepts (RFC 9110 §13.1.1): null without the header or for `*` (any
 * current representation, so the change needs only the resource to exist); otherwise the versions
 * of the strong ETags listed (`"3"`, or `"3", "4"`: any one may match). If-Match compares strongly,
 * so a weak ETag (`W/"3"`), like a strong one no version of ours has (`"abc"`), matches nothing:
 * a header with nothing else gives [] and the use-case answers 412 VERSION_MISMATCH (after its
 * 404 for a missing resource). A header that is not `*` or a list of entity-tags is 400
 * VALIDATION_FAILED.
 */
export function ifMatchVersions(req: FastifyRequest): ExpectedVersions {
  const header = req.headers['if-match'];
  if (header === undefined) return null;
  if (header.trim() === '*') return null;
  const versions: number[] = [];
  let tags = 0;
  for (let at = 0; at < header.length;) {
    LIST_ELEMENT.lastIndex = at;
    const m = LIST_ELEMENT.exec(header);
    if (!m || LIST_ELEMENT.lastIndex === at) return malformedIfMatch();
    at = LIST_ELEMENT.lastIndex;
    const opaque = m[2];
    if (opaque === undefined) continue;
    tags++;
    if (m[1] === undefined && /^[1-9]\d*$/.test(opaque) && Number.isSafeInteger(Number(opaque)))
      versions.push(Number(opaque));
  }
  return tags === 0 ? malformedIfMatch() : versions;
}

function malformedIfMatch(): never {
  throw new DomainError(
    'VALIDATION_FAILED',
    'If-Match must be * or ETags returned by GET, like "3" (a list: "3", "4").',
    [{ field: 'If-Match', message: 'must be * or ETags returned by GET' }],
  );
}

export function sendWithEtag<T extends { version: number }>(reply: FastifyReply, body: T): FastifyReply {
  return reply.header('etag', `"${body.version}"`).send(body);
}
