/** Report responses: the dashboard and stock across the catalog. */
import { Type } from 'typebox';
import { Nullable, Timestamp } from './common.schema.js';

const Count = Type.Integer({ minimum: 0 });
export const Threshold = Type.Integer({
  minimum: 0,
  maximum: 1_000_000,
  description: 'Units at or below which a SKU without safety stock counts as low stock (default 5)',
});

export const DashboardResponse = Type.Object({
  asOf: Timestamp,
  stockValue: Type.Array(
    Type.Object({
      currency: Type.String(),
      valueMinor: Type.Integer({
        description: 'Exact up to 2^53 − 1; beyond, the nearest double (valueMinorText is exact)',
      }),
      valueMinorText: Type.String({ description: 'The same value, exactly, as a decimal string' }),
      units: Type.Integer(),
    }),
    { description: 'Σ on hand × cost per currency, all locations' },
  ),
  unvaluedUnits: Type.Integer({ description: 'Units on hand of SKUs without a cost' }),
  skus: Type.Object({
    active: Count,
    outOfStock: Count,
    lowStock: Count,
    lowStockThreshold: Count,
  }),
  lowStockItems: Type.Array(
    Type.Object({ sku: Type.String(), name: Type.String(), available: Count, threshold: Count }),
  ),
  openOrders: Type.Object({
    total: Count,
    byStatus: Type.Array(Type.Object({ status: Type.String(), count: Count })),
    byFulfillmentStatus: Type.Array(Type.Object({ fulfillmentStatus: Type.String(), count: Count })),
  }),
  ordersPerDay: Type.Array(Type.Object({ date: Type.String(), orders: Count, cancelled: Count })),
  salesPerDay: Type.Array(
    Type.Object({
      date: Type.String(),
      currency: Type.String(),
      totalMinor: Type.Integer({
        description: 'Exact up to 2^53 − 1; beyond, the nearest double (totalMinorText is exact)',
      }),
      totalMinorText: Type.String({ description: 'The same total, exactly, as a decimal string' }),
    }),
  ),
  movementsPerDay: Type.Array(
    Type.Object({ date: Type.String(), type: Type.String(), count: Count, units: Type.Integer() }),
  ),
});

export const StockRowResponse = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  location: Type.String(),
  sellable: Type.Boolean(),
  bin: Nullable(Type.String()),
  lots: Count,
  nextExpiry: Nullable(Type.String()),
  onHand: Type.Integer(),
  allocated: Type.Integer(),
  quarantined: Type.Integer(),
  safetyStock: Type.Integer(),
  available: Type.Integer(),
});
