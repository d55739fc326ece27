/**
 * Registers `kibble import <skus|locations|stock> <file.csv>` and
 * `kibble export <skus|locations|stock|movements>`; the CSV formats are in docs/csv.md. The work
 * lives in src/cli/csv/ and is loaded only when one of these commands runs.
 */
import type { Command } from 'commander';

export const importKinds = ['skus', 'locations', 'stock'] as const;
export const exportKinds = ['skus', 'locations', 'stock', 'movements'] as const;

export function registerCsvCommands(program: Command): void {
  program
    .command('import')
    .description(
      'Import SKUs, locations or stock from CSV (docs/csv.md): every row is checked and applied in one transaction, all or nothing',
    )
    .argument('<kind>', importKinds.join(' | '))
    .argument('<file>', 'the CSV file, or - for standard input')
    .option('--dry-run', 'check every row against the database, report, and write nothing')
    .option(
      '--mode <mode>',
      'stock only: set (on hand is this; default), receipt (units arrived) or adjust (signed change)',
    )
    .action(async (kind: string, file: string, opts: { dryRun?: boolean; mode?: string }) => {
      const { runImportCommand } = await import('./csv/csv-commands.js');
      await runImportCommand(kind, file, opts);
    });

  program
    .command('export')
    .description('Export SKUs, locations, stock or stock movements as CSV (formula-safe), to stdout or --out')
    .argument('<kind>', exportKinds.join(' | '))
    .option('-o, --out <file>', 'write to this file (created only once complete) instead of standard output')
    .option('--bom', 'begin with a UTF-8 byte-order mark, for Excel')
    .option('--since <instant>', 'movements only: created at or after this date/instant')
    .option('--until <instant>', 'movements only: created before this date/instant')
    .option('--sku <sku>', 'movements only: of this SKU')
    .action(
      async (
        kind: string,
        opts: { out?: string; bom?: boolean; since?: string; until?: string; sku?: string },
      ) => {
        const { runExportCommand } = await import('./csv/csv-commands.js');
        await runExportCommand(kind, opts);
      },
    );
}
