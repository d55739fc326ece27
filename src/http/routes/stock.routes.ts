import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { parseInstant } from '../../domain/clock.js';
import { fieldError } from '../../domain/errors.js';
import { findSku } from '../../db/catalog.repo.js';
import { listMovements } from '../../app/stock/movement-view.js';
import { setSafetyStock } from '../../app/stock/safety-stock.js';
import { postMovement, resolveLocation, resolveSku } from '../../app/stock/post-movement.js';
import { stockAsOf, stockOf } from '../../app/stock/stock-view.js';
import { sendCreated } from '../plugins/idempotency.js';
import { Page, Text, problemResponses, IdCursor } from '../schemas/common.schema.js';
import {
  MovementResponse,
  MovementTypeFilter,
  PostMovementBody,
  PostMovementResponse,
  SafetyStockBody,
  SafetyStockParams,
  StockParams,
  StockQuery,
  StockResponse,
} from '../schemas/stock.schema.js';
import { contextOf } from './route-helpers.js';

export default async function stockRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['stock'];

  app.post(
    '/stock/movements',
    {
      schema: {
        tags,
        summary:
          'Post a stock movement (receipt, adjustment, transfer, quarantine, quarantine_release, scrap)',
        description:
          'Applied atomically to the balance and appended to the ledger. A negative adjustment (stock found missing) beyond the free units takes them back from the allocations of that stock — leases first, then the newest orders, which are backordered and re-routed to any location that has the stock. 409 NEGATIVE_STOCK when it would make a counter negative (an adjustment: take more than is on hand outside quarantine).',
        body: PostMovementBody,
        response: { 201: PostMovementResponse, ...problemResponses },
      },
      config: { roles: can.moveStock, freesStock: true },
    },
    async (req, reply) => {
      const ctx = contextOf(req);
      return sendCreated(req, reply, async (tx) => ({
        status: 201,
        body: await postMovement(tx, req.body, ctx),
      }));
    },
  );

  app.get(
    '/stock/:sku',
    {
      schema: {
        tags,
        summary:
          'Stock of a SKU by location (and lot), with totals; `asOf` reconstructs the past from the ledger',
        params: StockParams,
        querystring: StockQuery,
        response: { 200: StockResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) => {
      const sku = await findSku(app.database.db, req.params.sku);
      if (!sku) throw fieldError('NOT_FOUND', 'sku', `SKU ${req.params.sku} does not exist.`);
      if (req.query.asOf === undefined) return stockOf(app.database.db, sku);
      const at = parseInstant(req.query.asOf);
      if (at === null) throw fieldError('VALIDATION_FAILED', 'asOf', 'is not a valid instant');
      return stockAsOf(app.database.db, sku, at.toISOString());
    },
  );

  app.get(
    '/stock/:sku/movements',
    {
      schema: {
        tags,
        summary: 'The ledger of a SKU, newest first',
        params: StockParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(IdCursor('movement')),
            location: Type.Optional(Text({ maxLength: 64 })),
            type: Type.Optional(MovementTypeFilter),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(MovementResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) => {
      const sku = await findSku(app.database.db, req.params.sku);
      if (!sku) throw fieldError('NOT_FOUND', 'sku', `SKU ${req.params.sku} does not exist.`);
      return listMovements(app.database.db, {
        skuId: sku.id,
        limit: req.query.limit ?? 50,
        before: req.query.cursor,
        location: req.query.location,
        type: req.query.type,
      });
    },
  );

  app.put(
    '/stock/:sku/safety-stock/:location',
    {
      schema: {
        tags,
        summary: 'Set the safety stock of a SKU at a location',
        params: SafetyStockParams,
        body: SafetyStockBody,
        response: { 200: StockResponse, ...problemResponses },
      },
      config: { roles: can.moveStock, freesStock: true },
    },
    async (req) =>
      app.database.transact(
        async (tx) => {
          const sku = await resolveSku(tx, req.params.sku);
          const location = await resolveLocation(tx, req.params.location);
          await setSafetyStock(tx, sku, location, req.body.quantity, contextOf(req).at);
          return stockOf(tx, sku);
        },
        { changesRules: true },
      ),
  );
}
