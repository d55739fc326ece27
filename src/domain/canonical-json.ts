/**
 * JSON with every object's keys sorted: one text for the same value whatever order a client's
 * serialiser wrote the keys in (array order is meaning, and stays). Requests are compared by it.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
