import type { Kysely } from 'kysely';

/**
 * Where a background job that must act once per something (a day) across every process records
 * how far it has got: one row per job, moved forward by a conditional UPDATE, so of several
 * processes noticing the same day only one acts. `lot-expiry` starts empty (before every day), so
 * its first run announces every lot that stopped being sellable before it existed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('job_marks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await db.insertInto('job_marks').values({ name: 'lot-expiry', value: '' }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('job_marks').execute();
}
