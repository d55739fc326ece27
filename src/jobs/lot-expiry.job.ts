/**
 * Announces lots that stopped being sellable when the day turned (`announceLotExpiries`): checked
 * every minute, acting once a day across every process sharing the database.
 */
import type { Database } from '../db/database.js';
import { announceLotExpiries } from '../app/stock/lot-expiry.js';
import { nowIso } from '../domain/clock.js';
import { every } from './every.js';

export function startLotExpiry(
  database: Database,
  intervalMs = 60_000,
  onError: (e: unknown) => void = () => undefined,
): () => void {
  return every(
    intervalMs,
    () => database.transact((tx) => announceLotExpiries(tx, { at: nowIso() })),
    onError,
  );
}
