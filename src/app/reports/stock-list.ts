/**
 * Stock across the catalog: one row per SKU and location with its counters, safety stock and
 * availability (the same rule as `GET /stock/{sku}`), keyset-paginated by (SKU, location). The
 * web admin's stock screen scrolls through it; lots are listed per SKU by `GET /stock/{sku}`.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { lapsedLeasesJoin } from '../../db/stock.repo.js';
import { containsEveryWord } from '../../db/like.js';
import { addDays, isoDate } from '../../domain/clock.js';
import { sellableRowSql, shelfLifeCutoffs } from './sellable-lots.js';
import { fieldError } from '../../domain/errors.js';
import { locationKey, skuKey } from '../../domain/sku-code.js';

export const stockFilters = [
  'all',
  'available',
  'low',
  'out',
  'quarantined',
  'allocated',
  'expiring',
] as const;
export type StockFilter = (typeof stockFilters)[number];

/** Days ahead within which a lot counts as expiring for the `expiring` filter. */
export const EXPIRING_WITHIN_DAYS = 30;

export type StockRow = {
  sku: string;
  name: string;
  location: string;
  sellable: boolean;
  bin: string | null;
  lots: number;
  nextExpiry: string | null;
  onHand: number;
  allocated: number;
  quarantined: number;
  safetyStock: number;
  available: number;
};

type Raw = {
  sku: string;
  name: string;
  sku_key: string;
  location: string;
  code_key: string;
  sellable: unknown;
  bin: string | null;
  lots: unknown;
  next_expiry: string | null;
  on_hand: unknown;
  allocated: unknown;
  quarantined: unknown;
  safety: unknown;
  available: unknown;
};

const n = (v: unknown) => Number(v ?? 0);

const encodeCursor = (sku: string, location: string) =>
  Buffer.from(JSON.stringify([sku, location])).toString('base64url');

/** The (SKU key, location key) a page ends at; a malformed cursor is a VALIDATION_FAILED. */
function decodeCursor(cursor: string): [string, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      return [v[0], v[1]];
    }
  } catch {
    // fall through
  }
  throw fieldError('VALIDATION_FAILED', 'cursor', 'is not a cursor returned by this list');
}

export async function listStock(
  tx: Tx,
  opts: {
    now: string;
    limit: number;
    cursor?: string | undefined;
    location?: string | undefined;
    q?: string | undefined;
    filter?: StockFilter | undefined;
    lowStockThreshold: number;
  },
): Promise<{ items: StockRow[]; nextCursor: string | null }> {
  const today = isoDate(opts.now);
  const conditions = [sql`1 = 1`];
  if (opts.location) conditions.push(sql`l.code_key = ${locationKey(opts.location)}`);
  const q = opts.q?.trim();
  if (q) {
    const key = skuKey(q);
    conditions.push(sql`(
      (s.sku_key >= ${key} and s.sku_key < ${`${key}\uffff`})
      or ${containsEveryWord('s.name', q)}
      or s.id in (select sku_id from sku_barcodes where barcode = ${q}))`);
  }
  const rowConditions = [sql`1 = 1`];
  if (opts.cursor) {
    const [afterSku, afterLoc] = decodeCursor(opts.cursor);
    rowConditions.push(
      sql`(x.sku_key > ${afterSku} or (x.sku_key = ${afterSku} and x.code_key > ${afterLoc}))`,
    );
  }
  switch (opts.filter ?? 'all') {
    case 'available':
      rowConditions.push(sql`x.available > 0`);
      break;
    case 'low':
      rowConditions.push(
        sql`x.available > 0 and x.available <= (case when x.safety > 0 then x.safety else ${opts.lowStockThreshold} end)`,
      );
      break;
    case 'out':
      // Out of stock is for what is for sale: an inactive SKU is neither.
      rowConditions.push(sql`x.available <= 0 and x.sellable = 1 and x.active = 1`);
      break;
    case 'quarantined':
      rowConditions.push(sql`x.quarantined > 0`);
      break;
    case 'allocated':
      rowConditions.push(sql`x.allocated > 0`);
      break;
    case 'expiring':
      rowConditions.push(
        sql`x.next_expiry is not null and x.next_expiry <= ${addDays(today, EXPIRING_WITHIN_DAYS)}`,
      );
      break;
    case 'all':
      break;
  }

  const sellable = sellableRowSql(await shelfLifeCutoffs(tx, today), 's');
  const result = await sql<Raw>`
    select x.* from (
      select g.*,
             case when g.sellable = 1 and g.active = 1 and g.free - g.safety > 0 then g.free - g.safety else 0 end as available
      from (
        select s.sku, s.name, s.sku_key, s.active, l.code as location, l.code_key, l.sellable,
               max(b.bin_code) as bin,
               sum(case when b.lot_id = '' then 0 else 1 end) as lots,
               min(case when b.on_hand > 0 then t.expires_on end) as next_expiry,
               sum(b.on_hand) as on_hand, sum(b.allocated - coalesce(z.quantity, 0)) as allocated,
               sum(b.quarantined) as quarantined,
               coalesce(max(ss.quantity), 0) as safety,
               sum(case when ${sellable}
                        then b.on_hand - (b.allocated - coalesce(z.quantity, 0)) - b.quarantined else 0 end) as free
        from balances b
        ${lapsedLeasesJoin(opts.now)}
        join skus s on s.id = b.sku_id
        join locations l on l.id = b.location_id
        left join lots t on t.id = b.lot_id
        left join safety_stock ss on ss.sku_id = b.sku_id and ss.location_id = b.location_id
        where ${sql.join(conditions, sql` and `)}
        group by s.id, s.sku, s.name, s.sku_key, s.active, l.id, l.code, l.code_key, l.sellable
      ) g
    ) x
    where ${sql.join(rowConditions, sql` and `)}
    order by x.sku_key, x.code_key
    limit ${opts.limit + 1}`.execute(tx);

  const rows = result.rows;
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      sku: r.sku,
      name: r.name,
      location: r.location,
      sellable: n(r.sellable) === 1,
      bin: r.bin,
      lots: n(r.lots),
      nextExpiry: r.next_expiry,
      onHand: n(r.on_hand),
      allocated: n(r.allocated),
      quarantined: n(r.quarantined),
      safetyStock: n(r.safety),
      available: n(r.available),
    })),
    nextCursor: rows.length > opts.limit && last ? encodeCursor(last.sku_key, last.code_key) : null,
  };
}
