/**
 * Order edits: change the line set (add, remove, change quantities or prices) or the address.
 * A line edit releases all of the order's allocations and routes the new line set in the same
 * transaction, so it either fully applies or changes nothing; the order may take back what it held
 * even where that dips into safety stock or its location was taken off sale since (never more
 * there). With `onShortage: "reject"` an edit that cannot be allocated is refused with
 * INSUFFICIENT_STOCK. An address-only edit keeps the allocations as they
 * are (the stock may already be picked).
 */
import { tidyAddress } from '../../domain/address.js';
import type { Tx } from '../../db/database.js';
import type { OrderLineTable, OrderTable } from '../../db/schema.js';
import { balanceKeyOf, lockBalances } from '../../db/stock.repo.js';
import { byCodeUnits } from '../../domain/code-units.js';
import { isoDate } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { formatMinor } from '../../domain/money.js';
import type { ExpectedVersions } from '../../domain/versions.js';
import { assertOrderTransition } from '../../domain/orders/lifecycle.js';
import { routeOrder, type Allocation } from '../../domain/orders/routing.js';
import { assertLinesPriced, discountFor, type PricedLine } from '../../domain/orders/totals.js';
import { skuKey } from '../../domain/sku-code.js';
import {
  applyAllocations,
  loadSnapshot,
  notReallocated,
  releaseAllocations,
  routingInput,
  sweepExpiredLeases,
  withHeldOffSale,
  type Ctx,
  type HeldAllocation,
  type Snapshot,
} from './allocation.js';
import {
  amountChanges,
  amountsAfter,
  discountBasisOf,
  heldAllocationsOf,
  loadOrderForChange,
  record,
  refundDueEntries,
  saveLines,
  saveOrder,
} from './order-changes.js';
import { resolveLines, toRoutingLines } from './order-lines.js';
import { getOrder, type OrderView } from './order-view.js';
import { shortageError, type ShippingAddress } from './place-order.js';
import { emitStockChanged } from '../stock/availability.js';

export type EditInput = {
  lines?:
    | ReadonlyArray<{
        sku: string;
        quantity: number;
        unitPriceMinor?: number | undefined;
        discountMinor?: number | undefined;
      }>
    | undefined;
  shippingAddress?: ShippingAddress | undefined;
  /** The order's new shipping; left out, it stays. */
  shippingMinor?: number | undefined;
  /** The order's new tax; left out, a line edit scales it to the new goods (`amountsAfter`). */
  taxMinor?: number | undefined;
};

export async function editOrder(
  tx: Tx,
  id: string,
  request: EditInput,
  expectedVersions: ExpectedVersions,
  ctx: Ctx,
): Promise<OrderView> {
  const input: EditInput = {
    ...request,
    shippingAddress: request.shippingAddress && tidyAddress(request.shippingAddress),
  };
  const order = await loadOrderForChange(tx, id, expectedVersions);
  if (order.status !== 'open' && order.status !== 'on_hold')
    assertOrderTransition(order.status, 'open', 'edit');
  const current = await tx
    .selectFrom('order_lines')
    .selectAll()
    .where('order_id', '=', id)
    .orderBy('line_no')
    .execute();
  // Shipments went to the order's address; it has one, so it cannot change under them.
  if (current.some((l) => l.shipped_quantity > 0))
    throw new DomainError(
      'INVALID_TRANSITION',
      'An order that has started shipping cannot be edited; cancel lines instead.',
    );
  if (input.lines === undefined) return changeDetails(tx, order, current, input, ctx);
  const wanted = input.lines;
  const seen = new Set<string>();
  wanted.forEach((w, i) => {
    if (seen.has(skuKey(w.sku)))
      throw fieldError('VALIDATION_FAILED', `lines.${i}.sku`, 'list each SKU once');
    seen.add(skuKey(w.sku));
  });
  // What the order has now may stay on it even if taken off sale since; only more of it is refused.
  const kept = new Map<string, number>();
  for (const l of current) kept.set(l.sku_id, (kept.get(l.sku_id) ?? 0) + l.quantity);
  const resolved = await resolveLines(tx, wanted, ctx.at, { kept });

  // Next line set: matching SKUs keep their line (and history), removed ones drop to zero, new ones append.
  let lineNo = current.reduce((m, l) => Math.max(m, l.line_no), 0);
  const next: OrderLineTable[] = current.map((l) => ({
    ...l,
    quantity: 0,
    backordered: 0,
    discount_minor: 0,
    total_minor: 0,
    cancelled_quantity: l.cancelled_quantity + l.quantity,
  }));
  const priced: PricedLine[] = [];
  const wantedLines: OrderLineTable[] = wanted.map((w, i) => {
    const sku = resolved.skus[i]!;
    const existing = next.find((l) => l.sku_id === sku.id);
    // A new line without a price takes the catalog's, if it is in the order's currency.
    const listPrice = sku.currency === order.currency ? sku.price_minor : null;
    const unitPrice = w.unitPriceMinor ?? existing?.unit_price_minor ?? listPrice;
    if (unitPrice === null || unitPrice === undefined)
      throw fieldError(
        'VALIDATION_FAILED',
        `lines.${i}.unitPriceMinor`,
        sku.price_minor === null
          ? `SKU ${sku.sku} has no price; give unitPriceMinor`
          : `SKU ${sku.sku} is priced in ${sku.currency} and the order is in ${order.currency}; give unitPriceMinor`,
      );
    const before = current.find((c) => c.id === existing?.id);
    // Not given: a kept line keeps its discount per unit (pro rata from the quantity and discount it
    // was set for, as a partial cancel does), within its new amount; a new line has none.
    // A new unit price starts a new basis: the discount it leaves, capped at the line's new amount.
    const kept =
      w.discountMinor === undefined && before && before.quantity > 0 ? discountBasisOf(before) : null;
    const discount =
      w.discountMinor ?? (kept ? Math.min(discountFor(kept, w.quantity), w.quantity * unitPrice) : 0);
    const basis = kept && unitPrice === before!.unit_price_minor ? kept : null;
    priced[i] = { quantity: w.quantity, unitPriceMinor: unitPrice, discountMinor: discount };
    const base: OrderLineTable = existing
      ? { ...existing, cancelled_quantity: before!.cancelled_quantity }
      : {
          id: newId('orderLine'),
          order_id: id,
          line_no: ++lineNo,
          sku_id: sku.id,
          sku: sku.sku,
          name: sku.name,
          quantity: 0,
          cancelled_quantity: 0,
          shipped_quantity: 0,
          backordered: 0,
          unit_price_minor: unitPrice,
          discount_minor: 0,
          total_minor: 0,
          discount_basis_quantity: null,
          discount_basis_minor: null,
        };
    // Units removed count as cancelled; units added back first undo earlier cancellations, so a
    // line never shows more cancelled than it ever had.
    const change = w.quantity - (before?.quantity ?? 0);
    return {
      ...base,
      quantity: w.quantity,
      cancelled_quantity: Math.max(0, base.cancelled_quantity - change),
      unit_price_minor: unitPrice,
      discount_minor: discount,
      total_minor: w.quantity * unitPrice - discount,
      discount_basis_quantity: basis?.quantity ?? null,
      discount_basis_minor: basis?.discountMinor ?? null,
    };
  });
  assertLinesPriced(priced);
  const merged = next.map((l) => wantedLines.find((w) => w.id === l.id) ?? l);
  const added = wantedLines.filter((w) => !current.some((c) => c.id === w.id));

  // Release everything, then allocate the new line set; what the order held it may take back. Every
  // balance either step touches is locked first, so the two are one sorted step (`lockBalances`).
  const holding = await heldAllocationsOf(tx, id);
  await lockBalances(tx, [...holding.map((a) => a.sku_id), ...resolved.stockedSkuIds]);
  const touched = await releaseAllocations(
    tx,
    holding.map((allocation) => ({ allocation })),
    ctx,
  );
  const today = isoDate(ctx.at);
  touched.push(...(await sweepExpiredLeases(tx, resolved.stockedSkuIds, ctx)));
  // What the order held, by lot: it may take that back where the lot is now inside the minimum shelf
  // life or the location was taken off sale since, and no more there.
  const held = holding.map((a) => ({
    skuId: a.sku_id,
    locationId: a.location_id,
    lotId: a.lot_id,
    quantity: a.quantity,
  }));
  const snapshot = await withHeldOffSale(
    tx,
    await loadSnapshot(tx, resolved.stockedSkuIds),
    resolved.stockedSkuIds,
    held,
  );
  const addressJson = input.shippingAddress ? JSON.stringify(input.shippingAddress) : order.shipping_address;
  const address = addressJson ? (JSON.parse(addressJson) as { lat?: number; lon?: number }) : null;
  const shipTo =
    address?.lat !== undefined && address.lon !== undefined ? { lat: address.lat, lon: address.lon } : null;
  const routed = routeOrder(
    routingInput(
      snapshot,
      toRoutingLines(
        resolved,
        wanted.map((w) => w.quantity),
      ),
      resolved.routingSkus,
      shipTo,
      today,
      order.on_shortage,
      held,
    ),
  );
  if (!routed.ok) throw shortageError(routed.shortages, wanted);
  const lineIdOf = (i: number) => wantedLines[i]!.id;
  for (const p of routed.plan.lines) {
    const target =
      merged.find((l) => l.id === lineIdOf(p.lineIndex)) ?? added.find((l) => l.id === lineIdOf(p.lineIndex));
    if (target) target.backordered = p.backordered;
  }
  await saveLines(tx, merged);
  if (added.length > 0) await tx.insertInto('order_lines').values(added).execute();
  const all = [...merged, ...added];
  const stockEvents = await applyAllocations(
    tx,
    routed.plan.decrements,
    routed.plan.lines.flatMap((p) =>
      p.allocations.map((allocation) => ({ lineId: lineIdOf(p.lineIndex), allocation })),
    ),
    { type: 'order', id },
    snapshot,
    ctx,
    today,
    { inBundles: resolved.inBundles },
  );
  const saved = await saveOrder(
    tx,
    order,
    all,
    { shippingAddress: addressJson, amounts: amountsAfter(order, all, input) },
    ctx,
  );
  // A line the edit removed may have held stock where the new lines draw on none (so the snapshot
  // does not name it): the timeline names those locations by their codes too, not their ids.
  const unnamed = [...new Set(holding.map((a) => a.location_id))].filter(
    (l) => !snapshot.rows.some((r) => r.locationId === l),
  );
  const formerCodes =
    unnamed.length === 0
      ? []
      : await tx.selectFrom('locations').select(['id', 'code']).where('id', 'in', unnamed).execute();
  const moved = reallocation(
    holding,
    routed.plan.decrements,
    all.flatMap((l) => {
      const was = current.find((c) => c.id === l.id)?.backordered ?? 0;
      return l.backordered === was ? [] : [{ sku: l.sku, backordered: l.backordered, was }];
    }),
    snapshot,
    formerCodes,
  );
  // Each line's price when the edit set a new one (or the line is new).
  const summary = wanted
    .map((w, i) => {
      const price = priced[i]!.unitPriceMinor;
      const was = current.find((c) => c.id === wantedLines[i]!.id);
      const newPrice = !was || was.unit_price_minor !== price;
      return `${w.quantity} × ${w.sku}${newPrice ? ` at ${formatMinor(price, order.currency)}` : ''}`;
    })
    .join(', ');
  await record(
    tx,
    id,
    ctx,
    [
      {
        type: 'order.edited',
        message: [
          `Lines changed to ${summary}`,
          ...(input.shippingAddress ? ['shipping address changed'] : []),
          ...amountChanges(order, saved),
        ].join('; '),
        data: input,
      },
      ...moved.timeline,
      ...(await refundDueEntries(tx, order, saved.total_minor)),
    ],
    [
      {
        type: 'order.updated',
        aggregateType: 'order',
        aggregateId: id,
        payload: { orderId: id, totalMinor: saved.total_minor, fulfillmentStatus: saved.fulfillment_status },
      },
      ...moved.events.map((e) => ({
        ...e,
        aggregateType: 'order',
        aggregateId: id,
        payload: { orderId: id, ...e.payload, fulfillmentStatus: saved.fulfillment_status },
      })),
      ...stockEvents,
    ],
  );
  await emitStockChanged(tx, notReallocated(touched, routed.plan.decrements), ctx.at);
  return getOrder(tx, id);
}

/**
 * A new shipping address, shipping or tax — whichever the edit gives; allocations and lines stay as
 * they are.
 */
async function changeDetails(
  tx: Tx,
  order: OrderTable,
  lines: readonly OrderLineTable[],
  input: EditInput,
  ctx: Ctx,
): Promise<OrderView> {
  const address = input.shippingAddress;
  const amounts =
    input.shippingMinor === undefined && input.taxMinor === undefined
      ? undefined
      : amountsAfter(order, lines, input);
  const saved = await saveOrder(
    tx,
    order,
    lines,
    {
      ...(address ? { shippingAddress: JSON.stringify(address) } : {}),
      ...(amounts ? { amounts } : {}),
    },
    ctx,
  );
  const changed = [...(address ? ['shipping address changed'] : []), ...amountChanges(order, saved)];
  await record(
    tx,
    order.id,
    ctx,
    [
      {
        type: 'order.edited',
        message: capitalized(changed.join('; ') || 'shipping and tax unchanged'),
        data: input,
      },
      ...(await refundDueEntries(tx, order, saved.total_minor)),
    ],
    [
      {
        type: 'order.updated',
        aggregateType: 'order',
        aggregateId: order.id,
        payload: {
          orderId: order.id,
          totalMinor: saved.total_minor,
          fulfillmentStatus: saved.fulfillment_status,
        },
      },
    ],
  );
  return getOrder(tx, order.id);
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Where the edit moved the order's stock, when it did: an `order.allocated` entry and event naming
 * the locations the order now draws on and those it drew on before; and the backorders it changed
 * (`backorders`: lines whose backordered quantity moved, to zero too) as an `order.backordered`
 * entry, with an event listing the lines still waiting.
 */
function reallocation(
  before: readonly HeldAllocation[],
  after: readonly Allocation[],
  backorders: ReadonlyArray<{ sku: string; backordered: number; was: number }>,
  snapshot: Snapshot,
  formerCodes: ReadonlyArray<{ id: string; code: string }>,
): {
  timeline: Array<{ type: string; message: string }>;
  events: Array<{ type: string; payload: Record<string, unknown> }>;
} {
  const codes = new Map([
    ...formerCodes.map((l) => [l.id, l.code] as const),
    ...snapshot.rows.map((r) => [r.locationId, r.locationCode] as const),
  ]);
  const at = (units: ReadonlyArray<{ locationId: string; quantity: number }>) => {
    const per = new Map<string, number>();
    for (const u of units) {
      const code = codes.get(u.locationId) ?? u.locationId;
      per.set(code, (per.get(code) ?? 0) + u.quantity);
    }
    return [...per]
      .sort(([a], [b]) => byCodeUnits(a, b))
      .map(([code, q]) => `${q} at ${code}`)
      .join(', ');
  };
  const summed = (
    units: ReadonlyArray<{ skuId: string; locationId: string; lotId: string; quantity: number }>,
  ) => {
    const m = new Map<string, number>();
    for (const u of units) m.set(balanceKeyOf(u), (m.get(balanceKeyOf(u)) ?? 0) + u.quantity);
    return [...m].sort(([a], [b]) => byCodeUnits(a, b)).join(';');
  };
  const was = before.map((a) => ({
    skuId: a.sku_id,
    locationId: a.location_id,
    lotId: a.lot_id,
    quantity: a.quantity,
  }));
  const timeline: Array<{ type: string; message: string }> = [];
  const events: Array<{ type: string; payload: Record<string, unknown> }> = [];
  if (summed(was) !== summed(after) && after.length > 0) {
    timeline.push({
      type: 'order.allocated',
      message: `Re-allocated: ${at(after)}${was.length > 0 ? `; before: ${at(was)}` : ''}`,
    });
    // As a capture's order.allocated: the locations the order now draws on.
    const locations = [...new Set(after.map((a) => codes.get(a.locationId) ?? a.locationId))].sort();
    events.push({ type: 'order.allocated', payload: { locations, reallocated: true } });
  }
  if (backorders.length > 0) {
    timeline.push({
      type: 'order.backordered',
      message: `Backorders: ${backorders.map((l) => `${l.backordered} × ${l.sku} (was ${l.was})`).join(', ')}`,
    });
    const waiting = backorders.filter((l) => l.backordered > 0);
    if (waiting.length > 0)
      events.push({
        type: 'order.backordered',
        payload: { lines: waiting.map((l) => ({ sku: l.sku, quantity: l.backordered })) },
      });
  }
  return { timeline, events };
}
