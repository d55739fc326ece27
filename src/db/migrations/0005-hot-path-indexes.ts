import { sql, type Kysely } from 'kysely';

/**
 * Order capture writes allocation and order-line rows on every order; indexes that serve only rare
 * queries are made partial so the common row never maintains them: lease expiry looks only at
 * reservation allocations, backorder allocation only at lines that are backordered.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('allocations_expiry_idx').execute();
  await db.schema.dropIndex('allocations_balance_idx').execute();
  await db.schema
    .createIndex('allocations_lease_expiry_idx')
    .on('allocations')
    .columns(['sku_id', 'expires_at'])
    .where(sql.ref('owner_type'), '=', 'reservation')
    .execute();
  await db.schema
    .createIndex('allocations_lease_due_idx')
    .on('allocations')
    .column('expires_at')
    .where(sql.ref('owner_type'), '=', 'reservation')
    .execute();
  await db.schema.dropIndex('order_lines_backorder_idx').execute();
  await db.schema
    .createIndex('order_lines_backorder_idx')
    .on('order_lines')
    .column('sku_id')
    .where(sql.ref('backordered'), '>', 0)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('order_lines_backorder_idx').execute();
  await db.schema
    .createIndex('order_lines_backorder_idx')
    .on('order_lines')
    .columns(['sku_id', 'backordered'])
    .execute();
  await db.schema.dropIndex('allocations_lease_due_idx').execute();
  await db.schema.dropIndex('allocations_lease_expiry_idx').execute();
  await db.schema
    .createIndex('allocations_balance_idx')
    .on('allocations')
    .columns(['sku_id', 'location_id', 'lot_id'])
    .execute();
  await db.schema
    .createIndex('allocations_expiry_idx')
    .on('allocations')
    .columns(['sku_id', 'expires_at'])
    .execute();
}
