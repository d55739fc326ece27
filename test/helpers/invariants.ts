/**
 * Whole-database invariants of stock and orders, checked with plain SQL after a concurrent or
 * random workload. Each returns human-readable violations; a healthy database gives [].
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../src/db/schema.js';
import { verifyBalances } from '../../src/db/stock.repo.js';

/**
 * - every balance: counters ≥ 0 and allocated + quarantined ≤ on hand (available never negative);
 * - balances.allocated = Σ allocations.quantity per (sku, location, lot), both ways;
 * - balances = Σ ledger movements (`verifyBalances`);
 * - every order: total = subtotal − discount + shipping + tax, subtotal = Σ quantity × unit price,
 *   discount = Σ line discounts, each line total = quantity × unit price − discount;
 * - every open or held order line is fully allocated except its backordered units (bundles: per
 *   component), nothing more; cancelled orders hold no stock;
 * - every reservation allocation belongs to an active lease.
 */
export async function stockAndOrderViolations(database: Kysely<DB>): Promise<string[]> {
  // One consistent snapshot: background work (the lease-expiry job) may commit between statements.
  return database
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((tx) => violationsIn(tx));
}

async function violationsIn(db: Transaction<DB>): Promise<string[]> {
  const out: string[] = [];
  const balances = await db.selectFrom('balances').selectAll().execute();
  const allocations = await db.selectFrom('allocations').selectAll().execute();
  const key = (s: string, l: string, t: string) => `${s}|${l}|${t}`;

  const allocatedByKey = new Map<string, number>();
  for (const a of allocations) {
    const k = key(a.sku_id, a.location_id, a.lot_id);
    allocatedByKey.set(k, (allocatedByKey.get(k) ?? 0) + a.quantity);
  }
  const balanceKeys = new Set<string>();
  for (const b of balances) {
    const k = key(b.sku_id, b.location_id, b.lot_id);
    balanceKeys.add(k);
    if (b.on_hand < 0 || b.allocated < 0 || b.quarantined < 0) {
      out.push(`balance ${k} has a negative counter: ${JSON.stringify(b)}`);
    }
    if (b.allocated + b.quarantined > b.on_hand) {
      out.push(
        `balance ${k} has negative availability: on_hand=${b.on_hand} allocated=${b.allocated} quarantined=${b.quarantined}`,
      );
    }
    const sum = allocatedByKey.get(k) ?? 0;
    if (sum !== b.allocated)
      out.push(`balance ${k}: allocated=${b.allocated} but allocation rows sum to ${sum}`);
  }
  for (const [k, sum] of allocatedByKey) {
    if (!balanceKeys.has(k)) out.push(`allocation rows for ${k} (sum ${sum}) have no balance row`);
  }

  for (const d of await verifyBalances(db)) out.push(`ledger differs: ${JSON.stringify(d)}`);

  const orders = await db.selectFrom('orders').selectAll().execute();
  const lines = await db.selectFrom('order_lines').selectAll().execute();
  const components = await db.selectFrom('bundle_components').selectAll().execute();
  const componentsOf = new Map<string, Array<{ skuId: string; quantity: number }>>();
  for (const c of components) {
    const list = componentsOf.get(c.bundle_sku_id) ?? [];
    list.push({ skuId: c.component_sku_id, quantity: c.quantity });
    componentsOf.set(c.bundle_sku_id, list);
  }
  const linesOf = new Map<string, typeof lines>();
  for (const l of lines) linesOf.set(l.order_id, [...(linesOf.get(l.order_id) ?? []), l]);
  const byLine = new Map<string, Map<string, number>>();
  for (const a of allocations) {
    if (a.owner_type !== 'order') continue;
    if (a.order_line_id === null) {
      out.push(`order allocation ${a.id} has no order line`);
      continue;
    }
    const m = byLine.get(a.order_line_id) ?? new Map<string, number>();
    m.set(a.sku_id, (m.get(a.sku_id) ?? 0) + a.quantity);
    byLine.set(a.order_line_id, m);
  }
  const lineIds = new Set(lines.map((l) => l.id));
  for (const lineId of byLine.keys()) {
    if (!lineIds.has(lineId)) out.push(`allocations point at order line ${lineId}, which does not exist`);
  }

  for (const o of orders) {
    const ls = linesOf.get(o.id) ?? [];
    if (o.total_minor !== o.subtotal_minor - o.discount_minor + o.shipping_minor + o.tax_minor) {
      out.push(`order ${o.id}: total ${o.total_minor} ≠ subtotal − discount + shipping + tax`);
    }
    const subtotal = ls.reduce((s, l) => s + l.quantity * l.unit_price_minor, 0);
    const discount = ls.reduce((s, l) => s + l.discount_minor, 0);
    if (subtotal !== o.subtotal_minor)
      out.push(`order ${o.id}: subtotal ${o.subtotal_minor} but lines add up to ${subtotal}`);
    if (discount !== o.discount_minor)
      out.push(`order ${o.id}: discount ${o.discount_minor} but line discounts add up to ${discount}`);
    const holdsStock = o.status === 'open' || o.status === 'on_hold';
    for (const l of ls) {
      if (l.total_minor !== l.quantity * l.unit_price_minor - l.discount_minor) {
        out.push(`order ${o.id} line ${l.line_no}: total ${l.total_minor} ≠ quantity × price − discount`);
      }
      if (l.backordered < 0 || l.backordered > l.quantity)
        out.push(`order ${o.id} line ${l.line_no}: backordered ${l.backordered} outside 0..${l.quantity}`);
      const got = byLine.get(l.id) ?? new Map<string, number>();
      const perUnit = componentsOf.get(l.sku_id) ?? [{ skuId: l.sku_id, quantity: 1 }];
      const units = holdsStock ? l.quantity - l.backordered - l.shipped_quantity : 0;
      const expected = new Map(perUnit.map((c) => [c.skuId, units * c.quantity]));
      for (const [skuId, q] of expected) {
        if ((got.get(skuId) ?? 0) !== q) {
          out.push(
            `order ${o.id} (${o.status}) line ${l.line_no} ${l.sku}: ${got.get(skuId) ?? 0} unit(s) of ${skuId} allocated, expected ${q}`,
          );
        }
      }
      for (const [skuId, q] of got) {
        if (!expected.has(skuId))
          out.push(`order ${o.id} line ${l.line_no}: unexpected allocation of ${q} × ${skuId}`);
      }
    }
  }

  const reservationIds = [
    ...new Set(allocations.filter((a) => a.owner_type === 'reservation').map((a) => a.owner_id)),
  ];
  if (reservationIds.length > 0) {
    const leases = await db
      .selectFrom('reservations')
      .select(['id', 'status'])
      .where('id', 'in', reservationIds)
      .execute();
    const status = new Map(leases.map((r) => [r.id, r.status]));
    for (const id of reservationIds) {
      if (status.get(id) !== 'active')
        out.push(`reservation ${id} is ${status.get(id) ?? 'missing'} but still holds stock`);
    }
  }
  return out;
}
