import type { Kysely } from 'kysely';

/**
 * Cycle counts, second step: who closed a count and when, the scope it was opened with, who
 * counted each line and when, the correction movement an approval posted, and `count_claims`,
 * the database's guarantee that one (SKU, location, lot) is in at most one open count, so two
 * overlapping counts can never both post the same variance.
 *
 * SQLite adds one column per ALTER TABLE statement, hence one statement per column.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type] of [
    ['scope', 'text'], // JSON {skus: string[] | null, bins: string[] | null}
    ['updated_at', 'text'],
    ['closed_by', 'text'],
    ['cancelled_at', 'text'],
  ] as const) {
    await db.schema.alterTable('counts').addColumn(name, type).execute();
  }
  for (const name of ['counted_at', 'counted_by', 'movement_id']) {
    await db.schema.alterTable('count_lines').addColumn(name, 'text').execute();
  }
  await db.schema
    .createIndex('counts_status_idx')
    .on('counts')
    .columns(['status', 'location_id', 'id'])
    .execute();

  await db.schema
    .createTable('count_claims')
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('count_id', 'text', (c) => c.notNull().references('counts.id'))
    .addPrimaryKeyConstraint('count_claims_pk', ['location_id', 'sku_id', 'lot_id'])
    .execute();
  await db.schema.createIndex('count_claims_count_idx').on('count_claims').column('count_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('count_claims').execute();
  await db.schema.dropIndex('counts_status_idx').execute();
  for (const name of ['counted_at', 'counted_by', 'movement_id']) {
    await db.schema.alterTable('count_lines').dropColumn(name).execute();
  }
  for (const name of ['scope', 'updated_at', 'closed_by', 'cancelled_at']) {
    await db.schema.alterTable('counts').dropColumn(name).execute();
  }
}
