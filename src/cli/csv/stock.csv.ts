/**
 * Stock as CSV, and the movement ledger as CSV (export only: the ledger is append-only and only
 * ever written by movements).
 *
 * Stock columns (docs/csv.md): sku, location, lot, expiresOn, bin, quantity (on hand), quarantined,
 * reason; exports add `allocated`, which imports ignore (allocations come from orders).
 *
 * Every import row becomes ordinary stock movements posted with `postMovement`, so the ledger
 * records who changed what and why (`reason`, default "stock import"; the reference names the
 * file). Modes:
 *  - `set` (default): `quantity` is what is on hand now (a stock take or opening balance); the
 *    difference is posted as an `adjustment`, and `quarantined`, when given, is reached with
 *    `quarantine` / `quarantine_release`. Idempotent: importing the same file twice changes nothing.
 *  - `receipt`: `quantity` units arrived (a delivery); `quarantined` of them are set aside.
 *  - `adjust`: `quantity` is a signed correction of on hand.
 */
import type { Transaction } from 'kysely';
import type { Tx } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { findLot } from '../../db/catalog.repo.js';
import { balancesOf } from '../../db/stock.repo.js';
import {
  lotRequired,
  postMovement,
  resolveLocation,
  resolveSku,
  type PostMovementInput,
} from '../../app/stock/post-movement.js';
import { fieldError, type FieldError } from '../../domain/errors.js';
import { principalQuantity, type MovementType } from '../../domain/inventory/movement.js';
import { locationKey, skuKey } from '../../domain/sku-code.js';
import { NonNegativeQuantity } from '../../http/schemas/common.schema.js';
import { PostMovementBody } from '../../http/schemas/stock.schema.js';
import { numberCell } from './cells.js';
import type { Cell, CsvRow } from './csv-file.js';
import type { Exporter } from './exporter.js';
import type { ImportContext, Importer, Outcome } from './importer.js';
import { checkAgainst } from './row-schema.js';

export const stockModes = ['set', 'receipt', 'adjust'] as const;
export type StockMode = (typeof stockModes)[number];

export const stockColumns = [
  'sku',
  'location',
  'lot',
  'expiresOn',
  'bin',
  'quantity',
  'quarantined',
  'reason',
] as const;
const stockExportColumns = [
  'sku',
  'location',
  'lot',
  'expiresOn',
  'bin',
  'quantity',
  'quarantined',
  'allocated',
] as const;

type StockCsvInput = {
  readonly sku: string;
  readonly location: string;
  readonly quantity: number;
  readonly quarantined: number | undefined;
  readonly lot: string | undefined;
  readonly expiresOn: string | undefined;
  readonly bin: string | undefined;
  readonly reason: string | undefined;
};

function parseStock(
  mode: StockMode,
  row: CsvRow,
): { ok: true; value: StockCsvInput } | { ok: false; errors: FieldError[] } {
  const c = row.cells;
  const body: Record<string, unknown> = {
    type: mode === 'receipt' ? 'receipt' : 'adjustment',
    sku: c['sku'] ?? '',
    location: c['location'] ?? '',
    quantity: numberCell(c['quantity'] ?? ''),
  };
  if (c['lot']) body['lot'] = c['lot'];
  if (c['expiresOn']) body['expiresOn'] = c['expiresOn'];
  if (c['bin']) body['bin'] = c['bin'];
  if (c['reason']) body['reason'] = c['reason'];
  const missing = (c['quantity'] ?? '') === '';
  const errors = checkAgainst(PostMovementBody, body).filter((e) => !(missing && e.field === 'quantity'));
  if (missing) errors.push({ field: 'quantity', message: 'is required' });
  const quantity = body['quantity'];
  if (typeof quantity === 'number' && !errors.some((e) => e.field === 'quantity')) {
    if (mode === 'set' && quantity < 0)
      errors.push({ field: 'quantity', message: 'is the quantity on hand to set, so it cannot be negative' });
    if (mode === 'receipt' && quantity <= 0)
      errors.push({ field: 'quantity', message: 'must be a positive number of units received' });
    if (mode === 'adjust' && quantity === 0)
      errors.push({ field: 'quantity', message: 'must be a non-zero signed correction' });
  }
  let quarantined: number | undefined;
  if (c['quarantined']) {
    const q = numberCell(c['quarantined']);
    const qErrors = checkAgainst(NonNegativeQuantity, q);
    if (qErrors.length > 0) errors.push({ field: 'quarantined', message: qErrors[0]!.message });
    else if (mode === 'adjust')
      errors.push({ field: 'quarantined', message: 'is only used with --mode set or --mode receipt' });
    else if (typeof quantity === 'number' && (q as number) > quantity)
      errors.push({
        field: 'quarantined',
        message: `cannot exceed the quantity ${mode === 'receipt' ? 'received' : 'on hand'}`,
      });
    else quarantined = q as number;
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      sku: body['sku'] as string,
      location: body['location'] as string,
      quantity: quantity as number,
      quarantined,
      lot: c['lot'] || undefined,
      expiresOn: c['expiresOn'] || undefined,
      bin: c['bin'] || undefined,
      reason: c['reason'] || undefined,
    },
  };
}

async function post(tx: Tx, input: PostMovementInput, ctx: ImportContext): Promise<void> {
  await postMovement(tx, input, { actor: ctx.actor, requestId: ctx.requestId, at: ctx.at });
  ctx.movements++;
}

/**
 * Sets on hand (and quarantined) of one balance to the row's values. The balance row is locked
 * first (a no-op UPDATE, portable across both databases) so the difference is computed against a
 * value no one else can change before the adjustment lands.
 */
async function applySet(tx: Transaction<DB>, v: StockCsvInput, ctx: ImportContext): Promise<Outcome> {
  const sku = await resolveSku(tx, v.sku);
  if (sku.is_bundle === 1)
    throw fieldError('VALIDATION_FAILED', 'sku', `SKU ${sku.sku} is a bundle: it has no stock of its own.`);
  const location = await resolveLocation(tx, v.location);
  // A serial-tracked SKU carries its serial number in `lot` (a lot of one), as `postMovement` does.
  if (sku.tracking !== 'none' && v.lot === undefined) throw lotRequired(sku);
  if (sku.tracking === 'none' && v.lot !== undefined)
    throw fieldError('VALIDATION_FAILED', 'lot', `SKU ${sku.sku} is not lot-tracked.`);
  let lotId: string | null = '';
  if (v.lot !== undefined) {
    const lot = await findLot(tx, sku.id, v.lot);
    lotId = lot?.id ?? null;
    if (lot && v.expiresOn !== undefined && lot.expires_on !== v.expiresOn) {
      throw fieldError(
        'VALIDATION_FAILED',
        'expiresOn',
        `Lot ${v.lot} expires on ${lot.expires_on ?? 'no date'}, not ${v.expiresOn}.`,
      );
    }
  }
  const current =
    lotId === null
      ? undefined
      : await tx
          .updateTable('balances')
          .set((eb) => ({ on_hand: eb.ref('on_hand') }))
          .where('sku_id', '=', sku.id)
          .where('location_id', '=', location.id)
          .where('lot_id', '=', lotId)
          .returning(['on_hand', 'quarantined'])
          .executeTakeFirst();
  const onHand = current?.on_hand ?? 0;
  const quarantined = current?.quarantined ?? 0;
  const delta = v.quantity - onHand;
  const qDelta = (v.quarantined ?? quarantined) - quarantined;
  if (delta === 0 && qDelta === 0) return 'unchanged';
  const base = {
    sku: v.sku,
    location: v.location,
    lot: v.lot,
    reason: v.reason ?? 'stock import',
    reference: ctx.reference,
  };
  // Order the steps so no intermediate state breaks allocated + quarantined <= on hand.
  if (qDelta < 0) await post(tx, { ...base, type: 'quarantine_release', quantity: -qDelta }, ctx);
  if (delta !== 0)
    await post(tx, { ...base, type: 'adjustment', quantity: delta, expiresOn: v.expiresOn, bin: v.bin }, ctx);
  if (qDelta > 0) await post(tx, { ...base, type: 'quarantine', quantity: qDelta }, ctx);
  return current === undefined ? 'created' : 'updated';
}

async function applyStock(
  mode: StockMode,
  tx: Transaction<DB>,
  v: StockCsvInput,
  ctx: ImportContext,
): Promise<Outcome> {
  if (mode === 'set') return applySet(tx, v, ctx);
  const base = {
    sku: v.sku,
    location: v.location,
    lot: v.lot,
    reason: v.reason ?? 'stock import',
    reference: ctx.reference,
  };
  await post(
    tx,
    {
      ...base,
      type: mode === 'receipt' ? 'receipt' : 'adjustment',
      quantity: v.quantity,
      expiresOn: v.expiresOn,
      bin: v.bin,
    },
    ctx,
  );
  if (v.quarantined) await post(tx, { ...base, type: 'quarantine', quantity: v.quarantined }, ctx);
  return 'updated';
}

export function stockImporter(mode: StockMode): Importer<StockCsvInput> {
  return {
    kind: 'stock',
    columns: stockColumns,
    required: ['sku', 'location', 'quantity'],
    ignored: ['allocated'],
    columnOf: (field) => (field === 'toLocation' ? 'location' : field.split('.')[0]!),
    parse: (row) => parseStock(mode, row),
    // Setting the same balance twice in one file is ambiguous; receipts and adjustments add up.
    identity: (v) => (mode === 'set' ? `${skuKey(v.sku)}|${locationKey(v.location)}|${v.lot ?? ''}` : null),
    apply: (tx, v, ctx) => applyStock(mode, tx, v, ctx),
  };
}

const PAGE = 500;

export const stockExporter: Exporter = {
  kind: 'stock',
  columns: stockExportColumns,
  async count(tx) {
    const r = await tx
      .selectFrom('balances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where((eb) => eb.or([eb('on_hand', '<>', 0), eb('allocated', '<>', 0), eb('quarantined', '<>', 0)]))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  async *rows(tx) {
    let after: string | null = null;
    for (;;) {
      let q = tx
        .selectFrom('skus')
        .select(['id', 'sku', 'sku_key'])
        .where('is_bundle', '=', 0)
        .orderBy('sku_key')
        .limit(PAGE);
      if (after !== null) q = q.where('sku_key', '>', after);
      const skus = await q.execute();
      if (skus.length === 0) return;
      const balances = await balancesOf(
        tx,
        skus.map((s) => s.id),
      );
      const bySku = new Map<string, typeof balances>();
      for (const b of balances) {
        const list = bySku.get(b.skuId) ?? [];
        list.push(b);
        bySku.set(b.skuId, list);
      }
      for (const s of skus) {
        for (const b of bySku.get(s.id) ?? []) {
          if (b.onHand === 0 && b.allocated === 0 && b.quarantined === 0) continue;
          yield {
            sku: s.sku,
            location: b.locationCode,
            lot: b.lot?.code,
            expiresOn: b.lot?.expiresOn,
            bin: b.binCode,
            quantity: b.onHand,
            quarantined: b.quarantined,
            allocated: b.allocated,
          } satisfies Record<(typeof stockExportColumns)[number], Cell>;
        }
      }
      after = skus[skus.length - 1]!.sku_key;
    }
  },
};

export const movementColumns = [
  'id',
  'createdAt',
  'type',
  'sku',
  'location',
  'lot',
  'quantity',
  'onHandDelta',
  'allocatedDelta',
  'quarantinedDelta',
  'reason',
  'referenceType',
  'referenceId',
  'actor',
  'requestId',
] as const;

/**
 * The ledger, oldest first, optionally from `since` / before `until` (ISO instants) and for one
 * SKU. Bounded by the newest movement at the start, so a busy system cannot make it run forever.
 */
export function movementExporter(filter: { since?: string; until?: string; skuId?: string }): Exporter {
  const filtered = (tx: Tx) => {
    let q = tx.selectFrom('movements as m');
    if (filter.since) q = q.where('m.created_at', '>=', filter.since);
    if (filter.until) q = q.where('m.created_at', '<', filter.until);
    if (filter.skuId) q = q.where('m.sku_id', '=', filter.skuId);
    return q;
  };
  return {
    kind: 'movements',
    columns: movementColumns,
    async count(tx) {
      const r = await filtered(tx)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async *rows(tx) {
      const last = await filtered(tx)
        .select((eb) => eb.fn.max('m.id').as('id'))
        .executeTakeFirst();
      const upTo = last?.id;
      if (!upTo) return;
      let after: string | null = null;
      for (;;) {
        let q = filtered(tx)
          .innerJoin('skus as s', 's.id', 'm.sku_id')
          .innerJoin('locations as l', 'l.id', 'm.location_id')
          .leftJoin('lots as t', 't.id', 'm.lot_id')
          .selectAll('m')
          .select(['s.sku', 'l.code as location_code', 't.code as lot_code'])
          .where('m.id', '<=', upTo)
          .orderBy('m.id')
          .limit(2000);
        if (after !== null) q = q.where('m.id', '>', after);
        const rows = await q.execute();
        if (rows.length === 0) return;
        for (const r of rows) {
          const principal = principalQuantity(r.type as MovementType, {
            onHand: r.on_hand_delta,
            allocated: r.allocated_delta,
            quarantined: r.quarantined_delta,
          });
          yield {
            id: r.id,
            createdAt: r.created_at,
            type: r.type,
            sku: r.sku,
            location: r.location_code,
            lot: r.lot_code,
            quantity: principal,
            onHandDelta: r.on_hand_delta,
            allocatedDelta: r.allocated_delta,
            quarantinedDelta: r.quarantined_delta,
            reason: r.reason,
            referenceType: r.reference_type,
            referenceId: r.reference_id,
            actor: r.actor,
            requestId: r.request_id,
          } satisfies Record<(typeof movementColumns)[number], Cell>;
        }
        after = rows[rows.length - 1]!.id;
      }
    },
  };
}
