import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';

/** Liveness and readiness. Public: they reveal nothing but whether Kibble can serve. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { hide: true }, config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { public: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(app.database.db);
      return { status: 'ready', database: app.database.dialect };
    } catch {
      return reply.code(503).type('application/problem+json').send({
        type: 'https://kibble.dev/problems/not-ready',
        title: 'Service Unavailable',
        status: 503,
        code: 'NOT_READY',
        detail: 'The database is not reachable.',
      });
    }
  });
}
