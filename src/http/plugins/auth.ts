/**
 * Every route needs a credential unless it is declared `public`. A route lists the roles it admits
 * in `config.roles`; `admin` is always admitted. Credentials: `Authorization: Bearer <api key>`
 * (other edges, like the browser session, may add resolvers through `app.decorate`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal, Role } from '../../domain/access.js';
import { principalForKey } from '../../app/access/api-keys.js';
import { problem, sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on this route; omit only together with `public: true`. */
    roles?: readonly Role[];
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Extra credential resolvers (e.g. browser sessions); tried after the bearer key. */
    credentialResolvers: Array<(req: FastifyRequest) => Promise<Principal | null>>;
    /** Drops cached key look-ups, e.g. right after a key is revoked. */
    forgetCredentials(): void;
  }
}

/**
 * Verified keys are cached briefly to spare a query per request. Revoking a key clears this
 * process's cache at once; other processes sharing the database notice within CACHE_MS.
 */
const CACHE_MS = 1_000;

async function authPlugin(app: FastifyInstance): Promise<void> {
  const cache = new Map<string, { principal: Principal | null; until: number }>();
  app.decorateRequest('principal', null);
  app.decorate('credentialResolvers', []);
  app.decorate('forgetCredentials', () => cache.clear());

  async function resolveKey(key: string): Promise<Principal | null> {
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await principalForKey(app.database.db, key);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { principal, until: now + CACHE_MS });
    return principal;
  }

  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    if (config.public || req.routeOptions.url === undefined) return;
    const header = req.headers.authorization;
    let principal: Principal | null = null;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S{1,200})$/i.exec(header);
      principal = match ? await resolveKey(match[1]!) : null;
      if (!principal) {
        return sendProblem(reply, problem(req, 401, 'UNAUTHENTICATED', 'The API key is not valid.'));
      }
    } else {
      for (const resolve of app.credentialResolvers) {
        principal = await resolve(req);
        if (principal) break;
      }
    }
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(
        reply,
        problem(req, 401, 'UNAUTHENTICATED', 'Send an API key as `Authorization: Bearer <key>`.'),
      );
    }
    const allowed = config.roles ?? [];
    if (principal.role !== 'admin' && !allowed.includes(principal.role)) {
      return sendProblem(
        reply,
        problem(
          req,
          403,
          'FORBIDDEN',
          `The role ${principal.role} may not ${req.method} ${req.routeOptions.url}.`,
        ),
      );
    }
    req.principal = principal;
  });
}

/** The authenticated principal of a route that is not public. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('principalOf() called on a public route');
  return req.principal;
}

export default fp(authPlugin, { name: 'auth', dependencies: ['problem'] });
