/**
 * The only module that knows SQLite from PostgreSQL. Everything above it sees a `Database`:
 * a Kysely instance, a dialect flag for the few capability differences, and `transact()`.
 *
 * SQLite: one better-sqlite3 connection (WAL, synchronous=FULL, busy timeout), write transactions
 * opened with BEGIN IMMEDIATE so that concurrent processes queue instead of failing on upgrade, and
 * group commit: transactions that arrive while one is running are batched into the next one,
 * each inside its own SAVEPOINT, so one failing unit never affects another and one fsync serves many.
 *
 * PostgreSQL: a pg pool, int8/numeric parsed to safe integers, and transparent retries of
 * serialization failures and deadlocks, so they never reach a client.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type DatabaseConnection,
  type PostgresPool,
  type PostgresPoolClient,
  type QueryResult,
  type Driver,
  type Transaction,
} from 'kysely';
import type pg from 'pg';
import type { DB } from './schema.js';
import { migrations } from './migrations/index.js';
import { positiveNumberFromEnv } from '../config.js';

export type Dialect = 'sqlite' | 'postgres';

/** PostgreSQL connections per process (the bare ceiling in bench/ uses as many clients). */
const DEFAULT_POOL_SIZE = 8;

/** A query handle: the database itself or an open transaction. Use-cases take it first. */
export type Tx = Kysely<DB> | Transaction<DB>;

export type DatabaseConfig =
  | {
      readonly dialect: 'sqlite';
      readonly file: string;
      /**
       * Checkpoint the WAL from a worker thread instead of inside commits (for the long-running
       * server: a checkpoint copies thousands of pages and syncs the file, a 10–25 ms stall of
       * every request if it ran on the event loop).
       */
      readonly backgroundCheckpoints?: boolean;
    }
  | { readonly dialect: 'postgres'; readonly url: string; readonly poolSize?: number };

export interface Database {
  readonly dialect: Dialect;
  readonly db: Kysely<DB>;
  /** Runs `work` in one transaction; retried on PostgreSQL serialization failures and deadlocks. */
  transact<T>(work: (tx: Transaction<DB>) => Promise<T>, options?: TransactOptions): Promise<T>;
  /**
   * Transactions retried so far in this process, by cause (PostgreSQL only: SQLite serialises
   * writers, so none are ever retried there). A deadlock count that grows names a lock-order bug.
   */
  readonly retried: Readonly<Record<RetryCause, number>>;
  /**
   * Runs the reads of `read` on one snapshot of committed data, however many statements they take
   * and whatever commits meanwhile: a check that compares tables (`stock verify`) never sees half of
   * another process's transaction. SQLite: a deferred read transaction on the connection, which
   * takes no write lock but holds the connection (for a process of its own, the CLI); PostgreSQL:
   * REPEATABLE READ, READ ONLY.
   */
  snapshot<T>(read: (tx: Tx) => Promise<T>): Promise<T>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** What a write transaction declares about itself before it begins. */
export interface TransactOptions {
  /**
   * It changes a rule availability is computed from, without a movement: a SKU's active flag or
   * minimum shelf life, a location's sellable flag, a safety stock, a new bundle. Orders and
   * movements compute the `stock.changed` they write from those rules, and such a change announces
   * the pairs it moves from their counters: run at once, each would read the other's state from
   * before its commit, and the newest event of a pair could carry an old rule or old counters. On
   * PostgreSQL every other write transaction therefore begins by taking one advisory lock shared
   * (in the same round trip as its BEGIN), and this one takes it exclusively: it waits for the
   * writes in flight, and holds new ones back, until it commits. Rare, short commands only (and a CSV
   * import that sets such fields). SQLite runs one writer at a time: no effect.
   */
  readonly changesRules?: boolean;
}

/** The advisory lock of `TransactOptions.changesRules`, as SQL (a 64-bit key of its own name). */
const RULES_LOCK_KEY = "hashtextextended('kibble: availability rules', 0)";
/** Every write transaction's BEGIN on PostgreSQL: one round trip (simple protocol, no parameters). */
const BEGIN_SHARING_RULES = `begin; select pg_advisory_xact_lock_shared(${RULES_LOCK_KEY})`;

export type RetryCause = 'serialization' | 'deadlock' | 'uniqueViolation' | 'stalePreparedStatement';

/**
 * The transactions `transact` has open, each with its connection once a statement has asked for it
 * — for statements that skip Kysely's per-statement executor (`prepared.ts`). A transaction is
 * here exactly as long as its work runs, so a statement issued through a finished transaction (or
 * one opened some other way) goes through Kysely, which refuses a finished one, and never runs
 * inside whichever transaction has the connection now.
 */
const open = new WeakMap<Tx, DatabaseConnection | null>();

/** The connection of `tx` if `transact` has it open and a statement already asked for it. */
export function openConnectionOf(tx: Tx): DatabaseConnection | undefined {
  return open.get(tx) ?? undefined;
}

/** Keeps `connection` (`tx`'s own) for the rest of `tx`'s work, when `transact` has `tx` open. */
export function keepConnection(tx: Transaction<DB>, connection: DatabaseConnection): void {
  if (!open.has(tx)) return;
  if (tx.getExecutor().plugins.length > 0) return; // a plugin would transform results: keep Kysely's path
  open.set(tx, connection);
}

/** Runs `work` in `tx`, registered as open while the work runs, however it ends. */
async function inTransaction<T>(tx: Transaction<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  open.set(tx, null);
  try {
    return await work(tx);
  } finally {
    open.delete(tx);
  }
}

/** Whether `tx` runs on PostgreSQL: for the few statements whose best form differs (see callers). */
export function isPostgres(tx: Tx): boolean {
  return tx.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Reads `DATABASE_URL` (PostgreSQL; `KIBBLE_PG_POOL_SIZE` connections per process, default 8) or
 * `KIBBLE_DB` (SQLite file, default `./data/kibble.sqlite`).
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env['DATABASE_URL'];
  if (!url) return { dialect: 'sqlite', file: env['KIBBLE_DB'] ?? './data/kibble.sqlite' };
  const poolSize = positiveNumberFromEnv(env, 'KIBBLE_PG_POOL_SIZE', DEFAULT_POOL_SIZE, {
    whole: true,
    max: 1000,
  });
  return { dialect: 'postgres', url, poolSize };
}

/** The configuration for a long-running server: SQLite checkpoints in the background. */
export function serverConfig(config: DatabaseConfig): DatabaseConfig {
  return config.dialect === 'sqlite' ? { ...config, backgroundCheckpoints: true } : config;
}

export function openDatabase(config: DatabaseConfig): Database {
  return config.dialect === 'sqlite'
    ? openSqlite(config.file, config.backgroundCheckpoints ?? false)
    : openPostgres(config.url, config.poolSize ?? DEFAULT_POOL_SIZE);
}

// ---------------------------------------------------------------------------------------------
// SQLite

/**
 * A cached statement. A reader runs in raw mode and `columns` names its result columns; `ddl` marks
 * a schema change, after which every cached reader is prepared again (its columns may have changed).
 */
type Prepared = {
  readonly stmt: SqliteDatabase.Statement;
  columns: readonly string[] | null;
  readonly ddl: boolean;
};

const columnsOf = (stmt: SqliteDatabase.Statement) => stmt.columns().map((c) => c.name);

/**
 * Rows as objects, built here from better-sqlite3's raw arrays: its own row objects are built
 * property by property in C++, and cost about a third of a small query's time (measured on the order
 * snapshot: 86 → 63–67 µs). A repeated column name keeps its last value, as better-sqlite3 does.
 */
function toObjects<R>(rows: unknown[][], columns: readonly string[]): R[] {
  const out: R[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r]!;
    const row: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) row[columns[c]!] = values[c];
    out[r] = row as R;
  }
  return out;
}

/**
 * better-sqlite3 behind Kysely with two changes to Kysely's own driver: write transactions begin
 * IMMEDIATE (take the write lock up front, so concurrent processes wait on busy_timeout instead of
 * failing to upgrade a read lock), and prepared statements are cached by SQL text (preparing is a
 * large share of a small query's cost).
 */
class CachingSqliteConnection implements DatabaseConnection {
  readonly #db: SqliteDatabase.Database;
  readonly #cache = new Map<string, Prepared>();
  constructor(db: SqliteDatabase.Database) {
    this.#db = db;
  }
  #prepare(text: string): Prepared {
    let prepared = this.#cache.get(text);
    if (prepared === undefined) {
      const stmt = this.#db.prepare(text);
      prepared = stmt.reader
        ? { stmt: stmt.raw(true), columns: columnsOf(stmt), ddl: false }
        : { stmt, columns: null, ddl: /^\s*(create|alter|drop)\b/i.test(text) };
      if (this.#cache.size >= 1000) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(text, prepared);
    }
    return prepared;
  }
  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const prepared = this.#prepare(compiled.sql);
    const { stmt } = prepared;
    const parameters = compiled.parameters as unknown[];
    if (prepared.columns !== null) {
      const rows = stmt.all(parameters) as unknown[][];
      // Another connection changed the table's columns, and SQLite prepared the statement again.
      if (rows.length > 0 && rows[0]!.length !== prepared.columns.length) prepared.columns = columnsOf(stmt);
      return Promise.resolve({ rows: toObjects<R>(rows, prepared.columns) });
    }
    const { changes, lastInsertRowid } = stmt.run(parameters);
    if (prepared.ddl) this.#cache.clear();
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used by Kibble');
  }
}

class KibbleSqliteDriver implements Driver {
  readonly #connection: CachingSqliteConnection;
  #locked: Promise<void> | null = null;
  #unlock: (() => void) | null = null;
  constructor(private readonly database: SqliteDatabase.Database) {
    this.#connection = new CachingSqliteConnection(database);
  }
  async init(): Promise<void> {}
  /** Statements outside a transaction waiting for the one running (see OPEN_MS). */
  waiting = 0;
  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.#locked) {
      this.waiting++;
      try {
        await this.#locked;
      } finally {
        this.waiting--;
      }
    }
    this.#locked = new Promise((resolve) => (this.#unlock = resolve));
    return this.#connection;
  }
  async releaseConnection(): Promise<void> {
    const unlock = this.#unlock;
    this.#locked = null;
    this.#unlock = null;
    unlock?.();
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async destroy(): Promise<void> {
    this.database.close();
  }
}

class KibbleSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SqliteDatabase.Database) {
    super({ database });
  }
  driver: KibbleSqliteDriver | undefined;
  override createDriver(): Driver {
    return (this.driver = new KibbleSqliteDriver(this.database));
  }
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

type Pending = {
  readonly work: (tx: Transaction<DB>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
};

/**
 * Units per group commit. Larger batches amortise the fsync a little more, but a batch blocks the
 * event loop from its first statement to its commit: capped at 32, replies leave and new requests
 * are read every ~20 ms under load (measured at 900 orders/s open loop: p99 18–26 ms, against
 * 39–48 ms with 256).
 */
const MAX_BATCH = 32;

/**
 * Under load, a batch smaller than GATHER_BELOW units waits GATHER_MS for more before it starts
 * (the idea of PostgreSQL's commit_delay): a lone order pays a whole commit — the table tails it
 * shares with its neighbours written again, and an fsync — for itself, so when arrivals trickle in
 * one by one the server spends more per order exactly as it gets busier. "Under load" means units
 * arrived while the previous batch ran; a lone client never waits. Measured with the two settings
 * running side by side (interleaved 4-s phases, four rounds each): open loop at 550 orders/s p99
 * 30–38 ms against 55–92 ms without, throughput at concurrency 32 +3%, concurrency 1 and 8 unchanged.
 */
const GATHER_BELOW = 4;
const GATHER_MS = 1;

/**
 * A batch stays open to units that arrive while it runs, for up to OPEN_MS from its start (and
 * MAX_BATCH units): after its last queued unit it yields one event-loop turn, so requests read
 * meanwhile join this commit instead of waiting for it and then paying a commit of their own —
 * unless a read outside any transaction (a GET) came in too and waits for the connection: then the
 * batch commits at once, so reads wait for no more than they did before.
 * Measured side by side (`bench/ab.bench.ts`, six alternating rounds of 4 s, session 8):
 * concurrency 8 1,006 against 911 orders/s (p99 13.0 against 15.3 ms), concurrency 32 1,287
 * against 1,228, open loop at 900/s p99 34 against 40 ms (within noise), one client unchanged.
 */
const OPEN_MS = 10;

/** WAL size (frames) at which a commit checkpoints itself; with a background checkpointer, a fallback. */
const AUTOCHECKPOINT_FRAMES = 1000;
const BACKGROUND_FALLBACK_FRAMES = 4_000;
/**
 * How often the background checkpointer copies the WAL into the database file. Each checkpoint
 * ends with an fsync of the database file, and a commit's fsync of the WAL that falls meanwhile
 * waits for it (same file system, same disk): measured at 800 orders/s, the slowest 3% of commits took
 * 5–10 ms instead of ~0.5, one per checkpoint. The more often, the less each fsync has to write and
 * the shorter that wait: 20 ms against 50, side by side (`bench/ab.bench.ts`): one client p99 4.9
 * against 6.9 ms; open loop at 800/s p99 9.0 against 10.6 ms; concurrency 32 +4% orders/s, p99 28
 * against 36 ms; at 1,500/s (80% of peak) within noise (20.8 vs 25.6 ms in one run, 30.5 vs 24.7 in
 * another); about 3% more CPU per order. 250 or 1,000 ms were worse than 50 (fewer, longer waits).
 */
const CHECKPOINT_INTERVAL_MS = 20;

/**
 * A worker thread with its own connection that checkpoints the WAL every few milliseconds
 * (PASSIVE: it never blocks the writer's locks). The writer keeps a high autocheckpoint threshold as a
 * fallback; when it triggers, the worker has already copied almost every frame, so it is cheap,
 * and the next write restarts the WAL from its beginning.
 */
function startCheckpointer(file: string): { stop(): Promise<void> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.driver);
     const db = new Database(workerData.file);
     db.pragma('busy_timeout = 5000');
     db.pragma('synchronous = FULL');
     const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
     const timer = setInterval(checkpoint, workerData.intervalMs);
     parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });`,
    {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        file,
        intervalMs: CHECKPOINT_INTERVAL_MS,
      },
    },
  );
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  worker.on('error', () => {
    // Checkpointing falls back to the writer's own threshold; nothing is lost.
  });
  worker.unref();
  return {
    stop: async () => {
      if (exited) return;
      worker.ref(); // close() is awaited: keep the process alive until the worker is gone
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function openSqlite(file: string, backgroundCheckpoints: boolean): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const raw = new SqliteDatabase(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('foreign_keys = ON');
  // A 16 MiB page cache holds the hot pages (SKUs, balances, index roots); the rest is read from
  // the OS page cache. Measured: a 64 MiB cache plus a 256 MiB memory map was no faster and kept
  // the server's RSS above 200 MB.
  raw.pragma('cache_size = -16384');
  raw.pragma('temp_store = MEMORY');
  const onDisk = file !== ':memory:' && file !== '' ? file : null;
  const checkpointer = backgroundCheckpoints && onDisk !== null ? startCheckpointer(onDisk) : null;
  raw.pragma(`wal_autocheckpoint = ${checkpointer ? BACKGROUND_FALLBACK_FRAMES : AUTOCHECKPOINT_FRAMES}`);
  raw.defaultSafeIntegers(false);
  const dialect = new KibbleSqliteDialect(raw);
  const db = new Kysely<DB>({ dialect });
  /** Reads outside a transaction are waiting for the batch: it commits instead of taking in more. */
  const readersWaiting = () => (dialect.driver?.waiting ?? 0) > 0;

  const queue: Pending[] = [];
  let draining = false;
  /** The drain running now (settled when the queue is empty): `close` lets it finish first. */
  let drained: Promise<void> = Promise.resolve();
  let closing = false;

  /**
   * Runs `batch` in one transaction, each unit in a savepoint of its own (a lone first unit needs
   * none: its failure is the transaction's), taking in units that arrive meanwhile (OPEN_MS).
   */
  async function runBatch(batch: Pending[]): Promise<void> {
    const results: Result[] = [];
    try {
      await db.transaction().execute((batchTx) =>
        inTransaction(batchTx, async (tx) => {
          const started = performance.now();
          for (let i = 0; i < batch.length; i++) {
            results.push(await runUnit(tx, batch[i]!, batch.length === 1));
            const open = batch.length < MAX_BATCH && performance.now() - started < OPEN_MS;
            if (i === batch.length - 1 && open) {
              await nextTurn();
              if (!readersWaiting()) batch.push(...queue.splice(0, MAX_BATCH - batch.length));
            }
          }
        }),
      );
    } catch (error) {
      // A lone unit's own failure, or the commit failed: nothing in the batch was written.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i]!;
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  async function runUnit(tx: Transaction<DB>, item: Pending, alone: boolean): Promise<Result> {
    if (alone) return { ok: true, value: await item.work(tx) };
    await sql`savepoint unit`.execute(tx);
    try {
      const value = await item.work(tx);
      await sql`release unit`.execute(tx);
      return { ok: true, value };
    } catch (error) {
      await sql`rollback to unit`.execute(tx);
      await sql`release unit`.execute(tx);
      return { ok: false, error };
    }
  }

  // better-sqlite3 answers synchronously, so a whole transaction would otherwise run inside one
  // macrotask and no request could ever join it. Yielding one event-loop turn before each batch lets
  // every request that has already arrived enqueue its unit, and one fsync then commits them all.
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const gather = () => new Promise<void>((resolve) => setTimeout(resolve, GATHER_MS));
  async function drain(): Promise<void> {
    draining = true;
    try {
      let loaded = false; // units arrived while the previous batch ran
      do {
        await nextTurn();
        if (loaded && queue.length < GATHER_BELOW) await gather();
        await runBatch(queue.splice(0, MAX_BATCH));
        loaded = true;
      } while (queue.length > 0);
    } finally {
      draining = false;
    }
  }

  return {
    dialect: 'sqlite',
    retried: { serialization: 0, deadlock: 0, uniqueViolation: 0, stalePreparedStatement: 0 },
    db,
    transact<T>(work: (tx: Transaction<DB>) => Promise<T>, _options?: TransactOptions): Promise<T> {
      if (closing) return Promise.reject(new Error('the database is closing: no new transactions'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
        if (!draining) drained = drain();
      });
    },
    snapshot: <T>(read: (tx: Tx) => Promise<T>) =>
      db.connection().execute(async (c) => {
        await sql`begin deferred`.execute(c);
        try {
          return await read(c);
        } finally {
          await sql`rollback`.execute(c);
        }
      }),
    migrate: () => runMigrations(db),
    close: async () => {
      // Work already queued (a job's tick, a request Fastify stopped waiting for) commits or fails
      // on its own terms, not on a connection closed under it; nothing new is taken meanwhile.
      closing = true;
      while (draining) await drained;
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function toSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer ${text} is outside the safe range`);
  return n;
}

function parseNumeric(text: string): number {
  const n = Number(text);
  if (/^-?\d+$/.test(text) && !Number.isSafeInteger(n)) {
    throw new RangeError(`integer ${text} is outside the safe range`);
  }
  return n;
}

const typesFor = (driver: typeof pg) => ({
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return toSafeInteger; // int8
    if (oid === 1700) return parseNumeric; // numeric, e.g. sum(bigint)
    return driver.types.getTypeParser(oid, format);
  },
});

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';

/**
 * unique_violation: a row another transaction committed after this one looked for it ("is this SKU
 * code free?" — yes — INSERT — refused). Run again, the look-up sees that row and the use-case gives
 * its own answer (409 SKU_EXISTS, or reuses the row). A few attempts only: a violation no look-up
 * precedes stays an error.
 */
const UNIQUE_VIOLATION = '23505';
const UNIQUE_VIOLATION_ATTEMPTS = 3;

const MAX_NAMED_STATEMENTS = 500;
const MAX_CANDIDATES = 5_000;
/** A text becomes a named statement on its third use: one-off shapes stay unnamed. */
const USES_BEFORE_NAMING = 3;
/** Large multi-row statements are rare and their plans big: never named. */
const MAX_NAMED_PARAMETERS = 1_000;

/** Texts `prepare()` produced (candidates), how often they ran, and their names once named. */
const candidates = new Map<string, { uses: number; name: string | undefined }>();
let namesGiven = 0;

/**
 * Marks a hot statement's SQL (from `prepare()`): on PostgreSQL, once it has run a few times, it
 * becomes a named prepared statement, parsed and planned once per connection instead of on every
 * execution. Names are bounded (500), given only to texts that repeat and are not huge.
 */
export function namedStatement(text: string): void {
  if (candidates.size < MAX_CANDIDATES && !candidates.has(text))
    candidates.set(text, { uses: 0, name: undefined });
}

function statementName(text: string, parameters: number): string | undefined {
  const c = candidates.get(text);
  if (c === undefined || c.name !== undefined) return c?.name;
  if (
    ++c.uses >= USES_BEFORE_NAMING &&
    namesGiven < MAX_NAMED_STATEMENTS &&
    parameters <= MAX_NAMED_PARAMETERS
  )
    c.name = `k${(namesGiven++).toString(36)}`;
  return c.name;
}

/**
 * A prepared statement whose plan went stale under a schema change ("cached plan must not change
 * result type") or that the server no longer has: the connection is discarded, and the
 * transaction retried on another.
 */
const isStalePreparedStatement = (error: unknown): boolean => {
  const e = error as { code?: string; message?: string };
  return (
    e.code === '26000' ||
    (e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? ''))
  );
};

/** A pg pool whose clients send named statements for the texts `namedStatement` marked. */
function namingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let stale = false;
      return {
        query: (async (given: string, values: unknown[]) => {
          // Kysely opens `transact`'s transactions with a plain BEGIN (`changesRules` ones and
          // snapshots name an isolation level instead): see TransactOptions.
          const text = given === 'begin' ? BEGIN_SHARING_RULES : given;
          const name = statementName(text, values.length);
          try {
            return await (name === undefined
              ? client.query(text, values)
              : client.query({ name, text, values }));
          } catch (error) {
            if (isStalePreparedStatement(error)) stale = true;
            throw error;
          }
        }) as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy === true || stale),
      };
    },
    end: () => pool.end(),
  };
}

function openPostgres(url: string, poolSize: number): Database {
  // The driver is loaded when the first connection is wanted: a SQLite server never loads it.
  const pool = async () => {
    const driver = (await import('pg')).default;
    const pool = new driver.Pool({ connectionString: url, max: poolSize, types: typesFor(driver) });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it on next use.
    });
    return namingPool(pool);
  };
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const retried: Record<RetryCause, number> = {
    serialization: 0,
    deadlock: 0,
    uniqueViolation: 0,
    stalePreparedStatement: 0,
  };
  return {
    dialect: 'postgres',
    db,
    retried,
    async transact<T>(work: (tx: Transaction<DB>) => Promise<T>, options: TransactOptions = {}): Promise<T> {
      // A rules change begins without the shared lock (an explicit isolation level: not a plain
      // BEGIN), then takes it exclusively, first of all.
      const run = options.changesRules
        ? () =>
            db
              .transaction()
              .setIsolationLevel('read committed')
              .execute((tx) =>
                inTransaction(tx, async (t) => {
                  await sql.raw(`select pg_advisory_xact_lock(${RULES_LOCK_KEY})`).execute(t);
                  return work(t);
                }),
              )
        : () => db.transaction().execute((tx) => inTransaction(tx, work));
      let uniqueViolations = 0; // counted apart: serialization retries before must not use them up
      for (let attempt = 1; ; attempt++) {
        try {
          return await run();
        } catch (error) {
          const code = (error as { code?: string }).code;
          const cause: RetryCause | null =
            code === SERIALIZATION_FAILURE
              ? 'serialization'
              : code === DEADLOCK_DETECTED
                ? 'deadlock'
                : code === UNIQUE_VIOLATION && ++uniqueViolations < UNIQUE_VIOLATION_ATTEMPTS
                  ? 'uniqueViolation'
                  : isStalePreparedStatement(error)
                    ? 'stalePreparedStatement'
                    : null;
          if (cause === null || attempt >= 20) throw error;
          retried[cause]++;
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        }
      }
    },
    snapshot: <T>(read: (tx: Tx) => Promise<T>) =>
      db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read),
    migrate: () => runMigrations(db),
    close: () => db.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------

async function runMigrations(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'kibble_migrations',
    migrationLockTableName: 'kibble_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
