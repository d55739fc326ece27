/**
 * Strings in code-unit order (not locale order): the same on every machine and in PostgreSQL's `C`
 * collation, which is what sorted lock orders and stable event orders need.
 */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
