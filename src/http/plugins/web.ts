/**
 * Serves the web admin (web/dist, built by `npm run build`) at `/` on the API's own port.
 *
 * - Hashed assets under `/assets/` are cached for a year (`immutable`); everything else, index.html
 *   first, is `no-cache`, so a new build shows on the next load.
 * - Client-side routes: a GET of a path outside `/api/` that accepts text/html gets index.html
 *   (SPA fallback). API paths and asset misses fall through to the problem+json 404.
 * - index.html carries a strict Content-Security-Policy (scripts and connections to self only).
 * - Without a build, `/` explains how to make one instead of failing; the API works regardless.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

export type WebOptions = {
  /** The built app; defaults to `KIBBLE_WEB_DIST` or web/dist in the repository. */
  readonly root?: string;
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const SAFE_PATH = /^\/[\w@.~-]+(?:\/[\w@.~-]+)*$/;

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kibble</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Kibble is running</h1>
<p>The web admin has not been built yet. Run <code>npm run build</code> and reload this page.</p>
<p>The API is ready: see <a href="/api/docs">the API documentation</a>.</p></body></html>
`;

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

export default async function webPlugin(app: FastifyInstance, options: WebOptions): Promise<void> {
  const root =
    options.root ??
    process.env['KIBBLE_WEB_DIST'] ??
    fileURLToPath(new URL('../../../web/dist/', import.meta.url));
  await app.register(fastifyStatic, { root, serve: false, suppressWarning: true });

  const sendIndex = (req: FastifyRequest, reply: FastifyReply) => {
    securityHeaders(reply).header('cache-control', 'no-cache');
    if (!existsSync(join(root, 'index.html'))) {
      return reply.type('text/html; charset=utf-8').send(notBuiltPage);
    }
    return reply.sendFile('index.html', { cacheControl: false });
  };

  const handler = (req: FastifyRequest, reply: FastifyReply) => {
    const path = (req.raw.url ?? '/').split('?')[0]!;
    if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
    if (path === '/' || path === '/index.html') return sendIndex(req, reply);
    if (SAFE_PATH.test(path) && !path.includes('..')) {
      if (path.startsWith('/assets/')) {
        return reply.header('x-content-type-options', 'nosniff').sendFile(path.slice(1), {
          maxAge: YEAR_MS,
          immutable: true,
        });
      }
      if (isFile(join(root, path))) {
        return reply
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-cache')
          .sendFile(path.slice(1), { cacheControl: false });
      }
    }
    const accept = req.headers.accept ?? '';
    if (accept.includes('text/html')) return sendIndex(req, reply);
    return reply.callNotFound();
  };

  const route = { schema: { hide: true }, config: { public: true } } as const;
  app.get('/', route, handler);
  app.get('/*', route, handler);
}
