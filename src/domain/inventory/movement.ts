/**
 * The stock ledger's vocabulary. Every change of stock is one immutable movement that carries the
 * deltas it applies to the three counters of one balance (SKU, location, lot):
 * on hand, allocated (committed to orders or leases) and quarantined (damaged, QC).
 */
import { DomainError } from '../errors.js';

export const movementTypes = [
  'receipt', // goods in: +on hand
  'adjustment', // signed correction of on hand, with a reason
  'transfer_out', // leaves a location into transit: −on hand
  'transfer_in', // arrives from transit: +on hand
  'count_correction', // variance posted by an approved cycle count
  'quarantine', // free stock set aside: +quarantined
  'quarantine_release', // back to free stock: −quarantined
  'scrap', // quarantined stock destroyed: −on hand, −quarantined
  'allocation', // committed to an order or lease: +allocated
  'deallocation', // commitment released: −allocated
  'shipment', // allocated stock leaves: −on hand, −allocated
  'return', // customer return restocked: +on hand
] as const;

export type MovementType = (typeof movementTypes)[number];

/** Types a user may post directly through `POST /stock/movements`; the rest come from documents. */
export const postableMovementTypes = [
  'receipt',
  'adjustment',
  'transfer',
  'quarantine',
  'quarantine_release',
  'scrap',
] as const;
export type PostableMovementType = (typeof postableMovementTypes)[number];

export type Deltas = { readonly onHand: number; readonly allocated: number; readonly quarantined: number };

/**
 * The counter deltas of a movement of `quantity` units. `quantity` is positive except for
 * `adjustment` and `count_correction`, where its sign is the direction.
 * Throws a VALIDATION_FAILED DomainError for a quantity that makes no sense for the type.
 */
export function deltasFor(type: MovementType, quantity: number): Deltas {
  const signed = type === 'adjustment' || type === 'count_correction';
  if (!Number.isSafeInteger(quantity) || quantity === 0 || (!signed && quantity < 0)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `quantity for ${type} must be a ${signed ? 'non-zero' : 'positive'} integer`,
      [{ field: 'quantity', message: signed ? 'must be a non-zero integer' : 'must be a positive integer' }],
    );
  }
  switch (type) {
    case 'receipt':
    case 'transfer_in':
    case 'return':
    case 'adjustment':
    case 'count_correction':
      return { onHand: quantity, allocated: 0, quarantined: 0 };
    case 'transfer_out':
      return { onHand: -quantity, allocated: 0, quarantined: 0 };
    case 'quarantine':
      return { onHand: 0, allocated: 0, quarantined: quantity };
    case 'quarantine_release':
      return { onHand: 0, allocated: 0, quarantined: -quantity };
    case 'scrap':
      return { onHand: -quantity, allocated: 0, quarantined: -quantity };
    case 'allocation':
      return { onHand: 0, allocated: quantity, quarantined: 0 };
    case 'deallocation':
      return { onHand: 0, allocated: -quantity, quarantined: 0 };
    case 'shipment':
      return { onHand: -quantity, allocated: -quantity, quarantined: 0 };
  }
}

/** The quantity a movement is "about", for display: the delta of its principal counter. */
export function principalQuantity(type: MovementType, d: Deltas): number {
  if (type === 'quarantine' || type === 'quarantine_release') return d.quarantined;
  if (type === 'allocation' || type === 'deallocation') return d.allocated;
  return d.onHand;
}

/** True when applying the deltas can only grow the balance, so a missing row may be created. */
export function onlyGrows(d: Deltas): boolean {
  return d.onHand >= 0 && d.allocated >= 0 && d.quarantined >= 0 && d.allocated + d.quarantined <= d.onHand;
}
