/**
 * A row's lock for the rest of the transaction, the same way on both databases: an UPDATE that
 * changes nothing (SQLite has no `FOR UPDATE`, and serialises write transactions anyway). On
 * PostgreSQL a second transaction taking it waits for the first to end, and every read it makes
 * after that sees what the first committed — the way to serialise commands on one order or lease.
 */
import { sql } from 'kysely';
import type { Tx } from './database.js';

export async function lockRow(tx: Tx, table: 'orders' | 'reservations', id: string): Promise<void> {
  await sql`update ${sql.table(table)} set id = id where id = ${id}`.execute(tx);
}
