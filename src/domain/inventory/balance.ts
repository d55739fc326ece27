/**
 * Balance arithmetic. `available = on hand − allocated − quarantined − safety stock`, counted only
 * over lots that may be sold (not expired, not recalled), and never below zero.
 */
export type Counters = { readonly onHand: number; readonly allocated: number; readonly quarantined: number };

export type LotState = {
  readonly code: string;
  readonly expiresOn: string | null; // YYYY-MM-DD
  readonly status: 'active' | 'recalled';
};

/** Free units of one balance row: what is neither allocated nor quarantined. */
export function free(c: Counters): number {
  return c.onHand - c.allocated - c.quarantined;
}

/**
 * True when a lot may be sold or allocated on `today` (YYYY-MM-DD): not recalled, and its expiry,
 * if any, is at least `minRemainingDays` after today. A lot expiring today is already unsellable.
 */
export function lotSellable(lot: LotState | null, today: string, minRemainingDays = 0): boolean {
  if (lot === null) return true;
  if (lot.status !== 'active') return false;
  if (lot.expiresOn === null) return true;
  const limit = new Date(`${today}T00:00:00.000Z`);
  limit.setUTCDate(limit.getUTCDate() + minRemainingDays);
  return lot.expiresOn > limit.toISOString().slice(0, 10);
}

/**
 * Available units at one location from its balance rows and its safety stock. Lots that expire
 * within the SKU's minimum remaining shelf life cannot be allocated, so they are not available.
 */
export function locationAvailable(
  rows: ReadonlyArray<Counters & { readonly lot: LotState | null }>,
  safetyStock: number,
  today: string,
  minRemainingDays = 0,
): number {
  let sellable = 0;
  for (const r of rows) if (lotSellable(r.lot, today, minRemainingDays)) sellable += free(r);
  return Math.max(0, sellable - safetyStock);
}

/** A bundle's availability: the minimum over components of floor(component available / quantity). */
export function bundleAvailable(
  components: ReadonlyArray<{ readonly quantity: number; readonly available: number }>,
): number {
  if (components.length === 0) return 0;
  return Math.min(...components.map((c) => Math.floor(c.available / c.quantity)));
}
