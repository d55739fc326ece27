/**
 * The dashboard's figures, each computed by the database in one aggregate query.
 *
 * Definitions (also in the OpenAPI description of `GET /reports/dashboard`):
 * - stock value: Σ on hand × SKU cost, per currency, over every location (sellable or not); units
 *   of SKUs without a cost are counted in `unvaluedUnits`.
 * - available: as everywhere in Kibble, per sellable location max(0, Σ free units of sellable
 *   lots − safety stock), summed over locations (free = on hand − allocated − quarantined; a lot is
 *   sellable when active and expiring after today plus its SKU's minimum remaining shelf life).
 * - out of stock: active, non-bundle SKUs whose available is 0 (SKUs never received included).
 * - low stock: active, non-bundle SKUs with 0 < available ≤ threshold, where the threshold is the
 *   SKU's total safety stock over sellable locations when it has any, else `lowStockThreshold`
 *   (default 5 units).
 * - open orders: orders whose status is `open` or `on_hold`, by status and by fulfilment status.
 * - orders per day: orders created per UTC day over the last 90 days (today included), zero-filled,
 *   with how many of them are cancelled by now; sales per day and currency exclude cancelled orders.
 * - movements per day: ledger movements per UTC day and type over the last 90 days, with their
 *   count and the units they moved (the absolute principal quantity).
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { lapsedLeasesJoin } from '../../db/stock.repo.js';
import { addDays, isoDate } from '../../domain/clock.js';
import { sellableRowSql, shelfLifeCutoffs, type ShelfLifeCutoffs } from './sellable-lots.js';

export const DEFAULT_LOW_STOCK_THRESHOLD = 5;
export const DASHBOARD_DAYS = 90;

export type Dashboard = {
  asOf: string;
  stockValue: Array<{ currency: string; valueMinor: number; valueMinorText: string; units: number }>;
  unvaluedUnits: number;
  skus: { active: number; outOfStock: number; lowStock: number; lowStockThreshold: number };
  lowStockItems: Array<{ sku: string; name: string; available: number; threshold: number }>;
  openOrders: {
    total: number;
    byStatus: Array<{ status: string; count: number }>;
    byFulfillmentStatus: Array<{ fulfillmentStatus: string; count: number }>;
  };
  ordersPerDay: Array<{ date: string; orders: number; cancelled: number }>;
  salesPerDay: Array<{ date: string; currency: string; totalMinor: number; totalMinorText: string }>;
  movementsPerDay: Array<{ date: string; type: string; count: number; units: number }>;
};

/**
 * Per-SKU availability as a SQL fragment over (sku_id, available, safety): the same rule as
 * `locationAvailable` in the domain, pushed into the database so thousands of SKUs cost one query.
 */
export const skuAvailabilitySql = (cutoffs: ShelfLifeCutoffs, now: string) => sql`
  select per_loc.sku_id,
         sum(case when per_loc.free - coalesce(ss.quantity, 0) > 0
                  then per_loc.free - coalesce(ss.quantity, 0) else 0 end) as available
  from (
    select b.sku_id, b.location_id,
           sum(case when l.sellable = 1 and ${sellableRowSql(cutoffs)}
                    then b.on_hand - (b.allocated - coalesce(z.quantity, 0)) - b.quarantined else 0 end) as free
    from balances b
    ${lapsedLeasesJoin(now)}
    join locations l on l.id = b.location_id
    join skus k on k.id = b.sku_id
    left join lots t on t.id = b.lot_id
    group by b.sku_id, b.location_id
  ) per_loc
  left join safety_stock ss on ss.sku_id = per_loc.sku_id and ss.location_id = per_loc.location_id
  group by per_loc.sku_id`;

const n = (v: unknown) => Number(v ?? 0);

/**
 * A sum of money as a JSON number and exactly as a decimal string: up to 2^53 − 1 minor units (90
 * trillion dollars) the number is exact; beyond, it is the nearest one a double holds.
 */
const minorOf = (sum: bigint) => ({ minor: Number(sum), text: sum.toString() });

/** Σ on hand × cost per currency, exact, from rows per (currency, cost), in currency order. */
function stockValueOf(
  rows: ReadonlyArray<{ currency: string; cost: unknown; units: unknown }>,
): Dashboard['stockValue'] {
  const byCurrency = new Map<string, { value: bigint; units: number }>();
  for (const r of rows) {
    const sum = byCurrency.get(r.currency) ?? { value: 0n, units: 0 };
    sum.value += BigInt(n(r.cost)) * BigInt(n(r.units));
    sum.units += n(r.units);
    byCurrency.set(r.currency, sum);
  }
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, { value, units }]) => {
      const { minor, text } = minorOf(value);
      return { currency, valueMinor: minor, valueMinorText: text, units };
    });
}

/**
 * One row per active, non-bundle SKU: its availability over sellable locations and its low-stock
 * threshold (total safety stock over sellable locations when it has any, else `threshold`). The
 * dashboard counts these; `GET /skus?stock=out|low` lists the very same SKUs.
 */
export const perSkuStockSql = (cutoffs: ShelfLifeCutoffs, now: string, threshold: number) => sql<{
  sku_id: string;
  sku: string;
  name: string;
  available: unknown;
  threshold: unknown;
}>`
    select s.id as sku_id, s.sku, s.name, coalesce(a.available, 0) as available,
           case when coalesce(sf.safety, 0) > 0 then sf.safety else ${threshold} end as threshold
    from skus s
    left join (${skuAvailabilitySql(cutoffs, now)}) a on a.sku_id = s.id
    left join (
      select ss.sku_id, sum(ss.quantity) as safety
      from safety_stock ss join locations l on l.id = ss.location_id
      where l.sellable = 1 group by ss.sku_id
    ) sf on sf.sku_id = s.id
    where s.active = 1 and s.is_bundle = 0`;

export async function dashboard(
  tx: Tx,
  opts: { now: string; lowStockThreshold?: number | undefined },
): Promise<Dashboard> {
  const today = isoDate(opts.now);
  const from = addDays(today, -(DASHBOARD_DAYS - 1));
  const threshold = opts.lowStockThreshold ?? DEFAULT_LOW_STOCK_THRESHOLD;

  // Per cost, multiplied and summed exactly in JavaScript (BigInt): the value of a large stock at
  // a large cost may pass 2^53 (and, summed in SQL, 2^63 on SQLite).
  const valueQ = sql<{ currency: string; cost: unknown; units: unknown }>`
    select s.currency, s.cost_minor as cost, sum(b.on_hand) as units
    from balances b join skus s on s.id = b.sku_id
    where s.cost_minor is not null and b.on_hand > 0
    group by s.currency, s.cost_minor`.execute(tx);

  const unvaluedQ = sql<{ units: unknown }>`
    select sum(b.on_hand) as units from balances b join skus s on s.id = b.sku_id
    where s.cost_minor is null`.execute(tx);

  const perSku = perSkuStockSql(await shelfLifeCutoffs(tx, today), opts.now, threshold);

  const countsQ = sql<{ active: unknown; out_of_stock: unknown; low_stock: unknown }>`
    select count(*) as active,
           sum(case when x.available <= 0 then 1 else 0 end) as out_of_stock,
           sum(case when x.available > 0 and x.available <= x.threshold then 1 else 0 end) as low_stock
    from (${perSku}) x`.execute(tx);

  const lowItemsQ = sql<{ sku: string; name: string; available: unknown; threshold: unknown }>`
    select x.sku, x.name, x.available, x.threshold from (${perSku}) x
    where x.available > 0 and x.available <= x.threshold
    order by x.available, x.sku limit 10`.execute(tx);

  const byStatusQ = tx
    .selectFrom('orders')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['open', 'on_hold'])
    .groupBy('status')
    .orderBy('status')
    .execute();

  const byFulfilmentQ = tx
    .selectFrom('orders')
    .select((eb) => ['fulfillment_status', eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['open', 'on_hold'])
    .groupBy('fulfillment_status')
    .orderBy('fulfillment_status')
    .execute();

  const perDayQ = sql<{ day: string; orders: unknown; cancelled: unknown }>`
    select substr(created_at, 1, 10) as day, count(*) as orders,
           sum(case when status = 'cancelled' then 1 else 0 end) as cancelled
    from orders where created_at >= ${from}
    group by substr(created_at, 1, 10)`.execute(tx);

  const salesQ = sql<{ day: string; currency: string; total: unknown }>`
    select substr(created_at, 1, 10) as day, currency, cast(sum(total_minor) as text) as total
    from orders where created_at >= ${from} and status <> 'cancelled'
    group by substr(created_at, 1, 10), currency
    order by 1, 2`.execute(tx);

  const movementsQ = sql<{ day: string; type: string; count: unknown; units: unknown }>`
    select substr(created_at, 1, 10) as day, type, count(*) as count,
           sum(case when type in ('quarantine', 'quarantine_release') then abs(quarantined_delta)
                    when type in ('allocation', 'deallocation') then abs(allocated_delta)
                    else abs(on_hand_delta) end) as units
    from movements where created_at >= ${from}
    group by substr(created_at, 1, 10), type
    order by 1, 2`.execute(tx);

  const [value, unvalued, counts, lowItems, byStatus, byFulfilment, perDay, sales, movements] =
    await Promise.all([
      valueQ,
      unvaluedQ,
      countsQ,
      lowItemsQ,
      byStatusQ,
      byFulfilmentQ,
      perDayQ,
      salesQ,
      movementsQ,
    ]);

  const days = new Map(perDay.rows.map((r) => [r.day, r]));
  const ordersPerDay: Dashboard['ordersPerDay'] = [];
  for (let d = from; d <= today; d = addDays(d, 1)) {
    const r = days.get(d);
    ordersPerDay.push({ date: d, orders: n(r?.orders), cancelled: n(r?.cancelled) });
  }
  const c = counts.rows[0];
  const statusCounts = byStatus.map((r) => ({ status: r.status, count: n(r.n) }));
  return {
    asOf: opts.now,
    stockValue: stockValueOf(value.rows),
    unvaluedUnits: n(unvalued.rows[0]?.units),
    skus: {
      active: n(c?.active),
      outOfStock: n(c?.out_of_stock),
      lowStock: n(c?.low_stock),
      lowStockThreshold: threshold,
    },
    lowStockItems: lowItems.rows.map((r) => ({
      sku: r.sku,
      name: r.name,
      available: n(r.available),
      threshold: n(r.threshold),
    })),
    openOrders: {
      total: statusCounts.reduce((s, r) => s + r.count, 0),
      byStatus: statusCounts,
      byFulfillmentStatus: byFulfilment.map((r) => ({
        fulfillmentStatus: r.fulfillment_status,
        count: n(r.n),
      })),
    },
    ordersPerDay,
    salesPerDay: sales.rows.map((r) => {
      const { minor, text } = minorOf(BigInt(String(r.total)));
      return { date: r.day, currency: r.currency, totalMinor: minor, totalMinorText: text };
    }),
    movementsPerDay: movements.rows.map((r) => ({
      date: r.day,
      type: r.type,
      count: n(r.count),
      units: n(r.units),
    })),
  };
}
