/**
 * The demo shop's locations and its opening stock, planned from a seed with no I/O. The plan is a
 * list of ordinary stock movements (receipts, quarantines) and safety-stock levels, which the
 * seeder posts through the same use-cases as the API, so the ledger and balances agree.
 *
 * Expiry dates are relative to `today`: every demo has lots that are already expired, lots inside
 * their SKU's minimum remaining shelf life, and plenty of fresh stock.
 */
import { addDays } from '../../domain/clock.js';
import type { LocationInput } from '../locations/locations.js';
import type { PostMovementInput } from '../stock/post-movement.js';
import type { DemoCategory, DemoSku } from './demo-catalog.js';
import { Rng } from './demo-random.js';

const AISLES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
const RACKS = 12;
const LEVELS = 5;

/** Warehouse bins `A-01-1` … `H-12-5` (aisle-rack-level), in walking order: aisle by aisle. */
export function warehouseBins(): string[] {
  const bins: string[] = [];
  for (const aisle of AISLES)
    for (let rack = 1; rack <= RACKS; rack++)
      for (let level = 1; level <= LEVELS; level++)
        bins.push(`${aisle}-${String(rack).padStart(2, '0')}-${level}`);
  return bins;
}

const numbered = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);

export const WAREHOUSES = ['RNO1', 'CMH1', 'ABE1'] as const;
export const STORE = 'STORE-PDX';
export const QUARANTINE = 'QC-CMH';

/** Three fulfilment centres, one shop, and a returns/quarantine cage that is not sellable. */
export function demoLocations(): LocationInput[] {
  return [
    {
      code: 'RNO1',
      name: 'Reno Fulfillment Center',
      kind: 'warehouse',
      address: {
        line1: '5470 Louie Ln',
        city: 'Reno',
        region: 'NV',
        postalCode: '89511',
        country: 'US',
      },
      lat: 39.4561,
      lon: -119.7836,
      bins: warehouseBins(),
    },
    {
      code: 'CMH1',
      name: 'Columbus Fulfillment Center',
      kind: 'warehouse',
      address: {
        line1: '3350 Southpark Pl',
        city: 'Grove City',
        region: 'OH',
        postalCode: '43123',
        country: 'US',
      },
      lat: 39.8731,
      lon: -83.0385,
      bins: warehouseBins(),
    },
    {
      code: 'ABE1',
      name: 'Allentown Fulfillment Center',
      kind: 'warehouse',
      address: {
        line1: '7462 Industrial Blvd',
        city: 'Allentown',
        region: 'PA',
        postalCode: '18106',
        country: 'US',
      },
      lat: 40.5643,
      lon: -75.5849,
      bins: warehouseBins(),
    },
    {
      code: STORE,
      name: 'Kibble Pet Supply — Portland Alberta St',
      kind: 'store',
      address: {
        line1: '2218 NE Alberta St',
        city: 'Portland',
        region: 'OR',
        postalCode: '97211',
        country: 'US',
      },
      lat: 45.559,
      lon: -122.643,
      bins: [...numbered('FLOOR', 24), ...numbered('BACK', 12)],
    },
    {
      code: QUARANTINE,
      name: 'Columbus Returns & Quarantine Cage',
      kind: 'quarantine',
      address: {
        line1: '3350 Southpark Pl',
        line2: 'Dock 14, returns cage',
        city: 'Grove City',
        region: 'OH',
        postalCode: '43123',
        country: 'US',
      },
      lat: 39.8731,
      lon: -83.0385,
      sellable: false,
      bins: numbered('Q', 20),
    },
  ];
}

/** Where each category lives in a warehouse: pet food near the docks, medicines in the cage. */
const aislesOf: Record<DemoCategory, readonly string[]> = {
  'dry-food': ['A', 'B'],
  'wet-food': ['C', 'D'],
  treats: ['E'],
  'small-pet': ['E'],
  litter: ['F'],
  toys: ['G'],
  accessories: ['G'],
  medicines: ['H'],
  bundles: ['G'],
};

/** Units received per warehouse for the most popular SKUs of a category (the least get `lo`). */
const quantityRange: Record<DemoCategory, readonly [number, number]> = {
  'dry-food': [6, 160],
  'wet-food': [24, 960],
  treats: [12, 220],
  'small-pet': [6, 70],
  litter: [6, 140],
  toys: [6, 110],
  accessories: [3, 70],
  medicines: [12, 260],
  bundles: [0, 0],
};

type Lot = { readonly code: string; readonly expiresOn: string };

export type OpeningStockPlan = {
  readonly movements: PostMovementInput[];
  readonly safetyStock: Array<{ sku: string; location: string; quantity: number }>;
  readonly stats: {
    readonly lots: number;
    readonly expiredLots: number;
    readonly nearExpiryLots: number;
    readonly outOfStock: number;
    readonly lowStock: number;
  };
};

/** A lot code like `24187B` + sequence: production year, day of year, line letter. */
function lotCode(produced: string, index: number, rng: Rng): string {
  const d = new Date(`${produced}T00:00:00.000Z`);
  const start = Date.UTC(d.getUTCFullYear(), 0, 0);
  const dayOfYear = Math.floor((d.getTime() - start) / 86_400_000);
  const line = 'ABCDEFGH'[rng.int(0, 7)]!;
  return `${String(d.getUTCFullYear()).slice(2)}${String(dayOfYear).padStart(3, '0')}${line}${String(index + 1).padStart(2, '0')}`;
}

/** Splits `total` into `parts` positive whole numbers (parts ≤ total). */
function split(total: number, parts: number, rng: Rng): number[] {
  if (parts <= 1 || total < parts) return [total];
  const weights = Array.from({ length: parts }, () => rng.between(0.3, 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  const out = weights.map((w) => Math.max(1, Math.floor((total * w) / sum)));
  out[0]! += total - out.reduce((a, b) => a + b, 0);
  return out[0]! > 0 ? out : [total];
}

/**
 * Plans the opening stock of `catalog`: receipts into the warehouses (popular SKUs everywhere,
 * the long tail in one or two), a few units in the store, lots with varied expiry, some SKUs out of
 * stock or low, a few quarantined units, returns waiting in the quarantine cage, and safety stock.
 */
export function planOpeningStock(catalog: readonly DemoSku[], seed: number, today: string): OpeningStockPlan {
  const rng = new Rng(seed, 4);
  const movements: PostMovementInput[] = [];
  const safetyStock: Array<{ sku: string; location: string; quantity: number }> = [];
  const reference = { type: 'demo', id: `opening-stock-${seed}` };
  let outOfStock = 0;
  let lowStock = 0;
  const lotPools = new Map<string, Lot[]>();

  const binFor = (s: DemoSku): string => {
    const aisle = rng.pick(aislesOf[s.category]);
    const rack = rng.int(1, RACKS);
    const level = s.weightGrams > 5000 ? rng.int(1, 2) : rng.int(1, LEVELS);
    return `${aisle}-${String(rack).padStart(2, '0')}-${level}`;
  };

  const poolOf = (s: DemoSku): Lot[] => {
    const shelf = s.shelfLifeDays ?? 365;
    const minLeft = Math.max(s.minRemainingShelfLifeDays, 7);
    const count = 1 + (s.popularity > 0.5 ? rng.int(1, 3) : rng.int(0, 2));
    const pool: Lot[] = [];
    for (let i = 0; i < count; i++) {
      const roll = rng.float();
      let expiresOn: string;
      if (roll < 0.04) {
        expiresOn = addDays(today, -rng.int(1, 75));
      } else if (roll < 0.11) {
        expiresOn = addDays(today, rng.int(2, minLeft));
      } else {
        expiresOn = addDays(today, rng.int(minLeft + 15, Math.max(minLeft + 30, shelf - 10)));
      }
      pool.push({ code: lotCode(addDays(expiresOn, -shelf), i, rng), expiresOn });
    }
    // Oldest first, as a warehouse would pick them.
    return pool.sort((a, b) => a.expiresOn.localeCompare(b.expiresOn));
  };

  const receive = (
    s: DemoSku,
    location: string,
    quantity: number,
    bin: string | undefined,
    reason: string,
  ) => {
    if (quantity <= 0) return;
    if (s.tracking !== 'lot') {
      movements.push({ type: 'receipt', sku: s.sku, location, quantity, bin, reason, reference });
      return;
    }
    let pool = lotPools.get(s.sku);
    if (!pool) {
      pool = poolOf(s);
      lotPools.set(s.sku, pool);
    }
    const take = Math.min(pool.length, quantity, rng.chance(0.3) ? 2 : 1);
    const chosen = rng.shuffle([...pool]).slice(0, take);
    const parts = split(quantity, chosen.length, rng);
    parts.forEach((q, i) => {
      const lot = chosen[i]!;
      movements.push({
        type: 'receipt',
        sku: s.sku,
        location,
        quantity: q,
        lot: lot.code,
        expiresOn: lot.expiresOn,
        bin,
        reason,
        reference,
      });
    });
  };

  const stocked: DemoSku[] = [];
  for (const s of catalog) {
    if (s.components) continue;
    const casePack = s.packs.find((p) => p.name === 'case')?.quantity ?? 1;
    if (!s.active) {
      // Discontinued: mostly sold through; a few clearance units left somewhere.
      if (rng.chance(0.75)) {
        outOfStock++;
        continue;
      }
      receive(s, rng.pick(WAREHOUSES), rng.int(1, 6), binFor(s), 'opening stock (clearance)');
      stocked.push(s);
      continue;
    }
    const roll = rng.float();
    if (roll < 0.03) {
      outOfStock++;
      continue;
    }
    if (roll < 0.09) {
      lowStock++;
      receive(s, rng.pick(WAREHOUSES), rng.int(1, 4), binFor(s), 'opening stock');
      stocked.push(s);
      continue;
    }
    const p = s.popularity;
    const n = p > 0.6 ? 3 : p > 0.2 ? 2 : 1;
    const where = rng.shuffle([...WAREHOUSES]).slice(0, n);
    const [lo, hi] = quantityRange[s.category];
    for (const location of where) {
      let q = Math.round(lo + (hi - lo) * p * rng.between(0.5, 1));
      if (casePack > 1) q = Math.max(casePack, Math.round(q / casePack) * casePack);
      receive(s, location, q, binFor(s), 'opening stock');
      if (p > 0.45 && rng.chance(0.4)) {
        safetyStock.push({ sku: s.sku, location, quantity: Math.max(2, Math.round(q * 0.08)) });
      }
    }
    if (rng.chance(0.22)) {
      const shelf = rng.chance(0.7) ? `FLOOR-${String(rng.int(1, 24)).padStart(2, '0')}` : undefined;
      receive(
        s,
        STORE,
        rng.int(2, 14),
        shelf ?? `BACK-${String(rng.int(1, 12)).padStart(2, '0')}`,
        'opening stock',
      );
    }
    stocked.push(s);
  }

  // Damaged or held units in the warehouses: quarantined where they stand.
  const quarantineReasons = ['damaged packaging', 'crushed case', 'QC hold: seal check', 'pest inspection'];
  const receipts = movements.filter((m) => m.type === 'receipt' && m.quantity >= 4);
  for (const m of receipts) {
    if (!rng.chance(0.02)) continue;
    movements.push({
      type: 'quarantine',
      sku: m.sku,
      location: m.location,
      quantity: rng.int(1, Math.min(3, m.quantity)),
      lot: m.lot,
      reason: rng.pick(quarantineReasons),
      reference,
    });
  }

  // Customer returns waiting for inspection in the (unsellable) quarantine cage.
  const returnable = stocked.filter((s) => s.category !== 'medicines');
  const returns = Math.min(40, Math.ceil(returnable.length / 50));
  for (let i = 0; i < returns; i++) {
    const s = rng.pick(returnable);
    const pool = lotPools.get(s.sku);
    const lot = pool ? rng.pick(pool) : undefined;
    movements.push({
      type: 'receipt',
      sku: s.sku,
      location: QUARANTINE,
      quantity: rng.int(1, 3),
      lot: lot?.code,
      expiresOn: lot?.expiresOn,
      bin: `Q-${String(rng.int(1, 20)).padStart(2, '0')}`,
      reason: 'customer return awaiting inspection',
      reference,
    });
  }

  // Count the lots actually received, by state.
  const received = new Map<string, string>();
  for (const m of movements) {
    if (m.type === 'receipt' && m.lot !== undefined && m.expiresOn !== undefined) {
      received.set(`${m.sku}|${m.lot}`, m.expiresOn);
    }
  }
  const minLeftOf = new Map(catalog.map((s) => [s.sku, Math.max(s.minRemainingShelfLifeDays, 7)]));
  let expiredLots = 0;
  let nearExpiryLots = 0;
  for (const [key, expiresOn] of received) {
    const sku = key.slice(0, key.indexOf('|'));
    if (expiresOn <= today) expiredLots++;
    else if (expiresOn <= addDays(today, minLeftOf.get(sku) ?? 0)) nearExpiryLots++;
  }
  return {
    movements,
    safetyStock,
    stats: { lots: received.size, expiredLots, nearExpiryLots, outOfStock, lowStock },
  };
}
