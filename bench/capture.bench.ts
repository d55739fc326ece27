/**
 * Order capture in process, without HTTP: `npx tsx bench/capture.bench.ts`. Seeds the same catalog
 * as the HTTP benchmark, then calls `placeOrder` through `Database.transact` (group commit and all)
 * at concurrency 32 for a few rounds, and prints orders/s and this process's CPU per order — the
 * figure to watch when changing the use-case or its statements.
 *
 * Options (env): BENCH_DB=sqlite|postgres (default sqlite), BENCH_SECONDS per round (default 3),
 * BENCH_CONCURRENCY (default 32), BENCH_SKUS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { placeOrder, type PlaceOrderInput } from '../src/app/orders/place-order.js';
import { openDatabase, type DatabaseConfig } from '../src/db/database.js';
import { dropPg, orderBody, pgDatabase, seedCatalog } from './harness.js';

const dialect = process.env['BENCH_DB'] === 'postgres' ? 'postgres' : 'sqlite';
const seconds = Number(process.env['BENCH_SECONDS'] ?? 3);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 32);

let config: DatabaseConfig;
let cleanup: () => Promise<void>;
if (dialect === 'sqlite') {
  const dir = mkdtempSync(join(tmpdir(), 'kibble-capture-'));
  config = { dialect, file: join(dir, 'kibble.sqlite') };
  cleanup = async () => rmSync(dir, { recursive: true, force: true });
} else {
  const name = `kibble_capture_${process.pid}`;
  config = { dialect, url: await pgDatabase(name) };
  cleanup = () => dropPg(name);
}
const { skus } = await seedCatalog(config);
const database = openDatabase(config);

async function round(): Promise<{ rate: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let orders = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const input = JSON.parse(orderBody(skus)) as PlaceOrderInput;
        const at = new Date().toISOString();
        await database.transact((tx) => placeOrder(tx, input, { actor: 'bench', requestId: null, at }));
        orders++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return {
    rate: orders / ((performance.now() - started) / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000 / orders,
  };
}

try {
  console.log(`Order capture in process — ${dialect}, concurrency ${concurrency}, ${seconds} s rounds`);
  await round(); // warm-up
  for (let i = 1; i <= 3; i++) {
    const r = await round();
    const retried = Object.entries(database.retried)
      .filter(([, n]) => n > 0)
      .map(([cause, n]) => `${cause} ${n}`);
    console.log(
      `  round ${i}: ${r.rate.toFixed(0)} orders/s, ${r.cpuMs.toFixed(2)} ms CPU per order` +
        (retried.length > 0 ? `; transactions retried so far: ${retried.join(', ')}` : ''),
    );
  }
} finally {
  await database.close();
  await cleanup();
}
