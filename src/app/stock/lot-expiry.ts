/**
 * A lot stops being sellable when the day turns — on its expiry date, or its SKU's minimum
 * remaining shelf life before it — with no movement, so no command announces it. Once a day (the
 * first run after midnight UTC, in whichever process gets there first) this writes `stock.changed`
 * for every (SKU, location) holding free units of such a lot, and for the bundles made of them
 * there, so that the newest event of a pair says what `GET /stock/{sku}` says.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { addDays, isoDate } from '../../domain/clock.js';
import { emitStockChanged } from './availability.js';

const MARK = 'lot-expiry';

/** The first day a lot expiring on `expiresOn` is not sellable (see `lotSellable`). */
const firstUnsellableDay = (expiresOn: string, minRemainingDays: number) =>
  addDays(expiresOn, -minRemainingDays);

/**
 * Announces the (SKU, location) pairs whose lots stopped being sellable after the last day
 * announced, up to the day of `ctx.at`; returns how many pairs (bundles not counted). A second run
 * the same day, here or in another process, finds the day taken and announces nothing.
 */
export async function announceLotExpiries(tx: Tx, ctx: { readonly at: string }): Promise<number> {
  const today = isoDate(ctx.at);
  const mark = await tx.selectFrom('job_marks').select('value').where('name', '=', MARK).executeTakeFirst();
  if (!mark || mark.value >= today) return 0;
  // Take the day: of two processes at once, the second waits here on PostgreSQL and then matches
  // nothing (the row is no longer `mark.value`); on SQLite transactions run one at a time.
  const taken = await tx
    .updateTable('job_marks')
    .set({ value: today })
    .where('name', '=', MARK)
    .where('value', '=', mark.value)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return 0;

  const longest = await tx
    .selectFrom('skus')
    .select((eb) => eb.fn.max('min_remaining_shelf_life_days').as('days'))
    .executeTakeFirst();
  // A lot whose first unsellable day is today at the latest expires by today + the longest minimum.
  const horizon = addDays(today, Number(longest?.days ?? 0));
  const rows = await tx
    .selectFrom('balances as b')
    .innerJoin('lots as t', 't.id', 'b.lot_id')
    .innerJoin('skus as k', 'k.id', 'b.sku_id')
    .select(['b.sku_id', 'b.location_id', 't.expires_on', 'k.min_remaining_shelf_life_days as min_days'])
    .where('t.status', '=', 'active')
    .where('t.expires_on', 'is not', null)
    .where('t.expires_on', '>', mark.value) // expired by the last day announced: announced then
    .where('t.expires_on', '<=', horizon)
    .where(sql<boolean>`b.on_hand - b.allocated - b.quarantined > 0`) // no free units: no change
    .execute();
  const pairs = rows
    .filter((r) => {
      const day = firstUnsellableDay(r.expires_on!, Number(r.min_days ?? 0));
      return day > mark.value && day <= today;
    })
    .map((r) => ({ skuId: r.sku_id, locationId: r.location_id }));
  const distinct = new Set(pairs.map((p) => `${p.skuId}|${p.locationId}`)).size;
  if (distinct > 0) await emitStockChanged(tx, pairs, ctx.at);
  return distinct;
}
