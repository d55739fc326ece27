/**
 * What an order writes to SQLite's WAL, page by page: `npx tsx bench/wal-frames.bench.ts`. Seeds the
 * benchmark's catalog, places orders in process through `Database.transact` (group commit and all),
 * then reads the WAL those orders appended and names the B-tree (table or index) of every frame with
 * SQLite's `dbstat`. Each frame is a 4 KiB page the commit writes and fsyncs, and later the
 * checkpoint writes again: the commit's cost grows with this count, and the count says which table
 * or index to look at.
 *
 * Options (env): ORDERS (default 4,000), BENCH_CONCURRENCY (default 32), BENCH_SKUS.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Sqlite from 'better-sqlite3';
import { placeOrder, type PlaceOrderInput } from '../src/app/orders/place-order.js';
import { openDatabase } from '../src/db/database.js';
import { orderBody, seedCatalog } from './harness.js';

const orders = Number(process.env['ORDERS'] ?? 4_000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 32);

const dir = mkdtempSync(join(tmpdir(), 'kibble-wal-'));
const file = join(dir, 'kibble.sqlite');
const wal = `${file}-wal`;
try {
  const { skus } = await seedCatalog({ dialect: 'sqlite', file });
  const database = openDatabase({ dialect: 'sqlite', file });
  const place = async (n: number) => {
    let left = n;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) {
          const input = JSON.parse(orderBody(skus)) as PlaceOrderInput;
          const at = new Date().toISOString();
          await database.transact((tx) => placeOrder(tx, input, { actor: 'bench', requestId: null, at }));
        }
      }),
    );
  };
  await place(1_000); // warm: customers exist, tables have their working shape

  // Empty the WAL, then hold a read transaction open so that no checkpoint can restart it: every
  // frame the measured orders write is appended after the last.
  const side = new Sqlite(file);
  side.pragma('wal_checkpoint(TRUNCATE)');
  side.exec('begin');
  side.prepare('select count(*) from skus').get();
  const before = statSync(wal).size;
  const started = performance.now();
  await place(orders);
  const seconds = (performance.now() - started) / 1000;
  const after = statSync(wal).size;
  side.exec('commit');

  const bytes = readFileSync(wal);
  const pageSize = bytes.readUInt32BE(8);
  const frameSize = 24 + pageSize;
  let commits = 0;
  const framesOfPage = new Map<number, number>();
  let frames = 0;
  for (let at = Math.max(32, before); at + frameSize <= after; at += frameSize) {
    // after the 32-byte WAL header, frames of a 24-byte header and a page
    const page = bytes.readUInt32BE(at);
    framesOfPage.set(page, (framesOfPage.get(page) ?? 0) + 1);
    frames++;
    if (bytes.readUInt32BE(at + 4) !== 0) commits++; // a commit frame carries the database size
  }
  const owner = new Map<number, string>();
  for (const r of side.prepare('select name, pageno, pagetype from dbstat').all() as Array<{
    name: string;
    pageno: number;
    pagetype: string;
  }>)
    owner.set(r.pageno, r.pagetype === 'internal' ? `${r.name} (interior pages)` : r.name);
  side.close();
  const byTree = new Map<string, number>();
  for (const [page, n] of framesOfPage) {
    const name = owner.get(page) ?? (page === 1 ? '(database header)' : '(free list)');
    byTree.set(name, (byTree.get(name) ?? 0) + n);
  }

  console.log(
    `${orders} orders at concurrency ${concurrency} in ${commits} commits (${(orders / commits).toFixed(1)} per commit), ` +
      `${(orders / seconds).toFixed(0)} orders/s in process`,
  );
  console.log(`WAL frames per order: ${(frames / orders).toFixed(2)} (${pageSize}-byte pages)`);
  for (const [name, n] of [...byTree].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env['TOP'] ?? 20)))
    console.log(`  ${(n / orders).toFixed(2).padStart(6)}  ${name}`);
  await database.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
