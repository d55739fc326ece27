/**
 * Users of the web admin (admin only): list, create, change role or name, reset the password,
 * disable and re-enable. Passwords are hashed (scrypt) before the transaction opens.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can, roles } from '../../domain/access.js';
import { nowIso } from '../../domain/clock.js';
import { createUser, hashPassword, listUsers, updateUser } from '../../app/access/users.js';
import { principalOf } from '../plugins/auth.js';
import { sendCreated } from '../plugins/idempotency.js';
import { NonEmptyText, Text, problemResponses } from '../schemas/common.schema.js';
import { UserResponse } from '../schemas/session.schema.js';

const Role = Type.Union(
  roles.map((r) => Type.Literal(r)),
  { description: 'The permission set, as for API keys' },
);
const Password = Text({ minLength: 1, maxLength: 200, description: 'At least 10 characters' });

export default async function userRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['access'];

  app.get(
    '/users',
    {
      schema: {
        tags,
        summary: 'All users (never their password hashes)',
        response: { 200: Type.Object({ items: Type.Array(UserResponse) }), ...problemResponses },
      },
      config: { roles: can.manageAccess },
    },
    async () => ({ items: await listUsers(app.database.db) }),
  );

  app.post(
    '/users',
    {
      schema: {
        tags,
        summary: 'Create a user who signs in with email and password',
        description: '409 CONFLICT when the email (compared case-insensitively) is taken.',
        body: Type.Object(
          {
            email: NonEmptyText(254),
            name: Type.Optional(Text({ maxLength: 200 })),
            role: Role,
            password: Password,
          },
          { additionalProperties: false },
        ),
        response: { 201: UserResponse, ...problemResponses },
      },
      config: { roles: can.manageAccess },
    },
    async (req, reply) => {
      const passwordHash = await hashPassword(req.body.password);
      const { email, name, role } = req.body;
      return sendCreated(req, reply, async (tx) => ({
        status: 201,
        body: await createUser(tx, { email, name, role, passwordHash }, nowIso()),
      }));
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Change a user: name, role, password, or disable / enable',
        description:
          'Disabling a user or setting a new password ends their sessions at once. You cannot disable yourself or change your own role.',
        params: Type.Object({ id: NonEmptyText(64) }, { additionalProperties: false }),
        body: Type.Object(
          {
            name: Type.Optional(NonEmptyText(200)),
            role: Type.Optional(Role),
            disabled: Type.Optional(Type.Boolean()),
            password: Type.Optional(Password),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: UserResponse, ...problemResponses },
      },
      config: { roles: can.manageAccess },
    },
    async (req) => {
      const passwordHash =
        req.body.password === undefined ? undefined : await hashPassword(req.body.password);
      const by = principalOf(req);
      const { name, role, disabled } = req.body;
      return app.database.transact((tx) =>
        updateUser(tx, req.params.id, { name, role, disabled, passwordHash }, by, nowIso()),
      );
    },
  );
}
