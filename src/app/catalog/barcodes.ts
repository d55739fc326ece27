/**
 * A barcode belongs to one SKU: unit barcodes and pack barcodes share one space, and a GTIN is the
 * same code whether written as UPC-A, EAN-13 or zero-padded GTIN-14.
 */
import { sql } from 'kysely';
import { isPostgres, type Tx } from '../../db/database.js';
import { fieldError } from '../../domain/errors.js';
import { lockedWhole } from '../../db/row-lock.js';
import { barcodeCandidates, barcodeKey } from '../../domain/sku-code.js';

/** The advisory-lock space of barcode keys (the first of PostgreSQL's two lock-key integers). */
const BARCODE_LOCKS = 0x6b62; // 'kb'

/** Throws BARCODE_EXISTS when any of `barcodes` (in any GTIN form) is another SKU's unit or pack barcode. */
export async function assertBarcodesFree(
  tx: Tx,
  barcodes: readonly string[],
  exceptSkuId?: string,
): Promise<void> {
  if (barcodes.length === 0) return;
  // On PostgreSQL two SKUs given one GTIN in different forms (UPC-A, EAN-13) at once would both find
  // it free: no unique index spans the forms, so writers of one GTIN take turns, in key order.
  // A bulk import that locked the barcode tables whole (lockWhole) needs none.
  if (isPostgres(tx) && !lockedWhole(tx, 'barcodes'))
    for (const key of [...new Set(barcodes.map(barcodeKey))].sort())
      await sql`select pg_advisory_xact_lock(${BARCODE_LOCKS}, hashtext(${key}))`.execute(tx);
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
