/**
 * The import engine shared by every CSV kind. An import never half-applies:
 *
 * 1. every row is parsed and checked against the API's schema and the domain rules (no I/O);
 * 2. every row that passed is applied through the same use-cases as the API, in ONE transaction
 *    (in file order, except that an importer may put some rows first, e.g. SKUs before bundles),
 *    each row inside its own savepoint so a failing row (unknown SKU, negative stock, …) is
 *    reported and the next rows are still checked against the real database;
 * 3. the transaction commits only when no row failed and this is not a dry run; otherwise it is
 *    rolled back and nothing at all was written.
 *
 * So one run reports every error with its line number, and a clean run applies every row.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { DomainError, type FieldError } from '../../domain/errors.js';
import type { ColumnSet, CsvRow, CsvTable, RowError } from './csv-file.js';
import { lockWhole, type BulkScope } from '../../db/row-lock.js';

/**
 * Above this many rows an import locks what its rows would lock key by key, whole, for its
 * transaction (PostgreSQL: other writes to those tables wait until it commits; see lockWhole).
 */
const BULK_ROWS = 1_000;
const BULK_SCOPES: Partial<Record<string, readonly BulkScope[]>> = {
  stock: ['balances'],
  skus: ['barcodes'],
};

export type ImportContext = {
  readonly actor: string;
  readonly requestId: string | null;
  readonly at: string;
  /** Document the movements of this import refer to, e.g. `{type: 'csv-import', id: 'stock.csv@…'}`. */
  readonly reference: { readonly type: string; readonly id: string };
  /** Counts stock movements posted by the rows (shown in the summary). */
  movements: number;
};

/** What applying one row did. */
export type Outcome = 'created' | 'updated' | 'unchanged';

export type Importer<T> = ColumnSet & {
  readonly kind: string;
  /** Maps a field path of the API/domain (`components.0.sku`) to the CSV column it came from. */
  columnOf(field: string): string;
  /** Cells → use-case input; field errors use API field paths. Pure. */
  parse(row: CsvRow): { ok: true; value: T } | { ok: false; errors: FieldError[] };
  /** Rows of a lower phase apply first (bundles after the SKUs they contain); default 0. */
  phase?(value: T): number;
  /** Identity of a row's target (e.g. the SKU key), to report rows that name it twice. */
  identity?(value: T): string | null;
  /**
   * Whether the row may change what availability is computed from (a SKU's active flag, a
   * location's sellable flag, a bundle): a file with such a row runs as a rules change
   * (`TransactOptions.changesRules`: on PostgreSQL every other write waits until it commits).
   */
  changesRules?(value: T): boolean;
  apply(tx: Transaction<DB>, value: T, ctx: ImportContext): Promise<Outcome>;
};

export type ImportReport = {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly movements: number;
  readonly errors: readonly RowError[];
  /** True when the changes were committed. */
  readonly applied: boolean;
};

export type Progress = { tick(n?: number): void; done(): void };

class Rollback extends Error {}

/** `components.1.sku` → column `components`, message prefixed "item 2 (…)". */
export function rowErrors<T>(importer: Importer<T>, line: number, fields: readonly FieldError[]): RowError[] {
  return fields.map((f) => {
    const item = /\.(\d+)(?:\.|$)/.exec(f.field);
    const message = item ? `item ${Number(item[1]) + 1}: ${f.message}` : f.message;
    return { line, field: importer.columnOf(f.field), message };
  });
}

function errorsOf<T>(importer: Importer<T>, line: number, error: DomainError): RowError[] {
  if (error.fields.length === 0)
    return [{ line, field: '(row)', message: `${error.code}: ${error.message}` }];
  // The use-cases' messages name the value ("SKU X does not exist."): prefer them to the short field text.
  const fields =
    error.fields.length === 1 ? [{ field: error.fields[0]!.field, message: error.message }] : error.fields;
  return rowErrors(importer, line, fields);
}

/**
 * Checks and applies `table` with `importer`; see the module comment. Unexpected (non-domain)
 * failures abort the import, roll everything back and are rethrown with the line number.
 */
export async function runImport<T>(
  database: Database,
  importer: Importer<T>,
  table: CsvTable,
  opts: { dryRun: boolean; ctx: ImportContext; progress: (total: number) => Progress },
): Promise<ImportReport> {
  const errors: RowError[] = [...table.errors];
  const parsed: Array<{ line: number; value: T }> = [];
  const firstLine = new Map<string, number>();
  for (const row of table.rows) {
    const r = importer.parse(row);
    if (!r.ok) {
      errors.push(...rowErrors(importer, row.line, r.errors));
      continue;
    }
    const id = importer.identity?.(r.value) ?? null;
    if (id !== null) {
      const seen = firstLine.get(id);
      if (seen !== undefined) {
        errors.push({
          line: row.line,
          field: importer.required[0] ?? '(row)',
          message: `names the same ${importer.kind === 'stock' ? 'balance' : 'record'} as line ${seen}`,
        });
        continue;
      }
      firstLine.set(id, row.line);
    }
    parsed.push({ line: row.line, value: r.value });
  }

  if (importer.phase) {
    const phase = importer.phase.bind(importer);
    parsed.sort((a, b) => phase(a.value) - phase(b.value)); // stable: file order within a phase
  }
  let counts = { created: 0, updated: 0, unchanged: 0 };
  let applyErrors: RowError[] = [];
  let applied = false;
  if (!table.fatal) {
    const progress = opts.progress(parsed.length);
    try {
      await database.transact(
        async (tx) => {
          // A retried transaction (PostgreSQL serialization failure) starts its tally afresh.
          counts = { created: 0, updated: 0, unchanged: 0 };
          applyErrors = [];
          opts.ctx.movements = 0;
          // Thousands of rows would take a per-key lock each (see lockWhole): lock the tables whole.
          if (parsed.length > BULK_ROWS)
            for (const scope of BULK_SCOPES[importer.kind] ?? []) await lockWhole(tx, scope);
          for (const p of parsed) {
            await sql`savepoint csv_row`.execute(tx);
            try {
              counts[await importer.apply(tx, p.value, opts.ctx)]++;
              await sql`release savepoint csv_row`.execute(tx);
            } catch (error) {
              await sql`rollback to savepoint csv_row`.execute(tx);
              await sql`release savepoint csv_row`.execute(tx);
              if (!(error instanceof DomainError)) {
                throw new Error(`line ${p.line}: ${error instanceof Error ? error.message : String(error)}`, {
                  cause: error,
                });
              }
              applyErrors.push(...errorsOf(importer, p.line, error));
            }
            progress.tick();
          }
          if (errors.length > 0 || applyErrors.length > 0 || opts.dryRun) throw new Rollback();
        },
        { changesRules: parsed.some((p) => importer.changesRules?.(p.value) ?? false) },
      );
      applied = true;
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    } finally {
      progress.done();
    }
  }
  errors.push(...applyErrors);
  errors.sort((a, b) => a.line - b.line);
  return {
    rows: table.rows.length,
    ...counts,
    movements: opts.ctx.movements,
    errors,
    applied,
  };
}
