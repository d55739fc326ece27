/** Escapes `%`, `_` and `\` so user text matches literally in `LIKE … ESCAPE '\'` (both dialects). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
