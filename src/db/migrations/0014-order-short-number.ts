import { sql, type Kysely } from 'kysely';

/**
 * The orders list's search `q` by external id alone, through an index: the unique (channel,
 * external_id) index serves a channel's look-up, not a search that does not name the channel.
 * Partial: orders captured through the API without an external id add nothing to it.
 *
 * The short number the admin shows (`#F4AFBB5B`, the last eight hex digits of the id: the random
 * tail of the UUIDv7) has no index on purpose: an index on a random key takes a random page of its
 * own in every order's commit (measured: +0.37 WAL frames per order on a fresh benchmark database,
 * growing towards one per order with the table), on the capture path, for a look-up a person makes
 * now and then. That search reads the orders' ids (a scan of the smallest index).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('orders_external_id_idx')
    .on('orders')
    .column('external_id')
    .where(sql.ref('external_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('orders_external_id_idx').execute();
}
