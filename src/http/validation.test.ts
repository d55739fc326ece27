import { describe, expect, it } from 'vitest';
import { plainValidationMessage } from './validation.js';

const e = (keyword: string, params: Record<string, unknown>) => plainValidationMessage({ keyword, params });

describe('plainValidationMessage', () => {
  it('says an empty required text or list must not be empty', () => {
    expect(e('minLength', { limit: 1 })).toBe('must not be empty');
    expect(e('minItems', { limit: 1 })).toBe('must not be empty');
    // An empty PATCH body: the word is "field", not Ajv's "must NOT have fewer than 1 properties".
    expect(e('minProperties', { limit: 1 })).toBe('must name at least one field');
  });

  it('words sizes and ranges', () => {
    expect(e('minLength', { limit: 3 })).toBe('must be at least 3 characters');
    expect(e('maxLength', { limit: 1 })).toBe('must be at most 1 character');
    expect(e('maxLength', { limit: 64 })).toBe('must be at most 64 characters');
    expect(e('minItems', { limit: 2 })).toBe('must have at least 2 items');
    expect(e('maxItems', { limit: 200 })).toBe('must have at most 200 items');
    expect(e('minimum', { comparison: '>=', limit: 1 })).toBe('must be at least 1');
    expect(e('maximum', { comparison: '<=', limit: 500 })).toBe('must be at most 500');
    expect(e('exclusiveMinimum', { comparison: '>', limit: 0 })).toBe('must be more than 0');
  });

  it('names types in words, and leaves other keywords to the caller', () => {
    expect(e('type', { type: 'integer' })).toBe('must be a whole number');
    expect(e('type', { type: 'string' })).toBe('must be text');
    expect(e('type', { type: 'string,null' })).toBeNull();
    expect(e('pattern', { pattern: '^x$' })).toBeNull();
    expect(e('required', { missingProperty: 'sku' })).toBeNull();
  });
});
