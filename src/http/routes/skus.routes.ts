import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { fieldError } from '../../domain/errors.js';
import { createSku } from '../../app/catalog/create-sku.js';
import { listSkus } from '../../app/catalog/list-skus.js';
import { skuView } from '../../app/catalog/sku-view.js';
import { updateSku } from '../../app/catalog/update-sku.js';
import { findSku } from '../../db/catalog.repo.js';
import { sendCreated } from '../plugins/idempotency.js';
import { Page, Text, problemResponses } from '../schemas/common.schema.js';
import { CreateSkuBody, SkuParams, SkuResponse, UpdateSkuBody } from '../schemas/sku.schema.js';
import { ifMatchVersions, sendWithEtag } from './route-helpers.js';
import { Threshold } from '../schemas/report.schema.js';
import { DEFAULT_LOW_STOCK_THRESHOLD } from '../../app/reports/dashboard.js';
import { nowIso } from '../../domain/clock.js';

export default async function skuRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['catalog'];

  app.post(
    '/skus',
    {
      schema: {
        tags,
        summary: 'Create a SKU (a sellable variant), optionally a bundle of components',
        body: CreateSkuBody,
        response: { 201: SkuResponse, ...problemResponses },
      },
      config: { roles: can.writeCatalog },
    },
    async (req, reply) =>
      // A bundle's first stock.changed is read from its components' rows: see TransactOptions.
      sendCreated(req, reply, async (tx) => ({ status: 201, body: await createSku(tx, req.body) }), {
        changesRules: req.body.components !== undefined,
      }),
  );

  app.get(
    '/skus',
    {
      schema: {
        tags,
        summary: 'List or search SKUs (prefix of the SKU, barcode, or words of the name in any order)',
        querystring: Type.Object(
          {
            q: Type.Optional(Text({ maxLength: 100 })),
            active: Type.Optional(Type.Boolean()),
            stock: Type.Optional(
              Type.Union([Type.Literal('out'), Type.Literal('low')], {
                description:
                  'Only the SKUs `GET /reports/dashboard` counts as out of stock or low (with the same `lowStockThreshold`)',
              }),
            ),
            lowStockThreshold: Type.Optional(Threshold),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Text({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(SkuResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listSkus(app.database.db, {
        q: req.query.q,
        limit: req.query.limit ?? 50,
        after: req.query.cursor,
        active: req.query.active,
        stock:
          req.query.stock === undefined
            ? undefined
            : {
                filter: req.query.stock,
                now: nowIso(),
                lowStockThreshold: req.query.lowStockThreshold ?? DEFAULT_LOW_STOCK_THRESHOLD,
              },
      }),
  );

  app.get(
    '/skus/:sku',
    {
      schema: {
        tags,
        summary: 'One SKU',
        params: SkuParams,
        response: { 200: SkuResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req, reply) => {
      const row = await findSku(app.database.db, req.params.sku);
      if (!row) throw fieldError('NOT_FOUND', 'sku', `SKU ${req.params.sku} does not exist.`);
      return sendWithEtag(reply, await skuView(app.database.db, row));
    },
  );

  app.patch(
    '/skus/:sku',
    {
      schema: {
        tags,
        summary: 'Change a SKU; send If-Match with the ETag from GET to avoid lost updates',
        params: SkuParams,
        body: UpdateSkuBody,
        response: { 200: SkuResponse, ...problemResponses },
      },
      config: { roles: can.writeCatalog, freesStock: true },
    },
    async (req, reply) => {
      const expected = ifMatchVersions(req);
      const { active, minRemainingShelfLifeDays } = req.body;
      const view = await app.database.transact((tx) => updateSku(tx, req.params.sku, req.body, expected), {
        changesRules: active !== undefined || minRemainingShelfLifeDays !== undefined,
      });
      return sendWithEtag(reply, view);
    },
  );
}
