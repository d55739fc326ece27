/**
 * Transfers between locations. `POST /stock/movements {type: 'transfer'}` posts the
 * `transfer_out` at the source and opens the transfer `in_transit` (see post-movement.ts); the
 * units are then in no location's on hand, only in the transfer. Receiving posts the matching
 * `transfer_in` at the destination for the same lot and closes the transfer.
 *
 * Lifecycle: in_transit → received (final). The status change is one conditional UPDATE
 * (`… WHERE status = 'in_transit'`), so two concurrent receipts of one transfer cannot both apply:
 * the loser changes no row and gets INVALID_TRANSITION.
 */
import type { Tx } from '../../db/database.js';
import { findLocation, findSku } from '../../db/catalog.repo.js';
import { DomainError, fieldError } from '../../domain/errors.js';
import type { TransferTable } from '../../db/schema.js';
import { emit } from '../outbox.js';
import { allocateBackorders, lockBackorders } from '../orders/backorders.js';
import { emitStockChanged } from './availability.js';
import { recordMovement, type Context } from './post-movement.js';
import { movementView, type MovementView } from './movement-view.js';

export const transferStatuses = ['in_transit', 'received'] as const;
export type TransferStatus = (typeof transferStatuses)[number];

export type TransferView = {
  id: string;
  sku: string;
  lot: string | null;
  fromLocation: string;
  toLocation: string;
  quantity: number;
  status: TransferStatus;
  createdAt: string;
  receivedAt: string | null;
  /** The ledger rows of this transfer (its `transfer_out`, then its `transfer_in`); detail only. */
  movements?: MovementView[];
};

function baseQuery(tx: Tx) {
  return tx
    .selectFrom('transfers as t')
    .innerJoin('skus as s', 's.id', 't.sku_id')
    .innerJoin('locations as f', 'f.id', 't.from_location_id')
    .innerJoin('locations as d', 'd.id', 't.to_location_id')
    .leftJoin('lots as l', 'l.id', 't.lot_id')
    .select([
      't.id',
      't.quantity',
      't.status',
      't.created_at',
      't.received_at',
      's.sku',
      'f.code as from_code',
      'd.code as to_code',
      'l.code as lot_code',
    ]);
}

type Row = {
  id: string;
  quantity: number;
  status: TransferTable['status'];
  created_at: string;
  received_at: string | null;
  sku: string;
  from_code: string;
  to_code: string;
  lot_code: string | null;
};

const view = (r: Row): TransferView => ({
  id: r.id,
  sku: r.sku,
  lot: r.lot_code,
  fromLocation: r.from_code,
  toLocation: r.to_code,
  quantity: r.quantity,
  status: r.status,
  createdAt: r.created_at,
  receivedAt: r.received_at,
});

/**
 * Transfers newest first, keyset-paginated by id (time-sortable). Filters: status, SKU, source and
 * destination location. An unknown SKU or location filter matches nothing (it is not an error).
 */
export async function listTransfers(
  tx: Tx,
  opts: {
    limit: number;
    cursor?: string | undefined;
    status?: TransferStatus | undefined;
    sku?: string | undefined;
    fromLocation?: string | undefined;
    toLocation?: string | undefined;
  },
): Promise<{ items: TransferView[]; nextCursor: string | null }> {
  let q = baseQuery(tx)
    .orderBy('t.id', 'desc')
    .limit(opts.limit + 1);
  if (opts.cursor) q = q.where('t.id', '<', opts.cursor);
  if (opts.status) q = q.where('t.status', '=', opts.status);
  if (opts.sku !== undefined) {
    const sku = await findSku(tx, opts.sku);
    if (!sku) return { items: [], nextCursor: null };
    q = q.where('t.sku_id', '=', sku.id);
  }
  for (const [filter, column] of [
    [opts.fromLocation, 't.from_location_id'],
    [opts.toLocation, 't.to_location_id'],
  ] as const) {
    if (filter === undefined) continue;
    const location = await findLocation(tx, filter);
    if (!location) return { items: [], nextCursor: null };
    q = q.where(column, '=', location.id);
  }
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map(view),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
  };
}

/** One transfer with its ledger rows. Errors: NOT_FOUND. */
export async function getTransfer(tx: Tx, id: string): Promise<TransferView> {
  const row = await baseQuery(tx).where('t.id', '=', id).executeTakeFirst();
  if (!row) throw fieldError('NOT_FOUND', 'id', `Transfer ${id} does not exist.`);
  const movements = await tx
    .selectFrom('movements as m')
    .innerJoin('locations as l', 'l.id', 'm.location_id')
    .selectAll('m')
    .select('l.code as location_code')
    .where('m.reference_type', '=', 'transfer')
    .where('m.reference_id', '=', id)
    .orderBy('m.id')
    .execute();
  return {
    ...view(row),
    movements: movements.map((m) =>
      movementView(m, { sku: row.sku, location: m.location_code, lot: row.lot_code }),
    ),
  };
}

/**
 * Receives an in-transit transfer in full at its destination: posts `transfer_in` of the same SKU
 * and lot there, marks the transfer received, emits `transfer.received` and `stock.changed`, and
 * lets waiting backorders allocate. Errors: NOT_FOUND, INVALID_TRANSITION (already received, or
 * received concurrently by another request).
 */
export async function receiveTransfer(tx: Tx, id: string, ctx: Context): Promise<TransferView> {
  const updated = await tx
    .updateTable('transfers')
    .set({ status: 'received', received_at: ctx.at })
    .where('id', '=', id)
    .where('status', '=', 'in_transit')
    .returning(['sku_id', 'to_location_id', 'lot_id', 'quantity'])
    .executeTakeFirst();
  if (!updated) {
    const existing = await tx
      .selectFrom('transfers')
      .select(['status', 'received_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!existing) throw fieldError('NOT_FOUND', 'id', `Transfer ${id} does not exist.`);
    throw new DomainError(
      'INVALID_TRANSITION',
      `Transfer ${id} is already ${existing.status}${existing.received_at ? ` (at ${existing.received_at})` : ''}.`,
      [{ field: 'status', message: `is ${existing.status}` }],
      { status: existing.status },
    );
  }
  // Backorders' orders before the balance, as order commands take them (see lockBackorders).
  const waiting = await lockBackorders(tx, [updated.sku_id]);
  await recordMovement(
    tx,
    {
      type: 'transfer_in',
      key: { skuId: updated.sku_id, locationId: updated.to_location_id, lotId: updated.lot_id },
      quantity: updated.quantity,
      reason: null,
      reference: { type: 'transfer', id },
    },
    ctx,
  );
  const result = await getTransfer(tx, id);
  const [sku, destination] = await Promise.all([
    tx.selectFrom('skus').select(['id', 'sku']).where('id', '=', updated.sku_id).executeTakeFirstOrThrow(),
    tx
      .selectFrom('locations')
      .select(['id', 'code'])
      .where('id', '=', updated.to_location_id)
      .executeTakeFirstOrThrow(),
  ]);
  await emit(tx, ctx.at, [
    {
      type: 'transfer.received',
      aggregateType: 'transfer',
      aggregateId: id,
      payload: {
        id,
        sku: result.sku,
        lot: result.lot,
        fromLocation: result.fromLocation,
        toLocation: result.toLocation,
        quantity: result.quantity,
      },
    },
  ]);
  await emitStockChanged(tx, [{ skuId: sku.id, locationId: destination.id }], ctx.at);
  await allocateBackorders(tx, waiting, ctx);
  return result;
}

/**
 * Units in transit towards each location, per SKU: transfers that had left at `at` and had not
 * been received by then (`at` null = now). Keyed `skuId|locationId`.
 */
export async function incomingTransfers(
  tx: Tx,
  skuIds: readonly string[],
  at: string | null,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (skuIds.length === 0) return out;
  let q = tx
    .selectFrom('transfers')
    .select((eb) => ['sku_id', 'to_location_id', eb.fn.sum<number>('quantity').as('quantity')])
    .where('sku_id', 'in', skuIds)
    .groupBy(['sku_id', 'to_location_id']);
  if (at === null) q = q.where('status', '=', 'in_transit');
  else
    q = q
      .where('created_at', '<=', at)
      .where((eb) => eb.or([eb('received_at', 'is', null), eb('received_at', '>', at)]));
  for (const r of await q.execute()) out.set(`${r.sku_id}|${r.to_location_id}`, Number(r.quantity));
  return out;
}
