import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import {
  createReservation,
  extendReservation,
  getReservation,
  listReservations,
  releaseReservation,
} from '../../app/orders/reservations.js';
import { sendCreated } from '../plugins/idempotency.js';
import { NonEmptyText, Page, problemResponses, IdCursor } from '../schemas/common.schema.js';
import { ReservationBody, ReservationResponse } from '../schemas/order.schema.js';
import { contextOf } from './route-helpers.js';

const Params = Type.Object({ id: NonEmptyText(64) }, { additionalProperties: false });

export default async function reservationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['reservations'];

  app.post(
    '/reservations',
    {
      schema: {
        tags,
        summary:
          'Hold stock for a time (cart, channel); converts into an order via `reservations` on POST /orders',
        body: ReservationBody,
        response: { 201: ReservationResponse, ...problemResponses },
      },
      config: { roles: can.reserveStock },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendCreated(req, reply, async (tx) => ({
        status: 201,
        body: await createReservation(tx, req.body, ctx),
      }));
    },
  );

  app.get(
    '/reservations',
    {
      schema: {
        tags,
        summary: 'Reservations, newest first',
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal('active'),
                Type.Literal('released'),
                Type.Literal('expired'),
                Type.Literal('converted'),
              ]),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(IdCursor('reservation')),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(ReservationResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listReservations(app.database.db, {
        status: req.query.status,
        limit: req.query.limit ?? 50,
        after: req.query.cursor,
      }),
  );

  app.get(
    '/reservations/:id',
    {
      schema: {
        tags,
        summary: 'One reservation',
        params: Params,
        response: { 200: ReservationResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) => getReservation(app.database.db, req.params.id),
  );

  app.post(
    '/reservations/:id/extend',
    {
      schema: {
        tags,
        summary: 'Extend a lease to now + ttlSeconds',
        params: Params,
        body: Type.Object(
          { ttlSeconds: Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }) },
          { additionalProperties: false },
        ),
        response: { 200: ReservationResponse, ...problemResponses },
      },
      config: { roles: can.reserveStock },
    },
    async (req) => {
      const ctx = contextOf(req);
      return app.database.transact((tx) => extendReservation(tx, req.params.id, req.body.ttlSeconds, ctx));
    },
  );

  const release = async (id: string, ctx: ReturnType<typeof contextOf>) =>
    app.database.transact((tx) => releaseReservation(tx, id, ctx));
  app.post(
    '/reservations/:id/release',
    {
      schema: {
        tags,
        summary: 'Release a lease now',
        params: Params,
        response: { 200: ReservationResponse, ...problemResponses },
      },
      config: { roles: can.reserveStock, freesStock: true },
    },
    async (req) => release(req.params.id, contextOf(req)),
  );
  app.delete(
    '/reservations/:id',
    {
      schema: {
        tags,
        summary: 'Release a lease now (same as POST …/release)',
        params: Params,
        response: { 200: ReservationResponse, ...problemResponses },
      },
      config: { roles: can.reserveStock, freesStock: true },
    },
    async (req) => release(req.params.id, contextOf(req)),
  );
}
