import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEmail, tidyEmail } from './email.js';

describe('canonical e-mail', () => {
  it('folds compatibility forms, case, surrounding space and the domain’s trailing dot', () => {
    expect(canonicalEmail('ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('ada@example.com');
    expect(canonicalEmail('  Ada@Example.COM. ')).toBe('ada@example.com');
    expect(canonicalEmail('ada@example.com')).toBe('ada@example.com');
    expect(tidyEmail(' ＡＤＡ＠Example．com． ')).toBe('ADA@Example.com');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme' }),
          fc.string({ unit: fc.constantFrom('a', 'Ａ', '.', '．', ' ', '\u3000', '@', '＠', 'K', '\u212a') }),
        ),
        (s) => {
          const once = canonicalEmail(s);
          expect(canonicalEmail(once)).toBe(once);
          expect(tidyEmail(tidyEmail(s))).toBe(tidyEmail(s));
        },
      ),
    );
  });
});
