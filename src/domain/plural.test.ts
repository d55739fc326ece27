import { describe, expect, it } from 'vitest';
import { nounFor, numbered } from './plural.js';

describe('counts in words', () => {
  it('says the singular for one and the plural for any other number', () => {
    expect(numbered(1, 'unit')).toBe('1 unit');
    expect(numbered(0, 'unit')).toBe('0 units');
    expect(numbered(2, 'field')).toBe('2 fields');
    expect(numbered(1, 'entry', 'entries')).toBe('1 entry');
    expect(numbered(5, 'entry', 'entries')).toBe('5 entries');
    expect(nounFor(1, 'line')).toBe('line');
    expect(nounFor(-1, 'line')).toBe('lines');
  });
});
