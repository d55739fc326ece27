import type { Kysely } from 'kysely';

/**
 * Channel names became case-insensitive (stored trimmed, in lower case) and external ids are stored
 * trimmed: orders stored before under `SHOPIFY` or ` X ` would otherwise not be found by a channel's
 * retry, which would become a second order. The normalisation is JavaScript's (`trim`,
 * `toLowerCase`), not SQL's (SQLite's `lower` knows only ASCII), so the rows are read and written one
 * by one — only those that change. Where two stored orders would then share (channel, external id),
 * both already exist: the one that would move is left as it was stored.
 */
export async function up(db: Kysely<any>): Promise<void> {
  let after = '';
  for (;;) {
    const page: Array<{ id: string; channel: string; external_id: string | null }> = await db
      .selectFrom('orders')
      .select(['id', 'channel', 'external_id'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(5000)
      .execute();
    if (page.length === 0) return;
    for (const row of page) {
      const channel = row.channel.trim().toLowerCase();
      const externalId = row.external_id === null ? null : row.external_id.trim();
      if (channel === row.channel && externalId === row.external_id) continue;
      if (externalId !== null) {
        const clash = await db
          .selectFrom('orders')
          .select('id')
          .where('channel', '=', channel)
          .where('external_id', '=', externalId)
          .executeTakeFirst();
        if (clash) continue;
      }
      await db
        .updateTable('orders')
        .set({ channel, external_id: externalId })
        .where('id', '=', row.id)
        .execute();
    }
    after = page.at(-1)!.id;
  }
}

/** Nothing to undo: the names in their old spelling are not kept. */
export async function down(): Promise<void> {}
