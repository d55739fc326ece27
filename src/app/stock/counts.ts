/**
 * Cycle counts: open a count at a location (optionally only some SKUs or bins), record what was
 * physically found, approve to post the variances, or cancel.
 *
 * Opening freezes `expected` = on hand of each (SKU, lot) at that instant. Approval posts one
 * `count_correction` per counted line of `counted − expected` — the difference against the
 * *frozen* quantity, as Odoo's classic inventory adjustment does — rather than `counted − on hand
 * now`. Why: a count describes the shelf at the freeze; goods received or shipped while the count
 * is open are real movements that the count did not see, and posting against the frozen figure
 * keeps them (final on hand = counted + movements since the freeze), where `counted − now` would
 * silently erase them. The correction is applied with the same conditional update as every
 * movement, so if stock moved meanwhile such that a correction would make a counter negative (or
 * leave less on hand than is allocated or quarantined), the whole approval fails with
 * NEGATIVE_STOCK (409) and nothing is posted; the count stays open to be recounted.
 * Uncounted lines are skipped: nobody looked, so nothing is known about them. Each line shows how
 * the stock of its (SKU, lot) moved since the freeze (`movedSinceOpened`): a quantity counted after
 * such a movement, not as the shelf stood at the freeze, would post that movement a second time, and
 * the admin says so before approval.
 *
 * A (location, SKU, lot) belongs to at most one open count at a time (`count_claims`, enforced by
 * its primary key), so two overlapping counts can never both post the same variance.
 * Recording serialises with approval on the count row: every write first updates the count row
 * `WHERE status = 'open'`, so a line recorded concurrently with an approval is either seen by
 * the approval or refused with INVALID_TRANSITION, never lost.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { findLot, findSkus, type SkuRow } from '../../db/catalog.repo.js';
import { appliedAt } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import {
  assertCountTransition,
  correctionsOf,
  countEntry,
  variance,
  type CountStatus,
} from '../../domain/inventory/count.js';
import { MAX_QUANTITY } from '../../domain/quantity.js';
import { barcodeCandidates, isValidGtin, skuKey } from '../../domain/sku-code.js';
import { emit } from '../outbox.js';
import {
  allocateBackorders,
  oldestFirst,
  readBackorders,
  type WaitingBackorders,
} from '../orders/backorders.js';
import { holdersForLoss, lockForLosses, takeBackForLoss } from '../orders/stock-loss.js';
import { sweepExpiredLeases, type Released } from '../orders/allocation.js';
import { emitStockChanged } from './availability.js';
import { recordMovement, resolveLocation, resolveSku, type Context } from './post-movement.js';
import { nounFor, numbered } from '../../domain/plural.js';

export type CountLineView = {
  sku: string;
  lot: string | null;
  expected: number;
  counted: number | null;
  /** counted − expected; null while uncounted. */
  variance: number | null;
  countedAt: string | null;
  countedBy: string | null;
  /** The `count_correction` movement the approval posted for this line, if any. */
  movementId: string | null;
  /**
   * Net on-hand change of this (SKU, lot) at the count's location by other movements since the count
   * was opened. Not 0: the shelf changed after the freeze, and a count recorded after that change
   * posts it twice (the correction is counted − expected): recount, or correct the count first.
   */
  movedSinceOpened: number;
};

export type CountSummary = {
  lines: number;
  counted: number;
  uncounted: number;
  withVariance: number;
  netVariance: number;
};

export type CountView = {
  id: string;
  location: string;
  status: CountStatus;
  note: string | null;
  scope: { skus: string[] | null; bins: string[] | null };
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  approvedAt: string | null;
  cancelledAt: string | null;
  closedBy: string | null;
  summary: CountSummary;
  lines?: CountLineView[];
};

export type OpenCountInput = {
  readonly location: string;
  readonly skus?: readonly string[] | undefined;
  readonly bins?: readonly string[] | undefined;
  readonly note?: string | undefined;
};

export type RecordLineInput = {
  readonly sku?: string | undefined;
  readonly barcode?: string | undefined;
  readonly lot?: string | undefined;
  readonly counted?: number | undefined;
  readonly add?: number | undefined;
};

const CHUNK = 500;

// ---------------------------------------------------------------------------------------------
// Views

type CountRow = {
  id: string;
  location_id: string;
  status: CountStatus;
  note: string | null;
  scope: string | null;
  created_by: string;
  created_at: string;
  updated_at: string | null;
  approved_at: string | null;
  cancelled_at: string | null;
  closed_by: string | null;
  location_code: string;
};

function countsQuery(tx: Tx) {
  return tx
    .selectFrom('counts as c')
    .innerJoin('locations as l', 'l.id', 'c.location_id')
    .selectAll('c')
    .select('l.code as location_code');
}

const emptySummary = (): CountSummary => ({
  lines: 0,
  counted: 0,
  uncounted: 0,
  withVariance: 0,
  netVariance: 0,
});

async function summaries(tx: Tx, ids: readonly string[]): Promise<Map<string, CountSummary>> {
  const out = new Map<string, CountSummary>();
  if (ids.length === 0) return out;
  const rows = await tx
    .selectFrom('count_lines')
    .select((eb) => [
      'count_id',
      eb.fn.countAll<number>().as('lines'),
      eb.fn.count<number>('counted').as('counted'),
      sql<number>`sum(case when counted is not null and counted <> expected then 1 else 0 end)`.as(
        'with_variance',
      ),
      sql<number>`sum(case when counted is not null then counted - expected else 0 end)`.as('net'),
    ])
    .where('count_id', 'in', ids)
    .groupBy('count_id')
    .execute();
  for (const r of rows) {
    const lines = Number(r.lines);
    const counted = Number(r.counted);
    out.set(r.count_id, {
      lines,
      counted,
      uncounted: lines - counted,
      withVariance: Number(r.with_variance ?? 0),
      netVariance: Number(r.net ?? 0),
    });
  }
  return out;
}

function countView(r: CountRow, summary: CountSummary): CountView {
  const scope = r.scope ? (JSON.parse(r.scope) as CountView['scope']) : { skus: null, bins: null };
  return {
    id: r.id,
    location: r.location_code,
    status: r.status,
    note: r.note,
    scope,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at ?? r.created_at,
    approvedAt: r.approved_at,
    cancelledAt: r.cancelled_at,
    closedBy: r.closed_by,
    summary,
  };
}

async function linesOf(
  tx: Tx,
  count: { readonly id: string; readonly location_id: string; readonly created_at: string },
  only?: { skuId: string; lotId: string },
): Promise<Array<CountLineView & { key: string }>> {
  const countId = count.id;
  let q = tx
    .selectFrom('count_lines as cl')
    .innerJoin('skus as s', 's.id', 'cl.sku_id')
    .leftJoin('lots as t', 't.id', 'cl.lot_id')
    .select((eb) =>
      eb
        .selectFrom('movements as m')
        .select(sql<number>`coalesce(sum(m.on_hand_delta), 0)`.as('moved'))
        .whereRef('m.sku_id', '=', 'cl.sku_id')
        .where('m.location_id', '=', count.location_id)
        .whereRef('m.lot_id', '=', 'cl.lot_id')
        .where('m.created_at', '>', count.created_at)
        // Not the count's own correction, once approved.
        .where((w) => w.or([w('cl.movement_id', 'is', null), w('m.id', '<>', w.ref('cl.movement_id'))]))
        .as('moved'),
    )
    .select([
      'cl.expected',
      'cl.counted',
      'cl.counted_at',
      'cl.counted_by',
      'cl.movement_id',
      's.sku',
      's.sku_key',
      't.code as lot_code',
    ])
    .where('cl.count_id', '=', countId);
  if (only) q = q.where('cl.sku_id', '=', only.skuId).where('cl.lot_id', '=', only.lotId);
  const rows = await q.execute();
  return rows
    .map((r) => ({
      key: `${r.sku_key}\u0000${r.lot_code ?? ''}`,
      sku: r.sku,
      lot: r.lot_code,
      expected: r.expected,
      counted: r.counted,
      variance: variance(r),
      countedAt: r.counted_at,
      countedBy: r.counted_by,
      movementId: r.movement_id,
      movedSinceOpened: Number(r.moved ?? 0),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One count with its lines and the variance of each. Errors: NOT_FOUND. */
export async function getCount(tx: Tx, id: string): Promise<CountView> {
  const row = await countsQuery(tx).where('c.id', '=', id).executeTakeFirst();
  if (!row) throw fieldError('NOT_FOUND', 'id', `Count ${id} does not exist.`);
  const [summary, lines] = await Promise.all([summaries(tx, [id]), linesOf(tx, row)]);
  return {
    ...countView(row, summary.get(id) ?? emptySummary()),
    lines: lines.map(({ key: _key, ...line }) => line),
  };
}

/** Counts newest first, keyset-paginated by id; without lines. Unknown location filter: empty. */
export async function listCounts(
  tx: Tx,
  opts: {
    limit: number;
    cursor?: string | undefined;
    status?: CountStatus | undefined;
    location?: string | undefined;
  },
): Promise<{ items: CountView[]; nextCursor: string | null }> {
  let q = countsQuery(tx)
    .orderBy('c.id', 'desc')
    .limit(opts.limit + 1);
  if (opts.cursor) q = q.where('c.id', '<', opts.cursor);
  if (opts.status) q = q.where('c.status', '=', opts.status);
  if (opts.location !== undefined) q = q.where('l.code_key', '=', skuKey(opts.location));
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  const sums = await summaries(
    tx,
    page.map((r) => r.id),
  );
  return {
    items: page.map((r) => countView(r, sums.get(r.id) ?? emptySummary())),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Commands

/**
 * Claims (location, SKU, lot) keys for `countId`; throws CONFLICT (409) naming `field` when one
 * is already in another open count. The primary key decides, so concurrent opens cannot overlap.
 */
async function claim(
  tx: Tx,
  countId: string,
  locationId: string,
  keys: ReadonlyArray<{ skuId: string; lotId: string }>,
  field: string,
): Promise<void> {
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const r = await tx
      .insertInto('count_claims')
      .values(
        chunk.map((k) => ({ location_id: locationId, sku_id: k.skuId, lot_id: k.lotId, count_id: countId })),
      )
      .onConflict((oc) => oc.columns(['location_id', 'sku_id', 'lot_id']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === chunk.length) continue;
    const taken = await tx
      .selectFrom('count_claims as c')
      .innerJoin('skus as s', 's.id', 'c.sku_id')
      .leftJoin('lots as t', 't.id', 'c.lot_id')
      .select(['c.count_id', 's.sku', 't.code as lot'])
      .where('c.location_id', '=', locationId)
      .where('c.count_id', '<>', countId)
      .where((eb) =>
        eb.or(chunk.map((k) => eb.and([eb('c.sku_id', '=', k.skuId), eb('c.lot_id', '=', k.lotId)]))),
      )
      .executeTakeFirst();
    throw new DomainError(
      'CONFLICT',
      `SKU ${taken?.sku ?? '?'}${taken?.lot ? ` lot ${taken.lot}` : ''} is already being counted at this location in open count ${taken?.count_id ?? '?'}; approve or cancel that count first.`,
      [{ field, message: 'is already in another open count at this location' }],
      { countId: taken?.count_id ?? null },
    );
  }
}

/**
 * Opens a count at `location`, freezing on hand per (SKU, lot): every balance there with stock,
 * narrowed to `skus` and/or to balances whose bin is in `bins`; a named untracked SKU with no stock
 * there gets a line expecting 0 (unless `bins` narrows the count). A balance has one bin, so a
 * bin-scoped count expects the whole location quantity of each balance kept in those bins.
 * Errors: UNKNOWN_LOCATION, UNKNOWN_SKU (`skus.i`),
 * VALIDATION_FAILED (a bundle, or a bin the location does not have: `bins.i`), CONFLICT (a line
 * is already in another open count).
 */
export async function openCount(tx: Tx, input: OpenCountInput, ctx: Context): Promise<CountView> {
  const location = await resolveLocation(tx, input.location);
  let skuRows: SkuRow[] | null = null;
  if (input.skus !== undefined) {
    const found = await findSkus(tx, input.skus);
    const seen = new Set<string>();
    skuRows = [];
    input.skus.forEach((code, i) => {
      const row = found.get(skuKey(code));
      if (!row) throw fieldError('UNKNOWN_SKU', `skus.${i}`, `SKU ${code} does not exist.`);
      if (row.is_bundle === 1)
        throw fieldError(
          'VALIDATION_FAILED',
          `skus.${i}`,
          `SKU ${row.sku} is a bundle: count its components.`,
        );
      if (!seen.has(row.id)) skuRows!.push(row);
      seen.add(row.id);
    });
  }
  let bins: string[] | null = null;
  if (input.bins !== undefined) {
    const named = input.bins.map((code) => code.trim());
    bins = [...new Set(named)];
    const [defined, used] = await Promise.all([
      tx.selectFrom('bins').select('code').where('location_id', '=', location.id).execute(),
      tx
        .selectFrom('balances')
        .select('bin_code')
        .distinct()
        .where('location_id', '=', location.id)
        .where('bin_code', 'is not', null)
        .execute(),
    ]);
    const known = new Set([...defined.map((b) => b.code), ...used.map((b) => b.bin_code!)]);
    named.forEach((code, i) => {
      if (!known.has(code))
        throw fieldError('VALIDATION_FAILED', `bins.${i}`, `Location ${location.code} has no bin ${code}.`);
    });
  }

  // The freeze's instant, taken as the ledger's are (`appliedAt`), just before on hand is read: a
  // movement is part of the frozen figure exactly when its instant is not later than this.
  const openedAt = appliedAt(ctx.at);
  let q = tx
    .selectFrom('balances')
    .select(['sku_id', 'lot_id', 'on_hand'])
    .where('location_id', '=', location.id)
    .where('on_hand', '>', 0);
  if (skuRows !== null) {
    if (skuRows.length === 0) q = q.where(sql<boolean>`1 = 0`);
    else
      q = q.where(
        'sku_id',
        'in',
        skuRows.map((s) => s.id),
      );
  }
  if (bins !== null) {
    if (bins.length === 0) q = q.where(sql<boolean>`1 = 0`);
    else q = q.where('bin_code', 'in', bins);
  }
  const balances = await q.execute();
  const lines = balances.map((b) => ({ skuId: b.sku_id, lotId: b.lot_id, expected: b.on_hand }));
  if (skuRows !== null && bins === null) {
    for (const s of skuRows) {
      if (s.tracking === 'none' && !lines.some((l) => l.skuId === s.id && l.lotId === ''))
        lines.push({ skuId: s.id, lotId: '', expected: 0 });
    }
  }
  lines.sort((a, b) =>
    a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : a.lotId < b.lotId ? -1 : a.lotId > b.lotId ? 1 : 0,
  );

  const id = newId('count');
  await tx
    .insertInto('counts')
    .values({
      id,
      location_id: location.id,
      status: 'open',
      note: input.note ?? null,
      scope: JSON.stringify({ skus: skuRows?.map((s) => s.sku) ?? null, bins }),
      created_by: ctx.actor,
      created_at: openedAt,
      updated_at: openedAt,
      approved_at: null,
      cancelled_at: null,
      closed_by: null,
    })
    .execute();
  for (let i = 0; i < lines.length; i += CHUNK) {
    await tx
      .insertInto('count_lines')
      .values(
        lines.slice(i, i + CHUNK).map((l) => ({
          count_id: id,
          sku_id: l.skuId,
          lot_id: l.lotId,
          expected: l.expected,
          counted: null,
          counted_at: null,
          counted_by: null,
          movement_id: null,
        })),
      )
      .execute();
  }
  await claim(tx, id, location.id, lines, input.skus !== undefined ? 'skus' : 'location');
  await emit(tx, ctx.at, [
    {
      type: 'count.opened',
      aggregateType: 'count',
      aggregateId: id,
      payload: { id, location: location.code, lines: lines.length },
    },
  ]);
  return getCount(tx, id);
}

/**
 * Takes the count row for a write and checks it is open: a conditional UPDATE, which also
 * serialises this write with a concurrent approval or cancellation (see the module comment).
 * Errors: NOT_FOUND, INVALID_TRANSITION.
 */
async function lockOpenCount(tx: Tx, id: string, at: string, doing: string) {
  const row = await tx
    .updateTable('counts')
    .set({ updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returning(['id', 'location_id', 'created_at', 'note'])
    .executeTakeFirst();
  if (row) return row;
  const existing = await tx.selectFrom('counts').select('status').where('id', '=', id).executeTakeFirst();
  if (!existing) throw fieldError('NOT_FOUND', 'id', `Count ${id} does not exist.`);
  throw new DomainError(
    'INVALID_TRANSITION',
    `Count ${id} is ${existing.status}: ${doing} only while it is open.`,
    [{ field: 'status', message: `is ${existing.status}` }],
    { status: existing.status },
  );
}

/** The SKU and units per scan named by a line entry: a SKU code, or a barcode (unit or pack). */
async function resolveItem(tx: Tx, input: RecordLineInput): Promise<{ sku: SkuRow; unitsPer: number }> {
  if (input.sku !== undefined && input.barcode !== undefined)
    throw fieldError('VALIDATION_FAILED', 'barcode', 'Give either sku or barcode, not both.');
  if (input.sku !== undefined) return { sku: await resolveSku(tx, input.sku), unitsPer: 1 };
  if (input.barcode === undefined)
    throw fieldError('VALIDATION_FAILED', 'sku', 'Give the sku or a scanned barcode.');
  const code = input.barcode.trim();
  if (/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(code) && !isValidGtin(code)) {
    throw fieldError(
      'VALIDATION_FAILED',
      'barcode',
      `${code} is not a valid GTIN: the check digit is wrong (a misread scan?).`,
    );
  }
  const candidates = barcodeCandidates(code);
  const unit = await tx
    .selectFrom('sku_barcodes')
    .select('sku_id')
    .where('barcode', 'in', candidates)
    .executeTakeFirst();
  const pack = unit
    ? undefined
    : await tx
        .selectFrom('sku_packs')
        .select(['sku_id', 'quantity'])
        .where('barcode', 'in', candidates)
        .executeTakeFirst();
  const skuId = unit?.sku_id ?? pack?.sku_id;
  if (skuId !== undefined) {
    const sku = await tx.selectFrom('skus').selectAll().where('id', '=', skuId).executeTakeFirstOrThrow();
    return { sku, unitsPer: pack?.quantity ?? 1 };
  }
  // A shelf label may carry the SKU code itself.
  const byCode = await tx
    .selectFrom('skus')
    .selectAll()
    .where('sku_key', '=', skuKey(code))
    .executeTakeFirst();
  if (byCode) return { sku: byCode, unitsPer: 1 };
  throw fieldError('UNKNOWN_SKU', 'barcode', `No SKU or pack has barcode ${code}.`);
}

/**
 * Records a counted quantity on an open count: `counted` sets the line, `add` increments it
 * atomically (concurrent scanners never lose a scan); with a pack barcode both are in packs. A
 * (SKU, lot) that was not expected becomes a new line whose expected quantity is its on hand at
 * the freeze, from the ledger (0 when it was not there). Errors: NOT_FOUND, INVALID_TRANSITION,
 * UNKNOWN_SKU, UNKNOWN_LOT, LOT_REQUIRED, VALIDATION_FAILED, CONFLICT (the new line is in another
 * open count).
 */
export async function recordCountLine(
  tx: Tx,
  countId: string,
  input: RecordLineInput,
  ctx: Context,
): Promise<{ countId: string; line: CountLineView }> {
  const count = await lockOpenCount(tx, countId, ctx.at, 'lines can be recorded');
  const { sku, unitsPer } = await resolveItem(tx, input);
  const field = input.sku !== undefined ? 'sku' : 'barcode';
  if (sku.is_bundle === 1)
    throw fieldError('VALIDATION_FAILED', field, `SKU ${sku.sku} is a bundle: count its components.`);
  let lotId = '';
  if (sku.tracking !== 'none') {
    if (input.lot === undefined) {
      // The lots this count expects of the SKU, for a scanner screen to offer.
      const expected = await tx
        .selectFrom('count_lines')
        .innerJoin('lots', 'lots.id', 'count_lines.lot_id')
        .select('lots.code')
        .where('count_lines.count_id', '=', countId)
        .where('count_lines.sku_id', '=', sku.id)
        .orderBy('lots.code')
        .execute();
      const lots = expected.map((l) => l.code);
      throw new DomainError(
        'LOT_REQUIRED',
        `SKU ${sku.sku} is lot-tracked: name the lot counted${lots.length > 0 ? ` (this count expects ${lots.join(', ')})` : ''}.`,
        [{ field: 'lot', message: 'is required for a lot-tracked SKU' }],
        { sku: sku.sku, lots },
      );
    }
    const lot = await findLot(tx, sku.id, input.lot);
    if (!lot)
      throw fieldError(
        'UNKNOWN_LOT',
        'lot',
        `Lot ${input.lot} of ${sku.sku} was never received; receive or adjust it in with its expiry first.`,
      );
    lotId = lot.id;
  } else if (input.lot !== undefined) {
    throw fieldError('VALIDATION_FAILED', 'lot', `SKU ${sku.sku} is not lot-tracked.`);
  }
  const entry = countEntry({
    counted: input.counted,
    add: input.add,
    unitsPer,
    scanned: input.barcode !== undefined,
  });

  const existing = await tx
    .selectFrom('count_lines')
    .select('count_id')
    .where('count_id', '=', countId)
    .where('sku_id', '=', sku.id)
    .where('lot_id', '=', lotId)
    .executeTakeFirst();
  if (!existing) {
    const frozen = await tx
      .selectFrom('movements')
      .select((eb) => eb.fn.sum<number>('on_hand_delta').as('on_hand'))
      .where('sku_id', '=', sku.id)
      .where('location_id', '=', count.location_id)
      .where('lot_id', '=', lotId)
      .where('created_at', '<=', count.created_at)
      .executeTakeFirst();
    await tx
      .insertInto('count_lines')
      .values({
        count_id: countId,
        sku_id: sku.id,
        lot_id: lotId,
        expected: Number(frozen?.on_hand ?? 0),
        counted: null,
        counted_at: null,
        counted_by: null,
        movement_id: null,
      })
      .execute();
    await claim(tx, countId, count.location_id, [{ skuId: sku.id, lotId }], field);
  }

  const stamp = { counted_at: ctx.at, counted_by: ctx.actor };
  let q = tx
    .updateTable('count_lines')
    .where('count_id', '=', countId)
    .where('sku_id', '=', sku.id)
    .where('lot_id', '=', lotId);
  if (entry.mode === 'set') {
    q = q.set({ counted: entry.quantity, ...stamp });
  } else {
    const next = sql<number>`coalesce(counted, 0) + ${entry.quantity}`;
    q = q
      .set({ counted: next, ...stamp })
      .where(next, '>=', 0)
      .where(next, '<=', MAX_QUANTITY);
  }
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw fieldError(
      'VALIDATION_FAILED',
      'add',
      `Adding ${entry.quantity} would take the counted quantity below 0 or above ${MAX_QUANTITY}.`,
    );
  }
  const [line] = await linesOf(tx, count, { skuId: sku.id, lotId });
  const { key: _key, ...view } = line!;
  return { countId, line: view };
}

/**
 * Approves an open count: posts `count_correction` of counted − expected for every counted line
 * that differs (see the module comment for why the frozen figure), releases the count's claims,
 * emits `count.approved` and `stock.changed`. All or nothing. Errors: NOT_FOUND,
 * INVALID_TRANSITION (not open), NEGATIVE_STOCK (a correction no longer fits the stock).
 */
export async function approveCount(tx: Tx, id: string, ctx: Context): Promise<CountView> {
  const count = await closeCount(tx, id, 'approved', ctx);
  const lines = await tx
    .selectFrom('count_lines as cl')
    .innerJoin('skus as s', 's.id', 'cl.sku_id')
    .leftJoin('lots as t', 't.id', 'cl.lot_id')
    .select(['cl.sku_id', 'cl.lot_id', 'cl.expected', 'cl.counted', 's.sku', 't.code as lot_code'])
    .where('cl.count_id', '=', id)
    .orderBy('cl.sku_id')
    .orderBy('cl.lot_id')
    .execute();
  const corrections = correctionsOf(lines);
  // Stock found missing may take allocated units back (see stock-loss.ts), and stock found serves
  // backorders: every order either may touch is locked first, oldest first, then the leases a loss
  // may take from, then every balance involved in one sorted step (`lockForLosses`, ADR 11).
  const keyOf = (c: (typeof corrections)[number]) => ({
    skuId: c.sku_id,
    locationId: count.location_id,
    lotId: c.lot_id,
  });
  const losses = corrections.filter((c) => c.variance < 0);
  const skuIds = [...new Set(corrections.map((c) => c.sku_id))];
  const waiting = await readBackorders(tx, [
    ...new Set(corrections.filter((c) => c.variance > 0).map((c) => c.sku_id)),
  ]);
  const holders = await lockForLosses(
    tx,
    skuIds,
    await Promise.all(losses.map((c) => holdersForLoss(tx, keyOf(c), -c.variance))),
    waiting,
  );
  // Leases past their expiry hold nothing: released before a loss takes from anyone.
  const takenBack: Released[] = losses.length > 0 ? await sweepExpiredLeases(tx, skuIds, ctx) : [];
  const lostLines: Array<WaitingBackorders[number]> = [];
  for (const c of corrections) {
    if (c.variance < 0) {
      const taken = await takeBackForLoss(tx, keyOf(c), -c.variance, holders, { kind: 'count', id }, ctx);
      takenBack.push(...taken.released);
      lostLines.push(...taken.waiting);
    }
    let movementId: string;
    try {
      const { row } = await recordMovement(
        tx,
        {
          type: 'count_correction',
          key: keyOf(c),
          quantity: c.variance,
          reason: count.note ? `cycle count: ${count.note}` : 'cycle count',
          reference: { type: 'count', id },
        },
        ctx,
      );
      movementId = row.id;
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'NEGATIVE_STOCK') throw error;
      const what = `${c.sku}${c.lot_code ? ` lot ${c.lot_code}` : ''}`;
      // A loss may take allocated units back, never quarantined ones: past on hand − quarantined it
      // cannot be posted, whatever moved.
      const now = (error.data as { current?: { onHand: number; quarantined: number } } | undefined)?.current;
      const why =
        now && c.variance < 0 && -c.variance > now.onHand - now.quarantined
          ? `it would take ${numbered(-c.variance, 'unit')} where ${now.onHand - now.quarantined} ${nounFor(now.onHand - now.quarantined, 'is', 'are')} on hand outside quarantine (on hand ${now.onHand}, quarantined ${now.quarantined}). Release or scrap the quarantined units that are missing first, then approve again.`
          : `it no longer fits the stock (stock moved since the count was opened). ${error.message} Recount the line and approve again.`;
      throw new DomainError(
        'NEGATIVE_STOCK',
        `Count ${id} cannot be approved: its correction of ${c.variance} for ${what} cannot be posted: ${why} Nothing was posted.`,
        [{ field: 'lines', message: `the correction for ${what} would make stock negative` }],
        { ...error.data, sku: c.sku, lot: c.lot_code, variance: c.variance },
      );
    }
    await tx
      .updateTable('count_lines')
      .set({ movement_id: movementId })
      .where('count_id', '=', id)
      .where('sku_id', '=', c.sku_id)
      .where('lot_id', '=', c.lot_id)
      .execute();
  }
  await tx.deleteFrom('count_claims').where('count_id', '=', id).execute();

  const location = await tx
    .selectFrom('locations')
    .select(['id', 'code'])
    .where('id', '=', count.location_id)
    .executeTakeFirstOrThrow();
  const view = await getCount(tx, id);
  await emit(tx, ctx.at, [
    {
      type: 'count.approved',
      aggregateType: 'count',
      aggregateId: id,
      payload: { id, location: location.code, corrections: corrections.length, summary: view.summary },
    },
  ]);
  await emitStockChanged(
    tx,
    [...corrections.map((c) => ({ skuId: c.sku_id, locationId: location.id })), ...takenBack],
    ctx.at,
  );
  // Backorders the gains serve and the lines the losses took back, oldest order first, routed now
  // to the stock there is, before anyone else can take it.
  await allocateBackorders(tx, oldestFirst([...waiting, ...lostLines]), ctx);
  return view;
}

/** Cancels an open count: nothing is posted and its lines are released. */
export async function cancelCount(tx: Tx, id: string, ctx: Context): Promise<CountView> {
  await closeCount(tx, id, 'cancelled', ctx);
  await tx.deleteFrom('count_claims').where('count_id', '=', id).execute();
  await emit(tx, ctx.at, [
    { type: 'count.cancelled', aggregateType: 'count', aggregateId: id, payload: { id } },
  ]);
  return getCount(tx, id);
}

/** open → approved | cancelled in one conditional UPDATE; the loser of a race gets 409. */
async function closeCount(tx: Tx, id: string, to: 'approved' | 'cancelled', ctx: Context) {
  const row = await tx
    .updateTable('counts')
    .set({
      status: to,
      updated_at: ctx.at,
      closed_by: ctx.actor,
      ...(to === 'approved' ? { approved_at: ctx.at } : { cancelled_at: ctx.at }),
    })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returning(['location_id', 'note'])
    .executeTakeFirst();
  if (row) return row;
  const existing = await tx.selectFrom('counts').select('status').where('id', '=', id).executeTakeFirst();
  if (!existing) throw fieldError('NOT_FOUND', 'id', `Count ${id} does not exist.`);
  assertCountTransition(existing.status, to, id);
  throw new Error(`count ${id} is ${existing.status} yet could not become ${to}`);
}
