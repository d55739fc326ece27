/**
 * A shipping address as an order keeps it: each line trimmed, as location addresses, names and
 * codes are, and an optional line left blank dropped — so that padding never reaches a label, and a
 * customer who sends the same address padded or not has it once in their address book.
 * Required lines are non-blank already (the API refuses a blank one), so they stay.
 */
export function tidyAddress<A extends Record<string, unknown>>(address: A): A {
  const required = new Set(['line1', 'city', 'postalCode', 'country']);
  return Object.fromEntries(
    Object.entries(address).flatMap(([k, v]) => {
      if (typeof v !== 'string') return [[k, v]];
      const trimmed = v.trim();
      return trimmed === '' && !required.has(k) ? [] : [[k, trimmed]];
    }),
  ) as A;
}

/** A customer's name as kept: trimmed; a blank one is no name. */
export function tidyName(name: string | undefined): string | undefined {
  const trimmed = name?.trim();
  return trimmed === '' ? undefined : trimmed;
}
