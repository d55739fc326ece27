/**
 * OpenAPI 3.1, generated from the same TypeBox schemas that validate requests. Served at
 * `/api/v1/openapi.json` with interactive docs at `/api/docs`; both are public (they hold no data).
 * A committed copy lives in docs/openapi.json and a test fails when it drifts.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

async function openapiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kibble API',
        version: '1',
        description:
          "Inventory and order management. JSON is camelCase; quantities are integers in the SKU's base unit; " +
          'money is integer minor units with an ISO-4217 currency; errors are RFC 9457 problem+json. ' +
          'Creating POSTs accept an `Idempotency-Key` header; updates accept `If-Match` with the ETag from GET ' +
          '(RFC 9110, strong comparison: `*` matches any current version, a list such as `"3", "4"` matches when one ' +
          'of its tags does, and a weak tag `W/"3"` never matches; a failed match is 412 VERSION_MISMATCH).',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key: `Authorization: Bearer kbl_…`',
          },
        },
      },
      security: [{ apiKey: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`,
    },
    transformObject: (document) =>
      'openapiObject' in document ? problemsAsProblemJson(document.openapiObject) : document.swaggerObject,
  });
  // Before swagger-ui registers its routes, or the hook never sees them and the docs need a key.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs')) route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true }, config: { public: true } }, async () =>
    app.swagger(),
  );
}

type Responses = Record<string, { content?: Record<string, unknown> }>;
type Operations = Record<string, Record<string, { responses?: Responses }>>;

/**
 * Every 4xx and 5xx answer is sent as `application/problem+json` (RFC 9457): documented so, not as
 * the `application/json` the generator assumes for every schema.
 */
function problemsAsProblemJson<T extends { paths?: unknown }>(document: T): T {
  for (const operations of Object.values((document.paths ?? {}) as Operations)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const json = response.content?.['application/json'];
        if (!/^[45]/.test(status) || json === undefined || !response.content) continue;
        delete response.content['application/json'];
        response.content['application/problem+json'] = json;
      }
    }
  }
  return document;
}

export default fp(openapiPlugin, { name: 'openapi' });
