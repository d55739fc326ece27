import type { Kysely } from 'kysely';

/**
 * An order captured with a channel's external id keeps the hash of the request that captured it, so
 * a repeat is told apart from a different order reusing the id (see src/app/orders/place-order.ts).
 * Orders captured before have none, and any repeat of them replays.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('capture_hash', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('capture_hash').execute();
}
