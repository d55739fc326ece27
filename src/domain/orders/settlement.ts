/**
 * How much of an order's payments to capture when its goods leave, and to refund when it was paid
 * for more than it now costs. Pure: the payment actions apply these under the order's lock, and
 * the use-cases call the providers.
 *
 * On shipment an authorisation is captured only up to what the order still owes — its total now,
 * after any cancelled lines, less what other payments already took — so a card authorised for
 * 40.00 on an order cut to 25.00 is charged 25.00 (Stripe releases the rest of a partial capture),
 * and an authorisation nothing is owed on any more is voided rather than charged.
 */

export type OpenAuthorization = { readonly id: string; readonly amountMinor: number };

export type SettlementStep =
  | { readonly paymentId: string; readonly action: 'capture' | 'refund'; readonly amountMinor: number }
  | { readonly paymentId: string; readonly action: 'void' };

/** A payment holding money: `refundableMinor` is captured less already refunded. */
export type HeldMoney = { readonly id: string; readonly refundableMinor: number };

/**
 * Captures for a shipment: authorisations in the order given (oldest first), each up to what is
 * still owed; `settledMinor` is what the order's other payments hold (captured less refunded).
 */
export function capturePlan(
  authorizations: readonly OpenAuthorization[],
  totalMinor: number,
  settledMinor: number,
): SettlementStep[] {
  let owed = Math.max(0, totalMinor - settledMinor);
  return authorizations.map((a) => {
    const amount = Math.min(a.amountMinor, owed);
    if (amount <= 0) return { paymentId: a.id, action: 'void' };
    owed -= amount;
    return { paymentId: a.id, action: 'capture', amountMinor: amount };
  });
}

/**
 * Refunds of what the order no longer owes: everything its payments hold beyond `totalMinor`
 * (zero for a cancelled order), taken from the newest payment first, each at most what it holds.
 */
export function refundPlan(payments: readonly HeldMoney[], totalMinor: number): SettlementStep[] {
  let excess = payments.reduce((s, p) => s + p.refundableMinor, 0) - Math.max(0, totalMinor);
  const steps: SettlementStep[] = [];
  for (const p of [...payments].reverse()) {
    if (excess <= 0) break;
    const amount = Math.min(p.refundableMinor, excess);
    if (amount <= 0) continue;
    steps.push({ paymentId: p.id, action: 'refund', amountMinor: amount });
    excess -= amount;
  }
  return steps;
}
