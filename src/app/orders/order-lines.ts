/** Resolving order lines to SKUs, bundle components and the routing rules they need. */
import type { Tx } from '../../db/database.js';
import {
  componentsOf,
  findOrderableSkus,
  type CustomerMatch,
  type OrderableSku,
} from '../../db/catalog.repo.js';
import { DomainError, fieldError, type FieldError } from '../../domain/errors.js';
import { MAX_QUANTITY } from '../../domain/quantity.js';
import type { RoutingLine, RoutingSku } from '../../domain/orders/routing.js';
import { skuKey } from '../../domain/sku-code.js';

export type ResolvedLines = {
  /** The SKU row of each input line, in input order. */
  readonly skus: readonly OrderableSku[];
  /** Components of each bundle SKU id. */
  readonly components: ReadonlyMap<string, ReadonlyArray<{ skuId: string; quantity: number }>>;
  /** Routing rules for every stocked SKU involved (bundle components included). */
  readonly routingSkus: ReadonlyMap<string, RoutingSku>;
  /** Every stocked SKU id involved. */
  readonly stockedSkuIds: readonly string[];
  /** The SKU code of every SKU id involved (lines and components), for answers and events. */
  readonly codes: ReadonlyMap<string, string>;
  /**
   * Whether an expired reservation lease may still hold stock of these SKUs (always true with
   * bundles, whose components were not checked): then sweep before reading the snapshot.
   */
  readonly leasesToSweep: boolean;
  /**
   * Whether a bundle may contain one of the stocked SKUs (always true with bundle lines, whose
   * components were not checked): then their stock changes announce the bundles' too.
   */
  readonly inBundles: boolean;
  /** The customer with the e-mail key asked for (`null`: none yet); undefined when not asked. */
  readonly customer: CustomerMatch | null | undefined;
};

/**
 * Resolves every line's SKU; one UNKNOWN_SKU error names every line that does not exist (the last
 * one too), and VALIDATION_FAILED every inactive SKU (or bundle with an inactive component) — except
 * a line an edit keeps or reduces (`kept`): taking a SKU off sale stops new sales of it, not the
 * orders that already hold it. Nothing is written.
 */
export async function resolveLines(
  tx: Tx,
  lines: ReadonlyArray<{ sku: string; quantity?: number }>,
  at: string,
  {
    customerEmailKey,
    kept,
  }: {
    /** Also find the customer with this e-mail key, in the same statement. */
    customerEmailKey?: string;
    /** Units of each SKU id the order being edited has now: up to that many may stay off sale. */
    kept?: ReadonlyMap<string, number>;
  } = {},
): Promise<ResolvedLines> {
  const { skus: found, customer } = await findOrderableSkus(
    tx,
    lines.map((l) => l.sku),
    at,
    customerEmailKey,
  );
  const unknown: FieldError[] = [];
  const inactive: FieldError[] = [];
  const skus: OrderableSku[] = [];
  const keeps = (skuId: string, i: number) => (lines[i]!.quantity ?? Infinity) <= (kept?.get(skuId) ?? 0);
  lines.forEach((l, i) => {
    const row = found.get(skuKey(l.sku));
    if (!row) unknown.push({ field: `lines.${i}.sku`, message: `SKU ${l.sku} does not exist` });
    else if (row.active !== 1 && !keeps(row.id, i))
      inactive.push({ field: `lines.${i}.sku`, message: `SKU ${row.sku} is not active` });
    else skus.push(row);
  });
  if (unknown.length > 0)
    throw new DomainError('UNKNOWN_SKU', unknown.map((e) => e.message).join('; '), unknown);
  if (inactive.length > 0)
    throw new DomainError('VALIDATION_FAILED', inactive.map((e) => e.message).join('; '), inactive);

  const bundleIds = [...new Set(skus.filter((s) => s.is_bundle === 1).map((s) => s.id))];
  const componentRows = await componentsOf(tx, bundleIds);
  // A bundle sells its components: one taken off sale takes the bundle off sale too.
  const offSale: FieldError[] = [];
  skus.forEach((bundle, i) => {
    const part =
      bundle.is_bundle === 1 &&
      !keeps(bundle.id, i) &&
      componentRows.find((c) => c.bundle_sku_id === bundle.id && c.active !== 1);
    if (part)
      offSale.push({
        field: `lines.${i}.sku`,
        message: `bundle ${bundle.sku} contains ${part.sku}, which is not active`,
      });
  });
  if (offSale.length > 0)
    throw new DomainError('VALIDATION_FAILED', offSale.map((e) => e.message).join('; '), offSale);
  const components = groupComponents(componentRows);
  const routingSkus = new Map<string, RoutingSku>();
  const codes = new Map<string, string>(skus.map((s) => [s.id, s.sku]));
  for (const c of componentRows) {
    codes.set(c.component_sku_id, c.sku);
    routingSkus.set(c.component_sku_id, {
      tracking: c.tracking,
      minRemainingShelfLifeDays: c.min_remaining_shelf_life_days,
    });
  }
  for (const s of skus) {
    if (s.is_bundle !== 1)
      routingSkus.set(s.id, {
        tracking: s.tracking,
        minRemainingShelfLifeDays: s.min_remaining_shelf_life_days,
      });
  }
  const leasesToSweep = bundleIds.length > 0 || skus.some((s) => found.get(s.sku_key)?.leaseExpired === true);
  const inBundles = bundleIds.length > 0 || skus.some((s) => found.get(s.sku_key)?.inBundle === true);
  return {
    skus,
    components,
    routingSkus,
    stockedSkuIds: [...routingSkus.keys()],
    codes,
    leasesToSweep,
    inBundles,
    customer,
  };
}

type ComponentRow = { bundle_sku_id: string; component_sku_id: string; quantity: number };

function groupComponents(
  rows: readonly ComponentRow[],
): Map<string, Array<{ skuId: string; quantity: number }>> {
  const out = new Map<string, Array<{ skuId: string; quantity: number }>>();
  for (const r of rows) {
    const list = out.get(r.bundle_sku_id) ?? [];
    list.push({ skuId: r.component_sku_id, quantity: r.quantity });
    out.set(r.bundle_sku_id, list);
  }
  return out;
}

/** Components (SKU id, quantity per bundle unit) of the bundle SKUs among `lines`, keyed by bundle id. */
export async function componentQuantities(
  tx: Tx,
  lines: ReadonlyArray<{ sku_id: string }>,
): Promise<Map<string, Array<{ skuId: string; quantity: number }>>> {
  return groupComponents(await componentsOf(tx, [...new Set(lines.map((l) => l.sku_id))]));
}

/** Routing lines for quantities per input line (bundle lines carry their components). */
export function toRoutingLines(resolved: ResolvedLines, quantities: readonly number[]): RoutingLine[] {
  const out: RoutingLine[] = [];
  resolved.skus.forEach((s, i) => {
    const quantity = quantities[i]!;
    if (quantity <= 0) return;
    const components = resolved.components.get(s.id);
    for (const c of components ?? [])
      if (c.quantity * quantity > MAX_QUANTITY)
        throw fieldError(
          'VALIDATION_FAILED',
          `lines.${i}.quantity`,
          `${quantity} × ${s.sku} needs ${c.quantity * quantity} units of a component; at most ${MAX_QUANTITY} per line`,
        );
    out.push(
      components
        ? { lineIndex: i, skuId: s.id, quantity, components }
        : { lineIndex: i, skuId: s.id, quantity },
    );
  });
  return out;
}
