/**
 * A SKU's canonical key: NFKC-normalised, trimmed, upper-cased. `abc-1 `, `ＡＢＣ-1` and `ABC-1` share
 * one key, so the database's unique index on the key rejects them as duplicates.
 */
export function skuKey(sku: string): string {
  return sku.normalize('NFKC').trim().toUpperCase();
}

/** The display form stored for a SKU: NFKC and trimmed, case kept as the user wrote it. */
export function skuDisplay(sku: string): string {
  return sku.normalize('NFKC').trim();
}

/** Location codes follow the same canonical rule as SKUs. */
export const locationKey = skuKey;

/** Why a SKU string cannot be used, or null when it is fine. */
export function skuProblem(sku: string): string | null {
  const display = skuDisplay(sku);
  if (display.length === 0) return 'must not be empty';
  if (display.length > 64) return 'must be at most 64 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(display)) return 'must not contain control characters';
  if (/\s/.test(display)) return 'must not contain whitespace';
  // Invisible format characters (zero-width space and joiners, the BOM, bidi marks) would make two
  // codes that look the same differ.
  if (/\p{Cf}/u.test(display)) return 'must not contain invisible characters';
  // `.` and `..` are path segments HTTP clients resolve away (`/skus/..` becomes `/`), so a record
  // with such a code could never be opened by its URL.
  if (/^\.+$/.test(display)) return 'must not be only dots';
  return null;
}

/**
 * True when `code` is a GTIN-8/12/13/14 (EAN/UPC) whose last digit is the GS1 mod-10 check digit.
 */
export function isValidGtin(code: string): boolean {
  if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code)) return false;
  const digits = [...code].map(Number);
  const check = digits.pop()!;
  let sum = 0;
  // Weights alternate 3,1,3,... starting from the digit next to the check digit.
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = w === 3 ? 1 : 3) sum += digits[i]! * w;
  return (10 - (sum % 10)) % 10 === check;
}

/**
 * The barcodes to look up for a scanned code. Scanners report the same GTIN as UPC-A (12 digits),
 * EAN-13 or GTIN-14 depending on symbology, so a numeric GTIN matches its zero-padded forms.
 * Returns the code itself for anything that is not a GTIN-shaped digit string.
 */
/**
 * One key per product code whatever GTIN form it is written in (GTIN-8, UPC-A, EAN-13 and GTIN-14
 * right-justified to 14 digits, as GS1 stores them); any other code as it is. Two codes share a
 * key exactly when `barcodeCandidates` says they are the same.
 */
export function barcodeKey(code: string): string {
  return /^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code) ? code.padStart(14, '0') : code;
}

export function barcodeCandidates(code: string): string[] {
  if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code)) return [code];
  const stripped = code.replace(/^0+/, '');
  const out = new Set<string>([code]);
  for (const len of [8, 12, 13, 14]) if (stripped.length <= len) out.add(stripped.padStart(len, '0'));
  return [...out];
}
