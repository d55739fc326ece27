/**
 * An order's short number: the last eight hex digits of its id (stored in lower case), shown by the
 * admin as `#F4AFBB5B` (web/src/lib/format.ts `shortId`). The tail of a UUIDv7 is random, so two orders rarely share
 * it; its head is a timestamp that orders placed in the same minute share.
 */

/**
 * The short number a search names (`#F4AFBB5B`, `f4afbb5b`: any case, an optional leading `#`),
 * in the stored form; null when the text is no short number.
 */
export function shortNumberSearched(q: string): string | null {
  const m = /^#?([0-9a-f]{8})$/i.exec(q.trim());
  return m ? m[1]!.toLowerCase() : null;
}
