/**
 * Order-capture benchmark: `npm run bench` (builds first). See bench/harness.ts and docs/benchmarks.md.
 * Options (env): BENCH_SECONDS (default 8), BENCH_DB=sqlite|postgres|both (default both), BENCH_SKUS.
 */
import { agent, pgAvailable, runFor, SECONDS, SKUS } from './harness.js';

const which = process.env['BENCH_DB'] ?? 'both';
console.log(`Kibble order-capture benchmark — ${SKUS} SKUs, ${SECONDS} s per phase, node ${process.version}`);
if (which !== 'postgres') await runFor('sqlite');
if (which !== 'sqlite') {
  if (await pgAvailable()) await runFor('postgres');
  else console.log('\n== postgres: not reachable, skipped');
}
agent.destroy();
