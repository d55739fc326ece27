/**
 * The export engine: streams an exporter's records, page by page, into a formula-safe CSV file
 * (or standard output). With `--out`, the file appears only once it is complete.
 */
import type { Database, Tx } from '../../db/database.js';
import { csvWriter, type Cell } from './csv-file.js';
import type { Progress } from './importer.js';

export type Exporter = {
  readonly kind: string;
  readonly columns: readonly string[];
  /** How many records `rows` will give (for the progress bar; may be approximate). */
  count(tx: Tx): Promise<number>;
  rows(tx: Tx): AsyncIterable<Readonly<Record<string, Cell>>>;
};

/**
 * Writes every record of `exporter`; returns how many were written, and whether the output took
 * them all (false when the reader of standard output went away early).
 */
export async function runExport(
  database: Database,
  exporter: Exporter,
  opts: { out: string | undefined; bom: boolean; progress: (total: number) => Progress },
): Promise<{ written: number; complete: boolean }> {
  const total = await exporter.count(database.db);
  const progress = opts.progress(total);
  const writer = csvWriter(exporter.columns, opts.out, { bom: opts.bom });
  let n = 0;
  try {
    for await (const record of exporter.rows(database.db)) {
      if (writer.closed) break; // the reader of our output is gone (`| head`): nothing left to do
      await writer.write(record);
      n++;
      progress.tick();
    }
    await writer.end();
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    progress.done();
  }
  return { written: n, complete: !writer.closed };
}
