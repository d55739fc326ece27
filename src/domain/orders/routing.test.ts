import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { addDays } from '../clock.js';
import type { LotState } from '../inventory/balance.js';
import {
  routeOrder,
  type RoutingInput,
  type RoutingLine,
  type RoutingLocation,
  type RoutingPlan,
  type RoutingResult,
  type RoutingSku,
  type StockRow,
} from './routing.js';

const today = '2025-06-01';
const plain: RoutingSku = { tracking: 'none', minRemainingShelfLifeDays: 0 };
const loc = (locationId: string, lat: number | null = null, lon: number | null = null): RoutingLocation => ({
  locationId,
  code: locationId.toUpperCase(),
  lat,
  lon,
});
const row = (
  skuId: string,
  locationId: string,
  free: number,
  lotId = '',
  lot: LotState | null = null,
): StockRow => ({
  skuId,
  locationId,
  lotId,
  lot,
  free,
});
const lot = (
  code: string,
  expiresInDays: number | null,
  status: LotState['status'] = 'active',
): LotState => ({
  code,
  expiresOn: expiresInDays === null ? null : addDays(today, expiresInDays),
  status,
});
const line = (lineIndex: number, skuId: string, quantity: number): RoutingLine => ({
  lineIndex,
  skuId,
  quantity,
});
function order(over: Partial<RoutingInput> & Pick<RoutingInput, 'lines' | 'stock'>): RoutingInput {
  const skuIds = new Set(over.stock.map((r) => r.skuId));
  return {
    skus: new Map([...skuIds].map((s) => [s, plain])),
    locations: [loc('near', 52.5, 13.4), loc('mid', 50.1, 8.7), loc('far', 48.1, 11.6)],
    shipTo: { lat: 52.52, lon: 13.4 }, // Berlin: near < mid (Frankfurt) < far (Munich)
    today,
    onShortage: 'reject',
    ...over,
  };
}
function planOf(result: RoutingResult): RoutingPlan {
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.shortages)}`);
  return result.plan;
}

describe('routeOrder', () => {
  it('ships from one location that has every line even when another is nearer for part of it', () => {
    const input = order({
      lines: [line(0, 'A', 2), line(1, 'B', 1)],
      stock: [row('A', 'near', 5), row('A', 'far', 5), row('B', 'far', 5)],
    });
    const plan = planOf(routeOrder(input));
    expect(plan.locationIds).toEqual(['far']);
    expect(plan.decrements).toEqual([
      { skuId: 'A', locationId: 'far', lotId: '', quantity: 2 },
      { skuId: 'B', locationId: 'far', lotId: '', quantity: 1 },
    ]);
  });

  it('chooses the nearest of several locations that can each ship everything', () => {
    const stock = [row('A', 'far', 9), row('A', 'mid', 9), row('A', 'near', 9)];
    expect(planOf(routeOrder(order({ lines: [line(0, 'A', 3)], stock }))).locationIds).toEqual(['near']);
  });

  it('without a ship-to address prefers more remaining cover, then location code', () => {
    const stock = [row('A', 'far', 9), row('A', 'mid', 20), row('A', 'near', 9)];
    const route = (s: StockRow[]) =>
      planOf(routeOrder(order({ lines: [line(0, 'A', 3)], stock: s, shipTo: null })));
    expect(route(stock).locationIds).toEqual(['mid']);
    expect(route(stock.slice(0, 1).concat(stock.slice(2))).locationIds).toEqual(['far']); // FAR < NEAR
  });

  it('splits across the fewest locations, choosing fewer shipments over nearer stock', () => {
    const input = order({
      lines: [line(0, 'A', 6), line(1, 'B', 3)],
      stock: [row('A', 'near', 3), row('B', 'mid', 3), row('A', 'far', 6)],
    });
    const plan = planOf(routeOrder(input));
    expect(plan.locationIds).toEqual(['mid', 'far']);
    expect(plan.lines.map((l) => l.allocations)).toEqual([
      [{ skuId: 'A', locationId: 'far', lotId: '', quantity: 6 }],
      [{ skuId: 'B', locationId: 'mid', lotId: '', quantity: 3 }],
    ]);
  });

  it('keeps each line at one location when the split allows it', () => {
    const input = order({
      lines: [line(0, 'A', 3), line(1, 'A', 7), line(2, 'B', 1)],
      stock: [row('A', 'near', 7), row('A', 'far', 3), row('B', 'far', 1)],
    });
    const plan = planOf(routeOrder(input));
    expect(plan.lines.map((l) => l.allocations.map((a) => `${a.locationId}:${a.quantity}`))).toEqual([
      ['far:3'],
      ['near:7'],
      ['far:1'],
    ]);
  });

  it('allocates lots first-expiry-first and skips expired, recalled and near-expiry lots', () => {
    const input = order({
      lines: [line(0, 'M', 6)],
      skus: new Map([['M', { tracking: 'lot', minRemainingShelfLifeDays: 10 }]]),
      stock: [
        row('M', 'near', 5, 'l-none', lot('N', null)),
        row('M', 'near', 4, 'l-late', lot('L', 90)),
        row('M', 'near', 2, 'l-soon', lot('S', 30)),
        row('M', 'near', 9, 'l-short', lot('T', 10)), // within the minimum remaining shelf life
        row('M', 'near', 9, 'l-expired', lot('E', -1)),
        row('M', 'near', 9, 'l-recalled', lot('R', 60, 'recalled')),
      ],
    });
    expect(planOf(routeOrder(input)).decrements).toEqual([
      { skuId: 'M', locationId: 'near', lotId: 'l-late', quantity: 4 },
      { skuId: 'M', locationId: 'near', lotId: 'l-soon', quantity: 2 },
    ]);
    const more = routeOrder({ ...input, lines: [line(0, 'M', 12)] });
    expect(more).toEqual({
      ok: false,
      code: 'INSUFFICIENT_STOCK',
      shortages: [{ lineIndex: 0, skuId: 'M', requested: 12, available: 11 }],
    });
  });

  it('lets an order being edited keep a lot it held that is now inside the minimum shelf life, and no more of it', () => {
    const input = order({
      lines: [line(0, 'M', 3)],
      skus: new Map([['M', { tracking: 'lot', minRemainingShelfLifeDays: 60 }]]),
      stock: [
        row('M', 'near', 5, 'l-short', lot('T', 40)), // 2 of these were the order's own
        row('M', 'near', 9, 'l-expired', lot('E', -1)),
        row('M', 'near', 9, 'l-recalled', lot('R', 40, 'recalled')),
      ],
      held: [
        { skuId: 'M', locationId: 'near', lotId: 'l-short', quantity: 2 },
        { skuId: 'M', locationId: 'near', lotId: 'l-expired', quantity: 1 },
        { skuId: 'M', locationId: 'near', lotId: 'l-recalled', quantity: 1 },
      ],
    });
    // What it held of the short lot only: never an expired or recalled lot, never more short units.
    expect(routeOrder(input)).toEqual({
      ok: false,
      code: 'INSUFFICIENT_STOCK',
      shortages: [{ lineIndex: 0, skuId: 'M', requested: 3, available: 2 }],
    });
    expect(planOf(routeOrder({ ...input, lines: [line(0, 'M', 2)] })).decrements).toEqual([
      { skuId: 'M', locationId: 'near', lotId: 'l-short', quantity: 2 },
    ]);
    // Held by location only (a converted lease): the rule stands.
    const byLocation = routeOrder({
      ...input,
      lines: [line(0, 'M', 2)],
      held: [{ skuId: 'M', locationId: 'near', quantity: 2 }],
    });
    expect(byLocation.ok).toBe(false);
  });

  it('lets an order being edited take back what it held at a location taken off sale since, and nothing new there', () => {
    // `near` was made unsellable after the order took 2 of A there (by lot: l-a1); B was never held there.
    const offSale = { ...loc('near', 52.5, 13.4), sellable: false };
    const input = order({
      lines: [line(0, 'A', 2), line(1, 'B', 1)],
      skus: new Map([
        ['A', { tracking: 'lot', minRemainingShelfLifeDays: 0 }],
        ['B', plain],
      ]),
      locations: [offSale, loc('mid', 50.1, 8.7), loc('far', 48.1, 11.6)],
      stock: [
        row('A', 'near', 6, 'l-a1', lot('A1', 90)),
        row('A', 'near', 9, 'l-a0', lot('A0', 30)), // an earlier lot the order never held there
        row('A', 'mid', 9, 'l-a2', lot('A2', 90)),
        row('B', 'near', 9),
        row('B', 'mid', 9),
      ],
      safetyStock: [{ skuId: 'A', locationId: 'near', quantity: 6 }],
      held: [{ skuId: 'A', locationId: 'near', lotId: 'l-a1', quantity: 2 }],
    });
    // A alone keeps its held units where they are, before distance, as at a sellable location;
    // with B too, one shipment from `mid` beats two, as it would there — and B, new, never comes
    // from the location off sale.
    expect(planOf(routeOrder({ ...input, lines: [line(0, 'A', 2)] })).decrements).toEqual([
      { skuId: 'A', locationId: 'near', lotId: 'l-a1', quantity: 2 },
    ]);
    expect(planOf(routeOrder({ ...input, lines: [line(0, 'A', 1)] })).decrements).toEqual([
      { skuId: 'A', locationId: 'near', lotId: 'l-a1', quantity: 1 },
    ]);
    expect(planOf(routeOrder(input)).decrements).toEqual([
      { skuId: 'A', locationId: 'mid', lotId: 'l-a2', quantity: 2 },
      { skuId: 'B', locationId: 'mid', lotId: '', quantity: 1 },
    ]);
    // With no stock elsewhere: what it held and no more, never another lot there, nothing new there.
    const alone = { ...input, stock: input.stock.filter((r) => r.locationId === 'near') };
    expect(planOf(routeOrder({ ...alone, lines: [line(0, 'A', 2)] })).decrements).toEqual([
      { skuId: 'A', locationId: 'near', lotId: 'l-a1', quantity: 2 },
    ]);
    expect(routeOrder({ ...alone, lines: [line(0, 'A', 3), line(1, 'B', 1)] })).toEqual({
      ok: false,
      code: 'INSUFFICIENT_STOCK',
      shortages: [
        { lineIndex: 0, skuId: 'A', requested: 3, available: 2 },
        { lineIndex: 1, skuId: 'B', requested: 1, available: 0 },
      ],
    });
    // Nothing held there (a new order): the location off sale serves nothing.
    expect(routeOrder({ ...alone, lines: [line(0, 'A', 1)], held: [] }).ok).toBe(false);
    // Held by location only (a converted lease): up to what was held there, of any lot still good.
    const byLocation = { ...alone, held: [{ skuId: 'A', locationId: 'near', quantity: 2 }] };
    expect(planOf(routeOrder({ ...byLocation, lines: [line(0, 'A', 2)] })).decrements).toEqual([
      { skuId: 'A', locationId: 'near', lotId: 'l-a0', quantity: 2 },
    ]);
    expect(routeOrder({ ...byLocation, lines: [line(0, 'A', 3)] }).ok).toBe(false);
  });

  it('holds back safety stock at each location', () => {
    const input = order({
      lines: [line(0, 'A', 5)],
      stock: [row('A', 'near', 10), row('A', 'far', 5)],
      safetyStock: [{ skuId: 'A', locationId: 'near', quantity: 8 }],
    });
    expect(planOf(routeOrder(input)).locationIds).toEqual(['far']);
    const tight = { ...input, stock: [row('A', 'near', 10)], onShortage: 'backorder' as const };
    expect(planOf(routeOrder(tight)).lines).toEqual([
      {
        lineIndex: 0,
        allocations: [{ skuId: 'A', locationId: 'near', lotId: '', quantity: 2 }],
        backordered: 3,
      },
    ]);
  });

  it('lets an order being re-routed take back what it held under safety stock, and no more', () => {
    // 10 on hand (free again after the release), safety stock 8.
    const base = order({
      lines: [line(0, 'A', 5)],
      stock: [row('A', 'near', 10)],
      safetyStock: [{ skuId: 'A', locationId: 'near', quantity: 8 }],
      onShortage: 'backorder',
    });
    const usable = (held: number, wanted = 10) =>
      planOf(
        routeOrder({
          ...base,
          lines: [line(0, 'A', wanted)],
          held: [{ skuId: 'A', locationId: 'near', quantity: held }],
        }),
      ).lines[0]!.allocations.reduce((n, a) => n + a.quantity, 0);
    expect(usable(0)).toBe(2); // as at capture
    expect(usable(5)).toBe(5); // its own 5, though 3 of them are now safety stock
    expect(usable(1)).toBe(2); // holding 1 gains nothing: 2 are above safety stock anyway
    expect(usable(10)).toBe(10);
    expect(usable(20)).toBe(10); // never more than there is
  });

  it('keeps the units the order held (a converted reservation, its own stock on an edit) before distance', () => {
    const input = order({
      lines: [line(0, 'A', 2), line(1, 'B', 1)],
      stock: [row('A', 'near', 5), row('A', 'far', 5), row('B', 'near', 5), row('B', 'far', 5)],
      held: [{ skuId: 'A', locationId: 'far', quantity: 2 }],
    });
    // One shipment either way: the held units decide it, not the distance.
    expect(planOf(routeOrder(input)).locationIds).toEqual(['far']);
    // Fewest shipments still comes first: B only near, so everything ships from near.
    const onlyNear = { ...input, stock: [row('A', 'near', 5), row('A', 'far', 5), row('B', 'near', 5)] };
    expect(planOf(routeOrder(onlyNear)).locationIds).toEqual(['near']);
    // Two shipments needed anyway (B only near, C only far): A, which either could ship, goes where
    // it was held.
    const split = order({
      lines: [line(0, 'A', 2), line(1, 'B', 1), line(2, 'C', 1)],
      stock: [row('A', 'near', 5), row('A', 'far', 5), row('B', 'near', 1), row('C', 'far', 1)],
    });
    const placesOf = (input: RoutingInput) =>
      planOf(routeOrder(input)).lines.map((l) => l.allocations.map((a) => a.locationId));
    expect(placesOf(split)).toEqual([['near'], ['near'], ['far']]);
    expect(placesOf({ ...split, held: [{ skuId: 'A', locationId: 'far', quantity: 2 }] })).toEqual([
      ['far'],
      ['near'],
      ['far'],
    ]);
    // Without anything held, the nearest wins as before.
    expect(planOf(routeOrder({ ...input, held: [] })).locationIds).toEqual(['near']);
  });

  it('never oversells a component shared by a bundle and another line', () => {
    const bundle: RoutingLine = {
      lineIndex: 0,
      skuId: 'KIT',
      quantity: 3,
      components: [
        { skuId: 'A', quantity: 2 },
        { skuId: 'B', quantity: 1 },
      ],
    };
    const input = order({
      lines: [bundle, line(1, 'A', 2)],
      stock: [row('A', 'near', 7), row('B', 'near', 9)],
    });
    expect(routeOrder(input)).toEqual({
      ok: false,
      code: 'INSUFFICIENT_STOCK',
      shortages: [{ lineIndex: 1, skuId: 'A', requested: 2, available: 1 }],
    });
    const plan = planOf(routeOrder({ ...input, onShortage: 'backorder' }));
    expect(plan.decrements).toEqual([
      { skuId: 'A', locationId: 'near', lotId: '', quantity: 7 },
      { skuId: 'B', locationId: 'near', lotId: '', quantity: 3 },
    ]);
    expect(plan.lines.map((l) => l.backordered)).toEqual([0, 1]);
  });

  it('rejects listing every short line, bundles in bundle units', () => {
    const bundle: RoutingLine = {
      lineIndex: 2,
      skuId: 'KIT',
      quantity: 4,
      components: [{ skuId: 'B', quantity: 3 }],
    };
    const input = order({
      lines: [line(0, 'A', 5), line(1, 'C', 1), bundle],
      stock: [row('A', 'near', 2), row('A', 'far', 1), row('B', 'mid', 8), row('C', 'near', 1)],
    });
    expect(routeOrder(input)).toEqual({
      ok: false,
      code: 'INSUFFICIENT_STOCK',
      shortages: [
        { lineIndex: 0, skuId: 'A', requested: 5, available: 3 },
        { lineIndex: 2, skuId: 'KIT', requested: 4, available: 2 },
      ],
    });
  });

  it('backorders the rest after allocating what exists, taking only whole bundle units', () => {
    const bundle: RoutingLine = {
      lineIndex: 1,
      skuId: 'KIT',
      quantity: 3,
      components: [
        { skuId: 'A', quantity: 1 },
        { skuId: 'B', quantity: 2 },
      ],
    };
    const input = order({
      lines: [line(0, 'C', 4), bundle],
      stock: [row('C', 'near', 1), row('C', 'far', 2), row('A', 'mid', 9), row('B', 'mid', 5)],
      onShortage: 'backorder',
    });
    const plan = planOf(routeOrder(input));
    expect(plan.lines).toEqual([
      {
        lineIndex: 0,
        allocations: [
          { skuId: 'C', locationId: 'far', lotId: '', quantity: 2 },
          { skuId: 'C', locationId: 'near', lotId: '', quantity: 1 },
        ],
        backordered: 1,
      },
      {
        lineIndex: 1,
        allocations: [
          { skuId: 'A', locationId: 'mid', lotId: '', quantity: 2 },
          { skuId: 'B', locationId: 'mid', lotId: '', quantity: 4 },
        ],
        backordered: 1,
      },
    ]);
    expect(plan.locationIds).toEqual(['near', 'mid', 'far']);
  });

  it('falls back to greedy set cover beyond the exact-search limit, still preferring one location', () => {
    const many = Array.from({ length: 14 }, (_, i) => loc(`w${String(i).padStart(2, '0')}`, 52 - i / 10, 13));
    const input = order({
      lines: [line(0, 'A', 5), line(1, 'B', 2)],
      locations: many,
      stock: many.flatMap((l, i) => [
        row('A', l.locationId, i === 9 ? 3 : 1),
        row('B', l.locationId, i < 2 ? 1 : 0),
      ]),
    });
    const plan = planOf(routeOrder(input));
    expect(plan.locationIds).toEqual(['w00', 'w01', 'w09']); // biggest gain first, then nearest
    expect(plan.decrements.reduce((n, d) => n + d.quantity, 0)).toBe(7);
    const one = { ...input, stock: [...input.stock, row('A', 'w13', 5), row('B', 'w13', 2)] };
    expect(planOf(routeOrder(one)).locationIds).toEqual(['w13']);
  });

  it('returns an empty plan when nothing can be allocated and backorders are allowed', () => {
    const input = order({ lines: [line(0, 'A', 2)], stock: [row('A', 'near', 0)], onShortage: 'backorder' });
    expect(planOf(routeOrder(input))).toEqual({
      lines: [{ lineIndex: 0, allocations: [], backordered: 2 }],
      locationIds: [],
      decrements: [],
    });
  });
});

// ---- properties ---------------------------------------------------------------------------------

const SKUS = ['A', 'B', 'C'] as const;
const LOCS = ['L0', 'L1', 'L2', 'L3', 'L4'] as const;

const arbOrder = (locs: readonly string[]): fc.Arbitrary<RoutingInput> =>
  fc
    .record({
      rules: fc.tuple(
        ...SKUS.map(() => fc.record({ lot: fc.boolean(), minDays: fc.integer({ min: 0, max: 5 }) })),
      ),
      coords: fc.tuple(
        ...locs.map(() =>
          fc.option(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 }))),
        ),
      ),
      lots: fc.array(
        fc.record({
          expires: fc.option(fc.integer({ min: -2, max: 30 })),
          recalled: fc.nat(5).map((n) => n === 0), // one lot in six recalled
        }),
        { minLength: 3, maxLength: 3 },
      ),
      rows: fc.array(
        fc.record({
          sku: fc.constantFrom(...SKUS),
          loc: fc.constantFrom(...locs, 'LX'), // LX is not a sellable location
          lot: fc.integer({ min: 0, max: 2 }),
          free: fc.integer({ min: -1, max: 12 }),
        }),
        { minLength: locs.length, maxLength: 8 * locs.length },
      ),
      safety: fc.array(
        fc.record({
          skuId: fc.constantFrom(...SKUS),
          locationId: fc.constantFrom(...locs),
          quantity: fc.nat(5),
        }),
        { maxLength: 4 },
      ),
      // Units the order held (a converted lease, an edit's own stock): credit under safety stock.
      held: fc.array(
        fc.record({
          skuId: fc.constantFrom(...SKUS),
          locationId: fc.constantFrom(...locs),
          quantity: fc.nat(6),
        }),
        { maxLength: 3 },
      ),
      lines: fc.array(
        fc.record({
          sku: fc.constantFrom(...SKUS),
          quantity: fc.integer({ min: 1, max: 5 }),
          components: fc.option(
            fc.array(
              fc.record({ skuId: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 3 }) }),
              {
                minLength: 1,
                maxLength: 3,
              },
            ),
          ),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      shipTo: fc.option(
        fc.record({ lat: fc.integer({ min: -5, max: 5 }), lon: fc.integer({ min: -5, max: 5 }) }),
      ),
      onShortage: fc.constantFrom('reject' as const, 'backorder' as const),
      // A location taken off sale since the order held units there: it serves only those.
      offSale: fc.option(fc.constantFrom(...locs)),
    })
    .map((g) => {
      const skus = new Map<string, RoutingSku>(
        SKUS.map((s, i) => {
          const r = g.rules[i] ?? { lot: false, minDays: 0 };
          return [s, { tracking: r.lot ? 'lot' : 'none', minRemainingShelfLifeDays: r.minDays }];
        }),
      );
      return {
        skus,
        locations: locs.map((id, i) => ({
          ...loc(id),
          lat: g.coords[i]?.[0] ?? null,
          lon: g.coords[i]?.[1] ?? null,
          ...(id === g.offSale ? { sellable: false } : {}),
        })),
        stock: g.rows.map((r) =>
          skus.get(r.sku)?.tracking === 'lot'
            ? row(r.sku, r.loc, r.free, `lot-${r.sku}${r.lot}`, lotOf(r.lot, g.lots[r.lot]))
            : row(r.sku, r.loc, r.free),
        ),
        safetyStock: g.safety,
        held: g.held,
        lines: g.lines.map((l, i) =>
          l.components
            ? { lineIndex: i, skuId: 'KIT', quantity: l.quantity, components: l.components }
            : line(i, l.sku, l.quantity),
        ),
        shipTo: g.shipTo,
        today,
        onShortage: g.onShortage,
      };
    });

const arbInput = arbOrder(LOCS);
/** More candidate locations than the exact search takes: exercises the greedy set cover. */
const arbAny = fc.oneof(arbInput, arbOrder(Array.from({ length: 15 }, (_, i) => `W${i}`)));

/** One lot's state, the same on every row that names it (codes repeat across SKUs on purpose). */
function lotOf(n: number, g: { expires: number | null; recalled: boolean } | undefined): LotState {
  return lot(`C${n}`, g?.expires ?? null, g?.recalled ? 'recalled' : 'active');
}

/** Independent oracle: usable units per `sku|loc|lot` and per `sku|loc`. */
function usable(input: RoutingInput): { lots: Map<string, number>; sites: Map<string, number> } {
  const lots = new Map<string, number>();
  const sellable = new Map<string, number>();
  const known = new Set(input.locations.map((l) => l.locationId));
  for (const r of input.stock) {
    const sku = input.skus.get(r.skuId);
    const expiresOn = r.lot?.expiresOn ?? null;
    const ok =
      sku &&
      known.has(r.locationId) &&
      r.free > 0 &&
      r.lot?.status !== 'recalled' &&
      (expiresOn === null || expiresOn > addDays(today, sku.minRemainingShelfLifeDays));
    if (!ok) continue;
    const k = `${r.skuId}|${r.locationId}`;
    lots.set(`${k}|${r.lotId}`, (lots.get(`${k}|${r.lotId}`) ?? 0) + r.free);
    sellable.set(k, (sellable.get(k) ?? 0) + r.free);
  }
  const sites = new Map<string, number>();
  for (const [k, n] of sellable) {
    const sum = (rows: RoutingInput['safetyStock']) =>
      (rows ?? []).filter((s) => `${s.skuId}|${s.locationId}` === k).reduce((a, s) => a + s.quantity, 0);
    const own = Math.min(sum(input.held), n);
    const offSale = input.locations.some((l) => l.sellable === false && k.endsWith(`|${l.locationId}`));
    sites.set(k, offSale ? own : Math.max(0, n - own - sum(input.safetyStock)) + own);
  }
  return { lots, sites };
}

const needsOf = (l: RoutingLine) => l.components ?? [{ skuId: l.skuId, quantity: 1 }];

describe('routeOrder properties', () => {
  it('never allocates more than usable per (sku, location, lot) and per (sku, location)', () => {
    fc.assert(
      fc.property(arbAny, (input) => {
        const result = routeOrder(input);
        if (!result.ok) return;
        const { lots, sites } = usable(input);
        const perSite = new Map<string, number>();
        for (const d of result.plan.decrements) {
          expect(Number.isSafeInteger(d.quantity) && d.quantity > 0).toBe(true);
          expect(d.quantity).toBeLessThanOrEqual(lots.get(`${d.skuId}|${d.locationId}|${d.lotId}`) ?? 0);
          const k = `${d.skuId}|${d.locationId}`;
          perSite.set(k, (perSite.get(k) ?? 0) + d.quantity);
        }
        for (const [k, n] of perSite) expect(n).toBeLessThanOrEqual(sites.get(k) ?? 0);
      }),
    );
  });

  it('allocates plus backorders exactly the requested units of every line', () => {
    fc.assert(
      fc.property(arbAny, (input) => {
        const result = routeOrder(input);
        if (!result.ok) return;
        input.lines.forEach((l, i) => {
          const planned = result.plan.lines[i];
          expect(planned?.lineIndex).toBe(l.lineIndex);
          for (const skuId of new Set(needsOf(l).map((c) => c.skuId))) {
            const per = needsOf(l).reduce((n, c) => n + (c.skuId === skuId ? c.quantity : 0), 0);
            const allocated = (planned?.allocations ?? [])
              .filter((a) => a.skuId === skuId)
              .reduce((n, a) => n + a.quantity, 0);
            expect(allocated + (planned?.backordered ?? NaN) * per).toBe(l.quantity * per);
          }
        });
      }),
    );
  });

  it('with reject either allocates everything or fails with exactly the lines a backorder plan would short', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const rejected = routeOrder({ ...input, onShortage: 'reject' });
        const backorder = planOf(routeOrder({ ...input, onShortage: 'backorder' }));
        const short = backorder.lines.flatMap((l, i) =>
          l.backordered > 0
            ? [
                {
                  lineIndex: l.lineIndex,
                  requested: input.lines[i]?.quantity,
                  available: (input.lines[i]?.quantity ?? 0) - l.backordered,
                },
              ]
            : [],
        );
        if (rejected.ok) {
          expect(rejected.plan.lines.every((l) => l.backordered === 0)).toBe(true);
          expect(rejected.plan).toEqual(backorder);
        } else {
          expect(rejected.shortages.length).toBeGreaterThan(0);
          expect(rejected.shortages.map(({ skuId: _, ...s }) => s)).toEqual(short);
        }
      }),
    );
  });

  it('ships from the fewest locations that can cover the order', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const result = routeOrder({ ...input, onShortage: 'reject' });
        if (!result.ok) return;
        const { sites } = usable(input);
        const demand = new Map<string, number>();
        for (const l of input.lines)
          for (const c of needsOf(l))
            demand.set(c.skuId, (demand.get(c.skuId) ?? 0) + c.quantity * l.quantity);
        const covers = (set: string[]) =>
          [...demand].every(([s, d]) => set.reduce((n, id) => n + (sites.get(`${s}|${id}`) ?? 0), 0) >= d);
        let fewest = Infinity;
        for (let mask = 0; mask < 1 << LOCS.length; mask++) {
          const set = LOCS.filter((_, i) => mask & (1 << i));
          if (covers(set)) fewest = Math.min(fewest, set.length);
        }
        expect(result.plan.locationIds.length).toBe(fewest);
      }),
    );
  });

  it('is deterministic, whatever the order of stock, locations and safety rows', () => {
    fc.assert(
      fc.property(arbAny, (input) => {
        const again = routeOrder({
          ...input,
          stock: [...input.stock].reverse(),
          locations: [...input.locations].reverse(),
          safetyStock: [...(input.safetyStock ?? [])].reverse(),
        });
        expect(again).toEqual(routeOrder(input));
      }),
    );
  });

  it('lists decrements as the sorted per-balance sums of the line allocations', () => {
    fc.assert(
      fc.property(arbAny, (input) => {
        const result = routeOrder({ ...input, onShortage: 'backorder' });
        if (!result.ok) return;
        const key = (a: { skuId: string; locationId: string; lotId: string }) =>
          `${a.skuId}\u0000${a.locationId}\u0000${a.lotId}`;
        const sums = new Map<string, number>();
        for (const a of result.plan.lines.flatMap((l) => l.allocations))
          sums.set(key(a), (sums.get(key(a)) ?? 0) + a.quantity);
        const keys = result.plan.decrements.map(key);
        expect(keys).toEqual([...sums.keys()].sort());
        expect(result.plan.decrements.map((d) => d.quantity)).toEqual(keys.map((k) => sums.get(k)));
      }),
    );
  });
});
