/** Order totals in integer minor units. No floating point anywhere. */
import { DomainError, type FieldError } from '../errors.js';
import { MAX_AMOUNT_MINOR, safeSum } from '../quantity.js';

export type PricedLine = {
  readonly quantity: number;
  readonly unitPriceMinor: number;
  readonly discountMinor: number;
};

export type Totals = {
  readonly subtotalMinor: number;
  readonly discountMinor: number;
  readonly shippingMinor: number;
  readonly taxMinor: number;
  readonly totalMinor: number;
};

export const lineTotal = (l: PricedLine): number => l.quantity * l.unitPriceMinor - l.discountMinor;

/** Σ values, or VALIDATION_FAILED naming `field` when the sum is beyond `max`. */
function sumWithin(values: readonly number[], field: string, message: string, max: number): number {
  let sum: number;
  try {
    sum = safeSum(values);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    sum = Infinity;
  }
  if (Math.abs(sum) > max)
    throw new DomainError('VALIDATION_FAILED', `${field}: ${message}.`, [{ field, message }]);
  return sum;
}

/**
 * Subtotal, discounts and total of priced lines plus shipping and tax, with no other check than
 * size (VALIDATION_FAILED naming `lines`, or `totalMinor` unless `totalField` says otherwise): beyond `max`, by default MAX_AMOUNT_MINOR,
 * the most the API accepts for any amount (a larger total could not even be declared back). Capture
 * validates lines first (see `computeTotals`); recomputing an existing order after a change needs
 * only this.
 */
export function sumAmounts(
  lines: readonly PricedLine[],
  extra: { shippingMinor: number; taxMinor: number },
  max = MAX_AMOUNT_MINOR,
  /** The field a total past `max` is blamed on: `lines` for an edit, whose body has no total. */
  totalField = 'totalMinor',
): Totals {
  const subtotalMinor = sumWithin(
    lines.map((l) => l.quantity * l.unitPriceMinor),
    'lines',
    'the lines add up to more than the largest amount Kibble holds (10^14 minor units)',
    max,
  );
  const discountMinor = sumWithin(
    lines.map((l) => l.discountMinor),
    'lines',
    'the discounts add up to more than the largest amount Kibble holds (10^14 minor units)',
    max,
  );
  const totalMinor = sumWithin(
    [subtotalMinor, -discountMinor, extra.shippingMinor, extra.taxMinor],
    totalField,
    'lines, shipping and tax add up to more than the largest amount Kibble holds (10^14 minor units)',
    max,
  );
  return {
    subtotalMinor,
    discountMinor,
    shippingMinor: extra.shippingMinor,
    taxMinor: extra.taxMinor,
    totalMinor,
  };
}

/**
 * VALIDATION_FAILED naming `lines.<i>.discountMinor` for a discount larger than its line, and
 * `lines.<i>.unitPriceMinor` for a line amount past MAX_AMOUNT_MINOR.
 */
export function assertLinesPriced(lines: readonly PricedLine[]): void {
  const errors: FieldError[] = [];
  lines.forEach((l, i) => {
    if (l.discountMinor > l.quantity * l.unitPriceMinor)
      errors.push({ field: `lines.${i}.discountMinor`, message: 'exceeds the line amount' });
    if (l.quantity * l.unitPriceMinor > MAX_AMOUNT_MINOR)
      errors.push({
        field: `lines.${i}.unitPriceMinor`,
        message: 'quantity × unit price is more than the largest amount Kibble holds (10^14 minor units)',
      });
  });
  if (errors.length > 0)
    throw new DomainError(
      'VALIDATION_FAILED',
      errors.map((e) => `${e.field} ${e.message}`).join('; '),
      errors,
    );
}

/**
 * Totals of an order: subtotal = Σ quantity × unit price; total = subtotal − discounts + shipping + tax.
 * Declared totals, when given, must match exactly (TOTAL_MISMATCH); a discount larger than its line
 * is VALIDATION_FAILED.
 */
export function computeTotals(
  lines: readonly PricedLine[],
  extra: { shippingMinor: number; taxMinor: number },
  declared: { subtotalMinor?: number | undefined; totalMinor?: number | undefined } = {},
): Totals {
  assertLinesPriced(lines);
  const totals = sumAmounts(lines, extra);
  const { subtotalMinor, totalMinor } = totals;
  const mismatches: FieldError[] = [];
  if (declared.subtotalMinor !== undefined && declared.subtotalMinor !== subtotalMinor) {
    mismatches.push({
      field: 'subtotalMinor',
      message: `is ${declared.subtotalMinor} but the lines add up to ${subtotalMinor}`,
    });
  }
  if (declared.totalMinor !== undefined && declared.totalMinor !== totalMinor) {
    mismatches.push({
      field: 'totalMinor',
      message: `is ${declared.totalMinor} but lines, shipping and tax add up to ${totalMinor}`,
    });
  }
  if (mismatches.length > 0)
    throw new DomainError(
      'TOTAL_MISMATCH',
      mismatches.map((e) => `${e.field} ${e.message}`).join('; '),
      mismatches,
    );
  return totals;
}

/**
 * The discount of `quantity` units of a line whose discount was set as `basis` (a quantity and the
 * discount for it): pro rata, rounded down — always from the basis, so that repeated changes of the
 * quantity never drift.
 */
export function discountFor(basis: { quantity: number; discountMinor: number }, quantity: number): number {
  return proratedDiscount(basis.discountMinor, basis.quantity, quantity);
}

/** The discount left on a line after cancelling part of it, pro rata and rounded down. */
export function proratedDiscount(discountMinor: number, oldQuantity: number, newQuantity: number): number {
  if (oldQuantity === 0) return 0;
  // In BigInt: a discount near 10^14 times a quantity near 10^9 is past 2^53, where a double rounds.
  return Number((BigInt(discountMinor) * BigInt(newQuantity)) / BigInt(oldQuantity));
}

/** What an order's tax was set at, and for which goods (subtotal less discounts). */
export type TaxBasis = { readonly taxMinor: number; readonly goodsMinor: number };

/**
 * The tax on goods of `goodsMinor` at the rate of `basis`: scaled, rounded half up — always from the
 * basis, so that repeated changes never drift. A basis without goods (tax on shipping alone) has
 * no rate to scale by: its tax stays.
 */
export function taxFor(basis: TaxBasis, goodsMinor: number): number {
  if (basis.goodsMinor <= 0) return basis.taxMinor;
  // In BigInt: a tax near 10^14 times goods near 10^14 is far past 2^53.
  const scaled = BigInt(basis.taxMinor) * BigInt(Math.max(0, goodsMinor));
  const goods = BigInt(basis.goodsMinor);
  return Number((2n * scaled + goods) / (2n * goods));
}
