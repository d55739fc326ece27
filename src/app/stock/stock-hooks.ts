/**
 * What happens in the same transaction when stock arrives (receipt, transfer in, adjustment up).
 * Orders register their backorder allocation here, so stock does not depend on orders.
 */
import type { Tx } from '../../db/database.js';

export type ArrivalHook = (
  tx: Tx,
  skuId: string,
  ctx: { actor: string; requestId: string | null; at: string },
) => Promise<void>;

const hooks: ArrivalHook[] = [];

export function onStockArrival(hook: ArrivalHook): void {
  if (!hooks.includes(hook)) hooks.push(hook);
}

export async function afterStockArrival(
  tx: Tx,
  skuId: string,
  ctx: { actor: string; requestId: string | null; at: string },
): Promise<void> {
  for (const hook of hooks) await hook(tx, skuId, ctx);
}
