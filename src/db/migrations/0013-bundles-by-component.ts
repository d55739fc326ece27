import type { Kysely } from 'kysely';

/**
 * Bundles by component: a stock change of a SKU announces the new availability of every bundle
 * containing it (`stock.changed`), and an order capture asks "is this SKU in any bundle?" for each
 * of its SKUs. The primary key (bundle, component) answers neither without a scan.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('bundle_components_component_idx')
    .on('bundle_components')
    .columns(['component_sku_id', 'bundle_sku_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bundle_components_component_idx').execute();
}
