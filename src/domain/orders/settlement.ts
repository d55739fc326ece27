/**
 * How much of an order's payments to capture when its goods leave, and to refund when it was paid
 * for more than it now costs. Pure: the payment actions apply these under the order's lock, one
 * payment at a time, and the use-cases call the providers.
 *
 * A capture takes an authorisation only up to what the order still owes — its total now, after any
 * cancelled lines, less what its other payments hold — so a card authorised for 40.00 on an order
 * cut to 25.00 is charged 25.00 (Stripe releases the rest of a partial capture), and an
 * authorisation nothing is owed on any more is voided rather than charged.
 */

/**
 * What a capture of an authorisation of `authorizedMinor` may take; 0 when the order owes nothing
 * more (void it instead). `heldByOthersMinor`: what the order's other payments hold, captured less
 * refunded.
 */
export function captureLimit(authorizedMinor: number, totalMinor: number, heldByOthersMinor: number): number {
  return Math.max(0, Math.min(authorizedMinor, totalMinor - heldByOthersMinor));
}

/** A payment holding money: `refundableMinor` is captured less already refunded. */
export type HeldMoney = { readonly id: string; readonly refundableMinor: number };

/**
 * The next refund of an overpaid order: from the newest payment that holds money, at most what it
 * holds and what all the payments hold beyond `totalMinor` (0 for a cancelled order); null when the
 * order is not overpaid. Applied until null, it gives back exactly the overpayment.
 */
export function nextRefund(
  payments: readonly HeldMoney[],
  totalMinor: number,
): { readonly paymentId: string; readonly amountMinor: number } | null {
  const excess = payments.reduce((s, p) => s + p.refundableMinor, 0) - Math.max(0, totalMinor);
  if (excess <= 0) return null;
  const newest = [...payments].reverse().find((p) => p.refundableMinor > 0);
  return newest ? { paymentId: newest.id, amountMinor: Math.min(newest.refundableMinor, excess) } : null;
}
