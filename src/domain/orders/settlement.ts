/**
 * What to do with an order's open authorisations when its goods leave (capture) or when it is
 * cancelled (void). Pure: the use-case calls the providers.
 *
 * On shipment an authorisation is captured only up to what the order still owes — its total now,
 * after any cancelled lines, less what other payments already took — so a card authorised for
 * 40.00 on an order cut to 25.00 is charged 25.00 (Stripe releases the rest of a partial capture),
 * and an authorisation nothing is owed on any more is voided rather than charged.
 */

export type OpenAuthorization = { readonly id: string; readonly amountMinor: number };

export type SettlementStep =
  | { readonly paymentId: string; readonly action: 'capture'; readonly amountMinor: number }
  | { readonly paymentId: string; readonly action: 'void' };

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

/** A cancelled order owes nothing: every open authorisation is voided. */
export function voidPlan(authorizations: readonly OpenAuthorization[]): SettlementStep[] {
  return authorizations.map((a) => ({ paymentId: a.id, action: 'void' }));
}
