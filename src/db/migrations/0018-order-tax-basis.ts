import type { Kysely } from 'kysely';
import { int } from './helpers.js';

/**
 * The tax an order's tax was last set at, and the goods (subtotal less discounts) it was set for. A
 * cancellation or an edit that changes the goods without stating a new tax scales the tax from this
 * basis — at the rate the channel charged — not from the previous scaling, so repeated changes never
 * drift. Both null: the order's own tax and goods are its basis (every order until its first change).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('tax_basis_minor', int).execute();
  await db.schema.alterTable('orders').addColumn('tax_basis_goods_minor', int).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('tax_basis_goods_minor').execute();
  await db.schema.alterTable('orders').dropColumn('tax_basis_minor').execute();
}
