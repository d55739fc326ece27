/**
 * Cell text → JSON values for the row schemas. Conversions are deliberately dumb: a cell that does
 * not look like a number stays text, so the schema (not this file) says "must be a whole number", exactly
 * as the API would for the same value.
 */
import type { FieldError } from '../../domain/errors.js';

/** `12` → 12, `12.5` → 12.5 (the schema rejects non-integers), anything else stays text. */
export function numberCell(text: string): number | string {
  return /^[+-]?(\d+|\d*\.\d+)$/.test(text) ? Number(text) : text;
}

/** true/false, yes/no, 1/0 (any case); anything else stays text. */
export function booleanCell(text: string): boolean | string {
  const t = text.toLowerCase();
  if (t === 'true' || t === 'yes' || t === '1') return true;
  if (t === 'false' || t === 'no' || t === '0') return false;
  return text;
}

/**
 * `a|b|c` → ['a', 'b', 'c'], blanks dropped. An item that holds a `|` itself (a SKU code may) is
 * written `\|`, and a backslash before `|` or `\` as `\\` (`listText` writes them so); any other
 * backslash is kept as it is, so files written before these escapes read the same.
 */
export function listCell(text: string): string[] {
  const items: string[] = [];
  let item = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '\\' && (next === '|' || next === '\\')) {
      item += next;
      i++;
    } else if (ch === '|') {
      items.push(item);
      item = '';
    } else item += ch;
  }
  items.push(item);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** The cell text of a list `listCell` reads back item for item. */
export function listText(items: readonly string[]): string {
  return items.map((s) => s.replace(/[\\|]/g, (c) => `\\${c}`)).join('|');
}

/** `name:quantity[:extra]` items of a list cell, or a field error naming the bad item. */
export function pairsCell(
  text: string,
  field: string,
  shape: string,
): {
  items: Array<{ key: string; quantity: number | string; extra: string | undefined }>;
  error?: FieldError;
} {
  const items: Array<{ key: string; quantity: number | string; extra: string | undefined }> = [];
  for (const part of listCell(text)) {
    const bits = part.split(':').map((s) => s.trim());
    if (bits.length > 3 || bits[0] === '') {
      return { items, error: { field, message: `"${part}" is not written ${shape}` } };
    }
    items.push({ key: bits[0]!, quantity: bits[1] === undefined ? 1 : numberCell(bits[1]), extra: bits[2] });
  }
  return { items };
}
