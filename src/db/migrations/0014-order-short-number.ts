import { sql, type Kysely } from 'kysely';

/**
 * The orders list's search `q` through indexes instead of a scan of every order.
 *
 * By short number: the admin shows an order as `#F4AFBB5B`, the last eight hex digits
 * of its id (the random tail of the UUIDv7; the head is a timestamp that orders placed in the same
 * minute share). A suffix cannot use the primary key's order, so the list's search `q` finds it
 * through this index on the suffix itself. `substr(id, length(id) - 7)` means the same on SQLite
 * and PostgreSQL, and the query must spell the expression exactly so to use the index.
 *
 * By external id alone: the unique (channel, external_id) index serves a channel's look-up, not a
 * search that does not name the channel.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('orders_short_number_idx')
    .on('orders')
    .expression(sql`substr(id, length(id) - 7)`)
    .execute();
  await db.schema.createIndex('orders_external_id_idx').on('orders').column('external_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('orders_external_id_idx').execute();
  await db.schema.dropIndex('orders_short_number_idx').execute();
}
