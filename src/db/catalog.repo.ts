/** Catalog look-ups shared by use-cases: SKUs by code, locations by code, lots. */
import { sql } from 'kysely';
import type { Tx } from './database.js';
import type { SkuTable, LocationTable } from './schema.js';
import { locationKey, skuKey } from '../domain/sku-code.js';
import { prepare } from './prepared.js';

export type SkuRow = SkuTable;
export type LocationRow = LocationTable;

export async function findSku(tx: Tx, code: string): Promise<SkuRow | undefined> {
  return tx.selectFrom('skus').selectAll().where('sku_key', '=', skuKey(code)).executeTakeFirst();
}

/** What selling a SKU needs (not its dimensions, costs or timestamps): half the cost of `select *`. */
const orderableColumns = [
  'id',
  'sku',
  'sku_key',
  'name',
  'price_minor',
  'currency',
  'tracking',
  'min_remaining_shelf_life_days',
  'is_bundle',
  'active',
] as const;
export type OrderableSku = Pick<SkuRow, (typeof orderableColumns)[number]>;

const orderableByKey = prepare((db, p: { keys: string[]; at: string; emailKey: string | undefined }) => {
  const q = db
    .selectFrom('skus')
    .select(orderableColumns.map((c) => `skus.${c}` as const))
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('allocations')
            .select(sql<number>`1`.as('one'))
            .where(sql<boolean>`owner_type = 'reservation'`) // a literal: SQLite uses the partial index
            .whereRef('allocations.sku_id', '=', 'skus.id')
            .where('allocations.expires_at', '<=', p.at),
        )
        .as('lease_expired'),
    )
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('bundle_components')
            .select(sql<number>`1`.as('one'))
            .whereRef('bundle_components.component_sku_id', '=', 'skus.id'),
        )
        .as('in_bundle'),
    )
    .where('sku_key', 'in', p.keys);
  // The placeholder is undefined exactly when the value is: the shape decides the SQL.
  return p.emailKey === undefined
    ? q
    : q
        .leftJoin('customers as c', (j) => j.on('c.email_key', '=', p.emailKey!))
        .select(['c.id as customer_id', 'c.email as customer_email', 'c.name as customer_name']);
});

type CustomerColumns = {
  customer_id: string | null;
  customer_email: string | null;
  customer_name: string | null;
};

export type CustomerMatch = { readonly id: string; readonly email: string; readonly name: string | null };

/**
 * SKUs by code with what selling them needs, whether an expired reservation lease still holds
 * some of their stock at `at` (then the caller sweeps it first; usually none does, and this saves
 * the sweep's query), and whether a bundle contains them (then a change of their stock changes the
 * bundle's too; usually none does, and this saves that query). The map is keyed by canonical key.
 *
 * With `customerEmailKey`, the same statement also finds the customer with that e-mail key (`null`
 * when there is none; `undefined` when no SKU matched either, as then no order is placed): one
 * round trip fewer per order on PostgreSQL.
 */
export async function findOrderableSkus(
  tx: Tx,
  codes: readonly string[],
  at: string,
  customerEmailKey?: string,
): Promise<{
  skus: Map<string, OrderableSku & { leaseExpired: boolean; inBundle: boolean }>;
  customer: CustomerMatch | null | undefined;
}> {
  const keys = [...new Set(codes.map(skuKey))];
  const skus = new Map<string, OrderableSku & { leaseExpired: boolean; inBundle: boolean }>();
  if (keys.length === 0) return { skus, customer: undefined };
  const { rows } = await orderableByKey(tx, { keys, at, emailKey: customerEmailKey });
  for (const { lease_expired, in_bundle, ...r } of rows) {
    const {
      customer_id: _id,
      customer_email: _email,
      customer_name: _name,
      ...sku
    } = r as typeof r & Partial<CustomerColumns>;
    skus.set(sku.sku_key, { ...sku, leaseExpired: Boolean(lease_expired), inBundle: Boolean(in_bundle) });
  }
  // Every row carries the same customer columns (the join's condition is a constant).
  const first = rows[0] as Partial<CustomerColumns> | undefined;
  const customer =
    customerEmailKey === undefined || first === undefined
      ? undefined
      : first.customer_id
        ? { id: first.customer_id, email: first.customer_email!, name: first.customer_name ?? null }
        : null;
  return { skus, customer };
}

/** SKUs by code; the map is keyed by canonical key. */
export async function findSkus(tx: Tx, codes: readonly string[]): Promise<Map<string, SkuRow>> {
  const keys = [...new Set(codes.map(skuKey))];
  const out = new Map<string, SkuRow>();
  if (keys.length === 0) return out;
  const rows = await tx.selectFrom('skus').selectAll().where('sku_key', 'in', keys).execute();
  for (const r of rows) out.set(r.sku_key, r);
  return out;
}

export async function findLocation(tx: Tx, code: string): Promise<LocationRow | undefined> {
  return tx.selectFrom('locations').selectAll().where('code_key', '=', locationKey(code)).executeTakeFirst();
}

const componentsOfBundles = prepare((db, p: { ids: readonly string[] }) =>
  db
    .selectFrom('bundle_components as c')
    .innerJoin('skus as s', 's.id', 'c.component_sku_id')
    .select([
      'c.bundle_sku_id',
      'c.component_sku_id',
      'c.quantity',
      's.sku',
      's.tracking',
      's.min_remaining_shelf_life_days',
      's.active',
    ])
    .where('c.bundle_sku_id', 'in', p.ids)
    .orderBy('s.sku_key'),
);

export async function componentsOf(tx: Tx, bundleSkuIds: readonly string[]) {
  if (bundleSkuIds.length === 0) return [];
  return (await componentsOfBundles(tx, { ids: bundleSkuIds })).rows;
}

/** The SKU's lot of that code; lot codes are stored and compared trimmed. */
export async function findLot(tx: Tx, skuId: string, code: string) {
  return tx
    .selectFrom('lots')
    .selectAll()
    .where('sku_id', '=', skuId)
    .where('code', '=', code.trim())
    .executeTakeFirst();
}
