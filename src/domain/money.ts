/** Money is always integer minor units plus an ISO-4217 code. No floats anywhere. */
export type Money = { readonly amountMinor: number; readonly currency: string };

/** ISO 4217 codes Kibble knows, with their minor-unit exponent (for display only). */
export const currencyExponent: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  JPY: 0,
  KRW: 0,
  CNY: 2,
  INR: 2,
  BRL: 2,
  MXN: 2,
  ZAR: 2,
  SGD: 2,
  HKD: 2,
  ILS: 2,
  TRY: 2,
  AED: 2,
  SAR: 2,
  RON: 2,
  BGN: 2,
  ISK: 0,
  CLP: 0,
  KWD: 3,
  BHD: 3,
  TND: 3,
};

export function isCurrency(code: string): boolean {
  return Object.hasOwn(currencyExponent, code);
}

/** `157.45 USD` from 15745 minor units, exactly (string arithmetic, no floating point). */
export function formatMinor(amountMinor: number, currency: string): string {
  const exp = currencyExponent[currency] ?? 2;
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor)).padStart(exp + 1, '0');
  const whole = exp === 0 ? digits : digits.slice(0, -exp);
  const fraction = exp === 0 ? '' : `.${digits.slice(-exp)}`;
  return `${sign}${whole}${fraction} ${currency}`;
}
