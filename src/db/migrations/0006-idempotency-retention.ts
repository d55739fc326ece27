import type { Kysely } from 'kysely';

/** Idempotency keys expire (see src/jobs/idempotency-retention.job.ts): find the old ones by age. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('idempotency_keys_created_idx')
    .on('idempotency_keys')
    .column('created_at')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('idempotency_keys_created_idx').execute();
}
