/**
 * Order routing: which sellable locations and lots serve each order line. Pure rules over plain
 * readonly data; the caller loads stock and applies the plan's decrements as conditional UPDATEs.
 * All quantities are integers in the SKU's base unit (bundle lines: bundle units).
 */
import { lotSellable, type LotState } from '../inventory/balance.js';
import { isQuantity } from '../quantity.js';

export type RoutingLine = {
  readonly lineIndex: number;
  readonly skuId: string;
  readonly quantity: number;
  /** Bundle lines only: one bundle unit consumes `quantity` units of each component. */
  readonly components?: ReadonlyArray<{ readonly skuId: string; readonly quantity: number }>;
};
export type RoutingSku = {
  readonly tracking: 'none' | 'lot' | 'serial';
  readonly minRemainingShelfLifeDays: number;
};
export type RoutingLocation = {
  readonly locationId: string;
  readonly code: string;
  readonly lat: number | null;
  readonly lon: number | null;
  /**
   * `false`: taken off sale since the order held units there (see `held`); it serves only those.
   * Left out: sellable.
   */
  readonly sellable?: boolean;
};
/** One balance row; `free` = on hand − allocated − quarantined. `lotId` is '' when not lot-tracked. */
export type StockRow = {
  readonly skuId: string;
  readonly locationId: string;
  readonly lotId: string;
  readonly lot: LotState | null;
  readonly free: number;
};
export type SafetyStock = { readonly skuId: string; readonly locationId: string; readonly quantity: number };
export type GeoPoint = { readonly lat: number; readonly lon: number };

export type RoutingInput = {
  readonly lines: readonly RoutingLine[];
  /** Rules for every stocked SKU the order needs (bundle SKUs themselves are not needed). */
  readonly skus: ReadonlyMap<string, RoutingSku>;
  /** Sellable locations, and those not sellable where `held` names units (`sellable: false`). */
  readonly locations: readonly RoutingLocation[];
  readonly stock: readonly StockRow[];
  readonly safetyStock?: readonly SafetyStock[];
  /**
   * The units the order held at each (SKU, location) before they were released for it: its own
   * allocations when an edit re-routes it, a reservation lease it converts. It may take them again
   * even where they dip into safety stock — an edit or a conversion never loses what was held — but
   * nothing more below safety stock; and plans keeping more of them are preferred before distance.
   * With `lotId` (an edit's own allocations), the units of a lot now inside the SKU's minimum
   * remaining shelf life may be taken again too, up to what was held of it (never an expired or
   * recalled lot): an edit keeps what the order would have shipped.
   * At a location no longer sellable (`sellable: false`) only held units may be taken: up to what was
   * held at that (SKU, location), and with `lotId` up to what was held of each lot; nothing else.
   */
  readonly held?: ReadonlyArray<SafetyStock & { readonly lotId?: string }>;
  readonly shipTo: GeoPoint | null;
  readonly today: string; // YYYY-MM-DD
  readonly onShortage: 'reject' | 'backorder';
};

/** Units of `skuId` (a component SKU for bundle lines) taken from one balance row. */
export type Allocation = {
  readonly skuId: string;
  readonly locationId: string;
  readonly lotId: string;
  readonly quantity: number;
};
export type LinePlan = {
  readonly lineIndex: number;
  readonly allocations: readonly Allocation[];
  /** In line units (bundle units for bundle lines). */
  readonly backordered: number;
};
export type RoutingPlan = {
  /** One entry per input line, in input order. */
  readonly lines: readonly LinePlan[];
  /** Locations that ship something (one shipment each), nearest first. */
  readonly locationIds: readonly string[];
  /** Allocations summed per balance row, sorted by (skuId, locationId, lotId): the lock order. */
  readonly decrements: readonly Allocation[];
};
export type Shortage = {
  readonly lineIndex: number;
  readonly skuId: string;
  readonly requested: number;
  readonly available: number;
};
export type RoutingResult =
  | { readonly ok: true; readonly plan: RoutingPlan }
  | { readonly ok: false; readonly code: 'INSUFFICIENT_STOCK'; readonly shortages: readonly Shortage[] };

/** Above this many candidate locations, multi-location sets are chosen by greedy set cover. */
export const EXACT_ROUTING_LIMIT = 12;

type Lot = { readonly lotId: string; readonly expiresOn: string | null; readonly code: string; left: number };
/** One SKU at one location; `held`: of `left`, the units the order itself held there (`RoutingInput.held`). */
type Bin = { left: number; readonly held: number; readonly lots: Lot[] };
type Site = { readonly loc: RoutingLocation; readonly km: number; readonly bins: Map<string, Bin> };
type Work = {
  readonly line: RoutingLine;
  readonly needs: Map<string, number>;
  served: number;
  out: Allocation[];
};

/**
 * Routes an order's lines to locations and lots.
 *
 * Usable stock of a SKU at a location = free units of its sellable lots (`lotSellable` with the
 * SKU's minimum remaining shelf life) minus safety stock, floored at 0 (plus, when re-routing,
 * what the order itself held there: see `held`; at a location taken off sale, only that). Demand
 * is summed per SKU over all lines and bundle components, so shared components are never oversold. Rows with the
 * same (sku, location, lotId) are summed; rows of one lotId are assumed to carry the same lot.
 *
 * Lines are served in input order (a bundle unit only when every component is there). The
 * locations are the fewest that cover the served demand (one if possible; exact search up to
 * {@link EXACT_ROUTING_LIMIT} candidates, greedy beyond — where held units do not count), ties broken
 * by more of the units the order itself held at them (`held`: a converted reservation's store, an
 * edited order's own stock), then by smaller total haversine
 * distance to `shipTo` (unknown coordinates = infinitely far), then by more remaining cover (the
 * minimum over the order's SKUs of usable left after the order), then by location codes. Within
 * them each line goes whole to the location that can take it where the order held its units, else
 * the nearest, else is split in that order;
 * lots are taken first-expiry-first (no expiry last, then lot code).
 *
 * Invariants: no (sku, location, lot) gets more than its free units, no (sku, location) more than
 * its usable units; per line, allocated + backordered × units-per-line-unit = requested; the same
 * input (in any row order) gives the same plan.
 *
 * @returns `{ ok: false, code: 'INSUFFICIENT_STOCK', shortages }` with `onShortage: 'reject'` when
 *   any line is short: every short line with `available` = line units it could get after the lines
 *   before it; lowering each to `available` makes the order routable. With `'backorder'` the plan
 *   carries the rest as `backordered`. Throws RangeError only on malformed input (a caller bug).
 */
export function routeOrder(input: RoutingInput): RoutingResult {
  const work: Work[] = input.lines.map((line) => ({ line, needs: unitNeeds(line), served: 0, out: [] }));
  const rules = new Map<string, RoutingSku>();
  for (const { needs } of work)
    for (const skuId of needs.keys()) {
      const sku = input.skus.get(skuId);
      if (!sku) throw new RangeError(`routing: no rules for SKU ${skuId}`);
      rules.set(skuId, sku);
    }
  const sites = indexSites(input, rules);

  const total = new Map<string, number>();
  for (const site of sites) for (const [skuId, bin] of site.bins) add(total, skuId, bin.left);
  for (const w of work) {
    const fits = [...w.needs].map(([skuId, per]) => Math.floor((total.get(skuId) ?? 0) / per));
    w.served = Math.min(w.line.quantity, ...fits);
    for (const [skuId, per] of w.needs) add(total, skuId, -per * w.served);
  }
  const short = work.filter((w) => w.served < w.line.quantity);
  if (short.length > 0 && input.onShortage === 'reject') {
    const shortages = short.map(({ line, served }) => ({
      lineIndex: line.lineIndex,
      skuId: line.skuId,
      requested: line.quantity,
      available: served,
    }));
    return { ok: false, code: 'INSUFFICIENT_STOCK', shortages };
  }

  const demand = new Map<string, number>();
  for (const w of work)
    for (const [skuId, per] of w.needs) if (w.served > 0) add(demand, skuId, per * w.served);
  const chosen = chooseSites(sites, demand);

  // Biggest lines first so they still fit whole; the site that takes the whole line — where the
  // order held the line's units first, then nearest — else split in that order.
  const units = (w: Work) => w.served * [...w.needs.values()].reduce((a, b) => a + b, 0);
  for (const w of [...work].sort((a, b) => units(b) - units(a))) {
    if (w.served === 0) continue;
    const need = [...w.needs].map(([skuId, per]) => [skuId, per * w.served] as const);
    // What the order held at a site, not what is left of it after earlier lines: a later line may
    // still go first to a site whose held units an earlier one took (no oversell: `take` counts).
    const heldFor = (s: Site) => need.reduce((n, [skuId]) => n + (s.bins.get(skuId)?.held ?? 0), 0);
    const preferred = chosen.some((s) => heldFor(s) > 0)
      ? [...chosen].sort((a, b) => heldFor(b) - heldFor(a)) // stable: nearest first on ties
      : chosen;
    const whole = preferred.find((s) => need.every(([skuId, n]) => (s.bins.get(skuId)?.left ?? 0) >= n));
    for (const [skuId, n] of need) {
      let rest = n;
      for (const site of whole ? [whole] : preferred) rest -= take(site, skuId, rest, w.out);
      if (rest !== 0) throw new Error(`routing: ${rest} units of ${skuId} left unassigned (bug)`);
    }
  }

  const lines = work.map((w) => ({
    lineIndex: w.line.lineIndex,
    allocations: merge(w.out),
    backordered: w.line.quantity - w.served,
  }));
  const used = new Set(work.flatMap((w) => w.out.map((a) => a.locationId)));
  const locationIds = chosen.filter((s) => used.has(s.loc.locationId)).map((s) => s.loc.locationId);
  return { ok: true, plan: { lines, locationIds, decrements: merge(work.flatMap((w) => w.out)) } };
}

/** Units of each stocked SKU one unit of the line consumes. */
function unitNeeds(line: RoutingLine): Map<string, number> {
  const parts = line.components ?? [{ skuId: line.skuId, quantity: 1 }];
  if (!isQuantity(line.quantity) || line.quantity < 1 || parts.length === 0)
    throw new RangeError(`routing: line ${line.lineIndex} needs a positive quantity and components`);
  const needs = new Map<string, number>();
  for (const c of parts) {
    if (!isQuantity(c.quantity) || c.quantity < 1)
      throw new RangeError(`routing: line ${line.lineIndex} component ${c.skuId} quantity`);
    add(needs, c.skuId, c.quantity);
  }
  for (const per of needs.values())
    if (!isQuantity(per * line.quantity))
      throw new RangeError(`routing: line ${line.lineIndex} is too large`);
  return needs;
}

/** Locations holding usable stock of a needed SKU, nearest first, with FEFO-ordered lots. */
function indexSites(input: RoutingInput, rules: ReadonlyMap<string, RoutingSku>): Site[] {
  const safety = new Map<string, number>();
  for (const s of input.safetyStock ?? []) add(safety, `${s.skuId}\n${s.locationId}`, s.quantity);
  const held = new Map<string, number>();
  const heldLots = new Map<string, number>(); // sku, location, lot → units the order held of that lot
  const heldByLot = new Set<string>(); // (sku, location) pairs whose held units name their lots
  for (const h of input.held ?? []) {
    add(held, `${h.skuId}\n${h.locationId}`, h.quantity);
    if (h.lotId === undefined) continue;
    add(heldLots, `${h.skuId}\n${h.locationId}\n${h.lotId}`, h.quantity);
    heldByLot.add(`${h.skuId}\n${h.locationId}`);
  }
  const offSale = new Set(input.locations.filter((l) => l.sellable === false).map((l) => l.locationId));
  const lots = new Map<string, Map<string, Map<string, Lot>>>(); // location → sku → lotId → lot
  for (const row of input.stock) {
    const sku = rules.get(row.skuId);
    if (!sku || row.free <= 0) continue;
    // A lot inside the minimum shelf life, or any lot at a location taken off sale where the order
    // held by lot: only the units the order itself held of it. (At a location off sale held by
    // location only, a converted lease, the bin below caps them at what was held there.)
    const heldByLotOffSale =
      offSale.size > 0 && offSale.has(row.locationId) && heldByLot.has(`${row.skuId}\n${row.locationId}`);
    const free =
      !heldByLotOffSale && lotSellable(row.lot, input.today, sku.minRemainingShelfLifeDays)
        ? row.free
        : lotSellable(row.lot, input.today)
          ? Math.min(
              row.free,
              Math.max(0, heldLots.get(`${row.skuId}\n${row.locationId}\n${row.lotId}`) ?? 0),
            )
          : 0;
    if (free <= 0) continue;
    const bySku = lots.get(row.locationId) ?? new Map<string, Map<string, Lot>>();
    const byLot = bySku.get(row.skuId) ?? new Map<string, Lot>();
    const lot = byLot.get(row.lotId) ?? {
      lotId: row.lotId,
      expiresOn: row.lot?.expiresOn ?? null,
      code: row.lot?.code ?? '',
      left: 0,
    };
    lot.left += free;
    lots.set(row.locationId, bySku.set(row.skuId, byLot.set(row.lotId, lot)));
  }
  const seen = new Set<string>();
  const sites: Site[] = [];
  for (const loc of input.locations) {
    if (seen.has(loc.locationId)) continue;
    seen.add(loc.locationId);
    const bins = new Map<string, Bin>();
    for (const [skuId, byLot] of lots.get(loc.locationId) ?? []) {
      const fefo = rules.get(skuId)?.tracking === 'lot';
      const sorted = [...byLot.values()].sort(
        (a, b) =>
          (fefo ? cmp(a.expiresOn ?? '\uffff', b.expiresOn ?? '\uffff') || cmp(a.code, b.code) : 0) ||
          cmp(a.lotId, b.lotId),
      );
      const sellable = sorted.reduce((n, l) => n + l.left, 0);
      const pair = `${skuId}\n${loc.locationId}`;
      const reserve = Math.max(0, safety.get(pair) ?? 0);
      const own = Math.min(Math.max(0, held.get(pair) ?? 0), sellable);
      // Off sale: the order's own units only (safety stock aside, as for held units anywhere).
      const left = offSale.has(loc.locationId) ? own : Math.max(0, sellable - own - reserve) + own;
      if (left > 0) bins.set(skuId, { left, held: own, lots: sorted });
    }
    if (bins.size > 0) sites.push({ loc, km: distanceKm(input.shipTo, loc), bins });
  }
  return sites.sort(
    (a, b) => cmp(a.km, b.km) || cmp(a.loc.code, b.loc.code) || cmp(a.loc.locationId, b.loc.locationId),
  );
}

/** The fewest sites covering `demand`, best ranked; returned in site (nearest-first) order. */
function chooseSites(all: readonly Site[], demand: ReadonlyMap<string, number>): Site[] {
  const sites = all.filter((s) => [...demand.keys()].some((skuId) => s.bins.has(skuId)));
  const slack = (set: readonly Site[]) =>
    Math.min(
      ...[...demand].map(([skuId, d]) => set.reduce((n, s) => n + (s.bins.get(skuId)?.left ?? 0), 0) - d),
    );
  // Units of the demand the order itself held at the set's sites (a reservation it converts, or
  // its own allocations when an edit re-routes it): a click-and-collect lease keeps its store.
  // (Nothing held, as at almost every capture: nothing to sum.)
  const anyHeld = sites.some((s) => [...s.bins.values()].some((b) => b.held > 0));
  const keptOf = (set: readonly Site[]) =>
    !anyHeld
      ? 0
      : [...demand].reduce(
          (n, [skuId, d]) =>
            n +
            Math.min(
              d,
              set.reduce((h, s) => h + (s.bins.get(skuId)?.held ?? 0), 0),
            ),
          0,
        );
  const rank = (set: readonly Site[]) =>
    [
      -keptOf(set),
      set.reduce((km, s) => km + s.km, 0),
      -slack(set),
      set
        .map((s) => s.loc.code)
        .sort()
        .join('\n'),
    ] as const;
  for (let k = 0; k <= sites.length; k++) {
    if (k > 1 && sites.length > EXACT_ROUTING_LIMIT) return greedyCover(sites, demand);
    let best: { set: Site[]; key: ReturnType<typeof rank> } | undefined;
    for (const set of combinations(sites, k)) {
      if (slack(set) < 0) continue;
      const key = rank(set);
      if (
        !best ||
        (cmp(key[0], best.key[0]) ||
          cmp(key[1], best.key[1]) ||
          cmp(key[2], best.key[2]) ||
          cmp(key[3], best.key[3])) < 0
      )
        best = { set, key };
    }
    if (best) return best.set;
  }
  throw new Error('routing: served demand exceeds usable stock (bug)');
}

/** Repeatedly adds the site covering most of the remaining demand (nearest on ties). */
function greedyCover(sites: readonly Site[], demand: ReadonlyMap<string, number>): Site[] {
  const rest = new Map(demand);
  const chosen: Site[] = [];
  const gain = (s: Site) =>
    [...rest].reduce((n, [skuId, r]) => n + Math.min(r, s.bins.get(skuId)?.left ?? 0), 0);
  while ([...rest.values()].some((r) => r > 0)) {
    let best: Site | undefined;
    for (const s of sites) if (!chosen.includes(s) && gain(s) > (best ? gain(best) : 0)) best = s;
    if (!best) throw new Error('routing: served demand exceeds usable stock (bug)');
    for (const [skuId, r] of rest) rest.set(skuId, r - Math.min(r, best.bins.get(skuId)?.left ?? 0));
    chosen.push(best);
  }
  return sites.filter((s) => chosen.includes(s));
}

function* combinations<T>(items: readonly T[], k: number): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (const [i, head] of items.entries()) {
    if (items.length - i < k) return;
    for (const tail of combinations(items.slice(i + 1), k - 1)) yield [head, ...tail];
  }
}

/** Takes up to `n` units of a SKU at a site, lots in FEFO order; returns the units taken. */
function take(site: Site, skuId: string, n: number, out: Allocation[]): number {
  const bin = site.bins.get(skuId);
  const q = Math.min(n, bin?.left ?? 0);
  if (!bin || q === 0) return 0;
  bin.left -= q;
  let rest = q;
  for (const lot of bin.lots) {
    const t = Math.min(rest, lot.left);
    if (t === 0) continue;
    lot.left -= t;
    rest -= t;
    out.push({ skuId, locationId: site.loc.locationId, lotId: lot.lotId, quantity: t });
  }
  return q;
}

/** Sums allocations per (skuId, locationId, lotId) and sorts them by that key. */
function merge(allocations: readonly Allocation[]): Allocation[] {
  const byKey = new Map<string, Allocation>();
  for (const a of allocations) {
    const key = `${a.skuId}\n${a.locationId}\n${a.lotId}`;
    byKey.set(key, { ...a, quantity: (byKey.get(key)?.quantity ?? 0) + a.quantity });
  }
  return [...byKey.values()].sort(
    (a, b) => cmp(a.skuId, b.skuId) || cmp(a.locationId, b.locationId) || cmp(a.lotId, b.lotId),
  );
}

/** Great-circle distance in km; Infinity when either end has no coordinates. */
function distanceKm(from: GeoPoint | null, to: RoutingLocation): number {
  if (!from || to.lat === null || to.lon === null) return Infinity;
  const rad = Math.PI / 180;
  const h =
    Math.sin(((to.lat - from.lat) * rad) / 2) ** 2 +
    Math.cos(from.lat * rad) * Math.cos(to.lat * rad) * Math.sin(((to.lon - from.lon) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** Code-unit order (not locale order), so the result matches on every machine and database. */
function cmp<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
