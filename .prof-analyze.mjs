import { readFileSync, readdirSync } from 'node:fs';
const f = readdirSync('/tmp/prof').filter((x) => x.includes('.0.001'))[0];
const p = JSON.parse(readFileSync('/tmp/prof/' + f));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
const agg = new Map();
let total = 0;
for (const [id, t] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const url = cf.url.replace(/.*node_modules\//, 'nm:').replace(/.*\/work\/main\//, '');
  const key = `${cf.functionName || '(anon)'} ${url}:${cf.lineNumber}`;
  agg.set(key, (agg.get(key) ?? 0) + t);
  total += t;
}
const cat = new Map();
for (const [k, t] of agg) {
  const c = k.startsWith('(idle)') ? 'idle' : k.startsWith('(garbage') ? 'gc' : k.includes('nm:better-sqlite3') || /^(run|all|get|prepare|exec|transaction|raw|pragma) /.test(k) ? 'sqlite-js' : k.includes('nm:kysely') ? 'kysely' : k.includes('nm:fastify') || k.includes('nm:find-my-way') || k.includes('nm:light-my-request') || k.includes('nm:avvio') ? 'fastify' : k.includes('nm:ajv') || k.includes('validation') ? 'validation' : k.includes('dist/') ? 'kibble' : k.includes('node:') ? 'node' : k.startsWith('(program)') ? 'program' : 'other';
  cat.set(c, (cat.get(c) ?? 0) + t);
}
console.log('total ms', (total / 1000).toFixed(0));
for (const [c, t] of [...cat].sort((a, b) => b[1] - a[1])) console.log(c.padEnd(12), ((100 * t) / total).toFixed(1) + '%');
console.log('---');
for (const [k, t] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(((100 * t) / total).toFixed(2).padStart(6), k);
