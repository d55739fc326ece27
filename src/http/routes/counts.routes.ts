import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { can } from '../../domain/access.js';
import {
  approveCount,
  cancelCount,
  getCount,
  listCounts,
  openCount,
  recordCountLine,
} from '../../app/stock/counts.js';
import { sendCreated } from '../plugins/idempotency.js';
import { Page, problemResponses } from '../schemas/common.schema.js';
import {
  CountParams,
  CountQuery,
  CountResponse,
  OpenCountBody,
  RecordCountLineBody,
  RecordCountLineResponse,
} from '../schemas/count.schema.js';
import { contextOf } from './route-helpers.js';

/** Cycle counts: open (freeze expected), record counted quantities, approve (post variances), cancel. */
export default async function countRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['counts'];

  app.post(
    '/counts',
    {
      schema: {
        tags,
        summary: 'Open a cycle count at a location, freezing the expected quantities',
        description:
          'Lines are the (SKU, lot) balances with stock at the location, narrowed by `skus` and/or `bins`. 409 CONFLICT when a line is already in another open count.',
        body: OpenCountBody,
        response: { 201: CountResponse, ...problemResponses },
      },
      config: { roles: can.countStock },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendCreated(req, reply, async (tx) => ({
        status: 201,
        body: await openCount(tx, req.body, ctx),
      }));
    },
  );

  app.get(
    '/counts',
    {
      schema: {
        tags,
        summary: 'Cycle counts, newest first, with a summary of their lines',
        querystring: CountQuery,
        response: { 200: Page(CountResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listCounts(app.database.db, {
        limit: req.query.limit ?? 50,
        cursor: req.query.cursor,
        status: req.query.status,
        location: req.query.location,
      }),
  );

  app.get(
    '/counts/:id',
    {
      schema: {
        tags,
        summary: 'One cycle count with its lines and the variance of each',
        params: CountParams,
        response: { 200: CountResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) => getCount(app.database.db, req.params.id),
  );

  app.post(
    '/counts/:id/lines',
    {
      schema: {
        tags,
        summary: 'Record a counted quantity (set, or add a scan)',
        description:
          'Name the item by `sku` or by a scanned `barcode` (a pack barcode counts its pack quantity). `counted` replaces the line, `add` increments it atomically; a scan with neither adds one. An item that was not expected becomes a new line. Send an `Idempotency-Key` so a retried scan is not counted twice.',
        params: CountParams,
        body: RecordCountLineBody,
        response: { 200: RecordCountLineResponse, ...problemResponses },
      },
      config: { roles: can.countStock },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendCreated(req, reply, async (tx) => ({
        status: 200,
        body: await recordCountLine(tx, req.params.id, req.body, ctx),
      }));
    },
  );

  app.post(
    '/counts/:id/approve',
    {
      schema: {
        tags,
        summary: 'Approve a count: post counted − expected of every counted line as a count correction',
        description:
          'Uncounted lines are skipped. A correction that finds fewer units than are allocated takes them back from the allocations of that stock — leases first, then the newest orders, which are backordered and re-routed to any location that has the stock. All or nothing: 409 NEGATIVE_STOCK when a correction would take more than is on hand outside quarantine, 409 INVALID_TRANSITION when the count is not open.',
        params: CountParams,
        response: { 200: CountResponse, ...problemResponses },
      },
      // Orders a correction backordered are re-routed to other locations' stock before it answers.
      config: { roles: can.moveStock, freesStock: true },
    },
    async (req) => {
      const ctx = contextOf(req);
      return app.database.transact((tx) => approveCount(tx, req.params.id, ctx));
    },
  );

  app.post(
    '/counts/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel an open count; nothing is posted',
        params: CountParams,
        response: { 200: CountResponse, ...problemResponses },
      },
      config: { roles: can.moveStock },
    },
    async (req) => {
      const ctx = contextOf(req);
      return app.database.transact((tx) => cancelCount(tx, req.params.id, ctx));
    },
  );
}
