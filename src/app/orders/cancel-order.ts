/**
 * Full or partial cancellation. Cancelled units come off backorders first, then their allocations
 * are released (a `deallocation` movement each), so the stock is available again in the same
 * transaction. Cancelling what was not shipped of a partly shipped order completes it, on hold or
 * not. Errors:
 * NOT_FOUND, INVALID_TRANSITION (already cancelled or completed, or nothing left to cancel),
 * VALIDATION_FAILED (a line not on the order, or more than is left to cancel).
 */
import type { Tx } from '../../db/database.js';
import type { ExpectedVersions } from '../../domain/versions.js';
import type { OrderLineTable } from '../../db/schema.js';
import { DomainError, type FieldError } from '../../domain/errors.js';
import { assertOrderTransition } from '../../domain/orders/lifecycle.js';
import { discountFor } from '../../domain/orders/totals.js';
import { skuKey } from '../../domain/sku-code.js';
import { releaseAllocations, type Ctx, type HeldAllocation } from './allocation.js';
import {
  amountChanges,
  amountsAfter,
  completedEntry,
  completedEvent,
  discountBasisOf,
  heldAllocationsOf,
  loadOrderForChange,
  NO_AMOUNTS,
  nothingLeftToShip,
  record,
  refundDueEntries,
  saveLines,
  saveOrder,
} from './order-changes.js';
import { componentQuantities } from './order-lines.js';
import { getOrder, type OrderView } from './order-view.js';
import { emitStockChanged } from '../stock/availability.js';
import { nounFor, numbered } from '../../domain/plural.js';

export type CancelInput = {
  /** `line`: the order line's id, when the SKU is on several lines and one of them is meant. */
  lines?: ReadonlyArray<{ sku: string; quantity: number; line?: string | undefined }> | undefined;
  reason?: string | undefined;
  /** The order's shipping after a partial cancellation; left out, it stays. */
  shippingMinor?: number | undefined;
  /** The order's tax after a partial cancellation; left out, it is scaled to what is left (`amountsAfter`). */
  taxMinor?: number | undefined;
};

export async function cancelOrder(
  tx: Tx,
  id: string,
  input: CancelInput,
  ctx: Ctx,
  expected: ExpectedVersions = null,
): Promise<OrderView> {
  const order = await loadOrderForChange(tx, id, expected);
  assertOrderTransition(order.status, 'cancelled', 'cancel');
  const lines = await tx
    .selectFrom('order_lines')
    .selectAll()
    .where('order_id', '=', id)
    .orderBy('line_no')
    .execute();
  const held = await heldAllocationsOf(tx, id);
  const components = await componentQuantities(tx, lines);

  const wanted = new Map<string, number>(); // line id → units to cancel
  if (input.lines === undefined) {
    for (const l of lines) wanted.set(l.id, l.quantity - l.shipped_quantity);
  } else {
    const errors: FieldError[] = [];
    input.lines.forEach((c, i) => {
      let left = c.quantity;
      const named = lines.filter((x) => skuKey(x.sku) === skuKey(c.sku) && (c.line ?? x.id) === x.id);
      if (c.line !== undefined && named.length === 0) {
        errors.push({ field: `lines.${i}.line`, message: `is not a line of this order with ${c.sku}` });
        return;
      }
      for (const l of named) {
        const room = l.quantity - l.shipped_quantity - (wanted.get(l.id) ?? 0);
        const take = Math.min(room, left);
        if (take > 0) wanted.set(l.id, (wanted.get(l.id) ?? 0) + take);
        left -= take;
      }
      if (!lines.some((x) => skuKey(x.sku) === skuKey(c.sku)))
        errors.push({ field: `lines.${i}.sku`, message: `${c.sku} is not on this order` });
      else if (left > 0)
        errors.push({
          field: `lines.${i}.quantity`,
          message: `only ${numbered(c.quantity - left, 'unit')} of ${c.sku} ${nounFor(c.quantity - left, 'is', 'are')} left to cancel`,
        });
    });
    if (errors.length > 0)
      throw new DomainError(
        'VALIDATION_FAILED',
        errors.map((e) => `${e.field} ${e.message}`).join('; '),
        errors,
      );
  }

  const releases: Array<{ allocation: HeldAllocation; quantity: number }> = [];
  const next: OrderLineTable[] = lines.map((l) => {
    const cancel = wanted.get(l.id) ?? 0;
    if (cancel === 0) return l;
    const fromBackorder = Math.min(cancel, l.backordered);
    const fromAllocated = cancel - fromBackorder;
    // Release the allocated units: per component for bundles (units × component quantity).
    const perSku = components.get(l.sku_id) ?? [{ skuId: l.sku_id, quantity: 1 }];
    for (const c of perSku) {
      let left = fromAllocated * c.quantity;
      for (const a of held.filter((h) => h.order_line_id === l.id && h.sku_id === c.skuId)) {
        if (left === 0) break;
        const q = Math.min(left, a.quantity);
        releases.push({ allocation: a, quantity: q });
        left -= q;
      }
    }
    const quantity = l.quantity - cancel;
    const basis = discountBasisOf(l);
    // Never more than what is left of the line (a basis is never above its own amount, but stay safe).
    const discount = Math.min(discountFor(basis, quantity), quantity * l.unit_price_minor);
    return {
      ...l,
      discount_basis_quantity: basis.quantity,
      discount_basis_minor: basis.discountMinor,
      quantity,
      cancelled_quantity: l.cancelled_quantity + cancel,
      backordered: l.backordered - fromBackorder,
      discount_minor: discount,
      total_minor: quantity * l.unit_price_minor - discount,
    };
  });
  const units = [...wanted.values()].reduce((s, q) => s + q, 0);
  // What is left was all shipped: the order is done, as when a shipment sends the last unit — on
  // hold too, as nothing is left to hold. With nothing to cancel that is still worth doing for an
  // open order left in that state by an earlier version (which kept such orders on hold).
  const done = nothingLeftToShip(next);
  if (units === 0 && !(done && order.status === 'open'))
    throw new DomainError(
      'INVALID_TRANSITION',
      `Nothing is left to cancel on order ${id}: every unit was shipped or cancelled.`,
      [],
      { status: order.status },
    );
  const everything = next.every((l) => l.quantity === 0);
  // A cancelled order costs nothing: shipping and tax go with it, so a request cannot keep either.
  if (everything) {
    const kept = (['shippingMinor', 'taxMinor'] as const).filter((k) => (input[k] ?? 0) !== 0);
    if (kept.length > 0)
      throw new DomainError(
        'VALIDATION_FAILED',
        `This cancels the whole order, which then costs nothing: leave out ${kept.join(' and ')} or make ${kept.length > 1 ? 'them' : 'it'} 0.`,
        kept.map((field) => ({ field, message: 'must be 0 or left out when the whole order is cancelled' })),
      );
  }
  const touched = await releaseAllocations(tx, releases, ctx);
  await saveLines(tx, next);
  const saved = await saveOrder(
    tx,
    order,
    next,
    everything
      ? { status: 'cancelled', amounts: NO_AMOUNTS }
      : {
          amounts: amountsAfter(order, next, input),
          ...(done
            ? { status: 'completed', ...(order.status === 'on_hold' ? { holdReason: null } : {}) }
            : {}),
        },
    ctx,
  );
  const reason = input.reason ? ` (${input.reason})` : '';
  // What went back to stock: allocated units only (backordered ones held none), as stock units.
  const released = releases.reduce((n, r) => n + r.quantity, 0);
  const fromStock = released > 0 ? `; ${numbered(released, 'stock unit')} released` : '';
  // Money the payments took beyond what the order now costs is the customer's: say so (also when a
  // refund is to follow, which may yet fail or be skipped).
  const refundDue = await refundDueEntries(tx, order, saved.total_minor);
  await record(
    tx,
    id,
    ctx,
    [
      ...(units === 0
        ? []
        : [
            {
              type: everything ? 'order.cancelled' : 'order.lines_cancelled',
              message: everything
                ? `Order cancelled${reason}: ${numbered(units, 'unit')}${fromStock}`
                : [
                    `Cancelled ${numbered(units, 'unit')}${reason}${fromStock}`,
                    ...amountChanges(order, saved),
                  ].join('; '),
              data: { lines: input.lines ?? 'all' },
            },
          ]),
      ...(done ? [completedEntry] : []),
      ...refundDue,
    ],
    [
      {
        type: everything ? 'order.cancelled' : 'order.updated',
        aggregateType: 'order',
        aggregateId: id,
        payload: {
          orderId: id,
          status: saved.status,
          fulfillmentStatus: saved.fulfillment_status,
          cancelledUnits: units,
          totalMinor: saved.total_minor,
        },
      },
      ...(done ? [completedEvent(id)] : []),
    ],
  );
  await emitStockChanged(tx, touched, ctx.at);
  return getOrder(tx, id);
}
