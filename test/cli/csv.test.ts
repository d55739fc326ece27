/**
 * `kibble import` / `kibble export` through the real binary on every database: round trips,
 * all-or-nothing imports with line-numbered errors, and formula-injection-safe exports.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { assertBuilt, kibble } from '../helpers/cli.js';

assertBuilt();

const rowsOf = (csv: string): Array<Record<string, string>> => parse(csv, { columns: true, bom: true });

for (const dialect of DIALECTS) {
  describe(`kibble import/export on ${dialect}`, () => {
    let source: TestDatabase;
    let target: TestDatabase;
    let dir: string;
    const file = (name: string) => join(dir, name);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kibble-csv-'));
      [source, target] = await Promise.all([createTestDatabase(dialect), createTestDatabase(dialect)]);
      const demo = await kibble(['demo', '--seed', '3', '--skus', '150', '--no-orders'], { env: source.env });
      if (demo.code !== 0) throw new Error(`demo failed: ${demo.stderr}`);
    });
    afterAll(async () => {
      await Promise.all([source?.drop(), target?.drop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('export then import into an empty database reproduces SKUs, locations and stock exactly', async () => {
      for (const kind of ['skus', 'locations', 'stock']) {
        const r = await kibble(['export', kind, '--out', file(`${kind}.csv`)], { env: source.env });
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Exported [\\d,]+ ${kind} rows to `));
      }
      const skuRows = rowsOf(readFileSync(file('skus.csv'), 'utf8'));
      expect(skuRows).toHaveLength(150);
      expect(skuRows.some((r) => r['components'] !== '')).toBe(true);
      expect(skuRows.some((r) => r['tracking'] === 'lot' && r['shelfLifeDays'] !== '')).toBe(true);

      for (const kind of ['locations', 'skus', 'stock']) {
        const r = await kibble(['import', kind, file(`${kind}.csv`)], { env: target.env });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(
          new RegExp(`^Imported [\\d,]+ ${kind} rows from .*: [\\d,]+ created, 0 updated, 0 unchanged`),
        );
      }
      for (const kind of ['skus', 'locations', 'stock']) {
        const again = await kibble(['export', kind], { env: target.env });
        expect(again.code).toBe(0);
        expect(again.stdout).toBe(readFileSync(file(`${kind}.csv`), 'utf8'));
      }
      expect((await kibble(['stock', 'verify'], { env: target.env })).code).toBe(0);

      // The imported stock is in the ledger, attributed to the CLI and to the file.
      const ledger = () => target.database.db.selectFrom('movements').selectAll().execute();
      const moves = await ledger();
      expect(moves.length).toBeGreaterThan(100);
      expect(moves.some((m) => m.type === 'adjustment')).toBe(true);
      expect(moves.every((m) => m.type === 'adjustment' || m.type === 'quarantine')).toBe(true);
      expect(moves.every((m) => m.reason === 'stock import' && m.actor.startsWith('cli:'))).toBe(true);
      expect(
        moves.every((m) => m.reference_type === 'csv-import' && m.reference_id!.startsWith('stock.csv@')),
      ).toBe(true);

      // Importing the same files again is a no-op.
      for (const kind of ['locations', 'skus', 'stock']) {
        const r = await kibble(['import', kind, file(`${kind}.csv`)], { env: target.env });
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/: 0 created, 0 updated, [\d,]+ unchanged/);
      }
      expect(await ledger()).toHaveLength(moves.length);
    });

    it('an exported stock file with serial-tracked SKUs imports again (set mode)', async () => {
      const location = rowsOf((await kibble(['export', 'locations'], { env: source.env })).stdout)[0]![
        'code'
      ]!;
      writeFileSync(
        file('serial-skus.csv'),
        'sku,name,priceMinor,tracking\nCSV-SER-1,Serial scanner,9900,serial\n',
      );
      expect((await kibble(['import', 'skus', file('serial-skus.csv')], { env: source.env })).code).toBe(0);
      writeFileSync(
        file('serial-receipt.csv'),
        `sku,location,lot,quantity,quarantined\nCSV-SER-1,${location},SN-0001,1,\nCSV-SER-1,${location},SN-0002,1,1\n`,
      );
      const received = await kibble(['import', 'stock', file('serial-receipt.csv'), '--mode', 'receipt'], {
        env: source.env,
      });
      expect(received.stderr).toBe('');

      // The SKU, its location and its stock rows, exactly as exported, into an empty database.
      const only = (csv: string, first: string) =>
        csv
          .split('\n')
          .filter((line, i) => i === 0 || line.startsWith(`${first},`))
          .join('\n') + '\n';
      const exported = async (kind: string, first: string) => {
        const r = await kibble(['export', kind], { env: source.env });
        expect(r.code).toBe(0);
        return only(r.stdout, first);
      };
      const files = {
        locations: await exported('locations', location),
        skus: await exported('skus', 'CSV-SER-1'),
        stock: await exported('stock', 'CSV-SER-1'),
      };
      expect(rowsOf(files.stock).map((r) => [r['lot'], r['quantity'], r['quarantined']])).toEqual([
        ['SN-0001', '1', '0'],
        ['SN-0002', '1', '1'],
      ]);
      const fresh = await createTestDatabase(dialect);
      try {
        for (const [kind, csv] of Object.entries(files)) {
          writeFileSync(file(`serial-${kind}-export.csv`), csv);
          const r = await kibble(['import', kind, file(`serial-${kind}-export.csv`)], { env: fresh.env });
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
        }
        const again = await kibble(['export', 'stock'], { env: fresh.env });
        expect(again.stdout).toBe(files.stock);
        expect((await kibble(['stock', 'verify'], { env: fresh.env })).code).toBe(0);
        const twice = await kibble(['import', 'stock', file('serial-stock-export.csv')], { env: fresh.env });
        expect(twice.stdout).toMatch(/: 0 created, 0 updated, 2 unchanged/);

        // Without a serial number the row is refused with the reason.
        writeFileSync(file('serial-no-lot.csv'), `sku,location,quantity\nCSV-SER-1,${location},1\n`);
        const noLot = await kibble(['import', 'stock', file('serial-no-lot.csv')], { env: fresh.env });
        expect(noLot.code).toBe(2);
        expect(noLot.stderr).toContain(
          'line 2: lot: SKU CSV-SER-1 is serial-tracked: give the serial number in `lot`.',
        );
      } finally {
        await fresh.drop();
      }
    });

    it('reports every bad row with its line number and writes nothing at all', async () => {
      writeFileSync(
        file('bad-skus.csv'),
        [
          'sku,name,priceMinor,components',
          'CSV-GOOD-1,Good row,1299,',
          'CSV-GOOD-2,"A name on',
          'two lines",500,',
          'CSV-BAD-1,Cents as dollars,12.99,',
          'CSV-KIT-1,Kit with a ghost,2000,CSV-GOOD-1:2|NO-SUCH-SKU:1',
          'CSV-GOOD-1,Same SKU again,100,',
          '..,Dots only,100,',
        ].join('\r\n'),
      );
      const r = await kibble(['import', 'skus', file('bad-skus.csv')], { env: target.env });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        'line 5: priceMinor: must be a whole number of minor units (cents): 1299 for 12.99',
      );
      expect(r.stderr).toContain('line 6: components: item 2: Component SKU NO-SUCH-SKU does not exist.');
      expect(r.stderr).toContain('line 7: sku: names the same record as line 2');
      expect(r.stderr).toContain('line 8: sku: must not be only dots');
      expect(r.stderr).toContain('4 errors on 4 lines');
      expect(r.stderr).toContain('nothing was imported');
      const written = await target.database.db
        .selectFrom('skus')
        .select('sku')
        .where('sku', 'like', 'CSV-%')
        .execute();
      expect(written).toEqual([]);

      // A stock row the ledger refuses (it would make stock negative) cancels the whole file.
      const stock = rowsOf(readFileSync(file('stock.csv'), 'utf8')).find((s) => s['lot'] === '')!;
      const before = Number(stock['quantity']);
      writeFileSync(
        file('bad-adjust.csv'),
        `sku,location,quantity,reason\n${stock['sku']},${stock['location']},5,found\n${stock['sku']},${stock['location']},-1000000,shrinkage\n`,
      );
      const adjust = await kibble(['import', 'stock', file('bad-adjust.csv'), '--mode', 'adjust'], {
        env: target.env,
      });
      expect(adjust.code).toBe(2);
      expect(adjust.stderr).toMatch(/^line 3: quantity: An adjustment of -1000000 is refused: on hand \d+/);
      const now = rowsOf((await kibble(['export', 'stock'], { env: target.env })).stdout).find(
        (s) => s['sku'] === stock['sku'] && s['location'] === stock['location'] && s['lot'] === '',
      );
      expect(Number(now!['quantity'])).toBe(before);
    });

    it('a bundle of a SKU whose code holds a | exports and imports back as the same bundle', async () => {
      writeFileSync(
        file('pipe-skus.csv'),
        [
          'sku,name,priceMinor,components',
          'PIPE|ONE,Pipe in the code,100,',
          'PIPE,Pipe,100,',
          'ONE,One,100,',
          'KIT-PIPE,Kit,300,PIPE\\|ONE:2|ONE:1',
        ].join('\n'),
      );
      const imported = await kibble(['import', 'skus', file('pipe-skus.csv')], { env: target.env });
      expect(imported.stderr).toBe('');
      const kit = async (env: Record<string, string>) =>
        rowsOf((await kibble(['export', 'skus'], { env })).stdout).find((r) => r['sku'] === 'KIT-PIPE')!;
      const exported = await kit(target.env);
      expect(exported['components']).toBe('ONE:1|PIPE\\|ONE:2');
      // Read back into an empty database: the same two components (not PIPE, ONE:2 and ONE:1).
      const all = (await kibble(['export', 'skus'], { env: target.env })).stdout;
      const only = all
        .split('\n')
        .filter((line, i) => i === 0 || /^(PIPE\|ONE|PIPE|ONE|KIT-PIPE),/.test(line))
        .join('\n');
      writeFileSync(file('pipe-export.csv'), only);
      const fresh = await createTestDatabase(dialect);
      try {
        const back = await kibble(['import', 'skus', file('pipe-export.csv')], { env: fresh.env });
        expect(back.stderr).toBe('');
        expect((await kit(fresh.env))['components']).toBe('ONE:1|PIPE\\|ONE:2');
      } finally {
        await fresh.drop();
      }
    });

    it('a dry run checks against the database and writes nothing', async () => {
      writeFileSync(file('new-skus.csv'), 'sku,name,priceMinor\nCSV-DRY-1,Dry run SKU,100\n');
      const dry = await kibble(['import', 'skus', file('new-skus.csv'), '--dry-run'], { env: target.env });
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('Dry run: all 1 skus rows');
      expect(dry.stdout).toContain('1 created');
      expect(dry.stdout).toContain('nothing was written');
      const sku = await target.database.db
        .selectFrom('skus')
        .select('sku')
        .where('sku', '=', 'CSV-DRY-1')
        .executeTakeFirst();
      expect(sku).toBeUndefined();
    });

    it('exports cells a spreadsheet would run as formulas with a leading apostrophe, and reads them back', async () => {
      const evil = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', "'=quoted"];
      writeFileSync(
        file('evil.csv'),
        `sku,name,taxClass\n${evil.map((name, i) => `CSV-EVIL-${i},"${name.replaceAll('"', '""')}",@risky`).join('\n')}\n`,
      );
      const imported = await kibble(['import', 'skus', file('evil.csv')], { env: target.env });
      expect(imported.code).toBe(0);
      const stored = await target.database.db
        .selectFrom('skus')
        .select(['sku', 'name', 'tax_class'])
        .where('sku', 'like', 'CSV-EVIL-%')
        .orderBy('sku')
        .execute();
      // An apostrophe already protecting a formula is read as that protection, not as text.
      expect(stored.map((s) => s.name)).toEqual([...evil.slice(0, 4), '=quoted']);
      expect(stored.every((s) => s.tax_class === '@risky')).toBe(true);

      const out = await kibble(['export', 'skus'], { env: target.env });
      expect(out.code).toBe(0);
      const rows = rowsOf(out.stdout).filter((r) => r['sku']!.startsWith('CSV-EVIL-'));
      expect(rows.map((r) => r['name'])).toEqual([...evil.slice(0, 4), '=quoted'].map((n) => `'${n}`));
      expect(rows.every((r) => r['taxClass'] === "'@risky")).toBe(true);
      // No cell of the whole export starts with a formula character.
      for (const row of rowsOf(out.stdout)) {
        for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+@\t\r]|^-(?!\d)/);
      }

      writeFileSync(file('evil-out.csv'), out.stdout);
      const back = await kibble(['import', 'skus', file('evil-out.csv')], { env: target.env });
      expect(back.code).toBe(0);
      expect(back.stdout).toMatch(/: 0 created, 0 updated, [\d,]+ unchanged/);
    });

    it('refuses bytes that are not UTF-8, naming the line and column, and writes nothing', async () => {
      writeFileSync(
        file('latin1.csv'),
        Buffer.concat([
          Buffer.from('sku,name,priceMinor\nCSV-UTF-1,Fine,100\nCSV-UTF-2,Caf'),
          Buffer.from([0xe9]), // "é" in Latin-1, not UTF-8
          Buffer.from(' au lait,100\n'),
        ]),
      );
      const r = await kibble(['import', 'skus', file('latin1.csv')], { env: target.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('line 3: name: is not valid UTF-8 text');
      expect(r.stderr).toContain('nothing was imported');
      const written = await target.database.db
        .selectFrom('skus')
        .select('sku')
        .where('sku', 'like', 'CSV-UTF-%')
        .execute();
      expect(written).toEqual([]);
    });

    it('quotes a cell holding a bare carriage return, so spreadsheets keep it in one row', async () => {
      writeFileSync(file('cr.csv'), 'sku,name,product\nCSV-CR-1,"carriage\rreturn",CR product\n');
      expect((await kibble(['import', 'skus', file('cr.csv')], { env: target.env })).code).toBe(0);
      const out = await kibble(['export', 'skus'], { env: target.env });
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('\nCSV-CR-1,"carriage\rreturn",CR product,');
      // A strict reader that ends records at any line break still sees one row per SKU.
      const rows: Array<Record<string, string>> = parse(out.stdout, {
        columns: true,
        record_delimiter: ['\n', '\r'],
      });
      expect(rows.find((r) => r['sku'] === 'CSV-CR-1')?.['name']).toBe('carriage\rreturn');
    });

    it.runIf(dialect === 'sqlite')(
      'a failure of the database itself is one plain line, not a stack trace, and writes nothing',
      async () => {
        writeFileSync(file('locked.csv'), 'sku,name\nCSV-LOCKED-1,Locked\n');
        const holder = new Sqlite(target.env['KIBBLE_DB']);
        holder.prepare('begin exclusive').run(); // another process holds the write lock
        let r;
        try {
          r = await kibble(['import', 'skus', file('locked.csv')], { env: target.env });
        } finally {
          holder.prepare('rollback').run();
          holder.close();
        }
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^[^\n]*; nothing was imported\.\n$/);
        const sku = await target.database.db
          .selectFrom('skus')
          .select('sku')
          .where('sku', '=', 'CSV-LOCKED-1')
          .executeTakeFirst();
        expect(sku).toBeUndefined();
      },
      30_000,
    );

    it('exports the ledger filtered by SKU and time', async () => {
      const skus = rowsOf(readFileSync(file('stock.csv'), 'utf8'));
      const sku = skus[0]!['sku']!;
      const r = await kibble(['export', 'movements', '--sku', sku], { env: source.env });
      expect(r.code).toBe(0);
      const rows = rowsOf(r.stdout);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((m) => m['sku'] === sku && m['actor'] === 'system:demo')).toBe(true);
      expect(rows.every((m, i) => i === 0 || rows[i - 1]!['id']! < m['id']!)).toBe(true);
      const future = await kibble(['export', 'movements', '--since', '2999-01-01'], { env: source.env });
      expect(future.code).toBe(0);
      expect(future.stdout.trim()).toBe(
        'id,createdAt,type,sku,location,lot,quantity,onHandDelta,allocatedDelta,quarantinedDelta,reason,referenceType,referenceId,actor,requestId',
      );
    });

    it('rejects unknown kinds, unknown columns and missing files with exit code 2', async () => {
      const kind = await kibble(['export', 'orders'], { env: source.env });
      expect(kind.code).toBe(2);
      expect(kind.stderr).toContain('choose one of skus, locations, stock, movements');

      writeFileSync(file('typo.csv'), 'sku,location,quantiy\nX,Y,1\n');
      const typo = await kibble(['import', 'stock', file('typo.csv')], { env: source.env });
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('line 1: header: unknown column "quantiy"');
      expect(typo.stderr).toContain('line 1: header: missing required column "quantity"');

      const toDir = await kibble(['export', 'skus', '--out', dir], { env: source.env });
      expect(toDir.code).toBe(2);
      expect(toDir.stderr).toBe(`Cannot write ${dir}: it is a directory.\n`);

      const missing = await kibble(['import', 'skus', file('nope.csv')], { env: source.env });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no such file');
    });
  });
}
