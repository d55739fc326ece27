import { sql, type RawBuilder } from 'kysely';

/** Escapes `%`, `_` and `\` so user text matches literally in `LIKE … ESCAPE '\'` (both dialects). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const MAX_WORDS = 8;

/**
 * `lower(column)` contains every word of `text` (split on whitespace), in any order: "tuna whisker"
 * finds "Whisker & Co. Tuna Pâté". Case-insensitive for ASCII on both dialects.
 */
export function containsEveryWord(column: string, text: string): RawBuilder<boolean> {
  // Each word is a LIKE over every row: repeated words count once, and at most eight are used.
  const words = [...new Set(text.toLowerCase().split(/\s+/).filter(Boolean))].slice(0, MAX_WORDS);
  if (words.length === 0) return sql<boolean>`1 = 1`;
  const each = words.map((w) => sql`lower(${sql.ref(column)}) like ${`%${escapeLike(w)}%`} escape '\\'`);
  return sql<boolean>`(${sql.join(each, sql` and `)})`;
}
