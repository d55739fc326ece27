import { sql, type Kysely } from 'kysely';
import { int } from './helpers.js';

/** Customers, orders with lines, allocations (order lines and reservation leases), payments, timeline. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('customer_addresses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('address_key', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('customer_addresses_uq', ['customer_id', 'address_key'])
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('payment_status', 'text', (c) => c.notNull())
    .addColumn('fulfillment_status', 'text', (c) => c.notNull())
    .addColumn('on_shortage', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('shipping_address', 'text')
    .addColumn('subtotal_minor', int, (c) => c.notNull())
    .addColumn('discount_minor', int, (c) => c.notNull())
    .addColumn('shipping_minor', int, (c) => c.notNull())
    .addColumn('tax_minor', int, (c) => c.notNull())
    .addColumn('total_minor', int, (c) => c.notNull())
    .addColumn('hold_reason', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('orders_channel_external_uq', ['channel', 'external_id'])
    .addCheckConstraint(
      'orders_total_consistent',
      sql`total_minor = subtotal_minor - discount_minor + shipping_minor + tax_minor`,
    )
    .execute();
  await db.schema.createIndex('orders_status_idx').on('orders').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('orders_created_idx').on('orders').columns(['created_at']).execute();
  await db.schema.createIndex('orders_customer_idx').on('orders').columns(['customer_id']).execute();

  await db.schema
    .createTable('order_lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('quantity', int, (c) => c.notNull().check(sql`quantity >= 0`))
    .addColumn('cancelled_quantity', int, (c) => c.notNull().defaultTo(0))
    .addColumn('shipped_quantity', int, (c) => c.notNull().defaultTo(0))
    .addColumn('backordered', int, (c) => c.notNull().defaultTo(0))
    .addColumn('unit_price_minor', int, (c) => c.notNull())
    .addColumn('discount_minor', int, (c) => c.notNull().defaultTo(0))
    .addColumn('total_minor', int, (c) => c.notNull())
    .addCheckConstraint(
      'order_lines_backordered_within_quantity',
      sql`backordered >= 0 and backordered <= quantity`,
    )
    .addCheckConstraint(
      'order_lines_total_consistent',
      sql`total_minor = quantity * unit_price_minor - discount_minor`,
    )
    .execute();
  await db.schema
    .createIndex('order_lines_order_idx')
    .on('order_lines')
    .columns(['order_id', 'line_no'])
    .execute();
  await db.schema
    .createIndex('order_lines_backorder_idx')
    .on('order_lines')
    .columns(['sku_id', 'backordered'])
    .execute();

  // Open commitments of stock, to order lines or to reservation leases. The sum of quantities per
  // balance key equals balances.allocated (checked by tests and `stock verify`).
  await db.schema
    .createTable('allocations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_type', 'text', (c) => c.notNull().check(sql`owner_type in ('order', 'reservation')`))
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('order_line_id', 'text')
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('location_id', 'text', (c) => c.notNull().references('locations.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull())
    .addColumn('quantity', int, (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('allocations_owner_idx').on('allocations').columns(['owner_id']).execute();
  await db.schema
    .createIndex('allocations_expiry_idx')
    .on('allocations')
    .columns(['sku_id', 'expires_at'])
    .execute();
  await db.schema
    .createIndex('allocations_balance_idx')
    .on('allocations')
    .columns(['sku_id', 'location_id', 'lot_id'])
    .execute();

  await db.schema
    .createTable('reservations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku_id', 'text', (c) => c.notNull().references('skus.id'))
    .addColumn('location_id', 'text')
    .addColumn('quantity', int, (c) => c.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('order_id', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('reservations_status_idx')
    .on('reservations')
    .columns(['status', 'expires_at'])
    .execute();

  await db.schema
    .createTable('order_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .execute();
  await db.schema
    .createIndex('order_events_order_idx')
    .on('order_events')
    .columns(['order_id', 'id'])
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', int, (c) => c.notNull().check(sql`amount_minor >= 0`))
    .addColumn('captured_minor', int, (c) => c.notNull().defaultTo(0))
    .addColumn('refunded_minor', int, (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('payments_provider_reference_uq', ['provider', 'reference'])
    .addCheckConstraint(
      'payments_amounts_consistent',
      sql`captured_minor >= 0 and refunded_minor >= 0 and refunded_minor <= captured_minor`,
    )
    .execute();
  await db.schema.createIndex('payments_order_idx').on('payments').columns(['order_id']).execute();

  await db.schema
    .createTable('provider_events')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('provider_events_pk', ['provider', 'event_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'provider_events',
    'payments',
    'order_events',
    'reservations',
    'allocations',
    'order_lines',
    'orders',
    'customer_addresses',
    'customers',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
