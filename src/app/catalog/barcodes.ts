/**
 * A barcode belongs to one SKU: unit barcodes and pack barcodes share one space, and a GTIN is the
 * same code whether written as UPC-A, EAN-13 or zero-padded GTIN-14.
 */
import type { Tx } from '../../db/database.js';
import { fieldError } from '../../domain/errors.js';
import { barcodeCandidates } from '../../domain/sku-code.js';

/** Throws BARCODE_EXISTS when any of `barcodes` (in any GTIN form) is another SKU's unit or pack barcode. */
export async function assertBarcodesFree(
  tx: Tx,
  barcodes: readonly string[],
  exceptSkuId?: string,
): Promise<void> {
  if (barcodes.length === 0) return;
  const lookups = barcodes.flatMap((b) => barcodeCandidates(b));
  const unit = await tx
    .selectFrom('sku_barcodes')
    .select('barcode')
    .where('barcode', 'in', lookups)
    .$if(exceptSkuId !== undefined, (q) => q.where('sku_id', '<>', exceptSkuId!))
    .executeTakeFirst();
  const pack = unit
    ? undefined
    : await tx
        .selectFrom('sku_packs')
        .select('barcode')
        .where('barcode', 'in', lookups)
        .$if(exceptSkuId !== undefined, (q) => q.where('sku_id', '<>', exceptSkuId!))
        .executeTakeFirst();
  const taken = unit?.barcode ?? pack?.barcode;
  if (taken === undefined || taken === null) return;
  const mine = barcodes.find((b) => barcodeCandidates(b).includes(taken)) ?? taken;
  throw fieldError(
    'BARCODE_EXISTS',
    'barcodes',
    mine === taken
      ? `Barcode ${taken} already belongs to another SKU.`
      : `Barcode ${mine} is GTIN ${taken}, which already belongs to another SKU.`,
  );
}
