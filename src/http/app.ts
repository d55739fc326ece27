/**
 * Builds the Kibble HTTP application (it does not listen: `src/cli/serve.ts` does). Plugins:
 * problem+json errors, authentication and roles, OpenAPI; then one plugin per resource.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.js';
import { validatorCompiler } from './validation.js';
import problemPlugin from './plugins/problem.js';
import authPlugin from './plugins/auth.js';
import openapiPlugin from './plugins/openapi.js';
import metricsPlugin from './plugins/metrics.js';
import { Problem } from './schemas/common.schema.js';
import healthRoutes from './routes/health.routes.js';
import skuRoutes from './routes/skus.routes.js';
import locationRoutes from './routes/locations.routes.js';
import stockRoutes from './routes/stock.routes.js';
import keyRoutes from './routes/keys.routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
  }
}

export type AppOptions = {
  readonly database: Database;
  readonly logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
};

export type App = FastifyInstance;

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given)
        ? given
        : `req_${crypto.randomUUID()}`;
    },
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.decorate('database', options.database);
  app.addSchema(Problem);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(problemPlugin);
  await app.register(authPlugin);
  await app.register(metricsPlugin);
  await app.register(openapiPlugin);

  await app.register(healthRoutes);
  await app.register(skuRoutes, { prefix: '/api/v1' });
  await app.register(locationRoutes, { prefix: '/api/v1' });
  await app.register(stockRoutes, { prefix: '/api/v1' });
  await app.register(keyRoutes, { prefix: '/api/v1' });
  return app;
}
