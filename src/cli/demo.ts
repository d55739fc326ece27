import type { Database } from '../db/database.js';

/** Seeds the demo pet shop when the database has no SKUs. */
export async function seedDemoIfEmpty(database: Database, out: (line: string) => void): Promise<void> {
  const any = await database.db.selectFrom('skus').select('id').limit(1).executeTakeFirst();
  if (any) return;
  const { seedDemo } = await import('../app/demo/seed-demo.js');
  await seedDemo(database, { seed: 42, out });
}
