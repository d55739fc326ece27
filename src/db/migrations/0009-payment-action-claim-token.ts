import type { Kysely } from 'kysely';

/**
 * Whose claim a payment carries (see 0008): a token of the action that made it, so an action that
 * finishes after its claim expired and was taken over never clears the new owner's claim.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('action_claim', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('action_claim').execute();
}
