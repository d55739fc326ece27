import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bundleAvailable, free, locationAvailable, lotSellable, type LotState } from './balance.js';

const today = '2025-06-15';
const lot = (expiresOn: string | null, status: LotState['status'] = 'active'): LotState => ({
  code: 'L',
  expiresOn,
  status,
});

describe('free', () => {
  it('is on hand minus allocated minus quarantined', () => {
    expect(free({ onHand: 10, allocated: 3, quarantined: 2 })).toBe(5);
    expect(free({ onHand: 0, allocated: 0, quarantined: 0 })).toBe(0);
  });
});

describe('lotSellable', () => {
  it('treats untracked stock (no lot) as always sellable', () => {
    expect(lotSellable(null, today)).toBe(true);
    expect(lotSellable(null, today, 365)).toBe(true);
  });

  it('blocks a recalled lot whatever its expiry', () => {
    expect(lotSellable(lot(null, 'recalled'), today)).toBe(false);
    expect(lotSellable(lot('2099-01-01', 'recalled'), today)).toBe(false);
  });

  it('blocks a lot on its expiry day and after; sells it the day before', () => {
    expect(lotSellable(lot('2025-06-14'), today)).toBe(false);
    expect(lotSellable(lot('2025-06-15'), today)).toBe(false);
    expect(lotSellable(lot('2025-06-16'), today)).toBe(true);
    expect(lotSellable(lot(null), today)).toBe(true);
  });

  it('requires the minimum remaining shelf life, across month and year ends', () => {
    expect(lotSellable(lot('2025-07-15'), today, 30)).toBe(false); // exactly 30 days left
    expect(lotSellable(lot('2025-07-16'), today, 30)).toBe(true);
    expect(lotSellable(lot('2026-01-01'), '2025-12-31', 1)).toBe(false);
    expect(lotSellable(lot('2026-01-02'), '2025-12-31', 1)).toBe(true);
    expect(lotSellable(lot('2024-03-01'), '2024-02-28', 1)).toBe(true); // 2024 is a leap year
    expect(lotSellable(lot('2024-02-29'), '2024-02-28', 1)).toBe(false);
  });
});

describe('locationAvailable', () => {
  it('sums free stock of sellable lots and subtracts safety stock', () => {
    const rows = [
      { onHand: 10, allocated: 2, quarantined: 1, lot: lot('2099-01-01') }, // 7
      { onHand: 5, allocated: 0, quarantined: 0, lot: lot('2025-06-01') }, // expired
      { onHand: 4, allocated: 0, quarantined: 0, lot: lot(null, 'recalled') }, // recalled
      { onHand: 3, allocated: 1, quarantined: 0, lot: null }, // 2
    ];
    expect(locationAvailable(rows, 0, today)).toBe(9);
    expect(locationAvailable(rows, 4, today)).toBe(5);
  });

  it('never goes below zero when safety stock exceeds free stock', () => {
    expect(locationAvailable([{ onHand: 3, allocated: 0, quarantined: 0, lot: null }], 10, today)).toBe(0);
    expect(locationAvailable([], 0, today)).toBe(0);
  });

  it('equals max(0, Σ free − safety) over sellable rows for any counters', () => {
    const row = fc
      .record({
        onHand: fc.integer({ min: 0, max: 1000 }),
        allocated: fc.integer({ min: 0, max: 1000 }),
        quarantined: fc.integer({ min: 0, max: 1000 }),
        sellable: fc.boolean(),
      })
      .filter((r) => r.allocated + r.quarantined <= r.onHand);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), fc.integer({ min: 0, max: 500 }), (rows, safety) => {
        const input = rows.map((r) => ({ ...r, lot: r.sellable ? lot(null) : lot('2000-01-01') }));
        const expected = rows.filter((r) => r.sellable).reduce((s, r) => s + free(r), 0);
        expect(locationAvailable(input, safety, today)).toBe(Math.max(0, expected - safety));
      }),
    );
  });
});

describe('bundleAvailable', () => {
  it('is the minimum over components of floor(available / quantity)', () => {
    expect(
      bundleAvailable([
        { quantity: 2, available: 9 }, // 4
        { quantity: 1, available: 6 }, // 6
        { quantity: 3, available: 14 }, // 4
      ]),
    ).toBe(4);
    expect(bundleAvailable([{ quantity: 4, available: 3 }])).toBe(0);
  });

  it('is zero without components or when any component is out', () => {
    expect(bundleAvailable([])).toBe(0);
    expect(
      bundleAvailable([
        { quantity: 1, available: 100 },
        { quantity: 1, available: 0 },
      ]),
    ).toBe(0);
  });

  it('never promises more bundles than any component can build', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 12 }), available: fc.nat(500) }), {
          minLength: 1,
          maxLength: 6,
        }),
        (components) => {
          const n = bundleAvailable(components);
          for (const c of components) expect(n * c.quantity).toBeLessThanOrEqual(c.available);
          expect(components.some((c) => (n + 1) * c.quantity > c.available)).toBe(true);
        },
      ),
    );
  });
});
