import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can, roles } from '../../domain/access.js';
import { fieldError } from '../../domain/errors.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../app/access/api-keys.js';
import { sendCreated } from '../plugins/idempotency.js';
import { NonEmptyText, Nullable, problemResponses } from '../schemas/common.schema.js';

const Role = Type.Union(roles.map((r) => Type.Literal(r)));
const KeyResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  prefix: Type.String(),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
});

export default async function keyRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['access'];

  app.post(
    '/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key; the secret is in this response only',
        body: Type.Object({ role: Role, name: NonEmptyText(100) }, { additionalProperties: false }),
        response: {
          201: Type.Object({
            id: Type.String(),
            key: Type.String(),
            role: Type.String(),
            name: Type.String(),
          }),
          ...problemResponses,
        },
      },
      config: { roles: can.manageAccess },
    },
    async (req, reply) =>
      sendCreated(req, reply, async (tx) => ({ status: 201, body: await createApiKey(tx, req.body) })),
  );

  app.get(
    '/api-keys',
    {
      schema: {
        tags,
        summary: 'API keys (never their secrets)',
        response: { 200: Type.Object({ items: Type.Array(KeyResponse) }), ...problemResponses },
      },
      config: { roles: can.manageAccess },
    },
    async () => ({ items: await listApiKeys(app.database.db) }),
  );

  app.delete(
    '/api-keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key',
        params: Type.Object({ id: NonEmptyText(64) }),
        response: { 204: Type.Null(), ...problemResponses },
      },
      config: { roles: can.manageAccess },
    },
    async (req, reply) => {
      const done = await app.database.transact((tx) => revokeApiKey(tx, req.params.id));
      app.forgetCredentials();
      if (!done) throw fieldError('NOT_FOUND', 'id', `No active API key ${req.params.id}.`);
      return reply.code(204).send(null);
    },
  );
}
