/**
 * Seeds the demo pet-supplies shop: ~2,300 SKUs (dry and wet food and treats lot-tracked with
 * expiry, litter, toys, accessories, medicines, small-pet supplies, bundles), three fulfilment
 * centres, a store and a quarantine cage with bins, and opening stock.
 *
 * Everything goes through the same use-cases as the API (createLocation, createSku, postMovement,
 * setSafetyStock), so the ledger, balances and outbox are exactly what real use would leave, and
 * `kibble stock verify` holds. It runs in ONE transaction: a failed or interrupted demo leaves the
 * database as it was. Only then are the cancelled orders' payments settled (voided, refunded), through
 * the payment actions and their own short transactions, as in real use: an interruption there leaves
 * a consistent shop with some refunds still due. The same seed gives the same shop (expiry dates are
 * relative to today).
 *
 * Errors: CONFLICT when the database already has SKUs (the demo only seeds an empty catalog).
 */
import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { findLocation, findSku } from '../../db/catalog.repo.js';
import { isoDate, nowIso } from '../../domain/clock.js';
import { DomainError } from '../../domain/errors.js';
import { createSku } from '../catalog/create-sku.js';
import { createLocation } from '../locations/locations.js';
import { setSafetyStock } from '../stock/safety-stock.js';
import { postMovement } from '../stock/post-movement.js';
import { demoCatalog } from './demo-catalog.js';
import { demoLocations, planOpeningStock } from './demo-stock.js';
import {
  seedOrderHistory,
  settleCancelledOrders,
  type HistoryStats,
  type OrderHistory,
} from './demo-orders.js';
import { nounFor } from '../../domain/plural.js';

export type DemoOptions = {
  readonly seed: number;
  readonly out: (line: string) => void;
  /** Seed a smaller sample of exactly this many SKUs (tests, quick looks); default: the full catalog. */
  readonly skus?: number | undefined;
  /** Place 90 days of order history (default true). */
  readonly orders?: boolean | undefined;
};

export type DemoSummary = {
  readonly orders?: HistoryStats;
  readonly seed: number;
  readonly skus: number;
  readonly bundles: number;
  readonly lotTracked: number;
  readonly locations: number;
  readonly bins: number;
  readonly lots: number;
  readonly expiredLots: number;
  readonly nearExpiryLots: number;
  readonly movements: number;
  readonly safetyStock: number;
  readonly outOfStock: number;
  readonly lowStock: number;
  readonly seconds: number;
};

const ACTOR = 'system:demo';
const fmt = (n: number) => n.toLocaleString('en-US');

export async function seedDemo(database: Database, options: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const { seed, out } = options;
  const today = isoDate(nowIso());
  const catalog = demoCatalog(seed, options.skus);
  const locations = demoLocations();
  const plan = planOpeningStock(catalog, seed, today);
  const bins = locations.reduce((n, l) => n + (l.bins?.length ?? 0), 0);
  // Opening stock arrives before the order history starts, so stock as of any past day is sound.
  const now = new Date();
  const openingAt = new Date(now.getTime() - 100 * 86_400_000).toISOString();
  const placed = await database.transact(async (tx): Promise<OrderHistory | null> => {
    const any = await tx.selectFrom('skus').select('sku').limit(1).executeTakeFirst();
    if (any) {
      throw new DomainError(
        'CONFLICT',
        'The database already has SKUs; the demo only seeds an empty catalog. Point KIBBLE_DB at a new file or DATABASE_URL at an empty database.',
      );
    }
    out(`Creating ${locations.length} locations with ${fmt(bins)} bins…`);
    for (const l of locations) await createLocation(tx, l);

    out(`Creating ${fmt(catalog.length)} SKUs…`);
    const products = new Map<string, string>();
    let done = 0;
    for (const s of catalog) {
      const productId = products.get(s.product);
      const view = await createSku(tx, {
        sku: s.sku,
        name: s.name,
        ...(productId ? { productId } : { productName: s.product }),
        unit: s.unit,
        barcodes: s.barcodes,
        packs: s.packs,
        costMinor: s.costMinor,
        priceMinor: s.priceMinor,
        currency: 'USD',
        taxClass: s.taxClass,
        tracking: s.tracking,
        shelfLifeDays: s.shelfLifeDays,
        minRemainingShelfLifeDays: s.minRemainingShelfLifeDays,
        weightGrams: s.weightGrams,
        dimensionsMm: s.dimensionsMm,
        active: s.active,
        components: s.components,
      });
      products.set(s.product, view.productId);
      if (++done % 500 === 0) out(`  ${fmt(done)} / ${fmt(catalog.length)} SKUs`);
    }

    out(`Receiving opening stock: ${fmt(plan.movements.length)} movements…`);
    done = 0;
    for (const m of plan.movements) {
      await postMovement(tx, m, { actor: ACTOR, requestId: null, at: openingAt });
      if (++done % 2000 === 0) out(`  ${fmt(done)} / ${fmt(plan.movements.length)} movements`);
    }
    for (const s of plan.safetyStock) {
      const sku = await findSku(tx, s.sku);
      const location = await findLocation(tx, s.location);
      if (sku && location) await setSafetyStock(tx, sku, location, s.quantity, openingAt);
    }
    if (options.orders === false) return null;
    out('Placing 90 days of order history…');
    return seedOrderHistory(tx, catalog, seed, now, out);
  });

  let history: HistoryStats | null = null;
  if (placed) {
    const { stats, cancelled } = placed;
    if (cancelled.length > 0) out(`Settling the payments of ${fmt(cancelled.length)} cancelled orders…`);
    history = { ...stats, ...(await settleCancelledOrders(database, cancelled)) };
  }
  // Fresh statistics for the planner: without them (autovacuum may be off or not yet run) PostgreSQL
  // plans the first dashboard over thousands of rows as if the tables were empty (3 s, not 50 ms).
  if (database.dialect === 'postgres') await sql`analyze`.execute(database.db);

  const summary: DemoSummary = {
    seed,
    skus: catalog.length,
    bundles: catalog.filter((s) => s.components).length,
    lotTracked: catalog.filter((s) => s.tracking === 'lot').length,
    locations: locations.length,
    bins,
    lots: plan.stats.lots,
    expiredLots: plan.stats.expiredLots,
    nearExpiryLots: plan.stats.nearExpiryLots,
    movements: plan.movements.length,
    safetyStock: plan.safetyStock.length,
    outOfStock: plan.stats.outOfStock,
    lowStock: plan.stats.lowStock,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  out(
    `Seeded the demo pet shop (seed ${seed}) in ${summary.seconds} s: ${fmt(summary.skus)} SKUs ` +
      `(${fmt(summary.bundles)} bundles, ${fmt(summary.lotTracked)} lot-tracked), ${summary.locations} locations, ` +
      `${fmt(summary.bins)} bins, ${fmt(summary.lots)} lots (${fmt(summary.expiredLots)} expired, ` +
      `${fmt(summary.nearExpiryLots)} near expiry), ${fmt(summary.movements)} stock movements; ` +
      `${fmt(summary.outOfStock)} SKUs out of stock, ${fmt(summary.lowStock)} low.`,
  );
  if (history) {
    const h: HistoryStats = history;
    out(
      `Order history: ${fmt(h.orders)} orders over 90 days (${fmt(h.shipped)} shipped, ${fmt(h.cancelled)} cancelled, ${fmt(h.refundDue)} ${nounFor(h.refundDue, 'refund')} due, ${fmt(h.open)} open, ${fmt(h.onHold)} on hold, ${fmt(h.backordered)} backordered).`,
    );
  }
  return { ...summary, ...(history ? { orders: history } : {}) };
}
