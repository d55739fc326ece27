/**
 * Which balance rows count towards availability in the reports' SQL: the rule of `lotSellable`
 * (`src/domain/inventory/balance.ts`) pushed into the database — a row without a lot, or of an
 * active lot that expires after today plus its SKU's minimum remaining shelf life. SQLite and
 * PostgreSQL share no date arithmetic, so the cut-off dates are computed here, one per distinct
 * minimum the catalog uses (a handful), and the query picks its SKU's by a CASE.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../db/database.js';
import { addDays } from '../../domain/clock.js';

export type ShelfLifeCutoffs = { readonly today: string; readonly byDays: ReadonlyMap<number, string> };

/** Today's cut-off date per minimum remaining shelf life in use. */
export async function shelfLifeCutoffs(tx: Tx, today: string): Promise<ShelfLifeCutoffs> {
  const rows = await tx
    .selectFrom('skus')
    .select('min_remaining_shelf_life_days as days')
    .distinct()
    .where('min_remaining_shelf_life_days', '>', 0)
    .execute();
  return { today, byDays: new Map(rows.map((r) => [Number(r.days), addDays(today, Number(r.days))])) };
}

/**
 * The condition over balance `b`, its lot `t` (left-joined) and its SKU (`skuAlias`): true when the
 * row's units may be sold. A minimum changed since the cut-offs were read falls back to today's rule.
 */
export function sellableRowSql(cutoffs: ShelfLifeCutoffs, skuAlias: 'k' | 's' = 'k'): RawBuilder<boolean> {
  const cutoff =
    cutoffs.byDays.size === 0
      ? sql`${cutoffs.today}`
      : sql`case ${sql.ref(`${skuAlias}.min_remaining_shelf_life_days`)} ${sql.join(
          [...cutoffs.byDays].map(([days, date]) => sql`when ${days} then ${date}`),
          sql` `,
        )} else ${cutoffs.today} end`;
  return sql<boolean>`(b.lot_id = '' or (t.status = 'active' and (t.expires_on is null or t.expires_on > ${cutoff})))`;
}
