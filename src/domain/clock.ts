/** Timestamps are ISO-8601 UTC strings with milliseconds; they sort as text on every database. */
export type Instant = string;

export function nowIso(): Instant {
  return new Date().toISOString();
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
