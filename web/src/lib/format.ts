/**
 * Money, numbers and dates for people, with `Intl` in the browser's locale. Money arrives as
 * integer minor units; it is turned into an exact decimal string (never a float division) and
 * formatted from that.
 */
const locale = typeof navigator === 'undefined' ? 'en-US' : navigator.language || 'en-US';

const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string, compact = false): Intl.NumberFormat {
  const key = `${currency}|${compact}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
      });
    } catch {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' });
    }
    moneyFormats.set(key, f);
  }
  return f;
}

/** Digits after the decimal point of `currency` (2 for USD, 0 for JPY, 3 for KWD). */
export function minorDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `1234` USD → `"12.34"`, exactly. */
export function minorToDecimal(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  const negative = amountMinor < 0;
  const s = Math.abs(amountMinor)
    .toString()
    .padStart(digits + 1, '0');
  const whole = digits === 0 ? s : s.slice(0, -digits);
  const frac = digits === 0 ? '' : `.${s.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${frac}`;
}

/** Parses what a person typed (`12.5`, `12,50`) into minor units, or null when it is not money. */
export function decimalToMinor(text: string, currency: string): number | null {
  const t = text.trim().replace(/\s/g, '').replace(',', '.');
  const digits = minorDigits(currency);
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(digits, '0');
  if (frac.length > digits) return null;
  const value = Number(`${m[1]}${frac}`);
  return Number.isSafeInteger(value) ? value : null;
}

export function money(amountMinor: number | null | undefined, currency: string): string {
  if (amountMinor === null || amountMinor === undefined) return '—';
  // Intl formats a decimal string exactly (no binary floating point involved).
  return moneyFormat(currency).format(minorToDecimal(amountMinor, currency) as Intl.StringNumericLiteral);
}

export function moneyCompact(amountMinor: number, currency: string): string {
  return moneyFormat(currency, true).format(
    minorToDecimal(amountMinor, currency) as Intl.StringNumericLiteral,
  );
}

const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
export const num = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : integer.format(n);
export const signed = (n: number) => (n > 0 ? `+${integer.format(n)}` : integer.format(n));

/**
 * A count with its noun, singular or plural as the number asks: `count(1, 'unit')` → `1 unit`,
 * `count(1200, 'order')` → `1,200 orders`, `count(2, 'bin', 'bins')`. `plural` defaults to noun + s.
 */
export const count = (n: number, noun: string, plural = `${noun}s`) =>
  `${integer.format(n)} ${n === 1 ? noun : plural}`;

const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
const dayMonth = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const timeOnly = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });

export const when = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—');
const dateTimeThisYear = new Intl.DateTimeFormat(locale, {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
/** `when`, without the year when it is this year (`Dec 1, 1:47 AM`): for the date column of a dense list. */
export const whenShort = (iso: string, now = new Date()) => {
  const d = new Date(iso);
  return d.getFullYear() === now.getFullYear() ? dateTimeThisYear.format(d) : dateTime.format(d);
};
export const time = (iso: string) => timeOnly.format(new Date(iso));
/** A calendar date (`YYYY-MM-DD`, no time zone) such as a best-before date. */
export const day = (isoDate: string | null | undefined) =>
  isoDate ? dateOnly.format(new Date(`${isoDate}T12:00:00Z`)) : '—';
export const shortDay = (isoDate: string) => dayMonth.format(new Date(`${isoDate}T00:00:00Z`));

const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
/** "in 5 minutes", "2 hours ago". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(seconds, 'second');
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

/** `order_on_hold` → `Order on hold`. */
export function humanize(code: string): string {
  const s = code.replaceAll('_', ' ').replaceAll('.', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The short, readable part of an id: `ord_0190f6c1…` → `0190f6c1`. */
export function shortId(id: string): string {
  const [, rest = id] = id.split('_');
  return rest.slice(-8).toUpperCase();
}

/**
 * Who did it, from an actor such as `user:usr_…`, `key:key_…` or `system:demo`, and the name the
 * API resolved for it (`actorName`): a person by their name, an API key by its name. Without a
 * name (an older reply, a user since deleted) the end of the id stands in.
 */
export function actorLabel(actor: string, name?: string | null): string {
  const colon = actor.indexOf(':');
  const kind = actor.slice(0, colon);
  const id = actor.slice(colon + 1);
  if (kind === 'user') return name ?? `user …${id.slice(-6)}`;
  if (kind === 'key') return name ? `API key “${name}”` : `API key …${id.slice(-6)}`;
  if (kind === 'system') return `system (${id})`;
  if (kind === 'webhook') return `${humanize(id)} webhook`;
  return actor;
}

/** An instant as the API writes it (`2026-12-01T01:30:34.133Z`, or with an offset). */
const INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})/g;

/**
 * Text from the API (a timeline message such as `Delivered at 2026-12-01T01:30:34.133Z`) with each
 * instant in it written as every other date on screen: `Delivered at Dec 1, 2026, 1:30 AM`.
 */
export function readableInstants(text: string): string {
  return text.replace(INSTANT, (iso) => (Number.isNaN(Date.parse(iso)) ? iso : when(iso)));
}

let currencies: ReadonlySet<string> | undefined;
/** Whether `code` is a currency this browser knows (not any three capitals, such as a unit `PCS`). */
function isCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

/** An amount as the API writes it in messages (`formatMinor`): `12.50 USD`, `-3.00 EUR`, `500 JPY`. */
const AMOUNT = /(?<![\w.])(-?)(\d+)(?:\.(\d+))? ([A-Z]{3})\b/g;

/**
 * Text from the API with each amount in it (`total 37.98 USD`) written as every other amount on
 * screen (`total $37.98`); an amount whose decimals do not fit its currency stays as it is.
 */
export function readableAmounts(text: string): string {
  return text.replace(
    AMOUNT,
    (whole, sign: string, units: string, fraction: string | undefined, currency: string) => {
      if (!isCurrency(currency) || (fraction ?? '').length !== minorDigits(currency)) return whole;
      const minor = decimalToMinor(`${units}.${fraction ?? ''}`, currency);
      return minor === null ? whole : money(sign === '-' ? -minor : minor, currency);
    },
  );
}

/** A timeline message as the screen writes it: its instants as dates, its amounts as money. */
export const readableMessage = (text: string): string => readableAmounts(readableInstants(text));
