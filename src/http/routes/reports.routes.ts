/**
 * Read-only reports for the web admin: the dashboard's figures, stock across the catalog by
 * location, and the stock ledger across all SKUs. All roles may read them.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { can } from '../../domain/access.js';
import { nowIso, parseInstant } from '../../domain/clock.js';
import { fieldError } from '../../domain/errors.js';
import { DASHBOARD_DAYS, DEFAULT_LOW_STOCK_THRESHOLD, dashboard } from '../../app/reports/dashboard.js';
import { EXPIRING_WITHIN_DAYS, listStock, stockFilters } from '../../app/reports/stock-list.js';
import { listMovements } from '../../app/stock/movement-view.js';
import { InstantQuery, Page, Text, problemResponses, IdCursor } from '../schemas/common.schema.js';
import { DashboardResponse, StockRowResponse, Threshold } from '../schemas/report.schema.js';
import { MovementResponse, MovementTypeFilter } from '../schemas/stock.schema.js';

const Instant = InstantQuery('A point in time');

/** The query's instant (its schema checked the form: `format: 'instant'`), as Kibble stores them. */
function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const at = parseInstant(value);
  if (at === null) throw fieldError('VALIDATION_FAILED', field, 'is not a valid date or instant');
  return at.toISOString();
}

export default async function reportRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['reports'];

  app.get(
    '/reports/dashboard',
    {
      schema: {
        tags,
        summary:
          'Dashboard figures: stock value, low and out of stock, open orders, orders and movements per day',
        description: [
          '- **stockValue**: Σ on hand × SKU cost per currency over every location; units of SKUs without a cost are in `unvaluedUnits`.',
          '- **available** (as everywhere): per sellable location max(0, free units of sellable lots − safety stock), summed; 0 for an inactive SKU.',
          '- **outOfStock**: active, non-bundle SKUs whose available is 0 (never-received SKUs included).',
          "- **lowStock**: active, non-bundle SKUs with 0 < available ≤ threshold; the threshold is the SKU's total safety stock over sellable locations when it has any, else `lowStockThreshold` (default 5).",
          '- **openOrders**: orders with status `open` or `on_hold`.',
          `- **ordersPerDay**: per UTC day over the last ${DASHBOARD_DAYS} days, zero-filled; **salesPerDay** excludes cancelled orders.`,
          `- **movementsPerDay**: ledger movements per UTC day and type over the last ${DASHBOARD_DAYS} days, with units moved.`,
        ].join('\n'),
        querystring: Type.Object(
          { lowStockThreshold: Type.Optional(Threshold) },
          { additionalProperties: false },
        ),
        response: { 200: DashboardResponse, ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      dashboard(app.database.db, { now: nowIso(), lowStockThreshold: req.query.lowStockThreshold }),
  );

  app.get(
    '/reports/stock',
    {
      schema: {
        tags,
        summary: 'Stock of every SKU by location, with availability; filter and search',
        description: `Filters: \`available\` (available > 0), \`low\` (0 < available ≤ safety stock or the threshold), \`out\` (an active SKU with nothing available at a sellable location), \`quarantined\`, \`allocated\`, \`expiring\` (a lot on hand expires within ${EXPIRING_WITHIN_DAYS} days).`,
        querystring: Type.Object(
          {
            q: Type.Optional(
              Text({ maxLength: 100, description: 'SKU prefix, barcode, or words of the name in any order' }),
            ),
            location: Type.Optional(Text({ maxLength: 64 })),
            filter: Type.Optional(Type.Union(stockFilters.map((f) => Type.Literal(f)))),
            lowStockThreshold: Type.Optional(Threshold),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
            cursor: Type.Optional(Text({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(StockRowResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listStock(app.database.db, {
        now: nowIso(),
        limit: req.query.limit ?? 200,
        cursor: req.query.cursor,
        location: req.query.location,
        q: req.query.q,
        filter: req.query.filter,
        lowStockThreshold: req.query.lowStockThreshold ?? DEFAULT_LOW_STOCK_THRESHOLD,
      }),
  );

  app.get(
    '/reports/movements',
    {
      schema: {
        tags,
        summary: 'The stock ledger across all SKUs, newest first, with filters',
        querystring: Type.Object(
          {
            sku: Type.Optional(Text({ maxLength: 64 })),
            location: Type.Optional(Text({ maxLength: 64 })),
            type: Type.Optional(MovementTypeFilter),
            reason: Type.Optional(Text({ maxLength: 100, description: 'Part of the reason, any case' })),
            from: Type.Optional(Instant),
            to: Type.Optional(Instant),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            cursor: Type.Optional(IdCursor('movement')),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(MovementResponse), ...problemResponses },
      },
      config: { roles: can.read },
    },
    async (req) =>
      listMovements(app.database.db, {
        limit: req.query.limit ?? 100,
        before: req.query.cursor,
        sku: req.query.sku,
        location: req.query.location,
        type: req.query.type,
        reason: req.query.reason,
        from: instant(req.query.from, 'from'),
        to: instant(req.query.to, 'to'),
      }),
  );
}
