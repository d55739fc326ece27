import { openDatabase } from './src/db/database.js';
import { seedDemo } from './src/app/demo/seed-demo.js';
import { verifyBalances } from './src/db/stock.repo.js';
import pg from 'pg';
const dialect = process.argv[2];
let database;
if (dialect === 'pg') {
  const c = new pg.Client('postgres://postgres@127.0.0.1:5432/postgres'); await c.connect();
  await c.query('drop database if exists kibble_scratch_demo with (force)'); await c.query('create database kibble_scratch_demo'); await c.end();
  database = openDatabase({ dialect: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/kibble_scratch_demo' });
} else {
  const fs = await import('node:fs'); fs.rmSync('/tmp/scratch/demo.sqlite', { force: true }); fs.rmSync('/tmp/scratch/demo.sqlite-wal', { force: true });
  database = openDatabase({ dialect: 'sqlite', file: '/tmp/scratch/demo.sqlite' });
}
await database.migrate();
const s = await seedDemo(database, { seed: 42, out: (l) => console.log(l) });
const t = performance.now();
console.log('diffs', (await verifyBalances(database.db)).length, 'verify ms', Math.round(performance.now() - t));
await database.close();
