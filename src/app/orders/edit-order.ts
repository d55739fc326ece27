/**
 * Order edits: change the line set (add, remove, change quantities or prices) or the address, and
 * re-allocate atomically. All of the order's allocations are released and the new line set is
 * routed in the same transaction, so the edit either fully applies or changes nothing. With
 * `onShortage: "reject"` an edit that cannot be allocated is refused with INSUFFICIENT_STOCK.
 */
import type { Tx } from '../../db/database.js';
import type { OrderLineTable } from '../../db/schema.js';
import { isoDate } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { assertOrderTransition } from '../../domain/orders/lifecycle.js';
import { routeOrder } from '../../domain/orders/routing.js';
import { skuKey } from '../../domain/sku-code.js';
import {
  applyAllocations,
  loadSnapshot,
  releaseAllocations,
  routingInput,
  sweepExpiredLeases,
  type Ctx,
} from './allocation.js';
import {
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
};

export async function editOrder(
  tx: Tx,
  id: string,
  input: EditInput,
  expectedVersion: number | null,
  ctx: Ctx,
): Promise<OrderView> {
  const order = await loadOrderForChange(tx, id, expectedVersion);
  if (order.status !== 'open' && order.status !== 'on_hold')
    assertOrderTransition(order.status, 'open', 'edit');
  const current = await tx
    .selectFrom('order_lines')
    .selectAll()
    .where('order_id', '=', id)
    .orderBy('line_no')
    .execute();
  if (current.some((l) => l.shipped_quantity > 0))
    throw new DomainError(
      'INVALID_TRANSITION',
      'An order that has started shipping cannot be edited; cancel lines instead.',
    );
  const wanted =
    input.lines ??
    current
      .filter((l) => l.quantity > 0)
      .map((l) => ({
        sku: l.sku,
        quantity: l.quantity,
        unitPriceMinor: l.unit_price_minor,
        discountMinor: l.discount_minor,
      }));
  const seen = new Set<string>();
  wanted.forEach((w, i) => {
    if (seen.has(skuKey(w.sku)))
      throw fieldError('VALIDATION_FAILED', `lines.${i}.sku`, 'list each SKU once');
    seen.add(skuKey(w.sku));
  });
  const resolved = await resolveLines(tx, wanted, ctx.at);

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
  const wantedLines: OrderLineTable[] = wanted.map((w, i) => {
    const sku = resolved.skus[i]!;
    const existing = next.find((l) => l.sku_id === sku.id);
    const unitPrice = w.unitPriceMinor ?? existing?.unit_price_minor ?? sku.price_minor;
    if (unitPrice === null || unitPrice === undefined)
      throw fieldError(
        'VALIDATION_FAILED',
        `lines.${i}.unitPriceMinor`,
        `SKU ${sku.sku} has no price; give unitPriceMinor`,
      );
    const discount = w.discountMinor ?? 0;
    if (discount > w.quantity * unitPrice)
      throw fieldError('VALIDATION_FAILED', `lines.${i}.discountMinor`, 'exceeds the line amount');
    const base: OrderLineTable = existing
      ? { ...existing, cancelled_quantity: current.find((c) => c.id === existing.id)!.cancelled_quantity }
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
        };
    const oldQuantity = current.find((c) => c.id === base.id)?.quantity ?? 0;
    const removed = Math.max(0, oldQuantity - w.quantity);
    return {
      ...base,
      quantity: w.quantity,
      cancelled_quantity: base.cancelled_quantity + removed,
      unit_price_minor: unitPrice,
      discount_minor: discount,
      total_minor: w.quantity * unitPrice - discount,
    };
  });
  const merged = next.map((l) => wantedLines.find((w) => w.id === l.id) ?? l);
  const added = wantedLines.filter((w) => !current.some((c) => c.id === w.id));

  // Release everything, then allocate the new line set.
  const touched = await releaseAllocations(
    tx,
    (await heldAllocationsOf(tx, id)).map((allocation) => ({ allocation })),
    ctx,
  );
  const today = isoDate(ctx.at);
  await sweepExpiredLeases(tx, resolved.stockedSkuIds, ctx);
  const snapshot = await loadSnapshot(tx, resolved.stockedSkuIds);
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
  );
  const saved = await saveOrder(tx, order, all, { shippingAddress: addressJson }, ctx);
  const summary = wanted.map((w) => `${w.quantity} × ${w.sku}`).join(', ');
  await record(
    tx,
    id,
    ctx,
    [
      {
        type: 'order.edited',
        message: input.lines ? `Lines changed to ${summary}` : 'Shipping address changed',
        data: input,
      },
      ...(await refundDueEntries(tx, order, saved.total_minor)),
    ],
    [
      {
        type: 'order.updated',
        aggregateType: 'order',
        aggregateId: id,
        payload: { orderId: id, totalMinor: saved.total_minor, fulfillmentStatus: saved.fulfillment_status },
      },
      ...stockEvents.map((e) => ({
        ...e,
        payload: {
          ...e.payload,
          sku: resolved.codes.get(e.aggregateId) ?? e.aggregateId,
        },
      })),
    ],
  );
  await emitStockChanged(
    tx,
    touched.filter((t) => !stockEvents.some((e) => e.aggregateId === t.skuId)),
    ctx.at,
  );
  return getOrder(tx, id);
}
