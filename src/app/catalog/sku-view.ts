/** The public shape of a SKU, assembled from its rows. */
import type { Tx } from '../../db/database.js';
import type { SkuRow } from '../../db/catalog.repo.js';
import { componentsOf } from '../../db/catalog.repo.js';
import type { Tracking } from '../../domain/catalog/sku.js';

export type SkuView = {
  id: string;
  sku: string;
  productId: string;
  name: string;
  unit: string;
  barcodes: string[];
  packs: Array<{ name: string; quantity: number; barcode: string | null }>;
  costMinor: number | null;
  priceMinor: number | null;
  currency: string;
  taxClass: string | null;
  tracking: Tracking;
  shelfLifeDays: number | null;
  minRemainingShelfLifeDays: number;
  weightGrams: number | null;
  dimensionsMm: { length: number | null; width: number | null; height: number | null };
  active: boolean;
  isBundle: boolean;
  components: Array<{ sku: string; quantity: number }>;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export async function skuViews(tx: Tx, rows: readonly SkuRow[]): Promise<SkuView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [barcodes, packs, components] = await Promise.all([
    tx.selectFrom('sku_barcodes').selectAll().where('sku_id', 'in', ids).orderBy('barcode').execute(),
    tx.selectFrom('sku_packs').selectAll().where('sku_id', 'in', ids).orderBy('quantity').execute(),
    componentsOf(
      tx,
      rows.filter((r) => r.is_bundle === 1).map((r) => r.id),
    ),
  ]);
  return rows.map((r) => ({
    id: r.id,
    sku: r.sku,
    productId: r.product_id,
    name: r.name,
    unit: r.unit,
    barcodes: barcodes.filter((b) => b.sku_id === r.id).map((b) => b.barcode),
    packs: packs
      .filter((p) => p.sku_id === r.id)
      .map((p) => ({ name: p.name, quantity: p.quantity, barcode: p.barcode })),
    costMinor: r.cost_minor,
    priceMinor: r.price_minor,
    currency: r.currency,
    taxClass: r.tax_class,
    tracking: r.tracking,
    shelfLifeDays: r.shelf_life_days,
    minRemainingShelfLifeDays: r.min_remaining_shelf_life_days,
    weightGrams: r.weight_grams,
    dimensionsMm: { length: r.length_mm, width: r.width_mm, height: r.height_mm },
    active: r.active === 1,
    isBundle: r.is_bundle === 1,
    components: components
      .filter((c) => c.bundle_sku_id === r.id)
      .map((c) => ({ sku: c.sku, quantity: c.quantity })),
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function skuView(tx: Tx, row: SkuRow): Promise<SkuView> {
  return (await skuViews(tx, [row]))[0]!;
}
