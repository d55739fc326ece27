/**
 * Releases expired reservation leases every second. Correctness does not depend on it (allocation
 * and reads sweep the SKUs they touch first); it frees the stock of SKUs nobody is touching and
 * emits their `stock.changed` events. Safe with several processes: the release is a conditional
 * delete of allocation rows inside one transaction.
 */
import type { Database } from '../db/database.js';
import { expireLeases } from '../app/orders/reservations.js';
import { nowIso } from '../domain/clock.js';
import { every } from './every.js';

/** `freed`: called once a run has released some leases' stock (the server serves backorders then). */
export function startLeaseExpiry(
  database: Database,
  intervalMs = 1000,
  onError: (e: unknown) => void = () => undefined,
  freed: () => Promise<unknown> = async () => undefined,
): () => void {
  return every(
    intervalMs,
    async () => {
      const released = await database.transact((tx) =>
        expireLeases(tx, { actor: 'job:lease-expiry', requestId: null, at: nowIso() }),
      );
      if (released > 0) await freed();
    },
    onError,
  );
}
