import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { shortNumberOf, shortNumberSearched } from './short-number.js';

describe('order short numbers', () => {
  it('is the last eight hex digits of the id', () => {
    expect(shortNumberOf('ord_0190f6c1a2b37c4d8e9f0a1bf4afbb5b')).toBe('f4afbb5b');
  });

  it('reads what a person types for it: any case, with or without #', () => {
    for (const q of ['#F4AFBB5B', 'F4AFBB5B', '#f4afbb5b', 'f4AfBb5b', ' #F4AFBB5B '])
      expect(shortNumberSearched(q)).toBe('f4afbb5b');
  });

  it('is not read from other text', () => {
    for (const q of ['#F4AFBB5', 'F4AFBB5B0', '##F4AFBB5B', '#F4AFBB5G', 'order F4AFBB5B', ''])
      expect(shortNumberSearched(q)).toBeNull();
  });

  it('finds every new id by its own short number', () => {
    for (let i = 0; i < 100; i++) {
      const id = newId('order');
      expect(shortNumberSearched(`#${shortNumberOf(id).toUpperCase()}`)).toBe(shortNumberOf(id));
    }
  });
});
