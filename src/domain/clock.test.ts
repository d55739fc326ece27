import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appliedAt, isCalendarDay, parseInstant } from './clock.js';

describe('calendar days and instants', () => {
  it('a YYYY-MM-DD is a calendar day exactly when the UTC calendar has it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          const real = new Date(Date.UTC(y, m - 1, d));
          const exists =
            m >= 1 && m <= 12 && d >= 1 && real.getUTCMonth() === m - 1 && real.getUTCDate() === d;
          expect(isCalendarDay(text)).toBe(exists);
        },
      ),
    );
  });

  it('parses dates and zoned instants on real days and times; refuses the rest', () => {
    expect(parseInstant('2028-02-29')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(parseInstant('2027-03-01T13:30+01:00')?.toISOString()).toBe('2027-03-01T12:30:00.000Z');
    expect(parseInstant('2027-03-01T13:30:05.123456Z')?.toISOString()).toBe('2027-03-01T13:30:05.123Z');
    for (const bad of [
      '2027-02-29',
      '2027-02-30T00:00:00Z',
      '2027-04-31',
      '2027-13-01',
      '2027-01-01T24:00:00Z',
      '2027-01-01T12:60:00Z',
      '2027-01-01T12:00:00', // no zone: the server's zone would decide
      '2027-01-01T12:00:00+25:00',
      '9999-12-31T23:59:59-23:59', // year 10000 in UTC
      'yesterday',
      '',
    ])
      expect(parseInstant(bad), bad).toBeNull();
  });
});

describe('the instant a movement is applied', () => {
  const now = Date.parse('2026-11-30T12:00:00.000Z');
  it('is now for a live command, however late its turn came', () => {
    expect(appliedAt('2026-11-30T11:59:59.250Z', now)).toBe('2026-11-30T12:00:00.000Z');
    expect(appliedAt('2026-11-30T11:59:00.001Z', now)).toBe('2026-11-30T12:00:00.000Z');
  });
  it('keeps an instant given on purpose: long past (a demo’s history) or later than now (a test’s clock)', () => {
    expect(appliedAt('2026-08-22T09:00:00.000Z', now)).toBe('2026-08-22T09:00:00.000Z');
    expect(appliedAt('2031-01-01T00:00:01.000Z', now)).toBe('2031-01-01T00:00:01.000Z');
  });
});
