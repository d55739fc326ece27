/** The lines a shipping address must have: non-blank already (the API refuses a blank one). */
const REQUIRED = new Set(['line1', 'city', 'postalCode', 'country']);

/**
 * An address as Kibble keeps it — a location's or an order's: each line trimmed, as names and codes
 * are (and as a CSV import reads them), and an optional line left blank dropped — so that padding
 * never reaches a label, and a customer who sends the same address padded or not has it once in
 * their address book.
 */
export function tidyAddress<A extends Record<string, unknown>>(address: A): A {
  return Object.fromEntries(
    Object.entries(address).flatMap(([k, v]) => {
      if (typeof v !== 'string') return [[k, v]];
      const trimmed = v.trim();
      return trimmed === '' && !REQUIRED.has(k) ? [] : [[k, trimmed]];
    }),
  ) as A;
}

/** A customer's name as kept: trimmed; a blank one is no name. */
export function tidyName(name: string | undefined): string | undefined {
  const trimmed = name?.trim();
  return trimmed === '' ? undefined : trimmed;
}
