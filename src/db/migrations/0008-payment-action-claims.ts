import type { Kysely } from 'kysely';

/**
 * A capture, void or refund claims its payment while the provider is called (outside any
 * transaction): a second action on the same payment meanwhile is refused instead of calling the
 * provider again (see src/app/payments/payment-actions.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('action_claimed_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('action_claimed_at').execute();
}
