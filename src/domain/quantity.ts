/** Largest quantity or money amount Kibble accepts in one value; keeps sums far inside 2^53. */
export const MAX_QUANTITY = 1_000_000_000;
export const MAX_AMOUNT_MINOR = 100_000_000_000_000; // 10^14 minor units

/** True for a whole number within ±MAX_QUANTITY. */
export function isQuantity(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && Math.abs(n) <= MAX_QUANTITY;
}

/** Adds integers and fails loudly if the sum leaves the safe range (a bug, never an input error). */
export function safeSum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) {
    total += v;
    if (!Number.isSafeInteger(total)) throw new RangeError(`integer overflow summing ${v}`);
  }
  return total;
}
