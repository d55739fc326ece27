/**
 * Catalog rules for a SKU (a sellable variant): canonical code, barcodes, packs, bundles.
 * Pure validation: returns field errors, never touches storage.
 */
import type { FieldError } from '../errors.js';
import { isCurrency } from '../money.js';
import { isValidGtin, skuProblem } from '../sku-code.js';

export const trackingModes = ['none', 'lot', 'serial'] as const;
export type Tracking = (typeof trackingModes)[number];

export type SkuDraft = {
  readonly sku: string;
  readonly name: string;
  readonly unit?: string | undefined;
  readonly barcodes?: readonly string[] | undefined;
  readonly costMinor?: number | null | undefined;
  readonly priceMinor?: number | null | undefined;
  readonly currency?: string | undefined;
  readonly tracking?: Tracking | undefined;
  readonly shelfLifeDays?: number | null | undefined;
  readonly minRemainingShelfLifeDays?: number | undefined;
  readonly packs?:
    | ReadonlyArray<{
        readonly name: string;
        readonly quantity: number;
        readonly barcode?: string | undefined;
      }>
    | undefined;
  readonly components?: ReadonlyArray<{ readonly sku: string; readonly quantity: number }> | undefined;
};

/** A barcode is a GTIN when it is all digits of a GTIN length; then its check digit must be right. */
export function barcodeKind(code: string): 'gtin' | 'other' {
  return /^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code) ? 'gtin' : 'other';
}

/** Field errors of a SKU draft, in input order; empty when the draft is acceptable. */
export function validateSkuDraft(d: SkuDraft): FieldError[] {
  const errors: FieldError[] = [];
  const skuIssue = skuProblem(d.sku);
  if (skuIssue) errors.push({ field: 'sku', message: skuIssue });
  if (d.name.trim().length === 0) errors.push({ field: 'name', message: 'must not be empty' });
  if (d.currency !== undefined && !isCurrency(d.currency)) {
    errors.push({ field: 'currency', message: 'is not an ISO-4217 currency code Kibble knows' });
  }
  const seenBarcodes = new Set<string>();
  (d.barcodes ?? []).forEach((code, i) => {
    if (/^\d+$/.test(code) && !isValidGtin(code)) {
      errors.push({
        field: `barcodes.${i}`,
        message: 'is not a valid GTIN (length 8, 12, 13 or 14 with a correct check digit)',
      });
    }
    if (seenBarcodes.has(code)) errors.push({ field: `barcodes.${i}`, message: 'is listed twice' });
    seenBarcodes.add(code);
  });
  const packNames = new Set<string>();
  (d.packs ?? []).forEach((p, i) => {
    if (p.quantity < 2)
      errors.push({ field: `packs.${i}.quantity`, message: 'a pack holds at least 2 units' });
    const name = p.name.trim().toLowerCase();
    if (packNames.has(name)) errors.push({ field: `packs.${i}.name`, message: 'is listed twice' });
    packNames.add(name);
    if (p.barcode && /^\d+$/.test(p.barcode) && !isValidGtin(p.barcode)) {
      errors.push({ field: `packs.${i}.barcode`, message: 'is not a valid GTIN' });
    } else if (p.barcode) {
      // A barcode names one thing: a unit, or one pack size.
      if (seenBarcodes.has(p.barcode))
        errors.push({ field: `packs.${i}.barcode`, message: 'is listed twice' });
      seenBarcodes.add(p.barcode);
    }
  });
  const components = d.components ?? [];
  if (components.length > 0 && (d.tracking ?? 'none') !== 'none') {
    errors.push({
      field: 'tracking',
      message: 'a bundle is not stocked itself, so it cannot be lot- or serial-tracked',
    });
  }
  const seen = new Set<string>();
  components.forEach((c, i) => {
    const key = c.sku.normalize('NFKC').trim().toUpperCase();
    if (key === d.sku.normalize('NFKC').trim().toUpperCase()) {
      errors.push({ field: `components.${i}.sku`, message: 'a bundle cannot contain itself' });
    }
    if (seen.has(key)) errors.push({ field: `components.${i}.sku`, message: 'is listed twice' });
    seen.add(key);
  });
  if (d.shelfLifeDays !== undefined && d.shelfLifeDays !== null && (d.tracking ?? 'none') !== 'lot') {
    // Allowed but only meaningful with lots; not an error.
  }
  return errors;
}
