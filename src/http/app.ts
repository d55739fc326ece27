/**
 * Builds the Kibble HTTP application (it does not listen: `src/cli/serve.ts` does). Plugins:
 * problem+json errors, authentication and roles, OpenAPI; then one plugin per resource.
 */
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '../db/database.js';
import { validatorCompiler } from './validation.js';
import { parseUtf8Json } from './json-body.js';
import problemPlugin, {
  clientErrorHandler,
  frameworkErrors,
  MAX_PARAM_LENGTH,
  problem,
  sendProblem,
} from './plugins/problem.js';
import authPlugin from './plugins/auth.js';
import sessionPlugin from './plugins/session.js';
import webPlugin from './plugins/web.js';
import openapiPlugin from './plugins/openapi.js';
import metricsPlugin from './plugins/metrics.js';
import { Problem } from './schemas/common.schema.js';
import healthRoutes from './routes/health.routes.js';
import skuRoutes from './routes/skus.routes.js';
import locationRoutes from './routes/locations.routes.js';
import stockRoutes from './routes/stock.routes.js';
import transferRoutes from './routes/transfers.routes.js';
import countRoutes from './routes/counts.routes.js';
import keyRoutes from './routes/keys.routes.js';
import orderRoutes from './routes/orders.routes.js';
import customerRoutes from './routes/customers.routes.js';
import reservationRoutes from './routes/reservations.routes.js';
import webhookRoutes from './routes/webhooks.routes.js';
import sessionRoutes from './routes/session.routes.js';
import userRoutes from './routes/users.routes.js';
import eventRoutes from './routes/events.routes.js';
import reportRoutes from './routes/reports.routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    /**
     * Awaited before a successful request to a route marked `freesStock` answers: stock may have
     * become free that backorders wait for (the server points it at the backorder job's `now`).
     */
    stockFreed: () => Promise<void>;
  }
  interface FastifyContextConfig {
    /** The route may free stock (a cancellation, an edit, a lease released, stock released). */
    freesStock?: boolean;
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
    // While closing, requests get a problem+json 503 from the hook below, not Fastify's plain one.
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
    // No segment is too long to route: a 10,000-character SKU in a path reaches its route and is
    // refused by the route's schema, naming the parameter (Node's 16 KiB header limit caps a URL).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a text/plain body is 415 Unsupported Media Type, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseUtf8Json(app));
  // `curl -d ''` and most HTTP libraries label an empty POST as a form: empty, it is no body at all
  // (see the hook below); with content, it is still 415.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    const error = Object.assign(new Error('Unsupported Media Type: application/x-www-form-urlencoded'), {
      statusCode: 415,
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
    done(error, undefined);
  });
  app.decorate('database', options.database);
  app.decorate('stockFreed', async () => undefined);
  // Only on the routes marked `freesStock`: every other request, order capture above all, pays nothing.
  app.addHook('onRoute', (route) => {
    if (!route.config?.freesStock) return;
    const serveFreed = async (_req: unknown, reply: { statusCode: number }, payload: unknown) => {
      if (reply.statusCode < 300) await app.stockFreed();
      return payload;
    };
    route.onSend = [...(route.onSend === undefined ? [] : [route.onSend].flat()), serveFreed];
  });
  app.addSchema(Problem);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // An error given before the body was read (413 for an oversized body, 401, 415…): read the
    // rest first, so the client finishes sending and reads the answer instead of a reset connection.
    if (reply.statusCode >= 400 && !req.raw.complete) await drainBody(req.raw, reply);
  });
  // A POST with no body at all (`curl -X POST …/ship`) to a route whose body is optional is an
  // empty object, not "(body) must be object"; a required body still names its missing fields.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.routeOptions.schema?.body) req.body = {};
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '1');
    return sendProblem(
      reply,
      problem(req, 503, 'SHUTTING_DOWN', 'Kibble is shutting down; retry in a moment.'),
    );
  });

  await app.register(problemPlugin);
  await app.register(authPlugin);
  await app.register(sessionPlugin);
  await app.register(metricsPlugin);
  await app.register(openapiPlugin);

  await app.register(healthRoutes);
  await app.register(skuRoutes, { prefix: '/api/v1' });
  await app.register(locationRoutes, { prefix: '/api/v1' });
  await app.register(stockRoutes, { prefix: '/api/v1' });
  await app.register(transferRoutes, { prefix: '/api/v1' });
  await app.register(countRoutes, { prefix: '/api/v1' });
  await app.register(keyRoutes, { prefix: '/api/v1' });
  await app.register(orderRoutes, { prefix: '/api/v1' });
  await app.register(customerRoutes, { prefix: '/api/v1' });
  await app.register(reservationRoutes, { prefix: '/api/v1' });
  await app.register(webhookRoutes, { prefix: '/api/v1' });
  await app.register(sessionRoutes, { prefix: '/api/v1' });
  await app.register(userRoutes, { prefix: '/api/v1' });
  await app.register(eventRoutes, { prefix: '/api/v1' });
  await app.register(reportRoutes, { prefix: '/api/v1' });
  await app.register(webPlugin);
  return app;
}

/** At most this much of an unread request body is read and dropped before answering. */
const DRAIN_BYTES = 64 * 1024 * 1024;
/** And for at most this long: a client that sends slower than this gets the answer anyway. */
const DRAIN_MS = 10_000;

/**
 * Reads and drops what is left of a request body, up to `DRAIN_BYTES` and `DRAIN_MS`. Without it
 * Node closes the connection once the early answer is written, while the client is still sending:
 * the client sees EPIPE or ECONNRESET, never the 413 problem that says what went wrong. A body that
 * ended, failed or was aborted needs nothing; one cut short at the limits closes the connection.
 */
function drainBody(raw: IncomingMessage, reply: FastifyReply): Promise<void> {
  if (raw.destroyed || raw.readableEnded || raw.errored) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', over).off('error', over).off('close', over);
      if (!complete) void reply.header('connection', 'close');
      resolve();
    };
    // Ended, failed or closed: nothing more will come.
    const over = () => finish(true);
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_BYTES) finish(false);
    };
    const timer = setTimeout(() => finish(false), DRAIN_MS);
    timer.unref();
    raw.on('data', onData).once('end', over).once('error', over).once('close', over);
    raw.resume();
  });
}
