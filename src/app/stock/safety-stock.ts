/** Safety stock: units of a SKU at a location held back from sale (`available` subtracts them). */
import type { Tx } from '../../db/database.js';
import { setSafetyStock as writeSafetyStock } from '../../db/stock.repo.js';
import { emit } from '../outbox.js';
import { emitStockChangedIn } from './availability.js';

/**
 * Sets the safety stock of a SKU at a location (`quantity` in the SKU's base unit) and, when that
 * changes it, emits `safety_stock.set` and, when the SKU holds stock there, `stock.changed` with the
 * new availability — all in `tx`. Setting the quantity it already has writes nothing.
 */
export async function setSafetyStock(
  tx: Tx,
  sku: { readonly id: string; readonly sku: string },
  location: { readonly id: string; readonly code: string },
  quantity: number,
  at: string,
): Promise<void> {
  if (!(await writeSafetyStock(tx, sku.id, location.id, quantity))) return;
  await emit(tx, at, [
    {
      type: 'safety_stock.set',
      aggregateType: 'sku',
      aggregateId: sku.id,
      payload: { sku: sku.sku, location: location.code, quantity },
    },
  ]);
  await emitStockChangedIn(tx, { skuId: sku.id, locationId: location.id }, at);
}
