import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureLimit, nextRefund } from './settlement.js';

const amounts = fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 6 });

describe('settlement', () => {
  it('a capture takes at most what is authorised and what is still owed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 300_000 }),
        fc.integer({ min: 0, max: 300_000 }),
        (authorized, total, heldByOthers) => {
          const limit = captureLimit(authorized, total, heldByOthers);
          expect(limit).toBeGreaterThanOrEqual(0);
          expect(limit).toBeLessThanOrEqual(authorized);
          expect(limit).toBe(Math.max(0, Math.min(authorized, total - heldByOthers)));
        },
      ),
    );
  });

  it('captures of several authorisations in turn take exactly what is owed, or all that is authorised', () => {
    fc.assert(
      fc.property(
        amounts,
        fc.integer({ min: 0, max: 300_000 }),
        fc.integer({ min: 0, max: 300_000 }),
        (auths, total, held) => {
          let captured = 0;
          for (const a of auths) captured += captureLimit(a, total, held + captured);
          const authorized = auths.reduce((s, a) => s + a, 0);
          expect(captured).toBe(Math.min(authorized, Math.max(0, total - held)));
        },
      ),
    );
  });

  it('an order cut to 25.00 after a 40.00 authorisation is charged 25.00; one already paid in full owes nothing', () => {
    expect(captureLimit(4000, 2500, 0)).toBe(2500);
    expect(captureLimit(4000, 2500, 2500)).toBe(0);
  });

  it('refunds applied until none is left give back exactly the overpayment, newest payment first', () => {
    fc.assert(
      fc.property(amounts, fc.integer({ min: 0, max: 300_000 }), (held, total) => {
        const payments = held.map((refundableMinor, i) => ({ id: `pay_${i}`, refundableMinor }));
        const before = new Map(payments.map((p) => [p.id, p.refundableMinor]));
        let refunded = 0;
        let lastIndex = Infinity;
        for (let r = nextRefund(payments, total); r !== null; r = nextRefund(payments, total)) {
          const i = payments.findIndex((p) => p.id === r.paymentId);
          expect(r.amountMinor).toBeGreaterThan(0);
          expect(r.amountMinor).toBeLessThanOrEqual(payments[i]!.refundableMinor);
          expect(i).toBeLessThanOrEqual(lastIndex); // never back to a newer payment
          lastIndex = i;
          payments[i] = { ...payments[i]!, refundableMinor: payments[i]!.refundableMinor - r.amountMinor };
          refunded += r.amountMinor;
        }
        const sum = held.reduce((a, b) => a + b, 0);
        expect(refunded).toBe(Math.max(0, sum - total));
        for (const p of payments) expect(p.refundableMinor).toBeGreaterThanOrEqual(0);
        expect(before.size).toBe(payments.length);
      }),
    );
    expect(nextRefund([{ id: 'a', refundableMinor: 2000 }], 1500)).toEqual({
      paymentId: 'a',
      amountMinor: 500,
    });
  });
});
