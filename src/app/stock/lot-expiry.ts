/**
 * A lot stops being sellable when the day turns — on its expiry date, or its SKU's minimum
 * remaining shelf life before it — with no movement, so no command announces it. Once a day (the
 * first run after midnight UTC, in whichever process gets there first) this writes `stock.changed`
 * for every (SKU, location) holding free units of such a lot, and for the bundles made of them
 * there, so that the newest event of a pair says what `GET /stock/{sku}` says; and it takes back
 * the allocations on lots that have expired and routes them again (`rerouteExpired`).
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { addDays, isoDate } from '../../domain/clock.js';
import { emitStockChanged } from './availability.js';
import { allocateBackorders, type WaitingBackorders } from '../orders/backorders.js';
import { holdersForLoss, lockForLosses, takeBackForLoss } from '../orders/stock-loss.js';
import type { Released } from '../orders/allocation.js';

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
  const job = { actor: 'job:lot-expiry', requestId: null, at: ctx.at };
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
  const released = await rerouteExpired(tx, today, job);
  const distinct = new Set(pairs.map((p) => `${p.skuId}|${p.locationId}`)).size;
  if (distinct > 0 || released.length > 0) await emitStockChanged(tx, [...pairs, ...released], ctx.at);
  return distinct;
}

/**
 * Allocations on lots that have expired (a lot expiring today included): an order must not ship
 * them, nor a lease hold them. Taken back as a loss would take them (`stock-loss.ts`: leases shrink,
 * order lines are backordered, in ADR 11's lock order) and routed again at once to lots still good,
 * first expiry first, or left waiting for one. A lot that is only within its SKU's minimum remaining
 * shelf life keeps its allocations: it met the rule when allocated, and the order may still ship it.
 * Returns the (SKU, location) pairs released, for their `stock.changed`.
 */
async function rerouteExpired(
  tx: Tx,
  today: string,
  ctx: { readonly actor: string; readonly requestId: null; readonly at: string },
): Promise<Released[]> {
  const held = await tx
    .selectFrom('balances as b')
    .innerJoin('lots as t', 't.id', 'b.lot_id')
    .select(['b.sku_id', 'b.location_id', 'b.lot_id', 'b.on_hand', 'b.quarantined', 't.code'])
    .where('t.expires_on', '<=', today)
    .where('b.allocated', '>', 0)
    .orderBy('b.sku_id')
    .orderBy('b.location_id')
    .orderBy('b.lot_id')
    .execute();
  if (held.length === 0) return [];
  // A loss of every unit outside quarantine takes back every allocated one.
  const keys = held.map((h) => ({
    key: { skuId: h.sku_id, locationId: h.location_id, lotId: h.lot_id },
    units: h.on_hand - h.quarantined,
    lot: h.code,
  }));
  const locked = await lockForLosses(
    tx,
    [...new Set(held.map((h) => h.sku_id))],
    await Promise.all(keys.map((k) => holdersForLoss(tx, k.key, k.units))),
  );
  const released: Released[] = [];
  const waiting: Array<WaitingBackorders[number]> = [];
  for (const k of keys) {
    // Read again under the locks just taken: a shipment may have moved units since.
    const now = await tx
      .selectFrom('balances')
      .select(['on_hand', 'quarantined'])
      .where('sku_id', '=', k.key.skuId)
      .where('location_id', '=', k.key.locationId)
      .where('lot_id', '=', k.key.lotId)
      .executeTakeFirst();
    if (!now) continue;
    const units = now.on_hand - now.quarantined;
    const taken = await takeBackForLoss(tx, k.key, units, locked, { kind: 'expiry', id: k.lot }, ctx);
    released.push(...taken.released);
    waiting.push(...taken.waiting);
  }
  await allocateBackorders(tx, waiting, ctx);
  return released;
}
