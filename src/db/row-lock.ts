/**
 * A row's lock for the rest of the transaction: on PostgreSQL an UPDATE that changes nothing, so a
 * second transaction taking it waits for the first to end, and every read it makes after that sees
 * what the first committed — the way to serialise commands on one order or lease. SQLite needs
 * none: its write transactions already run one at a time (and one written row would cost a commit
 * for a transaction that otherwise writes nothing).
 */
import { sql } from 'kysely';
import { isPostgres, type Tx } from './database.js';

export async function lockRow(tx: Tx, table: 'orders' | 'reservations', id: string): Promise<void> {
  if (!isPostgres(tx)) return;
  await sql`update ${sql.table(table)} set id = id where id = ${id}`.execute(tx);
}

/**
 * What a bulk command (a CSV import of thousands of rows, one transaction) may lock whole instead of
 * key by key: on PostgreSQL every transaction-long advisory lock takes a slot of the server's shared
 * lock table (`max_locks_per_transaction` × connections, 6,400 by default), so one per row ran it
 * out after ~12,000 rows ("out of shared memory"). With the table locked EXCLUSIVE (reads go on,
 * every other write to it waits for this transaction), no other transaction can change what the
 * per-key locks guard, and the commands skip them (`lockedWhole`).
 */
export type BulkScope = 'balances' | 'barcodes';
const TABLES: Record<BulkScope, readonly string[]> = {
  balances: ['balances'],
  barcodes: ['sku_barcodes', 'sku_packs'],
};
const lockedScopes = new WeakMap<Tx, Set<BulkScope>>();

export async function lockWhole(tx: Tx, scope: BulkScope): Promise<void> {
  if (!isPostgres(tx)) return;
  await sql`lock table ${sql.join(TABLES[scope].map((t) => sql.table(t)))} in exclusive mode`.execute(tx);
  const scopes = lockedScopes.get(tx) ?? new Set<BulkScope>();
  scopes.add(scope);
  lockedScopes.set(tx, scopes);
}

/** Whether this transaction locked `scope` whole (`lockWhole`): then its per-key locks are moot. */
export const lockedWhole = (tx: Tx, scope: BulkScope): boolean => lockedScopes.get(tx)?.has(scope) ?? false;
