import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderPaymentStatusOf, orderTransitions, type OrderStatus, type PaymentFacts } from './lifecycle.js';

const none: PaymentFacts[] = [];
const authorized: PaymentFacts = {
  status: 'authorized',
  amountMinor: 500,
  capturedMinor: 0,
  refundedMinor: 0,
};
const failed: PaymentFacts = { status: 'failed', amountMinor: 500, capturedMinor: 0, refundedMinor: 0 };

describe('order payment status', () => {
  it('an order that owes nothing is paid unless cancelled, or money is still pending on it', () => {
    expect(orderPaymentStatusOf(none, 0, 'open')).toBe('paid');
    expect(orderPaymentStatusOf([failed], 0, 'completed')).toBe('paid');
    expect(orderPaymentStatusOf(none, 0, 'cancelled')).toBe('unpaid');
    expect(orderPaymentStatusOf([authorized], 0, 'open')).toBe('authorized');
    expect(orderPaymentStatusOf(none, 1, 'open')).toBe('unpaid');
  });

  it('a cancelled order is never paid without money captured', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(...(Object.keys(orderTransitions) as OrderStatus[])),
        (total, status) => {
          const s = orderPaymentStatusOf(none, total, status);
          expect(s === 'paid').toBe(total === 0 && status !== 'cancelled');
        },
      ),
    );
  });
});
