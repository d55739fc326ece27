import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listCell, listText } from './cells.js';

describe('list cells', () => {
  it('read back what listText wrote, item for item, whatever the items hold', () => {
    const item = fc
      .string({ unit: fc.constantFrom('a', 'B', '|', '\\', ':', '-', ' ', 'é'), minLength: 1, maxLength: 12 })
      .map((s) => s.trim())
      .filter((s) => s !== '');
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        expect(listCell(listText(items))).toEqual(items);
      }),
    );
  });

  it('read files written before the escapes the same: a lone backslash stays', () => {
    expect(listCell('A|B | |C')).toEqual(['A', 'B', 'C']);
    expect(listCell('C:\\dir|X')).toEqual(['C:\\dir', 'X']);
    expect(listCell('PIPE\\|SKU:2|B:1')).toEqual(['PIPE|SKU:2', 'B:1']);
  });
});
