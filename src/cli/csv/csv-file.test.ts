import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeCell, parseCsv, unescapeCell, type ColumnSet } from './csv-file.js';

const set: ColumnSet = { columns: ['sku', 'name', 'quantity'], required: ['sku'], ignored: ['allocated'] };
const read = (text: string) => parseCsv(Buffer.from(text), set);

describe('formula-injection escaping', () => {
  it('prefixes cells a spreadsheet would evaluate with an apostrophe', () => {
    for (const s of ['=1+2', '+1', '-1+1', '@SUM(A1)', '\tx', '\rx']) expect(escapeCell(s)).toBe(`'${s}`);
    for (const s of ['plain', '1', '', "'quoted", 'a=b']) expect(escapeCell(s)).toBe(s);
  });

  it('never writes a cell that starts with a formula character, and reads every cell back unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', "'", 'a', '1', ' ') }),
        (s) => {
          const out = escapeCell(s);
          expect(out).not.toMatch(/^[=+\-@\t\r]/);
          expect(unescapeCell(out)).toBe(s);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('reading CSV', () => {
  it('numbers rows by the line they start on, across blank lines, CRLF and quoted newlines', async () => {
    const t = await read('sku,name,quantity\r\nA,one,1\r\n\r\nB,"two\r\nlines",2\r\nC,three,3');
    expect(t.errors).toEqual([]);
    expect(t.rows.map((r) => [r.line, r.cells['sku']])).toEqual([
      [2, 'A'],
      [4, 'B'],
      [6, 'C'],
    ]);
    expect(t.rows[1]!.cells['name']).toBe('two\r\nlines');
  });

  it('matches header names loosely, strips a BOM and ignores export-only columns', async () => {
    const t = await read('\uFEFFSKU, Name ,allocated,Quantity\nA,x,9,1\n');
    expect(t.errors).toEqual([]);
    expect(t.columns).toEqual(['sku', 'name', 'quantity']);
    expect(t.rows[0]!.cells).toEqual({ sku: 'A', name: 'x', quantity: '1' });
  });

  it('reports unknown, duplicate and missing columns on line 1 as fatal', async () => {
    const t = await read('name,name,qty\nA,B,1\n');
    expect(t.fatal).toBe(true);
    expect(t.errors).toEqual([
      { line: 1, field: 'header', message: 'column "name" appears twice' },
      { line: 1, field: 'header', message: 'unknown column "qty"; the columns are sku, name, quantity' },
      { line: 1, field: 'header', message: 'missing required column "sku"' },
    ]);
  });

  it('reports a row with too few fields, tolerates trailing empty ones, and skips empty rows', async () => {
    const t = await read('sku,name,quantity\nA,x\nB,y,2,,\n,,\nC,z,3,extra\nD\n');
    expect(t.rows.map((r) => r.cells['sku'])).toEqual(['B']);
    expect(t.errors).toEqual([
      { line: 2, field: '(row)', message: 'has 2 fields but the header has 3' },
      { line: 5, field: '(row)', message: 'has 4 fields but the header has 3' },
      { line: 6, field: '(row)', message: 'has 1 field but the header has 3' },
    ]);
    expect(t.fatal).toBe(false);
  });

  it("takes trailing nameless header columns (a spreadsheet's stray column) for none", async () => {
    const t = await read('sku,name,quantity,,\nA,x,1,,\nB,y,2\nC,z,3,,oops\n');
    expect(t.fatal).toBe(false);
    expect(t.columns).toEqual(['sku', 'name', 'quantity']);
    expect(t.rows.map((r) => r.cells)).toEqual([
      { sku: 'A', name: 'x', quantity: '1' },
      { sku: 'B', name: 'y', quantity: '2' },
    ]);
    expect(t.errors).toEqual([{ line: 4, field: '(row)', message: 'has 5 fields but the header has 3' }]);
    // A nameless column between named ones is still refused.
    expect((await read('sku,,name\nA,1,x\n')).fatal).toBe(true);
  });

  it('reports a broken quote with its line as fatal', async () => {
    const t = await read('sku,name,quantity\nA,"x,1\nB,y,2\n');
    expect(t.fatal).toBe(true);
    expect(t.errors[0]).toMatchObject({ field: '(file)' });
    expect(t.errors[0]!.message).toContain('Quote Not Closed');
  });

  it('names the line a broken quote starts on, not the end of the file, with LF or CRLF', async () => {
    for (const eol of ['\n', '\r\n']) {
      const lines = ['sku,name,quantity', 'A,"one', 'two",1', '', 'B,"x,1', 'C,y,2', 'D,z,3', ''];
      const unclosed = await read(lines.join(eol));
      expect(unclosed.fatal).toBe(true);
      expect(unclosed.errors).toEqual([
        { line: 5, field: '(file)', message: expect.stringContaining('never closed') as string },
      ]);
      const afterClose = await read(['sku,name,quantity', 'A,"one', 'two",1', 'B,"x"y,1', 'C,y,2'].join(eol));
      expect(afterClose.errors).toEqual([
        { line: 4, field: '(file)', message: expect.stringContaining('Invalid Closing Quote') as string },
      ]);
      expect(afterClose.errors[0]!.message).not.toMatch(/at line/);
      const inside = await read(['sku,name,quantity', 'A,one,1', 'B,x"y,1'].join(eol));
      expect(inside.errors).toMatchObject([{ line: 3, field: '(file)' }]);
    }
  });

  it('reads an escaped cell back without the apostrophe', async () => {
    const t = await read("sku,name,quantity\nA,'=1+2,1\n");
    expect(t.rows[0]!.cells['name']).toBe('=1+2');
  });

  it('calls an empty file fatal', async () => {
    const t = await read('');
    expect(t.fatal).toBe(true);
    expect(t.errors[0]!.message).toContain('the file is empty');
  });
});
