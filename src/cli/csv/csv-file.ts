/**
 * Reading and writing CSV files for `kibble import` / `kibble export`.
 *
 * Reading keeps the file's own line numbers (the header is line 1; a record spanning several
 * lines is reported at the line it starts on), accepts a UTF-8 BOM, CRLF or LF, and matches
 * header names loosely (`Cost Minor`, `cost_minor` and `costMinor` are the same column).
 *
 * Writing is safe against formula injection: a text cell that a spreadsheet would run as a
 * formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * apostrophe. Import undoes exactly that, so exported files round-trip unchanged.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { numbered } from '../../domain/plural.js';

/** One problem of an input file, at the file's own line number (header = line 1). */
export type RowError = { readonly line: number; readonly field: string; readonly message: string };

export type CsvRow = {
  readonly line: number;
  /** Cell text by canonical column name; a column absent from the file has no key. */
  readonly cells: Readonly<Record<string, string>>;
};

export type CsvTable = {
  /** Canonical names of the columns the file has, in file order (ignored ones excluded). */
  readonly columns: readonly string[];
  readonly rows: readonly CsvRow[];
  /** Problems of the file itself (header, syntax, field counts); rows with them are left out. */
  readonly errors: readonly RowError[];
  /** True when the file could not be read to the end (a syntax error): nothing may be applied. */
  readonly fatal: boolean;
};

export type ColumnSet = {
  /** Columns the import understands, in the order exports write them. */
  readonly columns: readonly string[];
  readonly required: readonly string[];
  /** Columns exports write that imports accept and ignore (derived, read-only values). */
  readonly ignored?: readonly string[];
};

const FORMULA_START = /^[=+\-@\t\r]/;
const ESCAPED = /^'+[=+\-@\t\r]/;

/** The cell text to write for `value`: apostrophe-prefixed when a spreadsheet would run it. */
export function escapeCell(value: string): string {
  return FORMULA_START.test(value) || ESCAPED.test(value) ? `'${value}` : value;
}

/** Inverse of `escapeCell` for cells read back from a file. */
export function unescapeCell(value: string): string {
  return ESCAPED.test(value) ? value.slice(1) : value;
}

const loose = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

/** Reads `path` (`-` for standard input) as CSV with a header row naming `set`'s columns. */
export async function readCsv(path: string, set: ColumnSet): Promise<CsvTable> {
  const buffer = path === '-' ? await readStdin() : await readFile(path);
  return parseCsv(buffer, set);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The line on which the first record that breaks RFC 4180 quoting starts — a quoted cell never
 * closed, text after a closing quote, a quote inside an unquoted cell — or undefined if none does.
 * Blank lines before a record are not its start; only LF counts as a line break (CRLF is one).
 */
export function brokenRecordLine(buffer: Uint8Array): number | undefined {
  const QUOTE = 0x22;
  const COMMA = 0x2c;
  const LF = 0x0a;
  const CR = 0x0d;
  let line = 1;
  let recordLine = 1;
  let cellStart = true; // nothing of the current cell read yet
  let quoted = false; // inside a quoted cell
  let closed = false; // just after a quoted cell's closing quote
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (quoted) {
      if (c === QUOTE) {
        if (buffer[i + 1] === QUOTE) i++;
        else {
          quoted = false;
          closed = true;
        }
      } else if (c === LF) line++;
      continue;
    }
    if (c === LF) {
      line++;
      recordLine = line;
      cellStart = true;
      closed = false;
    } else if (c === COMMA) {
      cellStart = true;
      closed = false;
    } else if (c === CR) {
      continue;
    } else if (closed) {
      return recordLine;
    } else if (c === QUOTE) {
      if (!cellStart) return recordLine;
      quoted = true;
      cellStart = false;
    } else cellStart = false;
  }
  return quoted ? recordLine : undefined;
}

/** Parses CSV bytes; see `readCsv`. */
export async function parseCsv(buffer: Buffer, set: ColumnSet): Promise<CsvTable> {
  const errors: RowError[] = [];
  const rows: CsvRow[] = [];
  const known = new Map<string, string>();
  for (const c of set.columns) known.set(loose(c), c);
  const ignored = new Set((set.ignored ?? []).map(loose));

  const parser = Readable.from([buffer]).pipe(
    parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
  );
  let header: Array<string | null> | null = null;
  let columns: string[] = [];
  let offset = 0; // byte offset where the previous record ended
  let linesBefore = 0; // newlines before `offset`
  // Bytes that are not UTF-8 would be read as U+FFFD and stored as such: find the cells they are in.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const isUtf8 = (bytes: Uint8Array) => {
    try {
      utf8.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const wholeFileUtf8 = isUtf8(buffer);
  const NOT_UTF8 = 'is not valid UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)';
  const newlines = (from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) if (buffer[i] === 0x0a) n++;
    return n;
  };
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      // The record starts after any blank lines that follow the previous record.
      let start = offset;
      while (start < item.info.bytes && (buffer[start] === 0x0a || buffer[start] === 0x0d)) start++;
      const line = linesBefore + newlines(offset, start) + 1;
      linesBefore += newlines(offset, item.info.bytes);
      offset = item.info.bytes;
      const record = item.record;
      const badBytes = !wholeFileUtf8 && !isUtf8(buffer.subarray(start, item.info.bytes));

      if (header === null) {
        if (badBytes) errors.push({ line, field: 'header', message: `the first line ${NOT_UTF8}` });
        header = [];
        const seen = new Set<string>();
        // Trailing nameless columns (`sku,name,`, as spreadsheets save a stray empty column) are no
        // columns: a row may leave their cells empty, and a row with a value there is refused.
        let named = record.length;
        while (named > 0 && record[named - 1]!.replace(/^\uFEFF/, '').trim() === '') named--;
        for (const raw of record.slice(0, named)) {
          const name = raw.replace(/^\uFEFF/, '');
          const canonical = known.get(loose(name));
          if (canonical === undefined) {
            if (!ignored.has(loose(name))) {
              errors.push({
                line,
                field: 'header',
                message: `unknown column "${name}"; the columns are ${set.columns.join(', ')}`,
              });
            }
            header.push(null);
            continue;
          }
          if (seen.has(canonical)) {
            errors.push({ line, field: 'header', message: `column "${canonical}" appears twice` });
            header.push(null);
            continue;
          }
          seen.add(canonical);
          header.push(canonical);
        }
        for (const r of set.required) {
          if (!seen.has(r)) errors.push({ line, field: 'header', message: `missing required column "${r}"` });
        }
        columns = header.filter((h): h is string => h !== null);
        continue;
      }

      if (record.every((cell) => cell.trim() === '')) continue;
      if (badBytes) {
        const names = header;
        const bad = record.flatMap((cell, i) => (cell.includes('\uFFFD') ? [names[i] ?? '(row)'] : []));
        for (const field of bad.length > 0 ? bad : ['(row)']) errors.push({ line, field, message: NOT_UTF8 });
        continue;
      }
      const extra = record.slice(header.length);
      if (record.length < header.length || extra.some((cell) => cell.trim() !== '')) {
        errors.push({
          line,
          field: '(row)',
          message: `has ${numbered(record.length, 'field')} but the header has ${header.length}`,
        });
        continue;
      }
      const cells: Record<string, string> = {};
      header.forEach((name, i) => {
        if (name !== null) cells[name] = unescapeCell(record[i]!.trim());
      });
      rows.push({ line, cells });
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // csv-parse's own line count names the end of the file for an unclosed quote and counts a CRLF
    // inside quotes twice: the line is the one the record it could not read starts on.
    const at = brokenRecordLine(buffer) ?? (error as CsvError & { lines?: number }).lines ?? linesBefore + 1;
    const message =
      error.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'Quote Not Closed: a quoted cell that starts on this line is never closed (a " inside a quoted cell is written "")'
        : error.message.replace(/ at line \d+/, '');
    errors.push({ line: at, field: '(file)', message });
    return { columns, rows, errors, fatal: true };
  }
  if (header === null) {
    errors.push({
      line: 1,
      field: 'header',
      message: 'the file is empty; the first line must name the columns',
    });
    return { columns, rows, errors, fatal: true };
  }
  return { columns, rows, errors, fatal: errors.some((e) => e.field === 'header') };
}

export type Cell = string | number | boolean | null | undefined;

export type CsvWriter = {
  write(record: Readonly<Record<string, Cell>>): Promise<void>;
  /** True once the reader of standard output went away (`kibble export … | head`): stop writing. */
  readonly closed: boolean;
  /** Finishes the file; with `--out`, moves it into place only now, so a failed export leaves no half file. */
  end(): Promise<void>;
  /** Abandons the output (removes the temporary file). */
  abort(): Promise<void>;
};

/**
 * A CSV writer for `columns` to `outPath` (or standard output when undefined). Strings are
 * formula-escaped; numbers and booleans are written as they are; null and undefined are empty.
 */
export function csvWriter(
  columns: readonly string[],
  outPath: string | undefined,
  opts: { bom?: boolean } = {},
): CsvWriter {
  const tmp = outPath === undefined ? undefined : `${outPath}.${process.pid}.tmp`;
  const file = tmp === undefined ? null : createWriteStream(tmp);
  const sink: NodeJS.WritableStream = file ?? process.stdout;
  const csv = stringify({
    header: true,
    columns: [...columns],
    bom: opts.bom === true,
    record_delimiter: 'unix',
    // Records end with \n, so csv-stringify only quotes \n; a bare \r ends a row in Excel,
    // LibreOffice and most readers (RFC 4180 quotes every line break).
    quoted_match: /\r/,
  });
  csv.pipe(sink, { end: file !== null });
  let failure: Error | null = null;
  let closed = false;
  const settled: Array<() => void> = [];
  const wake = () => settled.splice(0).forEach((f) => f());
  csv.on('error', (e: Error) => {
    failure = e;
    wake();
  });
  sink.on('error', (e: Error & { code?: string }) => {
    if (file === null && e.code === 'EPIPE') closed = true;
    else failure = e;
    csv.unpipe(sink);
    wake();
  });
  const check = () => {
    if (failure) throw failure;
  };
  const cell = (v: Cell): string | number => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return escapeCell(v);
  };
  return {
    get closed() {
      return closed;
    },
    async write(record) {
      check();
      if (closed) return;
      const out: Record<string, string | number> = {};
      for (const c of columns) out[c] = cell(record[c]);
      if (!csv.write(out)) {
        await new Promise<void>((resolve) => {
          settled.push(resolve);
          csv.once('drain', resolve);
        });
      }
      check();
    },
    async end() {
      check();
      if (closed) return;
      await new Promise<void>((resolve, reject) => {
        const done = () => (failure ? reject(failure) : resolve());
        settled.push(done);
        // A file is complete when it is flushed; stdout when everything has been handed to it.
        if (file !== null) file.once('finish', done);
        else csv.once('end', done);
        csv.end();
      });
      if (tmp !== undefined && outPath !== undefined) await rename(tmp, outPath);
    },
    async abort() {
      csv.destroy();
      if (file !== null && tmp !== undefined) {
        file.destroy();
        await rm(tmp, { force: true });
      }
    },
  };
}
