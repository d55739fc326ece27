/**
 * The stock of a SKU: per location and lot, with totals. For a bundle, the availability derived
 * from its components (minimum over components of floor(available / quantity)).
 */
import type { Tx } from '../../db/database.js';
import { balancesOf, ledgerSums, safetyStockOf, type BalanceView } from '../../db/stock.repo.js';
import { componentsOf, type SkuRow } from '../../db/catalog.repo.js';
import { bundleAvailable, free, locationAvailable, lotSellable } from '../../domain/inventory/balance.js';
import { isoDate, nowIso } from '../../domain/clock.js';
import { incomingTransfers } from './transfers.js';

export type LotStockView = {
  lot: string;
  expiresOn: string | null;
  status: string;
  sellable: boolean;
  bin: string | null;
  onHand: number;
  allocated: number;
  quarantined: number;
  available: number;
};

export type LocationStockView = {
  location: string;
  sellable: boolean;
  bin: string | null;
  onHand: number;
  allocated: number;
  quarantined: number;
  safetyStock: number;
  available: number;
  /** Units in transit towards this location (open transfers); present only when non-zero. */
  incoming?: number;
  lots?: LotStockView[];
};

export type StockView = {
  sku: string;
  isBundle: boolean;
  locations: LocationStockView[];
  totals: { onHand: number; allocated: number; quarantined: number; available: number; incoming?: number };
  components?: Array<{ sku: string; quantity: number; available: number }>;
  asOf?: string;
};

/**
 * Per-location stock of one SKU from its balance rows; `available` counts sellable locations only,
 * and is 0 everywhere for an inactive SKU (nothing can order or lease it, nor a bundle containing it).
 */
export function summarise(
  sku: Pick<SkuRow, 'id' | 'sku' | 'tracking' | 'min_remaining_shelf_life_days'> & {
    readonly active?: number;
  },
  rows: readonly BalanceView[],
  safety: ReadonlyMap<string, number>,
  today: string,
): StockView {
  const byLocation = new Map<string, BalanceView[]>();
  for (const r of rows) {
    const list = byLocation.get(r.locationCode) ?? [];
    list.push(r);
    byLocation.set(r.locationCode, list);
  }
  const locations: LocationStockView[] = [];
  for (const [code, list] of byLocation) {
    const first = list[0]!;
    const safetyStock = safety.get(`${sku.id}|${first.locationId}`) ?? 0;
    const view: LocationStockView = {
      location: code,
      sellable: first.sellable,
      bin: list.find((r) => r.binCode !== null)?.binCode ?? null,
      onHand: list.reduce((s, r) => s + r.onHand, 0),
      allocated: list.reduce((s, r) => s + r.allocated, 0),
      quarantined: list.reduce((s, r) => s + r.quarantined, 0),
      safetyStock,
      available:
        first.sellable && sku.active !== 0
          ? locationAvailable(list, safetyStock, today, sku.min_remaining_shelf_life_days)
          : 0,
    };
    if (sku.tracking !== 'none') {
      view.lots = list
        .filter((r) => r.lot !== null)
        .map((r) => {
          const sellable = lotSellable(r.lot, today, sku.min_remaining_shelf_life_days);
          return {
            lot: r.lot!.code,
            expiresOn: r.lot!.expiresOn,
            status: r.lot!.status,
            sellable,
            bin: r.binCode,
            onHand: r.onHand,
            allocated: r.allocated,
            quarantined: r.quarantined,
            available: sellable && first.sellable && sku.active !== 0 ? Math.max(0, free(r)) : 0,
          };
        });
    }
    locations.push(view);
  }
  const totals = {
    onHand: locations.reduce((s, l) => s + l.onHand, 0),
    allocated: locations.reduce((s, l) => s + l.allocated, 0),
    quarantined: locations.reduce((s, l) => s + l.quarantined, 0),
    available: locations.reduce((s, l) => s + l.available, 0),
  };
  return { sku: sku.sku, isBundle: false, locations, totals };
}

export async function stockOf(tx: Tx, sku: SkuRow): Promise<StockView> {
  const today = isoDate(nowIso());
  if (sku.is_bundle === 1) {
    const comps = await componentsOf(tx, [sku.id]);
    const ids = comps.map((c) => c.component_sku_id);
    const [rows, safety] = await Promise.all([balancesOf(tx, ids), safetyStockOf(tx, ids)]);
    const perComponent = comps.map((c) => {
      const view = summarise(
        {
          id: c.component_sku_id,
          sku: c.sku,
          tracking: c.tracking,
          min_remaining_shelf_life_days: c.min_remaining_shelf_life_days,
          active: c.active,
        },
        rows.filter((r) => r.skuId === c.component_sku_id),
        safety,
        today,
      );
      return { sku: c.sku, quantity: c.quantity, view };
    });
    // Per location, a bundle is available where all its components are.
    const codes = new Set(perComponent.flatMap((c) => c.view.locations.map((l) => l.location)));
    const locations: LocationStockView[] = [...codes].sort().map((code) => {
      const available =
        sku.active === 0
          ? 0
          : bundleAvailable(
              perComponent.map((c) => ({
                quantity: c.quantity,
                available: c.view.locations.find((l) => l.location === code)?.available ?? 0,
              })),
            );
      return {
        location: code,
        sellable: true,
        bin: null,
        onHand: 0,
        allocated: 0,
        quarantined: 0,
        safetyStock: 0,
        available,
      };
    });
    return {
      sku: sku.sku,
      isBundle: true,
      locations,
      totals: {
        onHand: 0,
        allocated: 0,
        quarantined: 0,
        available:
          sku.active === 0
            ? 0
            : bundleAvailable(
                perComponent.map((c) => ({ quantity: c.quantity, available: c.view.totals.available })),
              ),
      },
      components: perComponent.map((c) => ({
        sku: c.sku,
        quantity: c.quantity,
        available: c.view.totals.available,
      })),
    };
  }
  const [rows, safety, incoming] = await Promise.all([
    balancesOf(tx, [sku.id]),
    safetyStockOf(tx, [sku.id]),
    incomingTransfers(tx, [sku.id], null),
  ]);
  return withIncoming(tx, sku, summarise(sku, rows, safety, today), incoming, safety);
}

/**
 * Adds `incoming` (units in transit towards a location) to a SKU's stock view. A destination that
 * holds none of the SKU yet is listed too, with zero counters, so incoming stock is never hidden.
 */
async function withIncoming(
  tx: Tx,
  sku: Pick<SkuRow, 'id' | 'tracking'>,
  view: StockView,
  incoming: ReadonlyMap<string, number>,
  safety: ReadonlyMap<string, number>,
): Promise<StockView> {
  const byLocation = new Map<string, number>();
  for (const [key, quantity] of incoming) {
    const [skuId, locationId] = key.split('|') as [string, string];
    if (skuId === sku.id && quantity > 0) byLocation.set(locationId, quantity);
  }
  if (byLocation.size === 0) return view;
  const locations = await tx
    .selectFrom('locations')
    .select(['id', 'code', 'sellable'])
    .where('id', 'in', [...byLocation.keys()])
    .execute();
  let added = false;
  for (const l of locations) {
    const quantity = byLocation.get(l.id)!;
    const entry = view.locations.find((v) => v.location === l.code);
    if (entry) {
      entry.incoming = quantity;
      continue;
    }
    added = true;
    view.locations.push({
      location: l.code,
      sellable: l.sellable === 1,
      bin: null,
      onHand: 0,
      allocated: 0,
      quarantined: 0,
      safetyStock: safety.get(`${sku.id}|${l.id}`) ?? 0,
      available: 0,
      incoming: quantity,
      ...(sku.tracking !== 'none' ? { lots: [] } : {}),
    });
  }
  if (added) view.locations.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  view.totals.incoming = [...byLocation.values()].reduce((s, q) => s + q, 0);
  return view;
}

/** Stock of a SKU as it was at instant `at`, reconstructed from the ledger alone. */
export async function stockAsOf(tx: Tx, sku: SkuRow, at: string): Promise<StockView> {
  const [sums, locations, lots, safety, incoming] = await Promise.all([
    ledgerSums(tx, sku.id, at),
    tx.selectFrom('locations').select(['id', 'code', 'sellable']).execute(),
    tx
      .selectFrom('lots')
      .select(['id', 'code', 'expires_on', 'status'])
      .where('sku_id', '=', sku.id)
      .execute(),
    safetyStockOf(tx, [sku.id]),
    incomingTransfers(tx, [sku.id], at),
  ]);
  const loc = new Map(locations.map((l) => [l.id, l]));
  const lot = new Map(lots.map((l) => [l.id, l]));
  const rows: BalanceView[] = sums
    .filter((s) => s.onHand !== 0 || s.allocated !== 0 || s.quarantined !== 0)
    .map((s) => {
      const l = loc.get(s.locationId)!;
      const t = lot.get(s.lotId);
      return {
        locationId: s.locationId,
        locationCode: l.code,
        sellable: l.sellable === 1,
        lotId: s.lotId,
        binCode: null,
        onHand: s.onHand,
        allocated: s.allocated,
        quarantined: s.quarantined,
        lot: t ? { code: t.code, expiresOn: t.expires_on, status: t.status } : null,
      };
    })
    .sort((a, b) => a.locationCode.localeCompare(b.locationCode));
  const view = await withIncoming(tx, sku, summarise(sku, rows, safety, isoDate(at)), incoming, safety);
  return { ...view, asOf: at };
}
