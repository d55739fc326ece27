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
