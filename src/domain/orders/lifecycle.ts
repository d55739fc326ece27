/**
 * The order lifecycle. Three statuses move independently:
 * - `status`: what the business is doing with the order — a transition table, checked by
 *   `assertOrderTransition` before a command runs its side effects;
 * - `paymentStatus`: derived from the order's payments by `orderPaymentStatusOf`;
 * - `fulfillmentStatus`: derived from its lines by `fulfillmentStatusOf`.
 * The derived ones are functions of facts that only grow (captured, refunded, shipped), so they need
 * no table of their own: out-of-order and repeated events cannot move them backwards.
 */
import { DomainError } from '../errors.js';

export const orderTransitions = {
  open: ['on_hold', 'cancelled', 'completed'],
  // A hold has nothing left to hold once every unit still on the order has shipped (the rest was
  // cancelled while on hold): the order completes.
  on_hold: ['open', 'cancelled', 'completed'],
  completed: [],
  cancelled: [],
} as const satisfies Record<string, readonly string[]>;
export type OrderStatus = keyof typeof orderTransitions;

/** The status of one payment. */
export const paymentStatuses = [
  'pending',
  'authorized',
  'paid',
  'partially_refunded',
  'refunded',
  'failed',
  'voided',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const fulfillmentStatuses = [
  'unallocated',
  'backordered',
  'allocated',
  'partially_shipped',
  'shipped',
  'delivered',
] as const;
export type FulfillmentStatus = (typeof fulfillmentStatuses)[number];

/** Order-level payment status, summarised over all payments. */
export const orderPaymentStatuses = [
  'unpaid',
  'authorized',
  'partially_paid',
  'paid',
  'partially_refunded',
  'refunded',
  'failed',
] as const;
export type OrderPaymentStatus = (typeof orderPaymentStatuses)[number];

export function canTransition<T extends Record<string, readonly string[]>>(
  table: T,
  from: keyof T,
  to: string,
): boolean {
  return (table[from] as readonly string[]).includes(to);
}

/** Throws INVALID_TRANSITION unless the order may move from `from` to `to`. */
export function assertOrderTransition(from: string, to: OrderStatus, action: string): void {
  if (!(from in orderTransitions) || !canTransition(orderTransitions, from as OrderStatus, to)) {
    throw new DomainError(
      'INVALID_TRANSITION',
      `Cannot ${action} an order that is ${from.replace('_', ' ')}.`,
      [],
      { status: from, target: to },
    );
  }
}

export type LineState = {
  readonly quantity: number; // ordered and not cancelled
  readonly allocated: number; // in line units
  readonly backordered: number;
  readonly shipped: number;
};

/** The fulfilment status implied by the lines' quantities. */
export function fulfillmentStatusOf(lines: readonly LineState[], delivered = false): FulfillmentStatus {
  const active = lines.filter((l) => l.quantity > 0);
  if (active.length === 0) return 'unallocated';
  const shipped = active.reduce((s, l) => s + l.shipped, 0);
  const total = active.reduce((s, l) => s + l.quantity, 0);
  if (shipped > 0 && shipped >= total) return delivered ? 'delivered' : 'shipped';
  if (shipped > 0) return 'partially_shipped';
  if (active.some((l) => l.backordered > 0)) return 'backordered';
  if (active.every((l) => l.allocated + l.shipped >= l.quantity)) return 'allocated';
  return 'unallocated';
}

export type PaymentFacts = {
  readonly status: PaymentStatus;
  readonly amountMinor: number;
  readonly capturedMinor: number;
  readonly refundedMinor: number;
};

/**
 * The order's payment status from its payments, its total and its status. An order that owes
 * nothing (a free sample, a 100% discount) and has no money pending is `paid`, as Shopify and
 * Vendure count it — unless it was cancelled, which leaves nothing to have paid for.
 */
export function orderPaymentStatusOf(
  payments: readonly PaymentFacts[],
  totalMinor: number,
  orderStatus: OrderStatus,
): OrderPaymentStatus {
  const live = payments.filter((p) => p.status !== 'failed' && p.status !== 'voided');
  const captured = live.reduce((s, p) => s + p.capturedMinor, 0);
  const refunded = live.reduce((s, p) => s + p.refundedMinor, 0);
  const authorized = live.filter((p) => p.status === 'authorized').reduce((s, p) => s + p.amountMinor, 0);
  if (refunded > 0 && refunded >= captured) return 'refunded';
  if (refunded > 0) return 'partially_refunded';
  if (captured > 0 && captured >= totalMinor) return 'paid';
  if (captured > 0) return 'partially_paid';
  if (authorized > 0) return 'authorized';
  if (totalMinor <= 0 && orderStatus !== 'cancelled') return 'paid';
  if (payments.length > 0 && live.length === 0 && payments.some((p) => p.status === 'failed'))
    return 'failed';
  return 'unpaid';
}

/**
 * The status of one payment from the amounts a provider reported. Monotonic in the facts, so
 * provider events may arrive in any order, or twice, and the result is the same.
 */
export function paymentStatusOf(p: {
  authorized: boolean;
  failed: boolean;
  voided: boolean;
  amountMinor: number;
  capturedMinor: number;
  refundedMinor: number;
}): PaymentStatus {
  if (p.refundedMinor > 0) return p.refundedMinor >= p.capturedMinor ? 'refunded' : 'partially_refunded';
  if (p.capturedMinor > 0) return 'paid';
  if (p.voided) return 'voided';
  // An authorisation outranks a failed attempt: a PaymentIntent whose first card was declined can
  // be authorised by the next one, and a failure reported late (events arrive in any order) is
  // about an earlier attempt, not the authorisation the payment holds.
  if (p.authorized) return 'authorized';
  if (p.failed) return 'failed';
  return 'pending';
}
