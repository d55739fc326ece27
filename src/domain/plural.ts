/**
 * Counts in words for messages people read (timeline entries, problem details, CLI output): the
 * singular for exactly one, the plural otherwise — never "unit(s)" or "1 fields".
 */

/** `noun` for one, `plural` (default noun + s) for any other number. */
export const nounFor = (n: number, noun: string, plural = `${noun}s`): string => (n === 1 ? noun : plural);

/** `numbered(1, 'unit')` → `1 unit`, `numbered(3, 'unit')` → `3 units`, `numbered(0, 'entry', 'entries')` → `0 entries`. */
export const numbered = (n: number, noun: string, plural = `${noun}s`): string =>
  `${n} ${nounFor(n, noun, plural)}`;
