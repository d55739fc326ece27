/**
 * The order-capture benchmark's parts (bench/orders.bench.ts runs them; profiling scripts reuse them).
 *
 * For each database (SQLite always; PostgreSQL when reachable): seed 10,000 SKUs over 3 warehouses
 * through the real use-cases, start the real server as a child process, drive POST /api/v1/orders
 * over HTTP at concurrency 1, 8 and 32 for a fixed time (2–4 lines per order, some lines only
 * stocked in another warehouse, ~20% lot-tracked), then at 80% of the peak rate (open loop) for the
 * latency target. Prints orders/s, p50/p95/p99, server CPU ms per order and RSS, and the bare
 * database ceiling (one transaction: a conditional UPDATE and four INSERTs through the same driver).
 *
 * Every server is first warmed up at concurrency 8 for BENCH_WARMUP seconds (default 6): V8 compiles
 * the hot paths over the first ~5 s (measured with `--trace-opt`: 125, 108, 75, 28, 17 … then under
 * 10 compilations a second, CPU per order 2.0 → 0.85 ms), and a phase measured before that is
 * measuring the compiler.
 *
 * Options (env): BENCH_SECONDS (default 8), BENCH_WARMUP (default 6), BENCH_DB=sqlite|postgres|both
 * (default both).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { openDatabase, type DatabaseConfig } from '../src/db/database.js';
import { createSku } from '../src/app/catalog/create-sku.js';
import { createLocation } from '../src/app/locations/locations.js';
import { postMovement } from '../src/app/stock/post-movement.js';
// A port the kernel picked (a random pick from a fixed range can collide with the benchmark's own
// client sockets, whose local ports come from the same ephemeral range).
import { freePort } from '../test/helpers/server-process.js';

export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
export const SKUS = Number(process.env['BENCH_SKUS'] ?? 10_000);
export const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP'] ?? 6);
const ADMIN_KEY = 'kbl_bench_admin_key_0123456789';
const PG_ADMIN = process.env['KIBBLE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_SOCKET_DIR = process.env['BENCH_PG_SOCKET_DIR'] ?? '/var/run/postgresql';

/**
 * How the benchmarks reach PostgreSQL — Kibble, the seeding and the bare ceiling alike: TCP loopback
 * (127.0.0.1, as in every session's figures), or with `BENCH_PG_TRANSPORT=socket` its Unix socket.
 * Measured side by side on one database (session 11, 3,000 SKUs, four alternating rounds): the
 * socket gave Kibble 3–5% more orders/s at 0.91–0.99 against 0.94–1.06 ms of CPU per order at 8
 * clients, and the bare ceiling ~10% more (3,070–3,259 against 2,763–2,842 tx/s).
 */
export const PG_TRANSPORT: 'socket' | 'tcp' =
  process.env['BENCH_PG_TRANSPORT'] === 'socket' &&
  existsSync(join(PG_SOCKET_DIR, `.s.PGSQL.${new URL(PG_ADMIN).port || '5432'}`))
    ? 'socket'
    : 'tcp';

/** `url` (TCP) as the benchmarks connect to it (see `PG_TRANSPORT`). */
function benchPgUrl(url: string): string {
  if (PG_TRANSPORT === 'tcp') return url;
  const u = new URL(url);
  const user = u.username ? `${u.username}@` : '';
  return `postgres://${user}${u.pathname}?host=${encodeURIComponent(PG_SOCKET_DIR)}&port=${u.port || '5432'}`;
}
const WAREHOUSES = [
  { code: 'RNO', name: 'Reno NV', lat: 39.53, lon: -119.81 },
  { code: 'CMH', name: 'Columbus OH', lat: 39.96, lon: -82.99 },
  { code: 'ABE', name: 'Allentown PA', lat: 40.6, lon: -75.49 },
];
const CUSTOMERS = [
  { lat: 34.05, lon: -118.24 },
  { lat: 41.88, lon: -87.63 },
  { lat: 40.71, lon: -74.0 },
  { lat: 29.76, lon: -95.37 },
  { lat: 47.61, lon: -122.33 },
];

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

// ---------------------------------------------------------------------------------------------

export async function seedCatalog(config: DatabaseConfig): Promise<{ skus: string[] }> {
  const database = openDatabase(config);
  await database.migrate();
  const ctx = { actor: 'bench', requestId: null, at: new Date().toISOString() };
  await database.transact(async (tx) => {
    for (const w of WAREHOUSES)
      await createLocation(tx, { code: w.code, name: w.name, kind: 'warehouse', lat: w.lat, lon: w.lon });
  });
  const skus: string[] = new Array<string>(SKUS);
  const batch = 250;
  // Four transactions at a time: on PostgreSQL each statement is a round trip, and one transaction
  // at a time waits on every one (2,000 SKUs: 18.1 s, against 13.8 s four at a time, on a busy
  // machine). SQLite serialises them anyway.
  const starts = Array.from({ length: Math.ceil(SKUS / batch) }, (_, i) => i * batch);
  const seedBatch = (start: number) =>
    database.transact(async (tx) => {
      for (let i = start; i < Math.min(SKUS, start + batch); i++) {
        const sku = `BENCH-${String(i).padStart(5, '0')}`;
        const lot = i % 5 === 0;
        await createSku(tx, {
          sku,
          name: `Bench item ${i}`,
          priceMinor: 500 + (i % 50) * 100,
          tracking: lot ? 'lot' : 'none',
        });
        // Most SKUs are in all three warehouses; every 4th only in one, so some orders need two.
        const where = i % 4 === 0 ? [WAREHOUSES[i % 3]!] : WAREHOUSES;
        for (const w of where) {
          if (lot) {
            await postMovement(
              tx,
              {
                type: 'receipt',
                sku,
                location: w.code,
                quantity: 20_000,
                lot: `L${i}-A`,
                expiresOn: '2031-01-01',
              },
              ctx,
            );
            await postMovement(
              tx,
              {
                type: 'receipt',
                sku,
                location: w.code,
                quantity: 20_000,
                lot: `L${i}-B`,
                expiresOn: '2032-01-01',
              },
              ctx,
            );
          } else {
            await postMovement(tx, { type: 'receipt', sku, location: w.code, quantity: 40_000 }, ctx);
          }
        }
        skus[i] = sku;
      }
    });
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let start = starts.shift(); start !== undefined; start = starts.shift()) await seedBatch(start);
    }),
  );
  await database.close();
  return { skus };
}

// ---------------------------------------------------------------------------------------------

export type Server = { child: ChildProcess; port: number; stop(): Promise<void> };

/**
 * The Node.js flags `npm start` runs the server with (ADR 8): the benchmark measures the server as
 * users start it.
 */
export function startFlags(checkout = process.cwd()): string[] {
  const scripts = (
    JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } }
  ).scripts;
  const flags = /^node((?: --\S+)*) bin\/kibble\.js start$/.exec(scripts.start);
  if (!flags) throw new Error(`unexpected start script: ${scripts.start}`);
  return flags[1]!.split(' ').filter(Boolean);
}

export async function startServer(
  env: Record<string, string>,
  nodeArgs: readonly string[] = startFlags(),
  cwd: string = process.cwd(),
): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeArgs, 'bin/kibble.js', 'serve', '--port', String(port), '--host', '127.0.0.1'],
    {
      env: { ...process.env, ...env, KIBBLE_ADMIN_KEY: ADMIN_KEY, KIBBLE_LOG: 'off' },
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd,
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('running at')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    child,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function procStats(pid: number): { cpuMs: number; rssMb: number; anonMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // RssFile includes SQLite's memory-mapped database pages (shared, reclaimable page cache).
  const anonKb = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / 100, rssMb: rssKb / 1024, anonMb: anonKb / 1024 };
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${ADMIN_KEY}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let orderNo = 0;
export function orderBody(skus: readonly string[]): string {
  const n = 2 + Math.floor(rand() * 3);
  const chosen = new Set<string>();
  while (chosen.size < n) chosen.add(pick(skus));
  const c = pick(CUSTOMERS);
  orderNo++;
  return JSON.stringify({
    customer: { email: `customer${orderNo % 5000}@example.com`, name: 'Bench Customer' },
    shippingAddress: {
      line1: '1 Main St',
      city: 'Somewhere',
      postalCode: '00000',
      country: 'US',
      lat: c.lat,
      lon: c.lon,
    },
    currency: 'USD',
    lines: [...chosen].map((sku) => ({ sku, quantity: 1 + Math.floor(rand() * 2), unitPriceMinor: 1299 })),
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export type Phase = {
  label: string;
  orders: number;
  errors: number;
  seconds: number;
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  cpuMsPerOrder: number;
  rssMb: number;
  anonMb: number;
};

/** The server's peak RSS over a phase, sampled every 250 ms and once more when the phase ends. */
function sampleMemory(pid: number): { stop(): { rssMb: number; anonMb: number } } {
  const peak = { rssMb: 0, anonMb: 0 };
  const sample = () => {
    const now = procStats(pid);
    peak.rssMb = Math.max(peak.rssMb, now.rssMb);
    peak.anonMb = Math.max(peak.anonMb, now.anonMb);
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export async function closedLoop(
  server: Server,
  skus: readonly string[],
  concurrency: number,
  seconds: number,
  label: string,
): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  const before = procStats(server.child.pid!);
  const memory = sampleMemory(server.child.pid!);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const body = orderBody(skus);
        const t0 = performance.now();
        const status = await post(server.port, '/api/v1/orders', body);
        latencies.push(performance.now() - t0);
        if (status !== 201) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = procStats(server.child.pid!);
  const peak = memory.stop();
  latencies.sort((a, b) => a - b);
  const ok = latencies.length - errors;
  return {
    label,
    orders: ok,
    errors,
    seconds: elapsed,
    rate: ok / elapsed,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    cpuMsPerOrder: (after.cpuMs - before.cpuMs) / Math.max(1, latencies.length),
    rssMb: peak.rssMb,
    anonMb: peak.anonMb,
  };
}

export async function openLoop(
  server: Server,
  skus: readonly string[],
  rate: number,
  seconds: number,
  label: string,
): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  const before = procStats(server.child.pid!);
  const memory = sampleMemory(server.child.pid!);
  const started = performance.now();
  const total = Math.floor(rate * seconds);
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = orderBody(skus);
    const t0 = performance.now();
    inflight.push(
      post(server.port, '/api/v1/orders', body).then((status) => {
        latencies.push(performance.now() - t0);
        if (status !== 201) errors++;
      }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  const after = procStats(server.child.pid!);
  const peak = memory.stop();
  latencies.sort((a, b) => a - b);
  return {
    label,
    orders: latencies.length - errors,
    errors,
    seconds: elapsed,
    rate: (latencies.length - errors) / elapsed,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    cpuMsPerOrder: (after.cpuMs - before.cpuMs) / Math.max(1, latencies.length),
    rssMb: peak.rssMb,
    anonMb: peak.anonMb,
  };
}

// ---------------------------------------------------------------------------------------------
// The bare ceiling: one transaction = a conditional UPDATE + four INSERTs, same driver, same settings.

export function sqliteCeiling(seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'kibble-ceiling-'));
  const db = new Sqlite(join(dir, 'c.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`create table bal (id integer primary key, on_hand integer, allocated integer);
    create table o (id text primary key, body text); create table l (id text primary key, o text, q integer);
    create table m (id text primary key, q integer); create table e (id text primary key, body text);`);
  const ins = db.prepare('insert into bal values (?, 1000000000, 0)');
  for (let i = 0; i < 10000; i++) ins.run(i);
  const upd = db.prepare(
    'update bal set allocated = allocated + 1 where id = ? and on_hand - allocated >= 1',
  );
  const io = db.prepare('insert into o values (?, ?)');
  const il = db.prepare('insert into l values (?, ?, 1)');
  const im = db.prepare('insert into m values (?, 1)');
  const ie = db.prepare('insert into e values (?, ?)');
  let n = 0;
  const tx = db.transaction((i: number) => {
    upd.run(i % 10000);
    io.run(`o${i}`, '{"customer":"x"}');
    il.run(`l${i}`, `o${i}`);
    im.run(`m${i}`);
    ie.run(`e${i}`, '{"type":"order.created"}');
  });
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) tx(n++);
  const rate = n / ((performance.now() - start) / 1000);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

export async function postgresCeiling(url: string, seconds: number, clients = 8): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: clients });
  pool.on('error', () => {
    // Dropping the ceiling database afterwards ends idle clients that are still closing.
  });
  await pool.query(`create table bal (id int primary key, on_hand bigint, allocated bigint);
    create table o (id text primary key, body text); create table l (id text primary key, o text, q int);
    create table m (id text primary key, q int); create table e (id text primary key, body text);
    insert into bal select g, 1000000000, 0 from generate_series(0, 9999) g;`);
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      const c = await pool.connect();
      let i = 0;
      while (performance.now() < deadline) {
        const id = `${w}-${i++}`;
        await c.query('begin');
        await c.query('update bal set allocated = allocated + 1 where id = $1 and on_hand - allocated >= 1', [
          Math.floor(Math.random() * 10000),
        ]);
        await c.query('insert into o values ($1, $2)', [`o${id}`, '{"customer":"x"}']);
        await c.query('insert into l values ($1, $2, 1)', [`l${id}`, `o${id}`]);
        await c.query('insert into m values ($1, 1)', [`m${id}`]);
        await c.query('insert into e values ($1, $2)', [`e${id}`, '{"type":"order.created"}']);
        await c.query('commit');
        n++;
      }
      c.release();
    }),
  );
  await pool.end();
  return n / seconds;
}

// ---------------------------------------------------------------------------------------------

export async function pgAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function pgDatabase(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return benchPgUrl(u.toString());
}

export async function dropPg(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.end();
}

export function print(phases: Phase[]): void {
  console.log(
    '  phase                 orders/s   p50 ms   p95 ms   p99 ms   CPU ms/order   RSS MB  anon MB   errors',
  );
  for (const p of phases) {
    console.log(
      `  ${p.label.padEnd(20)} ${p.rate.toFixed(0).padStart(9)} ${p.p50.toFixed(1).padStart(8)} ${p.p95.toFixed(1).padStart(8)} ${p.p99.toFixed(1).padStart(8)} ${p.cpuMsPerOrder.toFixed(2).padStart(14)} ${p.rssMb.toFixed(0).padStart(8)} ${p.anonMb.toFixed(0).padStart(8)} ${String(p.errors).padStart(8)}`,
    );
  }
}

export async function runFor(dialect: 'sqlite' | 'postgres'): Promise<void> {
  let env: Record<string, string>;
  let config: DatabaseConfig;
  let cleanup: () => Promise<void>;
  let ceiling: number;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kibble-bench-'));
    const file = join(dir, 'kibble.sqlite');
    env = { KIBBLE_DB: file, DATABASE_URL: '' };
    config = { dialect: 'sqlite', file };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
    ceiling = sqliteCeiling(Math.min(5, SECONDS));
  } else {
    const name = `kibble_bench_${process.pid}`;
    const url = await pgDatabase(name);
    const ceilingName = `kibble_ceiling_${process.pid}`;
    const ceilingUrl = await pgDatabase(ceilingName);
    ceiling = await postgresCeiling(ceilingUrl, Math.min(5, SECONDS));
    await dropPg(ceilingName);
    env = { DATABASE_URL: url };
    config = { dialect: 'postgres', url };
    cleanup = () => dropPg(name);
  }
  console.log(
    `\n== ${dialect}: bare ceiling (UPDATE + 4 INSERTs per transaction${dialect === 'postgres' ? `, 8 clients, over ${PG_TRANSPORT === 'socket' ? 'the Unix socket' : 'TCP'}` : ', synchronous=FULL'}): ${ceiling.toFixed(0)} tx/s`,
  );
  const t0 = performance.now();
  const { skus } = await seedCatalog(config);
  console.log(
    `   seeded ${skus.length} SKUs over ${WAREHOUSES.length} warehouses in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const server = await startServer(env);
  try {
    await closedLoop(server, skus, 8, WARMUP_SECONDS, 'warm-up');
    const phases: Phase[] = [];
    for (const c of [1, 8, 32]) phases.push(await closedLoop(server, skus, c, SECONDS, `concurrency ${c}`));
    const peak = Math.max(...phases.map((p) => p.rate));
    phases.push(await openLoop(server, skus, Math.floor(peak * 0.8), SECONDS, `open loop @80% peak`));
    print(phases);
    console.log(
      `   peak ${peak.toFixed(0)} orders/s = ${((peak / ceiling) * 100).toFixed(0)}% of the bare ceiling`,
    );
  } finally {
    await server.stop();
    await cleanup();
  }
}
