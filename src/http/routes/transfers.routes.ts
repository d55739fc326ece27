import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { can } from '../../domain/access.js';
import { getTransfer, listTransfers, receiveTransfer } from '../../app/stock/transfers.js';
import { Page, problemResponses } from '../schemas/common.schema.js';
import { TransferParams, TransferQuery, TransferResponse } from '../schemas/transfer.schema.js';
import { contextOf } from './route-helpers.js';

/** Transfers between locations: listed, inspected, and received at their destination. */
export default async function transferRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['stock'];

  app.get(
    '/transfers',
    {
      schema: {
        tags,
        summary: 'Transfers, newest first; filter by status, SKU, source or destination',
        description: 'Open a transfer with `POST /api/v1/stock/movements {type: "transfer", toLocation}`.',
        querystring: TransferQuery,
        response: { 200: Page(TransferResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listTransfers(app.database.db, {
        limit: req.query.limit ?? 50,
        cursor: req.query.cursor,
        status: req.query.status,
        sku: req.query.sku,
        fromLocation: req.query.fromLocation,
        toLocation: req.query.toLocation,
      }),
  );

  app.get(
    '/transfers/:id',
    {
      schema: {
        tags,
        summary: 'One transfer with its ledger movements',
        params: TransferParams,
        response: { 200: TransferResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) => getTransfer(app.database.db, req.params.id),
  );

  app.post(
    '/transfers/:id/receive',
    {
      schema: {
        tags,
        summary: 'Receive an in-transit transfer in full at its destination',
        description:
          'Posts `transfer_in` of the same SKU and lot at the destination. 409 INVALID_TRANSITION when it was already received.',
        params: TransferParams,
        response: { 200: TransferResponse, ...problemResponses },
      },
      config: { roles: can.moveStock },
    },
    async (req) => {
      const ctx = contextOf(req);
      return app.database.transact((tx) => receiveTransfer(tx, req.params.id, ctx));
    },
  );
}
