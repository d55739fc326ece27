/**
 * Browser sessions as a credential. The `kibble_session` cookie (HttpOnly, SameSite=Strict,
 * Path=/, Secure behind https) carries a random token; this plugin adds a resolver for it to the
 * auth plugin's `credentialResolvers`, so every route admits a signed-in user exactly as it admits
 * an API key of the same role. A bearer key, when sent, wins and the cookie is ignored.
 *
 * CSRF: on unsafe methods (POST, PUT, PATCH, DELETE) a cookie-authenticated request must echo the
 * session's CSRF token in `x-csrf-token`, otherwise 403 problem+json `CSRF_TOKEN_INVALID`. Together
 * with SameSite=Strict and JSON-only bodies, a cross-site page cannot act with the user's cookie.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import { nowIso } from '../../domain/clock.js';
import { renewSession, resolveSession, type ResolvedSession } from '../../app/access/users.js';

export const SESSION_COOKIE = 'kibble_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser session that authenticated this request, when it was a cookie. */
    browserSession: ResolvedSession | null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The session token from the request's cookie header, or null. */
export function sessionTokenOf(app: FastifyInstance, req: FastifyRequest): string | null {
  const header = req.headers.cookie;
  if (header === undefined || header.length > 8192) return null;
  const token = app.parseCookie(header)[SESSION_COOKIE];
  return token && /^[\w-]{20,100}$/.test(token) ? token : null;
}

/** Equal strings in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A 403 the problem handler turns into problem+json with code CSRF_TOKEN_INVALID. */
export function csrfError(): Error {
  return Object.assign(
    new Error(`Send the session's CSRF token (from GET /api/v1/session) in the ${CSRF_HEADER} header.`),
    { statusCode: 403, code: 'CSRF_TOKEN_INVALID' },
  );
}

const isHttps = (req: FastifyRequest) =>
  req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(req),
  });
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: isHttps(req) });
}

async function sessionPlugin(app: FastifyInstance): Promise<void> {
  await app.register(cookie, { hook: false });
  app.decorateRequest('browserSession', null);

  app.credentialResolvers.push(async (req) => {
    const token = sessionTokenOf(app, req);
    if (token === null) return null;
    const at = nowIso();
    const session = await resolveSession(app.database.db, token, at);
    if (!session) return null;
    if (UNSAFE.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw csrfError();
    }
    if (session.renew) await app.database.transact((tx) => renewSession(tx, token, at));
    req.browserSession = session;
    return session.principal;
  });
}

export default fp(sessionPlugin, { name: 'session', dependencies: ['auth'] });
