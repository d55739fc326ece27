/**
 * Signing in and out of the web admin. `POST /session` checks an email and password and sets the
 * `kibble_session` cookie; `GET /session` tells the browser who it is (also for API keys) and the
 * CSRF token to echo; `DELETE /session` signs out. `GET /session/status` (public) says whether the
 * browser is signed in and whether any user exists yet (first-run setup with the admin API key).
 *
 * Failed sign-ins are throttled per email and per client address (429 TOO_MANY_ATTEMPTS).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { nowIso } from '../../domain/clock.js';
import { canonicalEmail } from '../../domain/email.js';
import {
  authenticate,
  countUsers,
  createSession,
  destroySession,
  resolveSession,
  type UserView,
} from '../../app/access/users.js';
import { principalOf } from '../plugins/auth.js';
import { problem, sendProblem } from '../plugins/problem.js';
import {
  clearSessionCookie,
  csrfError,
  CSRF_HEADER,
  sameSecret,
  sessionTokenOf,
  setSessionCookie,
} from '../plugins/session.js';
import { NonEmptyText, Text, problemResponses } from '../schemas/common.schema.js';
import { SessionResponse, SessionStatusResponse } from '../schemas/session.schema.js';
import { numbered } from '../../domain/plural.js';

/** Counts failures in a sliding window; a key over the limit is refused until the window passes. */
class Throttle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}
  /** Milliseconds until `key` may try again, or 0. */
  blockedFor(key: string, now: number): number {
    const recent = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length === 0) this.failures.delete(key);
    else this.failures.set(key, recent);
    return recent.length >= this.limit ? recent[0]! + this.windowMs - now : 0;
  }
  fail(key: string, now: number): void {
    if (this.failures.size > 50_000) this.failures.clear();
    this.failures.set(key, [...(this.failures.get(key) ?? []), now].slice(-this.limit));
  }
  clear(key: string): void {
    this.failures.delete(key);
  }
}

const sessionBody = (
  user: UserView | null,
  principal: { kind: 'user' | 'key'; id: string; role: string; name: string },
  csrfToken: string | null,
  expiresAt: string | null,
) => ({
  principal: { kind: principal.kind, id: principal.id, role: principal.role, name: principal.name },
  user,
  csrfToken,
  expiresAt,
});

export default async function sessionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['session'];
  const perEmail = new Throttle(10, 15 * 60_000);
  const perClient = new Throttle(50, 15 * 60_000);

  app.post(
    '/session',
    {
      schema: {
        tags,
        summary: 'Sign in with email and password; sets the HttpOnly session cookie',
        description:
          'Returns the user and the CSRF token that cookie-authenticated POST/PUT/PATCH/DELETE requests must send in `x-csrf-token`. 401 INVALID_CREDENTIALS for a wrong email or password; 429 TOO_MANY_ATTEMPTS after repeated failures.',
        security: [],
        body: Type.Object(
          { email: NonEmptyText(254), password: Text({ minLength: 1, maxLength: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: SessionResponse, ...problemResponses, 429: Type.Ref('Problem') },
      },
      config: { public: true },
    },
    async (req, reply) => {
      const now = Date.now();
      const emailKey = `e:${canonicalEmail(req.body.email)}`;
      const clientKey = `c:${req.ip}`;
      const wait = Math.max(perEmail.blockedFor(emailKey, now), perClient.blockedFor(clientKey, now));
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        return sendProblem(
          reply,
          problem(
            req,
            429,
            'TOO_MANY_ATTEMPTS',
            `Too many failed sign-ins; try again in ${numbered(Math.ceil(wait / 60_000), 'minute')}.`,
          ),
        );
      }
      const user = await authenticate(app.database.db, req.body.email, req.body.password);
      if (!user) {
        perEmail.fail(emailKey, now);
        perClient.fail(clientKey, now);
        const noUsers = (await countUsers(app.database.db)) === 0;
        return sendProblem(
          reply,
          problem(
            req,
            401,
            'INVALID_CREDENTIALS',
            noUsers
              ? 'No users exist yet: create the first one with the admin API key (`kibble users create`).'
              : 'The email or password is not right.',
            [{ field: 'password', message: 'email or password is not right' }],
          ),
        );
      }
      perEmail.clear(emailKey);
      const old = sessionTokenOf(app, req);
      const at = nowIso();
      const session = await app.database.transact(async (tx) => {
        if (old !== null) await destroySession(tx, old);
        return createSession(tx, user.id, at);
      });
      setSessionCookie(req, reply, session.token);
      reply.header('cache-control', 'no-store');
      return sessionBody(
        user,
        { kind: 'user', id: user.id, role: user.role, name: user.name },
        session.csrfToken,
        session.expiresAt,
      );
    },
  );

  app.get(
    '/session',
    {
      schema: {
        tags,
        summary: 'Who is signed in: the user (or API key) and the CSRF token of a browser session',
        response: { 200: SessionResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      const s = req.browserSession;
      reply.header('cache-control', 'no-store');
      return sessionBody(s?.user ?? null, principal, s?.csrfToken ?? null, s?.expiresAt ?? null);
    },
  );

  app.delete(
    '/session',
    {
      schema: {
        tags,
        summary: 'Sign out: ends the browser session and clears its cookie',
        security: [],
        response: { 204: Type.Null(), ...problemResponses },
      },
      config: { public: true },
    },
    async (req, reply) => {
      const token = sessionTokenOf(app, req);
      if (token !== null) {
        const session = await resolveSession(app.database.db, token, nowIso());
        if (session) {
          const sent = req.headers[CSRF_HEADER];
          if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw csrfError();
          await app.database.transact((tx) => destroySession(tx, token));
        }
      }
      clearSessionCookie(req, reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/session/status',
    {
      schema: {
        tags,
        summary: 'Whether this browser is signed in, and whether first-run setup is needed',
        description:
          'Public, so the web admin can decide between its sign-in, setup and main screens without a failing request. `setupRequired` is true while no user exists.',
        security: [],
        response: { 200: SessionStatusResponse },
      },
      config: { public: true },
    },
    async (req, reply) => {
      const token = sessionTokenOf(app, req);
      const [session, users] = await Promise.all([
        token === null ? null : resolveSession(app.database.db, token, nowIso()),
        countUsers(app.database.db),
      ]);
      reply.header('cache-control', 'no-store');
      return { signedIn: session !== null, setupRequired: users === 0 };
    },
  );
}
