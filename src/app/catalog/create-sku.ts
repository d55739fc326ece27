import type { Tx } from '../../db/database.js';
import { findSku, findSkus } from '../../db/catalog.repo.js';
import { nowIso } from '../../domain/clock.js';
import { barcodeKind, validateSkuDraft, type SkuDraft } from '../../domain/catalog/sku.js';
import { assertBarcodesFree } from './barcodes.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { skuDisplay, skuKey } from '../../domain/sku-code.js';
import { skuView, type SkuView } from './sku-view.js';
import { emit, type DomainEvent } from '../outbox.js';
import { bundleStockChangedEverywhere } from '../stock/availability.js';

export type CreateSkuInput = SkuDraft & {
  readonly productId?: string | undefined;
  readonly productName?: string | undefined;
  readonly taxClass?: string | null | undefined;
  readonly weightGrams?: number | null | undefined;
  readonly dimensionsMm?:
    { length?: number | null; width?: number | null; height?: number | null } | undefined;
  readonly active?: boolean | undefined;
};

export const defaultCurrency = () => process.env['KIBBLE_CURRENCY'] ?? 'USD';

/**
 * Creates a SKU (and its product when none is named) and emits `sku.created` (and
 * `product.created`). A new SKU holds no stock, so no `stock.changed` — except a bundle, available at
 * once wherever its components are: one per such location. Errors: VALIDATION_FAILED, SKU_EXISTS (the
 * canonical code collides, e.g. `abc-1` with `ABC-1`), BARCODE_EXISTS, UNKNOWN_SKU (a component).
 */
export async function createSku(tx: Tx, input: CreateSkuInput): Promise<SkuView> {
  const errors = validateSkuDraft(input);
  if (errors.length > 0)
    throw new DomainError(
      'VALIDATION_FAILED',
      `The SKU is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      errors,
    );
  const key = skuKey(input.sku);
  const existing = await findSku(tx, input.sku);
  if (existing)
    throw fieldError(
      'SKU_EXISTS',
      'sku',
      `SKU ${existing.sku} already exists (SKUs compare case- and width-insensitively).`,
    );

  const barcodes = [
    ...(input.barcodes ?? []),
    ...(input.packs ?? []).flatMap((p) => (p.barcode ? [p.barcode] : [])),
  ];
  await assertBarcodesFree(tx, barcodes);
  const components = input.components ?? [];
  const componentRows = await findSkus(
    tx,
    components.map((c) => c.sku),
  );
  components.forEach((c, i) => {
    const row = componentRows.get(skuKey(c.sku));
    if (!row)
      throw fieldError('UNKNOWN_SKU', `components.${i}.sku`, `Component SKU ${c.sku} does not exist.`);
    if (row.is_bundle === 1)
      throw fieldError('VALIDATION_FAILED', `components.${i}.sku`, 'A bundle cannot contain another bundle.');
  });

  const at = nowIso();
  const events: DomainEvent[] = [];
  let productId = input.productId;
  if (productId !== undefined) {
    const product = await tx
      .selectFrom('products')
      .select('id')
      .where('id', '=', productId)
      .executeTakeFirst();
    if (!product) throw fieldError('NOT_FOUND', 'productId', `Product ${productId} does not exist.`);
  } else {
    productId = newId('product');
    // Trimmed like the SKU's own name, so that an export imports back to the same product name.
    const productName = (input.productName ?? input.name).trim();
    await tx
      .insertInto('products')
      .values({
        id: productId,
        name: productName,
        description: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    events.push({
      type: 'product.created',
      aggregateType: 'product',
      aggregateId: productId,
      payload: { id: productId, name: productName },
    });
  }
  const id = newId('sku');
  await tx
    .insertInto('skus')
    .values({
      id,
      sku: skuDisplay(input.sku),
      sku_key: key,
      product_id: productId,
      name: input.name.trim(),
      unit: input.unit?.trim() ?? 'each',
      cost_minor: input.costMinor ?? null,
      price_minor: input.priceMinor ?? null,
      currency: input.currency ?? defaultCurrency(),
      tax_class: input.taxClass?.trim() || null,
      tracking: components.length > 0 ? 'none' : (input.tracking ?? 'none'),
      shelf_life_days: input.shelfLifeDays ?? null,
      min_remaining_shelf_life_days: input.minRemainingShelfLifeDays ?? 0,
      weight_grams: input.weightGrams ?? null,
      length_mm: input.dimensionsMm?.length ?? null,
      width_mm: input.dimensionsMm?.width ?? null,
      height_mm: input.dimensionsMm?.height ?? null,
      is_bundle: components.length > 0 ? 1 : 0,
      active: input.active === false ? 0 : 1,
      version: 1,
      created_at: at,
      updated_at: at,
    })
    .execute();
  if ((input.barcodes ?? []).length > 0) {
    await tx
      .insertInto('sku_barcodes')
      .values(input.barcodes!.map((b) => ({ barcode: b, sku_id: id, kind: barcodeKind(b) })))
      .execute();
  }
  if ((input.packs ?? []).length > 0) {
    await tx
      .insertInto('sku_packs')
      .values(
        input.packs!.map((p) => ({
          sku_id: id,
          name: p.name,
          quantity: p.quantity,
          barcode: p.barcode ?? null,
        })),
      )
      .execute();
  }
  if (components.length > 0) {
    await tx
      .insertInto('bundle_components')
      .values(
        components.map((c) => ({
          bundle_sku_id: id,
          component_sku_id: componentRows.get(skuKey(c.sku))!.id,
          quantity: c.quantity,
        })),
      )
      .execute();
  }
  const row = await tx.selectFrom('skus').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  events.push({
    type: 'sku.created',
    aggregateType: 'sku',
    aggregateId: id,
    payload: {
      sku: row.sku,
      name: row.name,
      productId,
      isBundle: row.is_bundle === 1,
      active: row.active === 1,
    },
  });
  // A new bundle is on sale at once wherever its components are.
  if (row.is_bundle === 1) events.push(...(await bundleStockChangedEverywhere(tx, id, at)));
  await emit(tx, at, events);
  return skuView(tx, row);
}
