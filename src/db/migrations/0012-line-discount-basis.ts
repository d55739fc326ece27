import type { Kysely } from 'kysely';
import { int } from './helpers.js';

/**
 * The quantity and discount a line's discount was set for. A cancellation or an edit that changes
 * the quantity prorates the discount from this basis, not from the previous proration, so repeated
 * changes never drift (3 units with 10 off, down to 1 and back to 3, is 10 off again). Both null:
 * the line's own quantity and discount are its basis (every line until its first proration).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('order_lines').addColumn('discount_basis_quantity', int).execute();
  await db.schema.alterTable('order_lines').addColumn('discount_basis_minor', int).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('order_lines').dropColumn('discount_basis_minor').execute();
  await db.schema.alterTable('order_lines').dropColumn('discount_basis_quantity').execute();
}
