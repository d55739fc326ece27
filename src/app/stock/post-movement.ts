/**
 * Posts one stock movement: resolves SKU, location and lot, applies the counter deltas with one
 * conditional statement, appends the ledger row and the `stock.changed` event, all in `tx`.
 * Errors: UNKNOWN_SKU, UNKNOWN_LOCATION, UNKNOWN_LOT, LOT_REQUIRED, VALIDATION_FAILED,
 * NEGATIVE_STOCK (the change would make a counter negative or commit more than is on hand).
 */
import type { Tx } from '../../db/database.js';
import { findLocation, findLot, findSku, type LocationRow, type SkuRow } from '../../db/catalog.repo.js';
import { applyDeltas, insertMovements, type BalanceKey } from '../../db/stock.repo.js';
import { addDays, appliedAt, isoDate } from '../../domain/clock.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { free } from '../../domain/inventory/balance.js';
import { deltasFor, type MovementType, type PostableMovementType } from '../../domain/inventory/movement.js';
import { sweepExpiredLeases } from '../orders/allocation.js';
import { allocateBackorders, lockBackorders } from '../orders/backorders.js';
import { holdersForLoss, lockForLosses, takeBackForLoss } from '../orders/stock-loss.js';
import { movementView, type MovementView } from './movement-view.js';
import { emitStockChanged } from './availability.js';

export type PostMovementInput = {
  readonly type: PostableMovementType;
  readonly sku: string;
  readonly location: string;
  readonly quantity: number;
  readonly reason?: string | undefined;
  readonly lot?: string | undefined;
  readonly expiresOn?: string | undefined;
  readonly toLocation?: string | undefined;
  readonly bin?: string | undefined;
  readonly reference?: { readonly type: string; readonly id: string } | undefined;
};

export type Context = { readonly actor: string; readonly requestId: string | null; readonly at: string };

export type PostMovementResult = MovementView & {
  balance: { onHand: number; allocated: number; quarantined: number };
  transfer?: { id: string; status: 'in_transit'; toLocation: string };
};

export async function resolveSku(tx: Tx, code: string, field = 'sku'): Promise<SkuRow> {
  const sku = await findSku(tx, code);
  if (!sku) throw fieldError('UNKNOWN_SKU', field, `SKU ${code} does not exist.`);
  return sku;
}

export async function resolveLocation(tx: Tx, code: string, field = 'location'): Promise<LocationRow> {
  const location = await findLocation(tx, code);
  if (!location) throw fieldError('UNKNOWN_LOCATION', field, `Location ${code} does not exist.`);
  return location;
}

/** The lot id of a movement ('' for untracked SKUs); a receipt creates the lot when it is new. */
async function resolveLot(
  tx: Tx,
  sku: SkuRow,
  input: PostMovementInput,
  ctx: Context,
): Promise<{ id: string; code: string | null }> {
  if (sku.tracking === 'none') {
    if (input.lot !== undefined)
      throw fieldError('VALIDATION_FAILED', 'lot', `SKU ${sku.sku} is not lot-tracked.`);
    // An expiry is a lot's: for stock without lots it would be dropped silently.
    if (input.expiresOn !== undefined)
      throw fieldError(
        'VALIDATION_FAILED',
        'expiresOn',
        `SKU ${sku.sku} is not lot-tracked: its stock has no expiry date.`,
      );
    return { id: '', code: null };
  }
  // A serial-tracked SKU is stocked one unit per serial number, carried in `lot`: a lot of one.
  if (sku.tracking === 'serial' && Math.abs(input.quantity) !== 1) {
    throw fieldError(
      'VALIDATION_FAILED',
      'quantity',
      `SKU ${sku.sku} is serial-tracked: move one serial number at a time (quantity 1).`,
    );
  }
  if (input.lot === undefined) throw lotRequired(sku);
  const existing = await findLot(tx, sku.id, input.lot);
  if (existing) {
    if (input.expiresOn !== undefined && existing.expires_on !== input.expiresOn) {
      throw fieldError(
        'VALIDATION_FAILED',
        'expiresOn',
        `Lot ${input.lot} expires on ${existing.expires_on ?? 'no date'}, not ${input.expiresOn}.`,
      );
    }
    return { id: existing.id, code: existing.code };
  }
  if (input.type !== 'receipt' && !(input.type === 'adjustment' && input.quantity > 0)) {
    throw fieldError('UNKNOWN_LOT', 'lot', `Lot ${input.lot} of ${sku.sku} does not exist.`);
  }
  const expiresOn =
    input.expiresOn ?? (sku.shelf_life_days !== null ? addDays(isoDate(ctx.at), sku.shelf_life_days) : null);
  const id = newId('lot');
  await tx
    .insertInto('lots')
    .values({
      id,
      sku_id: sku.id,
      code: input.lot,
      expires_on: expiresOn,
      status: 'active',
      created_at: ctx.at,
    })
    .execute();
  return { id, code: input.lot };
}

/** Applies one movement to one balance and records it; throws NEGATIVE_STOCK when refused. */
export async function recordMovement(
  tx: Tx,
  m: {
    type: MovementType;
    key: BalanceKey;
    quantity: number;
    reason: string | null;
    reference: { type: string; id: string } | null;
    bin?: string | undefined;
  },
  ctx: Context,
) {
  const deltas = deltasFor(m.type, m.quantity);
  const counters = await applyDeltas(tx, m.key, deltas, ctx.at, m.bin ?? null);
  if (counters === null) {
    const current = await tx
      .selectFrom('balances')
      .select(['on_hand', 'allocated', 'quarantined'])
      .where('sku_id', '=', m.key.skuId)
      .where('location_id', '=', m.key.locationId)
      .where('lot_id', '=', m.key.lotId)
      .executeTakeFirst();
    const c = current
      ? { onHand: current.on_hand, allocated: current.allocated, quarantined: current.quarantined }
      : { onHand: 0, allocated: 0, quarantined: 0 };
    // A loss (adjustment or count correction down) may take allocated units back: its limit is what
    // is on hand outside quarantine, not what is free.
    const loss = (m.type === 'adjustment' || m.type === 'count_correction') && m.quantity < 0;
    throw new DomainError(
      'NEGATIVE_STOCK',
      `${/^[aeiou]/.test(m.type) ? 'An' : 'A'} ${m.type.replaceAll('_', ' ')} of ${m.quantity} is refused: on hand ${c.onHand}, allocated ${c.allocated}, quarantined ${c.quarantined}, ${loss ? `${c.onHand - c.quarantined} outside quarantine` : `free ${free(c)}`}.` +
        (loss && c.quarantined > 0
          ? ' A loss never takes quarantined units: release or scrap those that are missing first.'
          : '') +
        (m.type === 'scrap' || m.type === 'quarantine_release'
          ? ` ${m.type === 'scrap' ? 'Scrap takes' : 'A release takes'} quarantined stock only (${c.quarantined} quarantined); quarantine free stock first, or post a negative adjustment.`
          : ''),
      [{ field: 'quantity', message: 'would make stock negative or commit more than is on hand' }],
      { current: c },
    );
  }
  const row = {
    id: newId('movement'),
    createdAt: appliedAt(ctx.at),
    type: m.type,
    key: m.key,
    deltas,
    reason: m.reason,
    referenceType: m.reference?.type ?? null,
    referenceId: m.reference?.id ?? null,
    actor: ctx.actor,
    requestId: ctx.requestId,
  };
  await insertMovements(tx, [row]);
  return { row, counters };
}

/** LOT_REQUIRED for a lot- or serial-tracked SKU moved without its lot (or serial number). */
export const lotRequired = (sku: { sku: string; tracking: string }) =>
  fieldError(
    'LOT_REQUIRED',
    'lot',
    sku.tracking === 'serial'
      ? `SKU ${sku.sku} is serial-tracked: give the serial number in \`lot\`.`
      : `SKU ${sku.sku} is lot-tracked: name the lot.`,
  );

export async function postMovement(
  tx: Tx,
  given: PostMovementInput,
  ctx: Context,
): Promise<PostMovementResult> {
  // Lot and bin codes are compared trimmed, like SKU and location codes: ` L1 ` is lot L1.
  const input = { ...given, lot: given.lot?.trim(), bin: given.bin?.trim() };
  const sku = await resolveSku(tx, input.sku);
  if (sku.is_bundle === 1) {
    throw fieldError(
      'VALIDATION_FAILED',
      'sku',
      `SKU ${sku.sku} is a bundle: it has no stock of its own; move its components.`,
    );
  }
  const location = await resolveLocation(tx, input.location);
  if (input.bin !== undefined) {
    const bin = await tx
      .selectFrom('bins')
      .select('id')
      .where('location_id', '=', location.id)
      .where('code', '=', input.bin)
      .executeTakeFirst();
    if (!bin)
      throw fieldError(
        'UNKNOWN_BIN',
        'bin',
        `Location ${location.code} has no bin ${input.bin}; add it to the location first.`,
      );
  }
  // Validate the quantity before anything is written: a transfer row's CHECK would fail as a 500.
  const deltas = deltasFor(input.type === 'transfer' ? 'transfer_out' : input.type, input.quantity);
  const lot = await resolveLot(tx, sku, input, ctx);
  const key = { skuId: sku.id, locationId: location.id, lotId: lot.id };
  // Stock arriving serves backorders: their orders are locked before any balance (see lockBackorders).
  const waiting = deltas.onHand > 0 ? await lockBackorders(tx, [sku.id]) : [];
  // Stock found missing may take allocated units back (see stock-loss.ts): the orders and leases it
  // would take from, then the balances it may touch, are locked first.
  const loss = input.type === 'adjustment' && deltas.onHand < 0 ? -deltas.onHand : 0;
  const holders = loss > 0 ? await lockForLosses(tx, [sku.id], [await holdersForLoss(tx, key, loss)]) : null;
  // Leases of the SKU past their expiry hold nothing, job or not: free their units before checking
  // what this movement may take (a scrap or transfer right after a lease lapsed found them held).
  const lapsed = await sweepExpiredLeases(tx, [sku.id], ctx);
  const takenBack = holders
    ? await takeBackForLoss(tx, key, loss, holders, { kind: 'adjustment' }, ctx)
    : { released: [], waiting: [] };
  const reason = input.reason ?? null;
  const reference = input.reference ?? null;

  let type: MovementType;
  let destination: LocationRow | null = null;
  if (input.type === 'transfer') {
    if (input.toLocation === undefined)
      throw fieldError('VALIDATION_FAILED', 'toLocation', 'A transfer needs toLocation.');
    destination = await resolveLocation(tx, input.toLocation, 'toLocation');
    if (destination.id === location.id)
      throw fieldError('VALIDATION_FAILED', 'toLocation', 'must differ from location');
    type = 'transfer_out';
  } else {
    if (input.toLocation !== undefined)
      throw fieldError('VALIDATION_FAILED', 'toLocation', `is only allowed for transfers, not ${input.type}`);
    type = input.type;
  }

  let transferId: string | null = null;
  if (destination) {
    transferId = newId('transfer');
    await tx
      .insertInto('transfers')
      .values({
        id: transferId,
        sku_id: sku.id,
        from_location_id: location.id,
        to_location_id: destination.id,
        lot_id: lot.id,
        quantity: input.quantity,
        status: 'in_transit',
        created_at: ctx.at,
        received_at: null,
      })
      .execute();
  }
  const { row, counters } = await recordMovement(
    tx,
    {
      type,
      key,
      quantity: input.quantity,
      reason,
      reference: transferId ? { type: 'transfer', id: transferId } : reference,
      bin: input.bin,
    },
    ctx,
  );
  if (sku.tracking === 'serial' && row.deltas.onHand > 0) {
    const total = await tx
      .selectFrom('balances')
      .select((eb) => eb.fn.sum<number>('on_hand').as('n'))
      .where('sku_id', '=', sku.id)
      .where('lot_id', '=', lot.id)
      .executeTakeFirstOrThrow();
    // Thrown inside the transaction, so the movement above is rolled back with it.
    if (Number(total.n) > 1) {
      throw fieldError(
        'VALIDATION_FAILED',
        'lot',
        `Serial number ${input.lot} of ${sku.sku} is already in stock.`,
      );
    }
  }
  await emitStockChanged(
    tx,
    [{ skuId: sku.id, locationId: location.id }, ...lapsed, ...takenBack.released],
    ctx.at,
  );
  if (row.deltas.onHand > 0) await allocateBackorders(tx, waiting, ctx);
  // Lines a loss took back are routed again now, to stock elsewhere, before anyone else can take it.
  await allocateBackorders(tx, takenBack.waiting, ctx);

  const view = movementView(
    {
      id: row.id,
      type,
      created_at: row.createdAt,
      on_hand_delta: row.deltas.onHand,
      allocated_delta: row.deltas.allocated,
      quarantined_delta: row.deltas.quarantined,
      reason,
      reference_type: row.referenceType,
      reference_id: row.referenceId,
      actor: ctx.actor,
      request_id: ctx.requestId,
    },
    { sku: sku.sku, location: location.code, lot: lot.code },
  );
  return {
    ...view,
    balance: counters,
    ...(transferId && destination
      ? { transfer: { id: transferId, status: 'in_transit' as const, toLocation: destination.code } }
      : {}),
  };
}
