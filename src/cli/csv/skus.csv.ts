/**
 * SKUs as CSV. Columns (docs/csv.md): sku, name, product, unit, barcodes (`a|b`), packs
 * (`case:12` or `case:12:<GTIN-14>`, `|`-separated), costMinor, priceMinor, currency, taxClass,
 * tracking, shelfLifeDays, minRemainingShelfLifeDays, weightGrams, lengthMm, widthMm, heightMm,
 * active, components (`SKU-A:2|SKU-B:1`, makes the row a bundle).
 *
 * Import creates SKUs that do not exist (through `createSku`) and updates those that do (through
 * `updateSku`): a non-empty cell sets the value, an empty cell or absent column leaves it as it is
 * (or the default, for a new SKU). Tracking and bundle components cannot change once a SKU exists.
 */
import type { Transaction } from 'kysely';
import type { Tx } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { findSku } from '../../db/catalog.repo.js';
import { createSku, type CreateSkuInput } from '../../app/catalog/create-sku.js';
import { skuViews, type SkuView } from '../../app/catalog/sku-view.js';
import { updateSku, type UpdateSkuInput } from '../../app/catalog/update-sku.js';
import { validateSkuDraft } from '../../domain/catalog/sku.js';
import { fieldError, type FieldError } from '../../domain/errors.js';
import { skuKey } from '../../domain/sku-code.js';
import { CreateSkuBody } from '../../http/schemas/sku.schema.js';
import { booleanCell, listCell, listText, numberCell, pairsCell } from './cells.js';
import type { Cell, CsvRow } from './csv-file.js';
import type { Exporter } from './exporter.js';
import type { Importer, Outcome } from './importer.js';
import { checkAgainst } from './row-schema.js';

export const skuColumns = [
  'sku',
  'name',
  'product',
  'unit',
  'barcodes',
  'packs',
  'costMinor',
  'priceMinor',
  'currency',
  'taxClass',
  'tracking',
  'shelfLifeDays',
  'minRemainingShelfLifeDays',
  'weightGrams',
  'lengthMm',
  'widthMm',
  'heightMm',
  'active',
  'components',
] as const;

type SkuCsvInput = {
  readonly body: CreateSkuInput;
  /** False when the row leaves the name out (allowed for updates only). */
  readonly named: boolean;
};

const integerColumns = [
  'costMinor',
  'priceMinor',
  'shelfLifeDays',
  'minRemainingShelfLifeDays',
  'weightGrams',
] as const;

const PLACEHOLDER_NAME = '(name)';

function parseSku(row: CsvRow): { ok: true; value: SkuCsvInput } | { ok: false; errors: FieldError[] } {
  const c = row.cells;
  const errors: FieldError[] = [];
  const body: Record<string, unknown> = { sku: c['sku'] ?? '' };
  const named = (c['name'] ?? '') !== '';
  body['name'] = named ? c['name'] : PLACEHOLDER_NAME;
  if (c['product']) body['productName'] = c['product'];
  if (c['unit']) body['unit'] = c['unit'];
  if (c['barcodes']) body['barcodes'] = listCell(c['barcodes']);
  if (c['packs']) {
    const r = pairsCell(c['packs'], 'packs', 'name:quantity or name:quantity:barcode');
    if (r.error) errors.push(r.error);
    body['packs'] = r.items.map((p) => ({
      name: p.key,
      quantity: p.quantity,
      ...(p.extra ? { barcode: p.extra } : {}),
    }));
  }
  for (const col of integerColumns) if (c[col]) body[col] = numberCell(c[col]);
  if (c['currency']) body['currency'] = c['currency'].toUpperCase();
  if (c['taxClass']) body['taxClass'] = c['taxClass'];
  if (c['tracking']) body['tracking'] = c['tracking'].toLowerCase();
  const dims: Record<string, unknown> = {};
  if (c['lengthMm']) dims['length'] = numberCell(c['lengthMm']);
  if (c['widthMm']) dims['width'] = numberCell(c['widthMm']);
  if (c['heightMm']) dims['height'] = numberCell(c['heightMm']);
  if (Object.keys(dims).length > 0) body['dimensionsMm'] = dims;
  if (c['active']) body['active'] = booleanCell(c['active']);
  if (c['components']) {
    body['components'] = listCell(c['components']).map((part) => {
      // The quantity follows the last colon (SKU codes may contain colons); none means 1.
      const m = /^(.*?)\s*:\s*([^:]*)$/.exec(part);
      return m && /^[+-]?[\d.]+$/.test(m[2]!)
        ? { sku: m[1]!, quantity: numberCell(m[2]!) }
        : { sku: part, quantity: 1 };
    });
  }
  if (errors.length > 0) return { ok: false, errors };

  const schemaErrors = checkAgainst(CreateSkuBody, body).map((e) =>
    (e.field === 'costMinor' || e.field === 'priceMinor') && c[e.field]?.includes('.')
      ? { field: e.field, message: 'must be a whole number of minor units (cents): 1299 for 12.99' }
      : e,
  );
  const input = body as unknown as CreateSkuInput;
  // The domain rules also run on a row the schema refused (cells are text or numbers, never
  // anything stranger), so one pass reports every problem; the schema's word wins per field.
  const taken = new Set(schemaErrors.map((e) => e.field));
  const domainErrors = validateSkuDraft(input).filter((e) => !taken.has(e.field));
  if (schemaErrors.length + domainErrors.length > 0) {
    return { ok: false, errors: [...schemaErrors, ...domainErrors] };
  }
  return { ok: true, value: { body: input, named } };
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The attributes `input` sets that differ from `view`: what an update has to change. */
function changes(view: SkuView, input: CreateSkuInput, named: boolean): Mutable<UpdateSkuInput> {
  const patch: Mutable<UpdateSkuInput> = {};
  if (named && input.name.trim() !== view.name) patch.name = input.name;
  if (input.unit !== undefined && input.unit !== view.unit) patch.unit = input.unit;
  if (input.barcodes !== undefined && !sameList(input.barcodes, view.barcodes))
    patch.barcodes = input.barcodes;
  if (input.packs !== undefined) {
    const key = (p: { name: string; quantity: number; barcode?: string | null | undefined }) =>
      `${p.name}:${p.quantity}:${p.barcode ?? ''}`;
    if (!sameList(input.packs.map(key), view.packs.map(key))) patch.packs = input.packs;
  }
  if (input.costMinor != null && input.costMinor !== view.costMinor) patch.costMinor = input.costMinor;
  if (input.priceMinor != null && input.priceMinor !== view.priceMinor) patch.priceMinor = input.priceMinor;
  if (input.currency !== undefined && input.currency !== view.currency) patch.currency = input.currency;
  if (input.taxClass != null && input.taxClass !== view.taxClass) patch.taxClass = input.taxClass;
  if (input.shelfLifeDays != null && input.shelfLifeDays !== view.shelfLifeDays)
    patch.shelfLifeDays = input.shelfLifeDays;
  if (
    input.minRemainingShelfLifeDays !== undefined &&
    input.minRemainingShelfLifeDays !== view.minRemainingShelfLifeDays
  )
    patch.minRemainingShelfLifeDays = input.minRemainingShelfLifeDays;
  if (input.weightGrams != null && input.weightGrams !== view.weightGrams)
    patch.weightGrams = input.weightGrams;
  const d = input.dimensionsMm;
  if (d) {
    const dims: { length?: number | null; width?: number | null; height?: number | null } = {};
    if (d.length != null && d.length !== view.dimensionsMm.length) dims.length = d.length;
    if (d.width != null && d.width !== view.dimensionsMm.width) dims.width = d.width;
    if (d.height != null && d.height !== view.dimensionsMm.height) dims.height = d.height;
    if (Object.keys(dims).length > 0) patch.dimensionsMm = dims;
  }
  if (input.active !== undefined && input.active !== view.active) patch.active = input.active;
  return patch;
}

/** The one product with exactly this name, if there is exactly one. */
async function productNamed(tx: Tx, name: string): Promise<string | undefined> {
  const rows = await tx.selectFrom('products').select('id').where('name', '=', name).limit(2).execute();
  return rows.length === 1 ? rows[0]!.id : undefined;
}

async function applySku(tx: Transaction<DB>, value: SkuCsvInput): Promise<Outcome> {
  const { body, named } = value;
  const existing = await findSku(tx, body.sku);
  if (!existing) {
    if (!named) throw fieldError('VALIDATION_FAILED', 'name', `SKU ${body.sku} is new, so it needs a name.`);
    const productId = body.productName ? await productNamed(tx, body.productName) : undefined;
    await createSku(tx, productId ? { ...body, productId, productName: undefined } : body);
    return 'created';
  }
  const [view] = await skuViews(tx, [existing]);
  if (!view) throw new Error(`SKU ${existing.sku} vanished`);
  if (body.tracking !== undefined && body.tracking !== view.tracking) {
    throw fieldError(
      'VALIDATION_FAILED',
      'tracking',
      `SKU ${view.sku} is tracked "${view.tracking}"; tracking cannot change once a SKU exists.`,
    );
  }
  if (body.components !== undefined) {
    const want = body.components.map((x) => `${skuKey(x.sku)}:${x.quantity}`);
    const have = view.components.map((x) => `${skuKey(x.sku)}:${x.quantity}`);
    if (!sameList(want, have)) {
      throw fieldError(
        'VALIDATION_FAILED',
        'components',
        view.isBundle
          ? `The components of bundle ${view.sku} cannot change once it exists (they are ${listText(view.components.map((x) => `${x.sku}:${x.quantity}`))}).`
          : `SKU ${view.sku} already exists and is not a bundle.`,
      );
    }
  }
  const patch = changes(view, body, named);
  if (Object.keys(patch).length === 0) return 'unchanged';
  await updateSku(tx, view.sku, patch, null);
  return 'updated';
}

const fieldColumns: Record<string, string> = {
  productName: 'product',
  'dimensionsMm.length': 'lengthMm',
  'dimensionsMm.width': 'widthMm',
  'dimensionsMm.height': 'heightMm',
};

export const skuImporter: Importer<SkuCsvInput> = {
  kind: 'skus',
  columns: skuColumns,
  required: ['sku'],
  columnOf: (field) => fieldColumns[field] ?? field.split('.')[0]!,
  parse: parseSku,
  // A bundle's components must exist first, wherever the file lists them.
  phase: (v) => (v.body.components ? 1 : 0),
  identity: (v) => skuKey(v.body.sku),
  changesRules: ({ body }) =>
    body.active !== undefined ||
    body.minRemainingShelfLifeDays !== undefined ||
    body.components !== undefined,
  apply: (tx, v) => applySku(tx, v),
};

function skuRecord(v: SkuView, product: string | undefined): Record<string, Cell> {
  return {
    sku: v.sku,
    name: v.name,
    product,
    unit: v.unit,
    barcodes: listText(v.barcodes),
    packs: listText(v.packs.map((p) => `${p.name}:${p.quantity}${p.barcode ? `:${p.barcode}` : ''}`)),
    costMinor: v.costMinor,
    priceMinor: v.priceMinor,
    currency: v.currency,
    taxClass: v.taxClass,
    tracking: v.tracking,
    shelfLifeDays: v.shelfLifeDays,
    minRemainingShelfLifeDays: v.minRemainingShelfLifeDays,
    weightGrams: v.weightGrams,
    lengthMm: v.dimensionsMm.length,
    widthMm: v.dimensionsMm.width,
    heightMm: v.dimensionsMm.height,
    active: v.active,
    components: listText(v.components.map((c) => `${c.sku}:${c.quantity}`)),
  };
}

const PAGE = 500;

export const skuExporter: Exporter = {
  kind: 'skus',
  columns: skuColumns,
  async count(tx) {
    const r = await tx
      .selectFrom('skus')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  async *rows(tx) {
    let after: string | null = null;
    for (;;) {
      let q = tx.selectFrom('skus').selectAll().orderBy('sku_key').limit(PAGE);
      if (after !== null) q = q.where('sku_key', '>', after);
      const rows = await q.execute();
      if (rows.length === 0) return;
      const [views, products] = await Promise.all([
        skuViews(tx, rows),
        tx
          .selectFrom('products')
          .select(['id', 'name'])
          .where('id', 'in', [...new Set(rows.map((r) => r.product_id))])
          .execute(),
      ]);
      const productName = new Map(products.map((p) => [p.id, p.name]));
      for (const v of views) yield skuRecord(v, productName.get(v.productId));
      after = rows[rows.length - 1]!.sku_key;
    }
  },
};
