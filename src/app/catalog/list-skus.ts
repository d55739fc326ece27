import { sql } from 'kysely';
import type { Tx } from '../../db/database.js';
import { isoDate } from '../../domain/clock.js';
import { perSkuStockSql } from '../reports/dashboard.js';
import { shelfLifeCutoffs } from '../reports/sellable-lots.js';
import { containsEveryWord } from '../../db/like.js';
import { skuKey } from '../../domain/sku-code.js';
import { skuViews, type SkuView } from './sku-view.js';

/**
 * SKUs ordered by canonical code, keyset-paginated. `q` matches a SKU prefix, a barcode exactly,
 * or a name containing each of its words (case-insensitive, any order).
 */
export async function listSkus(
  tx: Tx,
  opts: {
    q?: string | undefined;
    limit: number;
    after?: string | undefined;
    active?: boolean | undefined;
    /**
     * Only the SKUs the dashboard counts as out of stock or low (active, not bundles; availability
     * over sellable locations; `now` and `lowStockThreshold` as the dashboard was asked with).
     */
    stock?:
      | { readonly filter: 'out' | 'low'; readonly now: string; readonly lowStockThreshold: number }
      | undefined;
  },
): Promise<{ items: SkuView[]; nextCursor: string | null }> {
  let query = tx
    .selectFrom('skus')
    .selectAll()
    .orderBy('sku_key')
    .limit(opts.limit + 1);
  if (opts.after) query = query.where('sku_key', '>', opts.after);
  if (opts.active !== undefined) query = query.where('active', '=', opts.active ? 1 : 0);
  if (opts.stock !== undefined) {
    const { filter, now, lowStockThreshold } = opts.stock;
    const perSku = perSkuStockSql(await shelfLifeCutoffs(tx, isoDate(now)), now, lowStockThreshold);
    const which =
      filter === 'out' ? sql`x.available <= 0` : sql`x.available > 0 and x.available <= x.threshold`;
    query = query.where(sql<boolean>`id in (select x.sku_id from (${perSku}) x where ${which})`);
  }
  const q = opts.q?.trim();
  if (q) {
    const key = skuKey(q);
    query = query.where((eb) =>
      eb.or([
        eb('sku_key', '>=', key).and('sku_key', '<', `${key}\uffff`),
        containsEveryWord('name', q),
        eb('id', 'in', eb.selectFrom('sku_barcodes').select('sku_id').where('barcode', '=', q)),
      ]),
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, opts.limit);
  return {
    items: await skuViews(tx, page),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.sku_key : null,
  };
}
