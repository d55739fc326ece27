import type { Tx } from '../../db/database.js';
import { locationKey, skuKey } from '../../domain/sku-code.js';
import { principalQuantity, type MovementType } from '../../domain/inventory/movement.js';
import { actorNames } from '../access/actor-names.js';

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
  /** On ledger lists: the user's or API key's name for `user:` and `key:` actors, else null. */
  actorName?: string | null;
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
  actorName?: string | null,
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
    ...(actorName === undefined ? {} : { actorName }),
    requestId: m.request_id,
    createdAt: m.created_at,
  };
}

export type MovementFilter = {
  readonly limit: number;
  readonly before?: string | undefined;
  readonly sku?: string | undefined;
  /** The SKU's id, when the caller already resolved it (uses the ledger's (sku_id, id) index). */
  readonly skuId?: string | undefined;
  readonly location?: string | undefined;
  readonly type?: string | undefined;
  readonly reason?: string | undefined;
  /** Inclusive lower bound, ISO-8601 instant. */
  readonly from?: string | undefined;
  /** Exclusive upper bound, ISO-8601 instant. */
  readonly to?: string | undefined;
};

/**
 * The stock ledger, newest first, with filters: SKU, location, type, reason (part of), and a time
 * window. Keyset-paginated by movement id (time-sortable UUIDv7).
 */
export async function listMovements(
  tx: Tx,
  f: MovementFilter,
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
    .orderBy('m.id', 'desc')
    .limit(f.limit + 1);
  if (f.before) q = q.where('m.id', '<', f.before);
  if (f.skuId) q = q.where('m.sku_id', '=', f.skuId);
  else if (f.sku) q = q.where('s.sku_key', '=', skuKey(f.sku));
  if (f.location) q = q.where('l.code_key', '=', locationKey(f.location));
  if (f.type) q = q.where('m.type', '=', f.type);
  if (f.reason) {
    const like = `%${f.reason.toLowerCase().replace(/[\\%_]/g, '')}%`;
    q = q.where((eb) => eb(eb.fn('lower', ['m.reason']), 'like', like));
  }
  if (f.from) q = q.where('m.created_at', '>=', f.from);
  if (f.to) q = q.where('m.created_at', '<', f.to);
  const rows = await q.execute();
  const page = rows.slice(0, f.limit);
  const who = await actorNames(
    tx,
    page.map((r) => r.actor),
  );
  return {
    items: page.map((r) =>
      movementView(r, { sku: r.sku, location: r.location_code, lot: r.lot_code }, who.get(r.actor) ?? null),
    ),
    nextCursor: rows.length > f.limit ? page[page.length - 1]!.id : null,
  };
}
