/**
 * What `kibble import` and `kibble export` do (registered, and loaded only when used, by
 * src/cli/csv.command.ts). Exit codes: 0 done, 2 bad usage or any row refused (then nothing was
 * written), 1 an unexpected failure (also nothing written).
 */
import { access, constants, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { configFromEnv, openDatabase } from '../../db/database.js';
import { findSku } from '../../db/catalog.repo.js';
import { nowIso, parseInstant } from '../../domain/clock.js';
import { readCsv } from './csv-file.js';
import { runExport, type Exporter } from './exporter.js';
import { runImport, type Importer } from './importer.js';
import { locationExporter, locationImporter } from './locations.csv.js';
import { skuExporter, skuImporter } from './skus.csv.js';
import { movementExporter, stockExporter, stockImporter, stockModes, type StockMode } from './stock.csv.js';
import { exportKinds, importKinds } from '../csv.command.js';
import { progress } from '../progress.js';
import { nounFor } from '../../domain/plural.js';

const fmt = (n: number) => n.toLocaleString('en-US');

function usage(message: string): void {
  console.error(message);
  process.exitCode = 2;
}

/** Who the ledger and the audit trail name for changes made from this shell. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

function instant(value: string | undefined, option: string): string | undefined | null {
  if (value === undefined) return undefined;
  const d = parseInstant(value);
  if (d === null) {
    usage(
      `${option} must be a real date or an ISO-8601 instant with its zone, e.g. 2025-01-31, 2025-01-31T12:00:00Z or 2025-01-31T13:00:00+01:00.`,
    );
    return null;
  }
  return d.toISOString();
}

export async function runImportCommand(
  kind: string,
  file: string,
  opts: { dryRun?: boolean; mode?: string },
): Promise<void> {
  if (!(importKinds as readonly string[]).includes(kind)) {
    return usage(`Cannot import "${kind}": choose one of ${importKinds.join(', ')}.`);
  }
  if (opts.mode !== undefined && kind !== 'stock') return usage('--mode only applies to `import stock`.');
  const mode = (opts.mode ?? 'set') as StockMode;
  if (!(stockModes as readonly string[]).includes(mode)) {
    return usage(`--mode must be one of ${stockModes.join(', ')}.`);
  }
  const importer = (
    kind === 'skus' ? skuImporter : kind === 'locations' ? locationImporter : stockImporter(mode)
  ) as Importer<unknown>;

  let table;
  try {
    table = await readCsv(file, importer);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      return usage(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code}.`);
    }
    throw error;
  }
  const name = file === '-' ? 'standard input' : file;
  if (table.rows.length === 0 && table.errors.length === 0) {
    console.log(`No rows to import in ${name}.`);
    return;
  }

  const database = openDatabase(configFromEnv());
  try {
    await database.migrate();
    const at = nowIso();
    const report = await runImport(database, importer, table, {
      dryRun: opts.dryRun === true,
      progress: (total) => progress(`${opts.dryRun ? 'checking' : 'importing'} ${kind}`, total),
      ctx: {
        actor: cliActor(),
        requestId: null,
        at,
        reference: { type: 'csv-import', id: `${basename(file === '-' ? 'stdin' : file)}@${at}`.slice(-100) },
        movements: 0,
      },
    }).catch((error: unknown) => {
      // Not a refused row but a failure of the database itself (locked, out of lock memory, …):
      // everything was rolled back; say so plainly instead of dumping a stack trace.
      const cause = (error as { cause?: { code?: string } }).cause;
      console.error(`${error instanceof Error ? error.message : String(error)}; nothing was imported.`);
      if (cause?.code === '53200') {
        console.error(
          'PostgreSQL ran out of lock slots for this one transaction: split the file or raise max_locks_per_transaction.',
        );
      }
      process.exitCode = 1;
      return null;
    });
    if (report === null) return;
    if (report.errors.length > 0) {
      for (const e of report.errors) console.error(`line ${e.line}: ${e.field}: ${e.message}`);
      if (report.errors.length > 20) {
        // Thousands of lines usually share a cause or two (a location not imported yet): name them.
        const tally = new Map<string, number>();
        for (const e of report.errors) {
          const key = `${e.field}: ${e.message}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
        console.error('Most frequent:');
        for (const [key, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 5))
          console.error(`  ${fmt(n)} × ${key}`);
      }
      const lines = new Set(report.errors.map((e) => e.line)).size;
      console.error(
        `${fmt(report.errors.length)} ${nounFor(report.errors.length, 'error')} on ${fmt(lines)} ${nounFor(lines, 'line')} of ${name}; nothing was imported.`,
      );
      process.exitCode = 2;
      return;
    }
    const counts = `${fmt(report.created)} created, ${fmt(report.updated)} updated, ${fmt(report.unchanged)} unchanged`;
    const moves =
      kind === 'stock' ? `; ${fmt(report.movements)} ${nounFor(report.movements, 'stock movement')}` : '';
    const how = kind === 'stock' ? ` (mode ${mode})` : '';
    if (opts.dryRun) {
      console.log(
        `Dry run: all ${fmt(report.rows)} ${kind} rows of ${name} are valid${how}: ${counts}${moves} — nothing was written.`,
      );
    } else {
      console.log(`Imported ${fmt(report.rows)} ${kind} rows from ${name}${how}: ${counts}${moves}.`);
    }
  } finally {
    await database.close();
  }
}

export async function runExportCommand(
  kind: string,
  opts: { out?: string; bom?: boolean; since?: string; until?: string; sku?: string },
): Promise<void> {
  if (!(exportKinds as readonly string[]).includes(kind)) {
    return usage(`Cannot export "${kind}": choose one of ${exportKinds.join(', ')}.`);
  }
  if (kind !== 'movements' && (opts.since || opts.until || opts.sku)) {
    return usage('--since, --until and --sku only apply to `export movements`.');
  }
  const since = instant(opts.since, '--since');
  const until = instant(opts.until, '--until');
  if (since === null || until === null) return;
  if (opts.out !== undefined) {
    const dir = dirname(resolve(opts.out));
    try {
      await access(dir, constants.W_OK);
    } catch {
      return usage(`Cannot write ${opts.out}: ${dir} is not a writable directory.`);
    }
    // The export is renamed onto --out at the end: a directory there would fail only then.
    const existing = await stat(opts.out).catch(() => null);
    if (existing?.isDirectory()) return usage(`Cannot write ${opts.out}: it is a directory.`);
  }
  const database = openDatabase(configFromEnv());
  try {
    await database.migrate();
    let exporter: Exporter;
    if (kind === 'movements') {
      let skuId: string | undefined;
      if (opts.sku !== undefined) {
        const sku = await findSku(database.db, opts.sku);
        if (!sku) return usage(`SKU ${opts.sku} does not exist.`);
        skuId = sku.id;
      }
      exporter = movementExporter({
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        ...(skuId ? { skuId } : {}),
      });
    } else {
      exporter = kind === 'skus' ? skuExporter : kind === 'locations' ? locationExporter : stockExporter;
    }
    const { written: n, complete } = await runExport(database, exporter, {
      out: opts.out,
      bom: opts.bom === true,
      progress: (total) => progress(`exporting ${kind}`, total),
    });
    if (opts.out !== undefined) console.log(`Exported ${fmt(n)} ${kind} rows to ${opts.out}.`);
    else if (complete) console.error(`Exported ${fmt(n)} ${kind} rows.`);
  } finally {
    await database.close();
  }
}
