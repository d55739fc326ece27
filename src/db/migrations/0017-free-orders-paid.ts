import type { Kysely } from 'kysely';

/**
 * An order that owes nothing and has no money pending is `paid` (`orderPaymentStatusOf`), unless it
 * was cancelled. Orders placed before that rule that still say `unpaid` — which means none of their
 * payments holds or awaits money — are brought in line; cancelled ones keep `unpaid`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db
    .updateTable('orders')
    .set({ payment_status: 'paid' })
    .where('payment_status', '=', 'unpaid')
    .where('total_minor', '<=', 0)
    .where('status', '!=', 'cancelled')
    .execute();
}

export async function down(): Promise<void> {
  // Nothing to undo: the older code recomputes the status at the order's next change.
}
