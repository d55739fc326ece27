/**
 * Side-by-side comparison of server settings, for changes smaller than this machine's run-to-run
 * noise: `ENVS='{"A":{},"B":{"SOME_VAR":"1"}}' npx tsx bench/ab.bench.ts`. Starts one server per
 * setting (environment overrides) on copies of one seeded SQLite file (`BENCH_DB=postgres`: all on
 * one seeded PostgreSQL database), then measures them in
 * alternation — short phases, order reversed every round — so a drift of the machine's speed hits
 * every setting alike. Prints per setting and phase the mean orders/s, p99 and server CPU per
 * order, the peak RSS, and each round's figures.
 *
 * Servers run with the Node.js flags of that checkout's `npm start`; a setting's `NODE_ARGS`
 * (space-separated, may be empty) replaces them.
 *
 * To compare code rather than settings, give a setting `CWD`: its server runs from that checkout
 * (say a built `git worktree` of main) — `ENVS='{"main":{"CWD":"/tmp/main"},"change":{}}'`.
 *
 * Options (env): ENVS (JSON: name → environment), KINDS (phases, default c1,c8,c32,open: closed
 * loop at that concurrency, or open loop at RATE orders/s), RATE (default 550), ROUNDS (default
 * 4), PHASE_SECONDS (default 3), BENCH_SKUS.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  closedLoop,
  dropPg,
  openLoop,
  pgDatabase,
  seedCatalog,
  startFlags,
  startServer,
  WARMUP_SECONDS,
  type Phase,
  type Server,
} from './harness.js';

const envs = JSON.parse(process.env['ENVS'] ?? '{"A":{},"B":{}}') as Record<string, Record<string, string>>;
const kinds = (process.env['KINDS'] ?? 'c1,c8,c32,open').split(',');
const rate = Number(process.env['RATE'] ?? 550);
const rounds = Number(process.env['ROUNDS'] ?? 4);
const seconds = Number(process.env['PHASE_SECONDS'] ?? 3);

const postgres = process.env['BENCH_DB'] === 'postgres';
const dir = mkdtempSync(join(tmpdir(), 'kibble-ab-'));
const pgName = `kibble_ab_${process.pid}`;
const servers = new Map<string, Server>();
try {
  const seed = join(dir, 'seed.sqlite');
  // PostgreSQL: every setting's server shares one database (Kibble runs as many processes on one).
  const url = postgres ? await pgDatabase(pgName) : '';
  const { skus } = await seedCatalog(
    postgres ? { dialect: 'postgres', url } : { dialect: 'sqlite', file: seed },
  );
  for (const [name, env] of Object.entries(envs)) {
    const file = join(dir, `${servers.size}.sqlite`);
    if (!postgres) copyFileSync(seed, file);
    const { CWD: cwd, NODE_ARGS: nodeArgs, ...settings } = env;
    const server = await startServer(
      { KIBBLE_DB: file, DATABASE_URL: url, ...settings },
      nodeArgs === undefined ? startFlags(cwd) : nodeArgs.split(' ').filter(Boolean),
      cwd,
    );
    servers.set(name, server);
    await closedLoop(server, skus, 8, WARMUP_SECONDS, 'warm-up');
    // An open loop's first second on a fresh server runs at the group commit's small-batch cost
    // until a queue builds (latencies of 0.1–3 s in its first round, whatever the setting): warm
    // that up too, so every round measures the steady state.
    if (kinds.includes('open')) await openLoop(server, skus, rate, 3, 'warm-up');
  }
  const results = new Map<string, Phase[]>();
  for (let round = 0; round < rounds; round++) {
    const names = [...servers.keys()];
    if (round % 2 === 1) names.reverse();
    for (const kind of kinds) {
      for (const name of names) {
        const server = servers.get(name)!;
        const phase =
          kind === 'open'
            ? await openLoop(server, skus, rate, seconds + 1, kind)
            : await closedLoop(server, skus, Number(kind.slice(1)), seconds, kind);
        const key = `${name} ${kind === 'open' ? `open ${rate}/s` : kind}`;
        results.set(key, [...(results.get(key) ?? []), phase]);
      }
    }
  }
  const mean = (phases: Phase[], of: (p: Phase) => number) =>
    phases.reduce((sum, p) => sum + of(p), 0) / phases.length;
  console.log(`\n${rounds} rounds of ${seconds} s phases, settings measured in alternation\n`);
  for (const [key, phases] of results) {
    console.log(
      `${key.padEnd(24)} orders/s ${mean(phases, (p) => p.rate)
        .toFixed(0)
        .padStart(5)}` +
        `  p99 ms ${mean(phases, (p) => p.p99)
          .toFixed(1)
          .padStart(6)}` +
        `  CPU ms/order ${mean(phases, (p) => p.cpuMsPerOrder).toFixed(2)}` +
        `  RSS MB ${Math.max(...phases.map((p) => p.rssMb)).toFixed(0)}` +
        `   rounds: ${phases.map((p) => `${p.rate.toFixed(0)}/s p99 ${p.p99.toFixed(0)}`).join(', ')}`,
    );
  }
} finally {
  for (const server of servers.values()) await server.stop();
  rmSync(dir, { recursive: true, force: true });
  if (postgres) await dropPg(pgName);
}
