/** Timestamps are ISO-8601 UTC strings with milliseconds; they sort as text on every database. */
export type Instant = string;

export function nowIso(): Instant {
  return new Date().toISOString();
}

/**
 * How old a command's instant may be and still be a live request waiting its turn. Older (or later
 * than now) is an instant given on purpose — the demo's order history, a test's clock — and kept.
 */
const LIVE_MS = 60_000;

/**
 * The instant a ledger movement takes effect. For a live command (its instant `at` within the last
 * minute), now: taken once the balance's row is updated — on PostgreSQL, under that row's lock, held
 * to commit — so the movements of one balance carry instants in the order they were applied,
 * whatever order their requests arrived in, and stock as of any instant (the ledger summed up to it)
 * is a state that really was, never negative. `at` from the request alone is not: a request that
 * arrived first may wait for the lock while a later one, applied before it, carries the later
 * instant. An instant given on purpose (see LIVE_MS) stays as given.
 */
export function appliedAt(at: Instant, now: number = Date.now()): Instant {
  const given = Date.parse(at);
  if (!(given <= now) || now - given > LIVE_MS) return at;
  return new Date(now).toISOString();
}

/** `YYYY-MM-DD` of an instant, in UTC. */
export function isoDate(instant: Instant | Date): string {
  return (typeof instant === 'string' ? instant : instant.toISOString()).slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}

/**
 * Whether `text` starts with a `YYYY-MM-DD` that names a day of the calendar. `Date.parse` does not
 * tell: it rolls 30 February over into 2 March.
 */
export function isCalendarDay(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const last = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day >= 1 && day <= last;
}

const INSTANT =
  /^\d{4}-\d{2}-\d{2}(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/i;

/**
 * An ISO-8601 date (`2027-02-28`, midnight UTC) or instant with its zone (`2027-02-28T13:30:00Z`,
 * `…+01:00`) on a real calendar day and clock time, in years up to 9999; anything else is null. A time without a zone
 * would be read in the server's zone, so it is refused.
 */
export function parseInstant(text: string): Date | null {
  if (!INSTANT.test(text) || !isCalendarDay(text)) return null;
  const t = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(t)) return null;
  // An offset can carry 9999-12-31 into year 10000, which no longer sorts as stored timestamps do.
  const at = new Date(t);
  return at.getUTCFullYear() <= 9999 ? at : null;
}
