import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  barcodeCandidates,
  barcodeKey,
  isValidGtin,
  locationKey,
  skuDisplay,
  skuKey,
  skuProblem,
} from './sku-code.js';

describe('skuKey', () => {
  it('gives `abc-1 `, `ＡＢＣ-1` (full width) and `ABC-1` one key, so they collide', () => {
    const keys = ['abc-1 ', 'ＡＢＣ-1', 'ABC-1', ' Abc-1', 'ａｂｃ－１'].map(skuKey);
    expect(new Set(keys)).toEqual(new Set(['ABC-1']));
  });

  it('keeps different SKUs apart', () => {
    expect(skuKey('ABC-1')).not.toBe(skuKey('ABC-2'));
    expect(skuKey('ABC-1')).not.toBe(skuKey('ABC1'));
    expect(skuKey('A B')).not.toBe(skuKey('AB'));
  });

  it('normalises compatibility forms (ligatures, superscripts) to their plain letters', () => {
    expect(skuKey('ﬁsh-²')).toBe('FISH-2');
    expect(skuKey('Ⅻ')).toBe(skuKey('XII'));
  });

  it('is used for location codes too', () => {
    expect(locationKey(' wh-lon ')).toBe('WH-LON');
  });
});

describe('skuDisplay and skuProblem', () => {
  it('trims and NFKC-normalises but keeps case for display', () => {
    expect(skuDisplay('  ＡＢＣ-1x ')).toBe('ABC-1x');
  });

  it('explains why a code cannot be a SKU', () => {
    expect(skuProblem('   ')).toBe('must not be empty');
    expect(skuProblem('a'.repeat(65))).toBe('must be at most 64 characters');
    expect(skuProblem('a\u0000b')).toBe('must not contain control characters');
    expect(skuProblem('a\tb')).toBe('must not contain control characters');
    expect(skuProblem('a b')).toBe('must not contain whitespace');
    expect(skuProblem('KIB-001')).toBeNull();
  });

  it('refuses codes made only of dots, which URLs resolve away as path segments', () => {
    for (const code of ['.', '..', '...', ' .. ', '\uff0e\uff0e'])
      expect(skuProblem(code)).toBe('must not be only dots');
    for (const code of ['.A', 'A..', '..1', 'A.B']) expect(skuProblem(code)).toBeNull();
  });
});

describe('isValidGtin', () => {
  it('accepts real GTIN-8, UPC-A, EAN-13 and GTIN-14 codes', () => {
    for (const code of [
      '96385074', // EAN-8
      '73513537', // EAN-8
      '036000291452', // UPC-A (Wrigley)
      '012345678905', // UPC-A
      '4006381333931', // EAN-13 (Stabilo)
      '9780306406157', // ISBN-13 as EAN-13
      '0036000291452', // UPC-A as EAN-13
      '00036000291452', // UPC-A as GTIN-14
      '10036000291459', // GTIN-14 case of the UPC-A above
      '50012345678900', // GTIN-14
    ]) {
      expect(isValidGtin(code), code).toBe(true);
    }
  });

  it('rejects a wrong check digit, a wrong length and non-digits', () => {
    for (const code of [
      '4006381333932',
      '036000291453',
      '96385075',
      '10036000291452',
      '400638133393', // 12 digits, wrong check
      '4006381', // 7 digits
      '40063813339310', // 14 digits, wrong check
      '400638133393101', // 15 digits
      '400638133393A',
      '',
      ' 4006381333931',
    ]) {
      expect(isValidGtin(code), code).toBe(false);
    }
  });
});

describe('barcodeCandidates', () => {
  it('matches a GTIN in its zero-padded UPC-A / EAN-13 / GTIN-14 forms', () => {
    expect(new Set(barcodeCandidates('036000291452'))).toEqual(
      new Set(['036000291452', '0036000291452', '00036000291452']),
    );
    expect(barcodeCandidates('00036000291452')).toContain('036000291452');
    expect(barcodeCandidates('4006381333931')).toEqual(['4006381333931', '04006381333931']);
    expect(barcodeCandidates('96385074')).toContain('00000096385074');
  });

  it('leaves codes that are not GTIN-shaped alone', () => {
    expect(barcodeCandidates('SKU-123')).toEqual(['SKU-123']);
    expect(barcodeCandidates('12345')).toEqual(['12345']);
  });
});

describe('skuProblem', () => {
  it('refuses invisible format characters that make look-alike codes', () => {
    for (const code of ['\u200b', 'ABC\u200b1', 'A\u200dB', 'A\u2060B', 'AB\u202eC'])
      expect(skuProblem(code)).toBe('must not contain invisible characters');
    expect(skuProblem('ABC-1')).toBeNull();
  });
});

describe('barcodeKey', () => {
  it('gives every GTIN form of one product code the same key, and other codes their own', () => {
    expect(new Set(['012345678905', '0012345678905', '00012345678905'].map(barcodeKey))).toEqual(
      new Set(['00012345678905']),
    );
    expect(barcodeKey('ABC-123')).toBe('ABC-123');
    expect(barcodeKey('12345')).toBe('12345');
  });

  it("two codes share a key exactly when each is among the other's candidates", () => {
    const gtinish = fc.oneof(
      fc.stringMatching(/^\d{8}$/),
      fc.stringMatching(/^\d{12}$/),
      fc.stringMatching(/^\d{13}$/),
      fc.stringMatching(/^\d{14}$/),
      fc.stringMatching(/^0{0,6}\d{8}$/),
    );
    fc.assert(
      fc.property(gtinish, gtinish, (a, b) => {
        expect(barcodeKey(a) === barcodeKey(b)).toBe(barcodeCandidates(a).includes(b));
      }),
    );
  });
});
