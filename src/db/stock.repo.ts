/**
 * Queries over balances and the movement ledger. Counters are only ever changed by one atomic
 * conditional UPDATE (or an upsert that can only grow them): never read, compute, write.
 */
import { byCodeUnits } from '../domain/code-units.js';
import { sql, type Insertable, type QueryCreator } from 'kysely';
import { isPostgres, type Tx } from './database.js';
import { nowIso } from '../domain/clock.js';
import type { Counters } from '../domain/inventory/balance.js';
import type { Deltas } from '../domain/inventory/movement.js';
import { onlyGrows } from '../domain/inventory/movement.js';
import { prepare, writeOrQueue, type Bound } from './prepared.js';
import type { DB, MovementTable } from './schema.js';

export type BalanceKey = { readonly skuId: string; readonly locationId: string; readonly lotId: string };

export type MovementRow = {
  readonly id: string;
  readonly createdAt: string;
  readonly type: string;
  readonly key: BalanceKey;
  readonly deltas: Deltas;
  readonly reason: string | null;
  readonly referenceType: string | null;
  readonly referenceId: string | null;
  readonly actor: string;
  readonly requestId: string | null;
};

const growBalance = prepare((db, p: { key: BalanceKey; d: Deltas; at: string; binCode: string | null }) =>
  db
    .insertInto('balances')
    .values({
      sku_id: p.key.skuId,
      location_id: p.key.locationId,
      lot_id: p.key.lotId,
      bin_code: p.binCode,
      on_hand: p.d.onHand,
      allocated: p.d.allocated,
      quarantined: p.d.quarantined,
      updated_at: p.at,
    })
    .onConflict((oc) =>
      oc.columns(['sku_id', 'location_id', 'lot_id']).doUpdateSet((eb) => ({
        on_hand: eb('balances.on_hand', '+', p.d.onHand),
        allocated: eb('balances.allocated', '+', p.d.allocated),
        quarantined: eb('balances.quarantined', '+', p.d.quarantined),
        updated_at: p.at,
        // Only a put-away names a bin; other growth keeps the one recorded.
        bin_code: eb.fn.coalesce(sql<string | null>`${p.binCode}`, 'balances.bin_code'),
      })),
    )
    .returning(['on_hand', 'allocated', 'quarantined']),
);

const changeBalance = prepare((db, p: { key: BalanceKey; d: Deltas; at: string }) =>
  db
    .updateTable('balances')
    .set((eb) => ({
      on_hand: eb('on_hand', '+', p.d.onHand),
      allocated: eb('allocated', '+', p.d.allocated),
      quarantined: eb('quarantined', '+', p.d.quarantined),
      updated_at: p.at,
    }))
    .where('sku_id', '=', p.key.skuId)
    .where('location_id', '=', p.key.locationId)
    .where('lot_id', '=', p.key.lotId)
    .where(sql<boolean>`on_hand + ${p.d.onHand} >= 0`)
    .where(sql<boolean>`allocated + ${p.d.allocated} >= 0`)
    .where(sql<boolean>`quarantined + ${p.d.quarantined} >= 0`)
    .where(
      sql<boolean>`allocated + ${p.d.allocated} + quarantined + ${p.d.quarantined} <= on_hand + ${p.d.onHand}`,
    )
    .returning(['on_hand', 'allocated', 'quarantined']),
);

const insertMovementRows = prepare((db, p: { rows: Insertable<MovementTable>[] }) =>
  db.insertInto('movements').values(p.rows),
);

/**
 * Applies `d` to the balance at `key` in one statement. Returns the new counters, or null when the
 * change would break an invariant (negative state, or allocated + quarantined > on hand) and so
 * changed nothing. A missing row is created only by deltas that can only grow it.
 */
export async function applyDeltas(
  tx: Tx,
  key: BalanceKey,
  d: Deltas,
  at: string,
  binCode?: string | null,
): Promise<Counters | null> {
  const key_ = { skuId: key.skuId, locationId: key.locationId, lotId: key.lotId };
  const deltas = { onHand: d.onHand, allocated: d.allocated, quarantined: d.quarantined };
  const { rows } = onlyGrows(d)
    ? await growBalance(tx, { key: key_, d: deltas, at, binCode: binCode ?? null })
    : await changeBalance(tx, { key: key_, d: deltas, at });
  const row = rows[0];
  return row ? { onHand: row.on_hand, allocated: row.allocated, quarantined: row.quarantined } : null;
}

type AllocationItems = { items: Array<{ key: BalanceKey; quantity: number }>; at: string };
type KeyColumns = { sku_id: string; location_id: string; lot_id: string };

/**
 * One conditional `UPDATE … FROM` adding each item's quantity to its balance's allocated counter.
 * `update` is `db`, or `db` with the `locked` CTE that `lockedInKeyOrder` then joins (see
 * `allocateBalanceRowsInKeyOrder`).
 */
function allocationUpdate(
  db: Tx,
  update: QueryCreator<DB & { locked: KeyColumns }>,
  p: AllocationItems,
  lockedInKeyOrder: boolean,
) {
  // The (key, quantity) pairs as a derived table: SELECT … UNION ALL SELECT …, portable to both.
  const [first, ...rest] = p.items.map((i) =>
    db.selectNoFrom([
      sql<string>`${i.key.skuId}`.as('sku_id'),
      sql<string>`${i.key.locationId}`.as('location_id'),
      sql<string>`${i.key.lotId}`.as('lot_id'),
      sql<number>`cast(${i.quantity} as bigint)`.as('quantity'),
    ]),
  );
  const items = rest.reduce((q, r) => q.unionAll(r), first!).as('v');
  return update
    .updateTable('balances')
    .from(lockedInKeyOrder ? [items, 'locked'] : [items])
    .set((eb) => ({ allocated: eb('balances.allocated', '+', eb.ref('v.quantity')), updated_at: p.at }))
    .whereRef('balances.sku_id', '=', 'v.sku_id')
    .whereRef('balances.location_id', '=', 'v.location_id')
    .whereRef('balances.lot_id', '=', 'v.lot_id')
    .$if(lockedInKeyOrder, (q) =>
      q
        .whereRef('locked.sku_id', '=', 'v.sku_id')
        .whereRef('locked.location_id', '=', 'v.location_id')
        .whereRef('locked.lot_id', '=', 'v.lot_id'),
    )
    .where(sql<boolean>`balances.allocated + v.quantity + balances.quarantined <= balances.on_hand`)
    .returning([
      'balances.sku_id',
      'balances.location_id',
      'balances.lot_id',
      'balances.on_hand',
      'balances.allocated',
      'balances.quarantined',
    ]);
}

const allocateBalanceRows = prepare((db, p: AllocationItems) =>
  allocationUpdate(db, db as unknown as QueryCreator<DB & { locked: KeyColumns }>, p, false),
);

/**
 * PostgreSQL locks rows in the order a statement visits them, which for `UPDATE … FROM` is the
 * plan's. A materialised `SELECT … ORDER BY key FOR UPDATE` the UPDATE joins takes every row lock in
 * key order first, so concurrent allocations never wait on each other in a cycle.
 */
const allocateBalanceRowsInKeyOrder = prepare((db, p: AllocationItems) =>
  allocationUpdate(
    db,
    db.with(
      (cte) => cte('locked').materialized(),
      (db) =>
        db
          .selectFrom('balances')
          .select(['sku_id', 'location_id', 'lot_id'])
          .where(
            sql<boolean>`(sku_id, location_id, lot_id) in (${sql.join(
              p.items.map((i) => sql`(${i.key.skuId}, ${i.key.locationId}, ${i.key.lotId})`),
            )})`,
          )
          .orderBy('sku_id')
          .orderBy('location_id')
          .orderBy('lot_id')
          .forUpdate(),
    ),
    p,
    true,
  ),
);

/** SQLite caps a compound SELECT at 500 terms; chunks also bound the number of statement shapes. */
const ALLOCATE_CHUNK = 100;

/**
 * Allocates `quantity` at each balance (keys distinct, in sorted key order): returns the new
 * counters by `balanceKeyOf`, or null when any balance lacks the free stock (then the caller's
 * transaction must not go on: some rows may have been changed).
 *
 * One conditional `UPDATE … FROM` per 100 balances; on PostgreSQL it first locks the rows in key
 * order (see `allocateBalanceRowsInKeyOrder`), so concurrent allocations never deadlock.
 */
export async function allocateBalances(
  tx: Tx,
  items: ReadonlyArray<{ skuId: string; locationId: string; lotId: string; quantity: number }>,
  at: string,
): Promise<Map<string, Counters> | null> {
  const out = new Map<string, Counters>();
  const statement = isPostgres(tx) && items.length > 1 ? allocateBalanceRowsInKeyOrder : allocateBalanceRows;
  for (let start = 0; start < items.length; start += ALLOCATE_CHUNK) {
    const chunk = items.slice(start, start + ALLOCATE_CHUNK);
    const { rows } = await statement(tx, {
      items: chunk.map((i) => ({
        key: { skuId: i.skuId, locationId: i.locationId, lotId: i.lotId },
        quantity: i.quantity,
      })),
      at,
    });
    if (rows.length !== chunk.length) return null;
    for (const r of rows)
      out.set(balanceKeyOf({ skuId: r.sku_id, locationId: r.location_id, lotId: r.lot_id }), {
        onHand: r.on_hand,
        allocated: r.allocated,
        quarantined: r.quarantined,
      });
  }
  return out;
}

export const balanceKeyOf = (k: BalanceKey): string => `${k.skuId}|${k.locationId}|${k.lotId}`;

/**
 * The order balance rows are locked in: by SKU, location and lot id, compared by code units (the
 * order the routing plan's decrements come in, and PostgreSQL's in a `C` collation; Kibble's ids are
 * lowercase letters, digits and `_` of one length per kind, which every collation orders the same).
 */
export const compareBalanceKeys = (a: BalanceKey, b: BalanceKey): number =>
  byCodeUnits(a.skuId, b.skuId) || byCodeUnits(a.locationId, b.locationId) || byCodeUnits(a.lotId, b.lotId);

/**
 * Locks every balance row of the given SKUs, in key order (PostgreSQL; SQLite serialises writers and
 * needs none). For a command that touches balances in more than one step — release then allocate
 * (an edit), release expired leases then allocate (a capture that sweeps): each step is sorted, but
 * two steps together are not, and another transaction's single sorted step could wait on the first
 * while holding what the second needs. Taken first, the whole set is one sorted step.
 */
export async function lockBalances(tx: Tx, skuIds: readonly string[]): Promise<void> {
  if (!isPostgres(tx) || skuIds.length === 0) return;
  await tx
    .selectFrom('balances')
    .select('sku_id')
    .where('sku_id', 'in', [...new Set(skuIds)])
    .orderBy('sku_id')
    .orderBy('location_id')
    .orderBy('lot_id')
    .forUpdate()
    .execute();
}

/** Appends movements to the ledger; with `writes`, queues the INSERT there instead (see `writeAll`). */
export async function insertMovements(tx: Tx, rows: readonly MovementRow[], writes?: Bound[]): Promise<void> {
  if (rows.length === 0) return;
  const bound = insertMovementRows.bind(tx, {
    rows: rows.map((m) => ({
      id: m.id,
      created_at: m.createdAt,
      type: m.type,
      sku_id: m.key.skuId,
      location_id: m.key.locationId,
      lot_id: m.key.lotId,
      on_hand_delta: m.deltas.onHand,
      allocated_delta: m.deltas.allocated,
      quarantined_delta: m.deltas.quarantined,
      reason: m.reason,
      reference_type: m.referenceType,
      reference_id: m.referenceId,
      actor: m.actor,
      request_id: m.requestId,
    })),
  });
  await writeOrQueue(tx, bound, writes);
}

export type BalanceView = Counters & {
  readonly locationId: string;
  readonly locationCode: string;
  readonly sellable: boolean;
  readonly lotId: string;
  readonly binCode: string | null;
  readonly lot: { code: string; expiresOn: string | null; status: 'active' | 'recalled' } | null;
};

/**
 * Every balance row of the given SKUs, with its location and lot. Leases past their expiry instant
 * hold nothing, even before the expiry job releases them: their units are taken off `allocated` in
 * the same statement that reads the balance, so a read racing the job's release (another process,
 * or another connection of the pool) never counts them as held (two statements could read the
 * balance before the release committed and the lapsed allocations after it).
 */
export async function balancesOf(
  tx: Tx,
  skuIds: readonly string[],
): Promise<Array<BalanceView & { skuId: string }>> {
  if (skuIds.length === 0) return [];
  const now = nowIso();
  const rows = await tx
    .selectFrom('balances as b')
    .innerJoin('locations as l', 'l.id', 'b.location_id')
    .leftJoin('lots as t', 't.id', 'b.lot_id')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('allocations')
          .select((a) => ['sku_id', 'location_id', 'lot_id', a.fn.sum<number>('quantity').as('quantity')])
          .where('owner_type', '=', 'reservation')
          .where('sku_id', 'in', skuIds)
          .where('expires_at', '<=', now)
          .groupBy(['sku_id', 'location_id', 'lot_id'])
          .as('z'),
      (j) =>
        j
          .onRef('z.sku_id', '=', 'b.sku_id')
          .onRef('z.location_id', '=', 'b.location_id')
          .onRef('z.lot_id', '=', 'b.lot_id'),
    )
    .select([
      'b.sku_id',
      'b.location_id',
      'l.code as location_code',
      'l.sellable',
      'b.lot_id',
      'b.bin_code',
      'b.on_hand',
      'b.allocated',
      'b.quarantined',
      't.code as lot_code',
      't.expires_on',
      't.status as lot_status',
      'z.quantity as lapsed',
    ])
    .where('b.sku_id', 'in', skuIds)
    .orderBy('l.code')
    .orderBy('t.expires_on')
    .orderBy('b.lot_id')
    .execute();
  return rows.map((r) => ({
    skuId: r.sku_id,
    locationId: r.location_id,
    locationCode: r.location_code,
    sellable: r.sellable === 1,
    lotId: r.lot_id,
    binCode: r.bin_code,
    onHand: r.on_hand,
    allocated: r.allocated - Number(r.lapsed ?? 0),
    quarantined: r.quarantined,
    lot:
      r.lot_code === null
        ? null
        : { code: r.lot_code, expiresOn: r.expires_on, status: r.lot_status ?? 'active' },
  }));
}

export async function safetyStockOf(tx: Tx, skuIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (skuIds.length === 0) return out;
  const rows = await tx.selectFrom('safety_stock').selectAll().where('sku_id', 'in', skuIds).execute();
  for (const r of rows) out.set(`${r.sku_id}|${r.location_id}`, r.quantity);
  return out;
}

export async function setSafetyStock(
  tx: Tx,
  skuId: string,
  locationId: string,
  quantity: number,
): Promise<boolean> {
  const r = await tx
    .insertInto('safety_stock')
    .values({ sku_id: skuId, location_id: locationId, quantity })
    .onConflict((oc) =>
      oc
        .columns(['sku_id', 'location_id'])
        .doUpdateSet({ quantity })
        .where('safety_stock.quantity', '<>', quantity),
    )
    .executeTakeFirst();
  // Whether anything changed: a row inserted, or one updated to another quantity.
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Ledger sums per balance key up to and including instant `at` (all time when null). */
export async function ledgerSums(tx: Tx, skuId: string | null, at: string | null) {
  let q = tx
    .selectFrom('movements')
    .select((eb) => [
      'sku_id',
      'location_id',
      'lot_id',
      eb.fn.sum<number>('on_hand_delta').as('on_hand'),
      eb.fn.sum<number>('allocated_delta').as('allocated'),
      eb.fn.sum<number>('quarantined_delta').as('quarantined'),
    ])
    .groupBy(['sku_id', 'location_id', 'lot_id']);
  if (skuId !== null) q = q.where('sku_id', '=', skuId);
  if (at !== null) q = q.where('created_at', '<=', at);
  const rows = await q.execute();
  return rows.map((r) => ({
    skuId: r.sku_id,
    locationId: r.location_id,
    lotId: r.lot_id,
    onHand: Number(r.on_hand),
    allocated: Number(r.allocated),
    quarantined: Number(r.quarantined),
  }));
}

export type LedgerDifference = {
  readonly sku: string;
  readonly location: string;
  readonly lot: string | null;
  readonly balance: Counters;
  readonly ledger: Counters;
};

/** Recomputes every balance from the ledger and returns the rows that disagree. */
export async function verifyBalances(tx: Tx): Promise<LedgerDifference[]> {
  const [sums, balances, skus, locations, lots] = await Promise.all([
    ledgerSums(tx, null, null),
    tx.selectFrom('balances').selectAll().execute(),
    tx.selectFrom('skus').select(['id', 'sku']).execute(),
    tx.selectFrom('locations').select(['id', 'code']).execute(),
    tx.selectFrom('lots').select(['id', 'code']).execute(),
  ]);
  const skuName = new Map(skus.map((s) => [s.id, s.sku]));
  const locName = new Map(locations.map((l) => [l.id, l.code]));
  const lotName = new Map(lots.map((l) => [l.id, l.code]));
  const zero: Counters = { onHand: 0, allocated: 0, quarantined: 0 };
  const keyOf = (s: string, l: string, t: string) => `${s}|${l}|${t}`;
  const fromLedger = new Map(sums.map((r) => [keyOf(r.skuId, r.locationId, r.lotId), r]));
  const seen = new Set<string>();
  const diffs: LedgerDifference[] = [];
  const same = (a: Counters, b: Counters) =>
    a.onHand === b.onHand && a.allocated === b.allocated && a.quarantined === b.quarantined;
  const describe = (
    s: string,
    l: string,
    t: string,
    balance: Counters,
    ledger: Counters,
  ): LedgerDifference => ({
    sku: skuName.get(s) ?? s,
    location: locName.get(l) ?? l,
    lot: t === '' ? null : (lotName.get(t) ?? t),
    balance,
    ledger,
  });
  for (const b of balances) {
    const k = keyOf(b.sku_id, b.location_id, b.lot_id);
    seen.add(k);
    const balance = { onHand: b.on_hand, allocated: b.allocated, quarantined: b.quarantined };
    const l = fromLedger.get(k);
    const ledger = l ? { onHand: l.onHand, allocated: l.allocated, quarantined: l.quarantined } : zero;
    if (!same(balance, ledger)) diffs.push(describe(b.sku_id, b.location_id, b.lot_id, balance, ledger));
  }
  for (const [k, l] of fromLedger) {
    if (seen.has(k)) continue;
    const ledger = { onHand: l.onHand, allocated: l.allocated, quarantined: l.quarantined };
    if (!same(ledger, zero)) diffs.push(describe(l.skuId, l.locationId, l.lotId, zero, ledger));
  }
  return diffs;
}

export type AllocationDifference = {
  readonly sku: string;
  readonly location: string;
  readonly lot: string | null;
  /** The balance row's `allocated` (0 when allocation rows name a key that has no balance row). */
  readonly allocated: number;
  /** Σ `allocations.quantity` (open order-line and lease allocations) for the key. */
  readonly allocationRows: number;
};

/**
 * Compares every balance's `allocated` with the sum of the open allocation rows for its
 * (SKU, location, lot) key, both ways (rows whose key has no balance count against 0), and
 * returns the keys that disagree, ordered by SKU, location and lot. One statement, so it reads
 * one snapshot even while a server writes.
 */
export async function verifyAllocations(tx: Tx): Promise<AllocationDifference[]> {
  const rows = await tx
    .with('held', (db) =>
      db
        .selectFrom('allocations')
        .select((eb) => ['sku_id', 'location_id', 'lot_id', eb.fn.sum<number>('quantity').as('quantity')])
        .groupBy(['sku_id', 'location_id', 'lot_id']),
    )
    .selectFrom('balances as b')
    .fullJoin('held as h', (j) =>
      j
        .onRef('h.sku_id', '=', 'b.sku_id')
        .onRef('h.location_id', '=', 'b.location_id')
        .onRef('h.lot_id', '=', 'b.lot_id'),
    )
    .innerJoin('skus as s', (j) => j.on((eb) => eb('s.id', '=', eb.fn.coalesce('b.sku_id', 'h.sku_id'))))
    .innerJoin('locations as l', (j) =>
      j.on((eb) => eb('l.id', '=', eb.fn.coalesce('b.location_id', 'h.location_id'))),
    )
    .leftJoin('lots as t', (j) => j.on((eb) => eb('t.id', '=', eb.fn.coalesce('b.lot_id', 'h.lot_id'))))
    .select((eb) => [
      's.sku',
      'l.code as location',
      eb.fn.coalesce('b.lot_id', 'h.lot_id').as('lot_id'),
      't.code as lot',
      eb.fn.coalesce('b.allocated', eb.lit(0)).as('allocated'),
      eb.fn.coalesce('h.quantity', eb.lit(0)).as('allocation_rows'),
    ])
    .where((eb) =>
      eb(eb.fn.coalesce('b.allocated', eb.lit(0)), '<>', eb.fn.coalesce('h.quantity', eb.lit(0))),
    )
    .orderBy('s.sku')
    .orderBy('l.code')
    .orderBy('lot_id')
    .execute();
  return rows.map((r) => ({
    sku: r.sku,
    location: r.location,
    lot: r.lot_id === '' ? null : (r.lot ?? r.lot_id),
    allocated: Number(r.allocated),
    allocationRows: Number(r.allocation_rows),
  }));
}

/**
 * For report queries over `balances as b`: joins `z.quantity`, the units of reservation leases past
 * their expiry instant at `now` per balance key — they hold nothing any more, even before the
 * expiry job releases them (as `balancesOf` reads them) — so `b.allocated - coalesce(z.quantity, 0)`
 * is what is really allocated.
 */
export const lapsedLeasesJoin = (now: string) => sql`
  left join (
    select sku_id, location_id, lot_id, sum(quantity) as quantity
    from allocations
    where owner_type = 'reservation' and expires_at <= ${now}
    group by sku_id, location_id, lot_id
  ) z on z.sku_id = b.sku_id and z.location_id = b.location_id and z.lot_id = b.lot_id`;
