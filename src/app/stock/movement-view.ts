import type { Tx } from '../../db/database.js';
import { principalQuantity, type MovementType } from '../../domain/inventory/movement.js';

export type MovementView = {
  id: string;
  type: string;
  sku: string;
  location: string;
  lot: string | null;
  quantity: number;
  onHandDelta: number;
  allocatedDelta: number;
  quarantinedDelta: number;
  reason: string | null;
  reference: { type: string; id: string } | null;
  actor: string;
  requestId: string | null;
  createdAt: string;
};

type Names = { sku: string; location: string; lot: string | null };

export function movementView(
  m: {
    id: string;
    type: string;
    created_at: string;
    on_hand_delta: number;
    allocated_delta: number;
    quarantined_delta: number;
    reason: string | null;
    reference_type: string | null;
    reference_id: string | null;
    actor: string;
    request_id: string | null;
  },
  names: Names,
): MovementView {
  const deltas = { onHand: m.on_hand_delta, allocated: m.allocated_delta, quarantined: m.quarantined_delta };
  return {
    id: m.id,
    type: m.type,
    sku: names.sku,
    location: names.location,
    lot: names.lot,
    quantity: principalQuantity(m.type as MovementType, deltas),
    onHandDelta: deltas.onHand,
    allocatedDelta: deltas.allocated,
    quarantinedDelta: deltas.quarantined,
    reason: m.reason,
    reference: m.reference_type && m.reference_id ? { type: m.reference_type, id: m.reference_id } : null,
    actor: m.actor,
    requestId: m.request_id,
    createdAt: m.created_at,
  };
}

/** The ledger of one SKU, newest first, keyset-paginated by movement id (time-sortable). */
export async function listMovements(
  tx: Tx,
  skuId: string,
  opts: {
    limit: number;
    before?: string | undefined;
    location?: string | undefined;
    type?: string | undefined;
  },
): Promise<{ items: MovementView[]; nextCursor: string | null }> {
  let q = tx
    .selectFrom('movements as m')
    .innerJoin('skus as s', 's.id', 'm.sku_id')
    .innerJoin('locations as l', 'l.id', 'm.location_id')
    .leftJoin('lots as t', 't.id', 'm.lot_id')
    .select([
      'm.id',
      'm.type',
      'm.created_at',
      'm.on_hand_delta',
      'm.allocated_delta',
      'm.quarantined_delta',
      'm.reason',
      'm.reference_type',
      'm.reference_id',
      'm.actor',
      'm.request_id',
      's.sku',
      'l.code as location_code',
      't.code as lot_code',
    ])
    .where('m.sku_id', '=', skuId)
    .orderBy('m.id', 'desc')
    .limit(opts.limit + 1);
  if (opts.before) q = q.where('m.id', '<', opts.before);
  if (opts.location) q = q.where('l.code_key', '=', opts.location.normalize('NFKC').trim().toUpperCase());
  if (opts.type) q = q.where('m.type', '=', opts.type);
  const rows = await q.execute();
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => movementView(r, { sku: r.sku, location: r.location_code, lot: r.lot_code })),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
  };
}
