import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import {
  assertCountTransition,
  canTransitionCount,
  correctionsOf,
  countEntry,
  countStatuses,
  countTransitions,
  variance,
} from './count.js';

function codeOf(fn: () => unknown): { code: string; field: string | undefined } | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { code: e.code, field: e.fields[0]?.field };
  }
}

describe('count transitions', () => {
  it('lets an open count be approved or cancelled, and nothing else', () => {
    const allowed = countStatuses.flatMap((from) =>
      countStatuses.filter((to) => canTransitionCount(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed).toEqual(['open→approved', 'open→cancelled']);
    expect(countTransitions.approved).toEqual([]);
    expect(countTransitions.cancelled).toEqual([]);
  });

  it('throws INVALID_TRANSITION for a closed count', () => {
    expect(codeOf(() => assertCountTransition('approved', 'approved', 'cnt_1'))).toEqual({
      code: 'INVALID_TRANSITION',
      field: 'status',
    });
    expect(codeOf(() => assertCountTransition('cancelled', 'approved', 'cnt_1'))?.code).toBe(
      'INVALID_TRANSITION',
    );
    expect(codeOf(() => assertCountTransition('open', 'cancelled', 'cnt_1'))).toBeNull();
  });
});

describe('variance and corrections', () => {
  it('is counted − expected, and null while uncounted', () => {
    expect(variance({ expected: 10, counted: 7 })).toBe(-3);
    expect(variance({ expected: 0, counted: 4 })).toBe(4);
    expect(variance({ expected: 5, counted: null })).toBeNull();
  });

  it('posts only counted lines that differ, skipping uncounted ones', () => {
    const lines = [
      { id: 'a', expected: 10, counted: 7 },
      { id: 'b', expected: 3, counted: 3 },
      { id: 'c', expected: 8, counted: null },
      { id: 'd', expected: 0, counted: 2 },
      { id: 'e', expected: 4, counted: 0 },
    ];
    expect(correctionsOf(lines).map((l) => [l.id, l.variance])).toEqual([
      ['a', -3],
      ['d', 2],
      ['e', -4],
    ]);
  });
});

describe('countEntry', () => {
  it('sets or adds in scanned units, a pack counting its pack size', () => {
    expect(countEntry({ counted: 4, unitsPer: 1, scanned: false })).toEqual({ mode: 'set', quantity: 4 });
    expect(countEntry({ counted: 0, unitsPer: 1, scanned: false })).toEqual({ mode: 'set', quantity: 0 });
    expect(countEntry({ counted: 3, unitsPer: 6, scanned: true })).toEqual({ mode: 'set', quantity: 18 });
    expect(countEntry({ add: 2, unitsPer: 6, scanned: true })).toEqual({ mode: 'add', quantity: 12 });
    expect(countEntry({ add: -1, unitsPer: 1, scanned: false })).toEqual({ mode: 'add', quantity: -1 });
  });

  it('treats a bare scan as one more of the scanned unit', () => {
    expect(countEntry({ unitsPer: 1, scanned: true })).toEqual({ mode: 'add', quantity: 1 });
    expect(countEntry({ unitsPer: 12, scanned: true })).toEqual({ mode: 'add', quantity: 12 });
  });

  it('rejects ambiguous, missing, zero, negative, fractional and oversized entries naming the field', () => {
    expect(codeOf(() => countEntry({ counted: 1, add: 1, unitsPer: 1, scanned: false }))).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'add',
    });
    expect(codeOf(() => countEntry({ unitsPer: 1, scanned: false }))?.field).toBe('counted');
    expect(codeOf(() => countEntry({ add: 0, unitsPer: 1, scanned: false }))?.field).toBe('add');
    expect(codeOf(() => countEntry({ counted: -1, unitsPer: 1, scanned: false }))?.field).toBe('counted');
    expect(codeOf(() => countEntry({ counted: 1.5, unitsPer: 1, scanned: false }))?.field).toBe('counted');
    expect(codeOf(() => countEntry({ counted: 200_000_000, unitsPer: 6, scanned: true }))?.field).toBe(
      'counted',
    );
    expect(codeOf(() => countEntry({ add: Number.NaN, unitsPer: 1, scanned: false }))?.field).toBe('add');
  });
});
