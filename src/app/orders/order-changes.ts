/**
 * Shared steps of the commands that change an existing order: the order row's lock, the version
 * bump, recomputing totals and statuses from the lines, and writing timeline + outbox together.
 */
import type { Tx } from '../../db/database.js';
import { lockRow } from '../../db/row-lock.js';
import type { OrderLineTable, OrderTable } from '../../db/schema.js';
import { DomainError } from '../../domain/errors.js';
import { versionAccepted, versionMismatch, type ExpectedVersions } from '../../domain/versions.js';
import { formatMinor } from '../../domain/money.js';
import {
  fulfillmentStatusOf,
  orderPaymentStatusOf,
  type OrderPaymentStatus,
  type OrderStatus,
  type PaymentStatus,
} from '../../domain/orders/lifecycle.js';
import { sumAmounts, taxFor, type TaxBasis } from '../../domain/orders/totals.js';
import { MAX_AMOUNT_MINOR } from '../../domain/quantity.js';
import { emit, type DomainEvent } from '../outbox.js';
import { ConcurrentChange, HELD_ALLOCATION_COLUMNS, type Ctx, type HeldAllocation } from './allocation.js';
import { insertTimeline } from './place-order.js';

/**
 * The order a command is about to change, its row locked first (see `lockOrderRow`): on PostgreSQL
 * every read the command makes after this one sees the order's lines and payments as the previous
 * change left them, so a command that lost a race to a shipment or a cancellation is told what
 * the order now is, not what part of it it read before the other committed.
 */
export async function loadOrderForChange(
  tx: Tx,
  id: string,
  expectedVersions: ExpectedVersions = null,
): Promise<OrderTable> {
  await lockRow(tx, 'orders', id);
  const order = await tx.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  if (!order)
    throw new DomainError('NOT_FOUND', `Order ${id} does not exist.`, [
      { field: 'id', message: 'no such order' },
    ]);
  if (expectedVersions !== null && !versionAccepted(expectedVersions, order.version))
    throw versionMismatch(`Order ${id}`, expectedVersions, order.version);
  return order;
}

/** The allocations an order or a lease holds, newest first. */
export async function heldAllocationsOf(tx: Tx, ownerId: string): Promise<HeldAllocation[]> {
  return tx
    .selectFrom('allocations')
    .select(HELD_ALLOCATION_COLUMNS)
    .where('owner_id', '=', ownerId)
    .orderBy('id', 'desc')
    .execute();
}

/**
 * Writes the order's new totals, fulfilment status and status, bumping `version` only if nobody
 * else changed the order since `order.version` was read (else ConcurrentChange: the command is retried).
 */
export async function saveOrder(
  tx: Tx,
  order: OrderTable,
  lines: readonly OrderLineTable[],
  changes: {
    status?: string;
    holdReason?: string | null;
    shippingAddress?: string | null;
    /** New shipping and tax, and the basis the tax was scaled from (`amountsAfter`, `NO_AMOUNTS`). */
    amounts?: OrderAmounts;
    /** Delivered: once set, it stays (the lines of a delivered order do not change). */
    delivered?: boolean;
  },
  ctx: Ctx,
): Promise<OrderTable> {
  const { amounts } = changes;
  const shipping = amounts?.shippingMinor ?? order.shipping_minor;
  const tax = amounts?.taxMinor ?? order.tax_minor;
  // Past the largest amount is VALIDATION_FAILED, as at capture, when a change raises the total (an
  // edit adding lines); a change that does not (cancel, ship, a backorder allocated) never fails
  // on it, whatever an older version of Kibble let an order total.
  const totals = sumAmounts(
    lines.map((l) => ({
      quantity: l.quantity,
      unitPriceMinor: l.unit_price_minor,
      discountMinor: l.discount_minor,
    })),
    { shippingMinor: shipping, taxMinor: tax },
    Math.max(MAX_AMOUNT_MINOR, order.subtotal_minor, order.total_minor),
    // Only an edit's lines can raise the total here (shipping and tax are not edited).
    'lines',
  );
  const fulfillment = fulfillmentStatusOf(
    lines.map((l) => ({
      quantity: l.quantity,
      allocated: l.quantity - l.backordered - l.shipped_quantity,
      backordered: l.backordered,
      shipped: l.shipped_quantity,
    })),
    changes.delivered ?? order.fulfillment_status === 'delivered',
  );
  // The total or the status may have changed: what the payments cover is measured against the new.
  const status = (changes.status ?? order.status) as OrderStatus;
  const paymentStatus =
    totals.totalMinor === order.total_minor && status === order.status
      ? order.payment_status
      : await paymentStatusFor(tx, order.id, totals.totalMinor, status);
  const next: OrderTable = {
    ...order,
    payment_status: paymentStatus,
    status,
    hold_reason: changes.holdReason !== undefined ? changes.holdReason : order.hold_reason,
    shipping_address:
      changes.shippingAddress !== undefined ? changes.shippingAddress : order.shipping_address,
    subtotal_minor: totals.subtotalMinor,
    discount_minor: totals.discountMinor,
    shipping_minor: shipping,
    tax_minor: tax,
    ...(amounts && {
      tax_basis_minor: amounts.taxBasis?.taxMinor ?? null,
      tax_basis_goods_minor: amounts.taxBasis?.goodsMinor ?? null,
    }),
    total_minor: totals.totalMinor,
    fulfillment_status: fulfillment,
    version: order.version + 1,
    updated_at: ctx.at,
  };
  const r = await tx
    .updateTable('orders')
    .set({
      status: next.status,
      hold_reason: next.hold_reason,
      shipping_address: next.shipping_address,
      subtotal_minor: next.subtotal_minor,
      discount_minor: next.discount_minor,
      shipping_minor: next.shipping_minor,
      tax_minor: next.tax_minor,
      tax_basis_minor: next.tax_basis_minor,
      tax_basis_goods_minor: next.tax_basis_goods_minor,
      total_minor: next.total_minor,
      fulfillment_status: next.fulfillment_status,
      payment_status: next.payment_status,
      version: next.version,
      updated_at: next.updated_at,
    })
    .where('id', '=', order.id)
    .where('version', '=', order.version)
    .executeTakeFirst();
  // A guard: every caller locks the order row before reading it, so no other transaction can have
  // moved the version since. Should one ever not, the command is retried with fresh reads (and a
  // client's stale If-Match is refused on the re-read) instead of overwriting the other's change.
  if (Number(r.numUpdatedRows) !== 1)
    throw new ConcurrentChange(`order ${order.id} changed concurrently; retrying`);
  return next;
}

export async function saveLines(tx: Tx, lines: readonly OrderLineTable[]): Promise<void> {
  for (const l of lines) {
    await tx
      .updateTable('order_lines')
      .set({
        quantity: l.quantity,
        cancelled_quantity: l.cancelled_quantity,
        shipped_quantity: l.shipped_quantity,
        backordered: l.backordered,
        unit_price_minor: l.unit_price_minor,
        discount_minor: l.discount_minor,
        total_minor: l.total_minor,
        discount_basis_quantity: l.discount_basis_quantity,
        discount_basis_minor: l.discount_basis_minor,
      })
      .where('id', '=', l.id)
      .execute();
  }
}

export async function record(
  tx: Tx,
  orderId: string,
  ctx: Ctx,
  timeline: ReadonlyArray<{ type: string; message: string; data?: unknown }>,
  events: readonly DomainEvent[],
): Promise<void> {
  await insertTimeline(
    tx,
    orderId,
    timeline.map((t) => ({ ...t, at: ctx.at, actor: ctx.actor })),
  );
  await emit(tx, ctx.at, events);
}

/** The order's payment status from its payments as they are now, against `totalMinor`. */
export async function paymentStatusFor(
  tx: Tx,
  orderId: string,
  totalMinor: number,
  orderStatus: OrderStatus,
): Promise<OrderPaymentStatus> {
  const payments = await tx
    .selectFrom('payments')
    .select(['status', 'amount_minor', 'captured_minor', 'refunded_minor'])
    .where('order_id', '=', orderId)
    .execute();
  return orderPaymentStatusOf(
    payments.map((p) => ({
      status: p.status as PaymentStatus,
      amountMinor: p.amount_minor,
      capturedMinor: p.captured_minor,
      refundedMinor: p.refunded_minor,
    })),
    totalMinor,
    orderStatus,
  );
}

/** What the order's payments hold: captured less refunded. */
export async function heldMoneyOf(tx: Tx, orderId: string): Promise<number> {
  const payments = await tx
    .selectFrom('payments')
    .select(['captured_minor', 'refunded_minor'])
    .where('order_id', '=', orderId)
    .execute();
  return payments.reduce((s, p) => s + p.captured_minor - p.refunded_minor, 0);
}

/**
 * Locks the order's row for the rest of the transaction (`lockRow`) and reads it. Payment actions
 * and provider webhooks take it before they touch a payment, always in that order.
 */
export async function lockOrderRow(tx: Tx, orderId: string) {
  await lockRow(tx, 'orders', orderId);
  return tx
    .selectFrom('orders')
    .select(['id', 'status', 'total_minor', 'currency'])
    .where('id', '=', orderId)
    .executeTakeFirst();
}

/**
 * After money was captured (by Kibble or, as a provider reports it, elsewhere): the entry asking for
 * a refund when the payments now hold more than the order costs — it was cancelled or cut while the
 * capture ran. Called by whichever transaction records the capture, so it is written once.
 */
export async function overpaymentEntries(
  tx: Tx,
  order: { id: string; status: string; total_minor: number; currency: string },
  capturedMinor: number,
  paymentId: string,
): Promise<Array<{ type: string; message: string; data?: unknown }>> {
  const excess = (await heldMoneyOf(tx, order.id)) - order.total_minor;
  if (excess <= 0) return [];
  if (order.status !== 'cancelled') return [refundDueEntry(excess, order.currency)];
  return [
    {
      type: 'payment.captured_after_cancel',
      message: `Payment ${paymentId} was captured (${formatMinor(capturedMinor, order.currency)}) after the order was cancelled: refund it`,
      data: { amountMinor: excess },
    },
  ];
}

/** The timeline entry asking a person to give back `excessMinor`. */
export const refundDueEntry = (excessMinor: number, currency: string) => ({
  type: 'payment.refund_due',
  message: `Paid ${formatMinor(excessMinor, currency)} more than the order now costs: refund it`,
  data: { amountMinor: excessMinor },
});

/**
 * The timeline entry that asks for a refund when a change cut the order's total below what its
 * payments hold (captured less refunded); none when the total did not fall or nothing is owed back.
 */
export async function refundDueEntries(
  tx: Tx,
  order: OrderTable,
  totalMinor: number,
): Promise<Array<{ type: string; message: string; data: unknown }>> {
  if (totalMinor >= order.total_minor) return [];
  const excess = (await heldMoneyOf(tx, order.id)) - totalMinor;
  return excess > 0 ? [refundDueEntry(excess, order.currency)] : [];
}

/**
 * Every unit still on the order has shipped (and it has some): nothing is left to do, so the order
 * completes — after the shipment that sends the last unit, a cancellation of the rest, or the
 * release of a hold on such an order.
 */
export const nothingLeftToShip = (
  lines: ReadonlyArray<Pick<OrderLineTable, 'quantity' | 'shipped_quantity'>>,
) => lines.some((l) => l.quantity > 0) && lines.every((l) => l.shipped_quantity >= l.quantity);

/** The timeline entry of an order that completed (its last shipment, a cancellation, a hold released). */
export const completedEntry = {
  type: 'order.completed',
  message: 'Completed: every unit left on the order was shipped',
} as const;

/** The outbox event of an order that completed, whatever completed it. */
export const completedEvent = (orderId: string): DomainEvent => ({
  type: 'order.completed',
  aggregateType: 'order',
  aggregateId: orderId,
  payload: { orderId, status: 'completed' },
});

/** An order's shipping and tax after a change, and the basis its tax was scaled from. */
export type OrderAmounts = {
  readonly shippingMinor: number;
  readonly taxMinor: number;
  /** What the tax was set at and for which goods; null when `taxMinor` is set for the goods as they are. */
  readonly taxBasis: TaxBasis | null;
};

/** A cancelled order's: it costs nothing, so shipping and tax go with it. */
export const NO_AMOUNTS: OrderAmounts = { shippingMinor: 0, taxMinor: 0, taxBasis: null };

type PricedLineRow = Pick<OrderLineTable, 'quantity' | 'unit_price_minor' | 'discount_minor'>;

/** Goods: what the lines come to, discounts taken off (the order's subtotal less its discounts). */
const goodsOf = (lines: readonly PricedLineRow[]) =>
  lines.reduce((s, l) => s + l.quantity * l.unit_price_minor - l.discount_minor, 0);

/**
 * Shipping and tax once the order's lines become `lines`: as the request states them (`given`), else
 * shipping as it was and the tax at the rate it was set at — scaled from its basis (migration
 * 0018) to the new goods, so a partial cancellation gives back the tax on what it cancelled and an
 * edit that adds goods charges it. Back at the basis' goods the tax is the basis' own again.
 */
export function amountsAfter(
  order: OrderTable,
  lines: readonly PricedLineRow[],
  given: { shippingMinor?: number | undefined; taxMinor?: number | undefined },
): OrderAmounts {
  const shippingMinor = given.shippingMinor ?? order.shipping_minor;
  if (given.taxMinor !== undefined) return { shippingMinor, taxMinor: given.taxMinor, taxBasis: null };
  const basis: TaxBasis =
    order.tax_basis_minor !== null && order.tax_basis_goods_minor !== null
      ? { taxMinor: order.tax_basis_minor, goodsMinor: order.tax_basis_goods_minor }
      : { taxMinor: order.tax_minor, goodsMinor: order.subtotal_minor - order.discount_minor };
  const goods = goodsOf(lines);
  if (goods === basis.goodsMinor) return { shippingMinor, taxMinor: basis.taxMinor, taxBasis: null };
  return { shippingMinor, taxMinor: taxFor(basis, goods), taxBasis: basis };
}

/**
 * What a change did to shipping and tax, for the timeline: `tax 1.00 USD → 0.50 USD` and the like,
 * one phrase for each that moved.
 */
export function amountChanges(order: OrderTable, after: OrderTable): string[] {
  const moved = (label: string, was: number, now: number) =>
    was === now ? [] : [`${label} ${formatMinor(was, order.currency)} → ${formatMinor(now, order.currency)}`];
  return [
    ...moved('shipping', order.shipping_minor, after.shipping_minor),
    ...moved('tax', order.tax_minor, after.tax_minor),
  ];
}

/** The quantity and discount a line's discount was set for (see migration 0012). */
export const discountBasisOf = (
  l: Pick<OrderLineTable, 'quantity' | 'discount_minor' | 'discount_basis_quantity' | 'discount_basis_minor'>,
) => ({
  quantity: l.discount_basis_quantity ?? l.quantity,
  discountMinor: l.discount_basis_minor ?? l.discount_minor,
});
