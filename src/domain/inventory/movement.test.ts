import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '../errors.js';
import { deltasFor, movementTypes, onlyGrows, principalQuantity, type MovementType } from './movement.js';

describe('deltasFor', () => {
  it.each<[MovementType, number, [number, number, number]]>([
    ['receipt', 5, [5, 0, 0]],
    ['transfer_in', 5, [5, 0, 0]],
    ['return', 5, [5, 0, 0]],
    ['adjustment', 5, [5, 0, 0]],
    ['adjustment', -5, [-5, 0, 0]],
    ['count_correction', 3, [3, 0, 0]],
    ['count_correction', -3, [-3, 0, 0]],
    ['transfer_out', 5, [-5, 0, 0]],
    ['quarantine', 5, [0, 0, 5]],
    ['quarantine_release', 5, [0, 0, -5]],
    ['scrap', 5, [-5, 0, -5]],
    ['allocation', 5, [0, 5, 0]],
    ['deallocation', 5, [0, -5, 0]],
    ['shipment', 5, [-5, -5, 0]],
  ])(
    '%s of %i moves (on hand, allocated, quarantined) by %j',
    (type, quantity, [onHand, allocated, quarantined]) => {
      expect(deltasFor(type, quantity)).toEqual({ onHand, allocated, quarantined });
    },
  );

  it('rejects zero, fractional, unsafe and (for unsigned types) negative quantities as VALIDATION_FAILED on quantity', () => {
    const bad: Array<[MovementType, number]> = [
      ['receipt', 0],
      ['receipt', -1],
      ['receipt', 1.5],
      ['receipt', Number.NaN],
      ['receipt', Number.POSITIVE_INFINITY],
      ['receipt', 2 ** 53],
      ['adjustment', 0],
      ['adjustment', -0.5],
      ['count_correction', 0],
      ['scrap', -2],
      ['shipment', -1],
    ];
    for (const [type, quantity] of bad) {
      let thrown: unknown;
      try {
        deltasFor(type, quantity);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `${type} ${quantity}`).toBeInstanceOf(DomainError);
      expect((thrown as DomainError).code).toBe('VALIDATION_FAILED');
      expect((thrown as DomainError).fields[0]?.field).toBe('quantity');
    }
  });

  it('keeps every movement within the balance invariant when applied to a balance it fits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...movementTypes),
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        (type, magnitude, negative) => {
          const signed = type === 'adjustment' || type === 'count_correction';
          const quantity = signed && negative ? -magnitude : magnitude;
          const d = deltasFor(type, quantity);
          // The principal quantity reports the movement's size with its direction.
          expect(Math.abs(principalQuantity(type, d))).toBe(magnitude);
          // No movement touches more than on hand plus one other counter, except scrap and shipment,
          // which remove committed stock: on hand falls by exactly what the other counter releases.
          if (d.onHand < 0 && (d.allocated < 0 || d.quarantined < 0)) {
            expect(d.onHand).toBe(d.allocated + d.quarantined);
          }
        },
      ),
    );
  });
});

describe('principalQuantity', () => {
  it('reports the counter a movement is about', () => {
    expect(principalQuantity('quarantine', deltasFor('quarantine', 4))).toBe(4);
    expect(principalQuantity('quarantine_release', deltasFor('quarantine_release', 4))).toBe(-4);
    expect(principalQuantity('allocation', deltasFor('allocation', 4))).toBe(4);
    expect(principalQuantity('deallocation', deltasFor('deallocation', 4))).toBe(-4);
    expect(principalQuantity('shipment', deltasFor('shipment', 4))).toBe(-4);
    expect(principalQuantity('scrap', deltasFor('scrap', 4))).toBe(-4);
    expect(principalQuantity('adjustment', deltasFor('adjustment', -4))).toBe(-4);
  });
});

describe('onlyGrows', () => {
  it('is true only for deltas that could create a fresh balance row without breaking its CHECKs', () => {
    expect(onlyGrows(deltasFor('receipt', 3))).toBe(true);
    expect(onlyGrows(deltasFor('transfer_in', 3))).toBe(true);
    expect(onlyGrows(deltasFor('adjustment', 3))).toBe(true);
    expect(onlyGrows(deltasFor('adjustment', -3))).toBe(false);
    expect(onlyGrows(deltasFor('transfer_out', 3))).toBe(false);
    // Quarantining or allocating grows a counter but needs stock on hand to exist.
    expect(onlyGrows(deltasFor('quarantine', 3))).toBe(false);
    expect(onlyGrows(deltasFor('allocation', 3))).toBe(false);
    expect(onlyGrows(deltasFor('scrap', 3))).toBe(false);
    expect(onlyGrows({ onHand: 5, allocated: 2, quarantined: 3 })).toBe(true);
    expect(onlyGrows({ onHand: 5, allocated: 3, quarantined: 3 })).toBe(false);
  });
});
