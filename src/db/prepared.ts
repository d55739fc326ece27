/**
 * Statements compiled once. Kysely builds an operation tree and compiles it to SQL on every call:
 * 25–40 µs for an INSERT of a dozen columns, about a third of an order capture's CPU. A prepared
 * statement is written with the same type-checked builder, but built once per database and shape
 * with placeholders in place of the values; each call only binds the values.
 *
 *   const byKey = prepare((db, p: { key: string }) => db.selectFrom('skus').selectAll().where('sku_key', '=', p.key));
 *   const { rows } = await byKey(tx, { key });
 *
 * The builder sees placeholders, never values, so it cannot branch on them; it may branch on the
 * shape (array lengths, which object keys are present, which values are undefined), which is part
 * of the cache key — but not on the order of an object's keys. Arrays of values (`in` lists) and
 * arrays of rows (multi-row INSERTs) are supported.
 */
import type { Compilable, CompiledQuery, QueryResult, Transaction } from 'kysely';
import { RawNode } from 'kysely';
import { isPostgres, keepConnection, namedStatement, openConnectionOf, type Tx } from './database.js';
import type { DB } from './schema.js';

/** A placeholder: where in the parameters object its value is found. */
class Slot {
  constructor(readonly path: readonly (string | number)[]) {}
}

/** The SQL and its operation node (built once: Kysely freezes every node it makes). */
type Text = { readonly sql: string; readonly node: RawNode };
/** `slots`: the placeholders it was built with, the shape every call of it has. */
type Statement = Text & { readonly binds: readonly Bind[]; readonly slots: unknown };
const textOf = (sql: string): Text => ({ sql, node: RawNode.createWithSql(sql) });
type Bind = Slot | { readonly constant: unknown };

/** A value or structure of placeholders mirroring `value`. */
function slotsFor(value: unknown, path: readonly (string | number)[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => slotsFor(v, [...path, i]));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = slotsFor(value[k], [...path, k]);
    return out;
  }
  return value === undefined ? undefined : new Slot(path);
}

/**
 * The parts of a value that change the SQL: array lengths, object keys, undefined. An array whose
 * elements all share the first one's shape (the rows of a multi-row INSERT) is written as its
 * length and that one shape: the key stays short and costs one element's work to build.
 */
export function shapeOf(value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const first: unknown = value[0];
    let uniform = true;
    for (let i = 1; i < value.length && uniform; i++) uniform = sameShape(value[i], first);
    if (uniform) return `[${value.length}*${shapeOf(first)}]`;
    let s = '[';
    for (const v of value) s += `${shapeOf(v)},`;
    return `${s}]`;
  }
  if (isRecord(value)) {
    let s = '{';
    for (const k in value) s += `${k}:${shapeOf(value[k])},`;
    return `${s}}`;
  }
  return value === undefined ? 'u' : '';
}

/**
 * Whether `a` has the shape of `b`, without building either shape; `b` may be a statement's own
 * tree of placeholders (a placeholder stands for any value but undefined). Later rows only need
 * the same keys as the first, in any order: each value is found by its key, so the order of keys
 * never changes which value goes where (builders must not make it change the SQL).
 */
function sameShape(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameShape(a[i], b[i])) return false;
    return true;
  }
  if (isStructure(a)) {
    if (!isStructure(b) || Array.isArray(b)) return false;
    let keys = 0;
    for (const k in a) {
      keys++;
      if (!Object.hasOwn(b, k) || !sameShape(a[k], b[k])) return false;
    }
    for (const k in b) if (Object.hasOwn(b, k)) keys--;
    return keys === 0;
  }
  return (a === undefined) === (b === undefined) && !isStructure(b);
}

/** An object or array whose parts shape the SQL (a placeholder, a Date or a Buffer is one value). */
function isStructure(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && !(value instanceof Slot);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !Buffer.isBuffer(value);
}

function containsSlot(value: unknown): boolean {
  if (value instanceof Slot) return true;
  if (Array.isArray(value)) return value.some(containsSlot);
  return isRecord(value) && Object.values(value).some(containsSlot);
}

function valueAt(params: unknown, path: readonly (string | number)[]): unknown {
  let v = params;
  for (const key of path) v = (v as Record<string | number, unknown>)[key];
  return v;
}

const MAX_SHAPES = 256;

/** A prepared statement's compiled shapes on one database, and the one its last call used. */
type Cache = { readonly statements: Map<string, Statement>; last: Statement | undefined };

function bound(statement: Statement, params: unknown): Bound {
  const parameters = statement.binds.map((b) => (b instanceof Slot ? valueAt(params, b.path) : b.constant));
  return { sql: statement.sql, node: statement.node, parameters };
}

/** A statement bound to its values, not yet executed (see `writeAll`). */
export type Bound = Text & { readonly parameters: readonly unknown[] };

export type Prepared<P, R> = {
  (tx: Tx, params: P): Promise<QueryResult<R>>;
  /** The statement with its values, to run later with `writeAll`. */
  bind(tx: Tx, params: P): Bound;
};

export function prepare<P extends object, R>(build: (db: Tx, p: P) => Compilable<R>): Prepared<P, R> {
  // One cache per database (its dialect adapter instance): the SQL differs between dialects.
  const byDatabase = new WeakMap<object, Cache>();
  const bind = (tx: Tx, params: P): Bound => {
    const adapter = tx.getExecutor().adapter;
    let cache = byDatabase.get(adapter);
    if (cache === undefined) byDatabase.set(adapter, (cache = { statements: new Map(), last: undefined }));
    // Most calls have the shape of the call before: comparing with it builds nothing.
    const last = cache.last;
    if (last !== undefined && sameShape(params, last.slots)) return bound(last, params);
    const shape = shapeOf(params);
    const { statements } = cache;
    let statement = statements.get(shape);
    if (statement === undefined) {
      const slots = slotsFor(params, []);
      const compiled = build(tx, slots as P).compile();
      statement = {
        ...textOf(compiled.sql),
        slots,
        binds: compiled.parameters.map((v) => {
          if (v instanceof Slot) return v;
          // An object or array value (JSON, a PostgreSQL array) would become placeholders inside a
          // constant, frozen at the first call's values: pass it serialised instead.
          if (containsSlot(v)) throw new TypeError('prepare(): pass object and array values serialised');
          return { constant: v };
        }),
      };
      namedStatement(compiled.sql);
      if (statements.size >= MAX_SHAPES) statements.clear(); // e.g. orders of every length 1–500
      statements.set(shape, statement);
    }
    cache.last = statement;
    return bound(statement, params);
  };
  const run = async (tx: Tx, params: P) => execute<R>(tx, bind(tx, params));
  return Object.assign(run, { bind });
}

/**
 * Inside a transaction a statement goes to the transaction's connection directly, kept from the
 * first prepared statement on (`keepConnection`, forgotten by `transact` when the work ends).
 * Kysely's own path builds a fresh executor and two nested async closures around every driver call
 * — a fifth of everything an order capture allocated. Both drivers run one statement at a time on a
 * connection (better-sqlite3 is synchronous; `pg` queues), and Kibble's Kysely has no plugins to
 * transform results. Outside a transaction every statement takes a pool connection and gives it back.
 */
function execute<R>(tx: Tx, bound: Bound): Promise<QueryResult<R>> {
  const query: CompiledQuery<R> = {
    sql: bound.sql,
    query: bound.node,
    parameters: bound.parameters,
    queryId: QUERY_ID,
  };
  const connection = openConnectionOf(tx);
  if (connection !== undefined) return connection.executeQuery<R>(query);
  if (!tx.isTransaction) return tx.executeQuery(query);
  return tx.getExecutor().provideConnection((c) => {
    keepConnection(tx as Transaction<DB>, c);
    return c.executeQuery<R>(query);
  });
}

/** Runs `bound` now, or queues it on `writes` when the caller gathers writes for `writeAll`. */
export async function writeOrQueue(tx: Tx, bound: Bound, writes: Bound[] | undefined): Promise<void> {
  if (writes) writes.push(bound);
  else await execute(tx, bound);
}

/**
 * Combined statements, found by walking the writes' SQL texts one by one (a trie): looking up
 * strings the prepared statements already hold costs no new string, where one key joined from
 * every text would be a few kilobytes built and hashed per call.
 */
type Combination = { text: Text | undefined; readonly next: Map<string, Combination> };
let combined: Combination = { text: undefined, next: new Map() };
let combinedCount = 0;

function combinationOf(writes: readonly Bound[]): Combination {
  if (combinedCount >= MAX_SHAPES) {
    combined = { text: undefined, next: new Map() };
    combinedCount = 0;
  }
  let node = combined;
  for (const w of writes) {
    let next = node.next.get(w.sql);
    if (next === undefined) node.next.set(w.sql, (next = { text: undefined, next: new Map() }));
    node = next;
  }
  return node;
}

/** PostgreSQL's wire protocol counts a statement's parameters in 16 bits; stay well below. */
const MAX_COMBINED_PARAMETERS = 30_000;
const parameterCount = (writes: readonly Bound[]) => writes.reduce((n, w) => n + w.parameters.length, 0);

/**
 * Runs writes nobody reads back within the transaction (INSERTs whose result is not needed), in
 * order. On PostgreSQL they travel as ONE statement of data-modifying CTEs — one round trip instead
 * of one each, which is most of an order capture's cost there; foreign keys between them are
 * checked at the end of that statement. On SQLite, where a statement costs no round trip, they run
 * one after another.
 */
export async function writeAll(tx: Tx, writes: readonly Bound[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1 || !isPostgres(tx) || parameterCount(writes) > MAX_COMBINED_PARAMETERS) {
    for (const w of writes) await execute(tx, w);
    return;
  }
  const combination = combinationOf(writes);
  let text = combination.text;
  if (text === undefined) {
    let offset = 0;
    const parts = writes.map((w) => {
      // Kysely writes PostgreSQL parameters as $1…$n and quotes identifiers; no other `$` occurs,
      // which the count check below makes sure of.
      let found = 0;
      const renumbered = w.sql.replace(/\$(\d+)/g, (_, n: string) => {
        found++;
        return `$${Number(n) + offset}`;
      });
      if (found !== w.parameters.length) throw new Error(`writeAll cannot combine: ${w.sql}`);
      offset += w.parameters.length;
      return renumbered;
    });
    const main = parts.pop()!;
    text = textOf(`with ${parts.map((p, i) => `"w${i}" as (${p})`).join(', ')} ${main}`);
    combination.text = text;
    combinedCount++;
    namedStatement(text.sql);
  }
  await execute(tx, { ...text, parameters: writes.flatMap((w) => w.parameters) });
}

/** Query ids key plugin state; Kibble's Kysely has no plugins, so one shared id is enough. */
const QUERY_ID = { queryId: 'prepared' };
