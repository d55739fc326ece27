import { describe, expect, it } from 'vitest';
import { validateSkuDraft } from '../../domain/catalog/sku.js';
import { isValidGtin, skuKey, skuProblem } from '../../domain/sku-code.js';
import { caseGtin14, demoCatalog, gtin13, gtinCheckDigit } from './demo-catalog.js';
import { demoLocations, planOpeningStock } from './demo-stock.js';

describe('demo catalog', () => {
  const catalog = demoCatalog(42);

  it('has at least 2,000 SKUs with unique codes and unique, valid GTINs', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(2000);
    expect(new Set(catalog.map((s) => skuKey(s.sku))).size).toBe(catalog.length);
    const codes = catalog.flatMap((s) => [...s.barcodes, ...s.packs.map((p) => p.barcode)]);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.filter((c) => !isValidGtin(c))).toEqual([]);
  });

  it('covers every category, with food, treats and medicines lot-tracked with a shelf life', () => {
    const by = (c: string) => catalog.filter((s) => s.category === c);
    for (const c of [
      'dry-food',
      'wet-food',
      'treats',
      'litter',
      'toys',
      'accessories',
      'medicines',
      'small-pet',
    ])
      expect(by(c).length, c).toBeGreaterThan(20);
    for (const c of ['dry-food', 'wet-food', 'treats', 'medicines']) {
      for (const s of by(c)) {
        expect(s.tracking, s.sku).toBe('lot');
        expect(s.shelfLifeDays, s.sku).toBeGreaterThan(s.minRemainingShelfLifeDays);
      }
    }
    expect(by('litter').every((s) => s.tracking === 'none')).toBe(true);
    // Cans and pouches are sold singly and received by the case.
    const cans = catalog.filter((s) => s.unit === 'can');
    expect(cans.length).toBeGreaterThan(100);
    expect(
      cans.every((s) => s.packs.some((p) => p.name === 'case' && (p.quantity === 12 || p.quantity === 24))),
    ).toBe(true);
  });

  it('passes the catalog rules, with whole-cent prices above cost', () => {
    for (const s of catalog) {
      expect(skuProblem(s.sku), s.sku).toBeNull();
      expect(validateSkuDraft({ ...s, currency: 'USD' }), s.sku).toEqual([]);
      expect(Number.isSafeInteger(s.priceMinor) && Number.isSafeInteger(s.costMinor), s.sku).toBe(true);
      expect(s.costMinor, s.sku).toBeGreaterThan(0);
      expect(s.priceMinor, s.sku).toBeGreaterThan(s.costMinor);
      expect(s.weightGrams, s.sku).toBeGreaterThan(0);
    }
  });

  it('has about twenty bundles whose components are stocked SKUs listed before them', () => {
    const kits = catalog.filter((s) => s.components);
    expect(kits.length).toBeGreaterThanOrEqual(20);
    const position = new Map(catalog.map((s, i) => [s.sku, i]));
    for (const k of kits) {
      expect(k.components!.length + (k.components![0]!.quantity > 1 ? 1 : 0), k.sku).toBeGreaterThanOrEqual(
        2,
      );
      for (const c of k.components!) {
        const i = position.get(c.sku);
        expect(i, `${k.sku} → ${c.sku}`).toBeDefined();
        expect(i!).toBeLessThan(position.get(k.sku)!);
        expect(catalog[i!]!.components).toBeUndefined();
      }
    }
  });

  it('is the same for the same seed and differs for another', () => {
    expect(demoCatalog(42)).toEqual(catalog);
    const other = demoCatalog(43);
    expect(other.map((s) => s.sku).slice(0, 2000)).toEqual(catalog.map((s) => s.sku).slice(0, 2000));
    expect(other.map((s) => s.priceMinor)).not.toEqual(catalog.map((s) => s.priceMinor));
  });

  it('samples exactly the requested number of SKUs, bundles included', () => {
    for (const n of [20, 150, 777]) {
      const sample = demoCatalog(9, n);
      expect(sample).toHaveLength(n);
      const codes = new Set(sample.map((s) => s.sku));
      for (const k of sample.filter((s) => s.components)) {
        for (const c of k.components!) expect(codes.has(c.sku)).toBe(true);
      }
    }
  });
});

describe('GTIN helpers', () => {
  it('computes GS1 check digits (known codes)', () => {
    expect(gtinCheckDigit('400638133393')).toBe(1); // EAN-13 4006381333931
    expect(gtinCheckDigit('03600029145')).toBe(2); // UPC-A 036000291452
    expect(isValidGtin(gtin13('0851000', 1))).toBe(true);
    const gtin = gtin13('0851017', 4321);
    const carton = caseGtin14(gtin);
    expect(carton).toHaveLength(14);
    expect(carton.startsWith(`1${gtin.slice(0, 12)}`)).toBe(true);
    expect(isValidGtin(carton)).toBe(true);
  });
});

describe('demo opening stock', () => {
  const today = '2025-06-15';
  const catalog = demoCatalog(5, 400);
  const plan = planOpeningStock(catalog, 5, today);
  const known = new Set(catalog.map((s) => s.sku));
  const locations = new Set(demoLocations().map((l) => l.code));

  it('posts only positive movements of known, stocked SKUs to known locations', () => {
    expect(plan.movements.length).toBeGreaterThan(400);
    for (const m of plan.movements) {
      expect(known.has(m.sku)).toBe(true);
      expect(locations.has(m.location)).toBe(true);
      expect(Number.isSafeInteger(m.quantity) && m.quantity > 0).toBe(true);
      expect(catalog.find((s) => s.sku === m.sku)!.components).toBeUndefined();
    }
  });

  it('gives lot-tracked receipts a lot and expiry, with some expired and some near expiry', () => {
    const tracked = new Set(catalog.filter((s) => s.tracking === 'lot').map((s) => s.sku));
    for (const m of plan.movements.filter((x) => x.type === 'receipt')) {
      expect(m.lot !== undefined, m.sku).toBe(tracked.has(m.sku));
      if (m.lot) expect(m.expiresOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(plan.stats.expiredLots).toBeGreaterThan(0);
    expect(plan.stats.nearExpiryLots).toBeGreaterThan(0);
    expect(plan.stats.lots).toBeGreaterThan(plan.stats.expiredLots + plan.stats.nearExpiryLots);
  });

  it('leaves some SKUs out of stock and some low, quarantines a few units, and sets safety stock', () => {
    expect(plan.stats.outOfStock).toBeGreaterThan(0);
    expect(plan.stats.lowStock).toBeGreaterThan(0);
    expect(plan.movements.some((m) => m.type === 'quarantine')).toBe(true);
    expect(plan.movements.some((m) => m.location === 'QC-CMH')).toBe(true);
    expect(plan.movements.some((m) => m.location === 'STORE-PDX')).toBe(true);
    expect(plan.safetyStock.length).toBeGreaterThan(0);
  });

  it('never quarantines more than was received at that balance', () => {
    const onHand = new Map<string, number>();
    const key = (m: { sku: string; location: string; lot?: string | undefined }) =>
      `${m.sku}|${m.location}|${m.lot ?? ''}`;
    for (const m of plan.movements) {
      if (m.type === 'receipt') onHand.set(key(m), (onHand.get(key(m)) ?? 0) + m.quantity);
      if (m.type === 'quarantine') {
        expect(onHand.get(key(m)) ?? 0).toBeGreaterThanOrEqual(m.quantity);
        onHand.set(key(m), onHand.get(key(m))! - m.quantity);
      }
    }
  });
});
