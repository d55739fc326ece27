import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { getCustomer, listCustomers } from '../../app/customers/customers.js';
import { NonEmptyText, Nullable, Page, Text, problemResponses, IdCursor } from '../schemas/common.schema.js';

const CustomerSummary = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Nullable(Type.String()),
  createdAt: Type.String(),
});
const CustomerResponse = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Nullable(Type.String()),
  addresses: Type.Array(Type.Object({}, { additionalProperties: true })),
  orderCount: Type.Integer(),
  lifetimeValueMinor: Type.Record(Type.String(), Type.Integer()),
  createdAt: Type.String(),
});

export default async function customerRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['customers'];
  app.get(
    '/customers',
    {
      schema: {
        tags,
        summary: 'Customers, newest first; `q` matches e-mail or name',
        querystring: Type.Object(
          {
            q: Type.Optional(Text({ maxLength: 254 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(IdCursor('customer')),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(CustomerSummary), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listCustomers(app.database.db, {
        q: req.query.q,
        limit: req.query.limit ?? 50,
        before: req.query.cursor,
      }),
  );
  app.get(
    '/customers/:id',
    {
      schema: {
        tags,
        summary: 'One customer with addresses and lifetime value',
        params: Type.Object({ id: NonEmptyText(64) }, { additionalProperties: false }),
        response: { 200: CustomerResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) => getCustomer(app.database.db, req.params.id),
  );
}
