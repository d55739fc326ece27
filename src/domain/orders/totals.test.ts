import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT_MINOR } from '../quantity.js';
import { taxFor } from './totals.js';

const amount = fc.integer({ min: 0, max: MAX_AMOUNT_MINOR });

describe('taxFor', () => {
  it('scales the tax with the goods, rounded half up', () => {
    expect(taxFor({ taxMinor: 400, goodsMinor: 4000 }, 3000)).toBe(300);
    expect(taxFor({ taxMinor: 100, goodsMinor: 3 }, 1)).toBe(33);
    expect(taxFor({ taxMinor: 100, goodsMinor: 3 }, 2)).toBe(67);
    expect(taxFor({ taxMinor: 1, goodsMinor: 2 }, 1)).toBe(1);
    expect(taxFor({ taxMinor: 400, goodsMinor: 4000 }, 0)).toBe(0);
  });

  it('leaves a tax without goods to scale by (tax on shipping alone) as it is', () => {
    expect(taxFor({ taxMinor: 120, goodsMinor: 0 }, 500)).toBe(120);
  });

  it('is exact at the basis, never above the basis for fewer goods, and monotone — at any size', () => {
    fc.assert(
      fc.property(amount, amount, amount, amount, (tax, goods, x, y) => {
        const basis = { taxMinor: tax, goodsMinor: goods };
        expect(taxFor(basis, goods)).toBe(tax);
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        expect(taxFor(basis, lo)).toBeLessThanOrEqual(taxFor(basis, hi));
        // Past the largest amount the order's total is refused (`sumAmounts`); below it, exact.
        const scaled = taxFor(basis, hi);
        expect(Number.isSafeInteger(scaled) || scaled > MAX_AMOUNT_MINOR).toBe(true);
        if (goods > 0 && lo <= goods) expect(taxFor(basis, lo)).toBeLessThanOrEqual(tax);
      }),
    );
  });
});
