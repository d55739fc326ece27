import { sql, type Kysely } from 'kysely';
import { int, withSeq } from './helpers.js';

/** Catalog, locations, the stock ledger and its balances, API keys, idempotency and the outbox. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('skus')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('sku_key', 'text', (c) => c.notNull().unique())
    .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('cost_minor', int)
    .addColumn('price_minor', int)
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tax_class', 'text')
    .addColumn('tracking', 'text', (c) => c.notNull().check(sql`tracking in ('none', 'lot', 'serial')`))
    .addColumn('shelf_life_days', 'integer')
    .addColumn('min_remaining_shelf_life_days', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('weight_grams', 'integer')
    .addColumn('length_mm', 'integer')
    .addColumn('width_mm', 'integer')
    .addColumn('height_mm', 'integer')
    .addColumn('is_bundle', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'skus_money_nonnegative',
      sql`coalesce(cost_minor, 0) >= 0 and coalesce(price_minor, 0) >= 0`,
    )
    .execute();
  await db.schema.createIndex('skus_product_idx').on('skus').column('product_id').execute();
  await db.schema.createIndex('skus_name_idx').on('skus').column('name').execute();

  await db.schema
    .createTable('sku_barcodes')
    .addColumn('barcode', 'text', (c) => c.primaryKey())
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sku_barcodes_sku_idx').on('sku_barcodes').column('sku_id').execute();

  await db.schema
    .createTable('sku_packs')
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 1`))
    .addColumn('barcode', 'text')
    .addPrimaryKeyConstraint('sku_packs_pk', ['sku_id', 'name'])
    .execute();

  await db.schema
    .createTable('bundle_components')
    .addColumn('bundle_sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('component_sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addPrimaryKeyConstraint('bundle_components_pk', ['bundle_sku_id', 'component_sku_id'])
    .execute();

  await db.schema
    .createTable('locations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('code_key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('lat', 'double precision')
    .addColumn('lon', 'double precision')
    .addColumn('sellable', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('bins')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('bins_location_code_uq', ['location_id', 'code'])
    .execute();

  await db.schema
    .createTable('lots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('expires_on', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('lots_sku_code_uq', ['sku_id', 'code'])
    .execute();

  // The balance row is the hot counter. The CHECKs are the database's own guarantee that stock is
  // never negative and never allocated (or quarantined) beyond what is on hand.
  await db.schema
    .createTable('balances')
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('bin_code', 'text')
    .addColumn('on_hand', int, (c) => c.notNull().defaultTo(0))
    .addColumn('allocated', int, (c) => c.notNull().defaultTo(0))
    .addColumn('quarantined', int, (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('balances_pk', ['sku_id', 'location_id', 'lot_id'])
    .addCheckConstraint('balances_on_hand_nonnegative', sql`on_hand >= 0`)
    .addCheckConstraint('balances_allocated_nonnegative', sql`allocated >= 0`)
    .addCheckConstraint('balances_quarantined_nonnegative', sql`quarantined >= 0`)
    .addCheckConstraint('balances_committed_within_on_hand', sql`allocated + quarantined <= on_hand`)
    .execute();
  await db.schema
    .createIndex('balances_location_idx')
    .on('balances')
    .columns(['location_id', 'sku_id'])
    .execute();

  await db.schema
    .createTable('safety_stock')
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('quantity', int, (c) => c.notNull().check(sql`quantity >= 0`))
    .addPrimaryKeyConstraint('safety_stock_pk', ['sku_id', 'location_id'])
    .execute();

  await db.schema
    .createTable('movements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('on_hand_delta', int, (c) => c.notNull())
    .addColumn('allocated_delta', int, (c) => c.notNull())
    .addColumn('quarantined_delta', int, (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('reference_type', 'text')
    .addColumn('reference_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('movements_sku_idx').on('movements').columns(['sku_id', 'id']).execute();
  await db.schema.createIndex('movements_created_idx').on('movements').columns(['created_at']).execute();
  await db.schema
    .createIndex('movements_reference_idx')
    .on('movements')
    .columns(['reference_type', 'reference_id'])
    .execute();

  await db.schema
    .createTable('transfers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('from_location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('to_location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('quantity', int, (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text')
    .execute();
  await db.schema
    .createIndex('transfers_status_idx')
    .on('transfers')
    .columns(['status', 'to_location_id'])
    .execute();

  await db.schema
    .createTable('counts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('approved_at', 'text')
    .execute();

  await db.schema
    .createTable('count_lines')
    .addColumn('count_id', 'text', (c) => c.notNull().references('counts.id'))
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('expected', int, (c) => c.notNull())
    .addColumn('counted', int)
    .addPrimaryKeyConstraint('count_lines_pk', ['count_id', 'sku_id', 'lot_id'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key'])
    .execute();

  await withSeq(db, db.schema.createTable('outbox'))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'outbox',
    'idempotency_keys',
    'api_keys',
    'count_lines',
    'counts',
    'transfers',
    'movements',
    'safety_stock',
    'balances',
    'lots',
    'bins',
    'locations',
    'bundle_components',
    'sku_packs',
    'sku_barcodes',
    'skus',
    'products',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
