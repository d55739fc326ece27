import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capturePlan, refundPlan } from './settlement.js';

const authorizations = fc
  .array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 6 })
  .map((amounts) => amounts.map((amountMinor, i) => ({ id: `pay_${i}`, amountMinor })));

describe('settlement plans', () => {
  it('captures exactly what is still owed, never more than an authorisation, and voids the rest', () => {
    fc.assert(
      fc.property(
        authorizations,
        fc.integer({ min: 0, max: 300_000 }),
        fc.integer({ min: 0, max: 300_000 }),
        (auths, total, settled) => {
          const plan = capturePlan(auths, total, settled);
          expect(plan.map((s) => s.paymentId)).toEqual(auths.map((a) => a.id));
          let captured = 0;
          plan.forEach((step, i) => {
            if (step.action === 'capture') {
              expect(step.amountMinor).toBeGreaterThan(0);
              expect(step.amountMinor).toBeLessThanOrEqual(auths[i]!.amountMinor);
              captured += step.amountMinor;
            }
          });
          const owed = Math.max(0, total - settled);
          const held = auths.reduce((s, a) => s + a.amountMinor, 0);
          expect(captured).toBe(Math.min(owed, held));
          // Oldest first: once one authorisation is only partly captured or voided, none after it is captured.
          const firstShort = plan.findIndex(
            (s, i) => s.action === 'void' || s.amountMinor < auths[i]!.amountMinor,
          );
          if (firstShort >= 0)
            expect(plan.slice(firstShort + 1).every((s) => s.action === 'void')).toBe(true);
        },
      ),
    );
  });

  it('an order cut to 25.00 after a 40.00 authorisation is charged 25.00; one already paid in full voids it', () => {
    expect(capturePlan([{ id: 'a', amountMinor: 4000 }], 2500, 0)).toEqual([
      { paymentId: 'a', action: 'capture', amountMinor: 2500 },
    ]);
    expect(capturePlan([{ id: 'a', amountMinor: 4000 }], 2500, 2500)).toEqual([
      { paymentId: 'a', action: 'void' },
    ]);
  });

  it('refunds exactly what the payments hold beyond the total, newest payment first, none beyond what it holds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 300_000 }),
        (held, total) => {
          const payments = held.map((refundableMinor, i) => ({ id: `pay_${i}`, refundableMinor }));
          const plan = refundPlan(payments, total);
          const byId = new Map(payments.map((p) => [p.id, p.refundableMinor]));
          let refunded = 0;
          for (const step of plan) {
            expect(step.action).toBe('refund');
            if (step.action !== 'refund') continue;
            expect(step.amountMinor).toBeGreaterThan(0);
            expect(step.amountMinor).toBeLessThanOrEqual(byId.get(step.paymentId)!);
            refunded += step.amountMinor;
          }
          const sum = held.reduce((a, b) => a + b, 0);
          expect(refunded).toBe(Math.max(0, sum - total));
          expect(new Set(plan.map((s) => s.paymentId)).size).toBe(plan.length);
          // Newest first: ids come in descending order.
          expect(plan.map((s) => s.paymentId)).toEqual([...plan.map((s) => s.paymentId)].sort().reverse());
        },
      ),
    );
    expect(refundPlan([{ id: 'a', refundableMinor: 2000 }], 1500)).toEqual([
      { paymentId: 'a', action: 'refund', amountMinor: 500 },
    ]);
  });
});
