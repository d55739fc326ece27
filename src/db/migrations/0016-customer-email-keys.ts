import type { Kysely } from 'kysely';

/**
 * Customers were matched on their e-mail trimmed and lower-cased; they now match on
 * `canonicalEmail` (`src/domain/email.ts`), which also folds Unicode compatibility forms and drops
 * the domain's trailing dot. Existing keys are recomputed, and customers that turn out to be one
 * are merged into the first created: its orders and addresses gain theirs (an address both had is
 * kept once), it takes a name only if it had none, and the others are deleted. The key function is
 * copied here, not imported: a migration must do tomorrow what it did the day it landed.
 */
const keyOf = (email: string): string =>
  email
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s.]+$/, '')
    .trim();

export async function up(db: Kysely<any>): Promise<void> {
  const customers: Array<{ id: string; email: string; email_key: string; name: string | null }> = await db
    .selectFrom('customers')
    .select(['id', 'email', 'email_key', 'name'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const survivors = new Map<string, (typeof customers)[number]>();
  for (const c of customers) {
    const key = keyOf(c.email);
    const survivor = survivors.get(key);
    if (!survivor) {
      survivors.set(key, c);
      continue;
    }
    await db
      .updateTable('orders')
      .set({ customer_id: survivor.id })
      .where('customer_id', '=', c.id)
      .execute();
    const kept = new Set(
      (
        await db
          .selectFrom('customer_addresses')
          .select('address_key')
          .where('customer_id', '=', survivor.id)
          .execute()
      ).map((a: { address_key: string }) => a.address_key),
    );
    const theirs: Array<{ id: string; address_key: string }> = await db
      .selectFrom('customer_addresses')
      .select(['id', 'address_key'])
      .where('customer_id', '=', c.id)
      .execute();
    for (const a of theirs) {
      if (kept.has(a.address_key)) await db.deleteFrom('customer_addresses').where('id', '=', a.id).execute();
      else {
        await db
          .updateTable('customer_addresses')
          .set({ customer_id: survivor.id })
          .where('id', '=', a.id)
          .execute();
        kept.add(a.address_key);
      }
    }
    if (survivor.name === null && c.name !== null) {
      survivor.name = c.name;
      await db.updateTable('customers').set({ name: c.name }).where('id', '=', survivor.id).execute();
    }
    await db.deleteFrom('customers').where('id', '=', c.id).execute();
  }
  // In two steps, so that no intermediate state holds one key twice (a key changing to another's old one); no real key lacks an @.
  const changed = [...survivors].filter(([key, c]) => c.email_key !== key);
  for (const [, c] of changed)
    await db
      .updateTable('customers')
      .set({ email_key: `~${c.id}` })
      .where('id', '=', c.id)
      .execute();
  for (const [key, c] of changed)
    await db.updateTable('customers').set({ email_key: key }).where('id', '=', c.id).execute();
}

export async function down(): Promise<void> {
  // Merged customers cannot be split again; the new keys work with the old code's exact matches.
}
