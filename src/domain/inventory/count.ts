/**
 * Cycle counts, as pure rules. A count session freezes the expected on-hand quantity of each
 * (SKU, lot) at one location when it is opened, records what was physically counted, and on
 * approval posts the variance (counted − expected) as `count_correction` movements.
 *
 * Lifecycle: open → approved | cancelled; both ends are final.
 */
import { DomainError } from '../errors.js';
import { MAX_QUANTITY } from '../quantity.js';

export const countStatuses = ['open', 'approved', 'cancelled'] as const;
export type CountStatus = (typeof countStatuses)[number];

/** Which status may follow which. Side effects of each edge live in src/app/stock/counts.ts. */
export const countTransitions = {
  open: ['approved', 'cancelled'],
  approved: [],
  cancelled: [],
} as const satisfies Record<CountStatus, readonly CountStatus[]>;

export function canTransitionCount(from: CountStatus, to: CountStatus): boolean {
  return (countTransitions[from] as readonly CountStatus[]).includes(to);
}

/** Throws INVALID_TRANSITION (409) when a count in status `from` cannot become `to`. */
export function assertCountTransition(from: CountStatus, to: CountStatus, countId: string): void {
  if (!canTransitionCount(from, to)) {
    throw new DomainError(
      'INVALID_TRANSITION',
      `Count ${countId} is ${from}; it cannot become ${to}.`,
      [{ field: 'status', message: `is ${from}` }],
      { status: from },
    );
  }
}

/** Variance of one line: counted − expected, or null while the line is not counted. */
export function variance(line: {
  readonly expected: number;
  readonly counted: number | null;
}): number | null {
  return line.counted === null ? null : line.counted - line.expected;
}

/**
 * The corrections an approval posts: one per counted line whose count differs from the frozen
 * expectation. Uncounted lines are skipped: nobody looked, so nothing is known about them.
 */
export function correctionsOf<L extends { readonly expected: number; readonly counted: number | null }>(
  lines: readonly L[],
): Array<L & { readonly variance: number }> {
  const out: Array<L & { readonly variance: number }> = [];
  for (const l of lines) {
    const v = variance(l);
    if (v !== null && v !== 0) out.push({ ...l, variance: v });
  }
  return out;
}

/**
 * How a scan or an entry changes a line's counted quantity, in base units. `counted` replaces
 * the figure, `add` increments it (negative to undo a mis-scan); `unitsPer` is the pack size of
 * the scanned barcode (1 for a unit barcode or a SKU code), so both are given in scanned units.
 * With neither, one scan of the barcode is added. Errors: VALIDATION_FAILED naming the field.
 */
export function countEntry(input: {
  readonly counted?: number | undefined;
  readonly add?: number | undefined;
  readonly unitsPer: number;
  readonly scanned: boolean;
}): { readonly mode: 'set' | 'add'; readonly quantity: number } {
  const { counted, add, unitsPer } = input;
  if (counted !== undefined && add !== undefined) {
    throw new DomainError('VALIDATION_FAILED', 'Give either counted or add, not both.', [
      { field: 'add', message: 'cannot be combined with counted' },
    ]);
  }
  const check = (field: string, n: number, min: number) => {
    if (!Number.isSafeInteger(n) || n < min || Math.abs(n * unitsPer) > MAX_QUANTITY) {
      throw new DomainError('VALIDATION_FAILED', `${field} must be a whole number of at least ${min}.`, [
        { field, message: `must be a whole number of at least ${min} and at most ${MAX_QUANTITY} units` },
      ]);
    }
  };
  if (counted !== undefined) {
    check('counted', counted, 0);
    return { mode: 'set', quantity: counted * unitsPer };
  }
  if (add !== undefined) {
    check('add', add, -MAX_QUANTITY);
    if (add === 0) {
      throw new DomainError('VALIDATION_FAILED', 'add must not be zero.', [
        { field: 'add', message: 'must not be zero' },
      ]);
    }
    return { mode: 'add', quantity: add * unitsPer };
  }
  if (!input.scanned) {
    throw new DomainError('VALIDATION_FAILED', 'Give counted (the quantity found) or add (an increment).', [
      { field: 'counted', message: 'is required unless a barcode is scanned' },
    ]);
  }
  return { mode: 'add', quantity: unitsPer };
}
