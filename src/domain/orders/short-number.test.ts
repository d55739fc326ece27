import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { shortNumberSearched } from './short-number.js';

/** What the admin shows of an id (web/src/lib/format.ts `shortId`), without its `#`. */
const shown = (id: string) => id.slice(-8).toUpperCase();

describe('order short numbers', () => {
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
      expect(shortNumberSearched(`#${shown(id)}`)).toBe(id.slice(-8));
    }
  });
});
