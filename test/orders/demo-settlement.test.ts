/**
 * The demo's cancelled orders are settled as a real shop settles them (through the payment actions):
 * what a paid one captured is refunded, a recent one's authorisation voided, and only the newest
 * `DEMO_REFUNDS_DUE` paid cancellations keep their money, with "refund due" on their timelines.
 * A sample of 1,000 SKUs gives a dozen or more cancellations whatever the weekday (the history's
 * daily volumes follow the calendar).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REFUNDS_DUE } from '../../src/app/demo/demo-orders.js';
import { seedDemo } from '../../src/app/demo/seed-demo.js';
import { verifyAllocations } from '../../src/db/stock.repo.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { stockAndOrderViolations } from '../helpers/invariants.js';

for (const dialect of DIALECTS) {
  describe(`demo order history on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(() => t.drop());

    it('refunds every cancelled paid order but the newest two, which keep "refund due"', async () => {
      const summary = await seedDemo(t.database, { seed: 7, out: () => undefined, skus: 1000 });
      const db = t.database.db;
      const cancelled = await db
        .selectFrom('orders as o')
        .innerJoin('payments as p', 'p.order_id', 'o.id')
        .select([
          'o.id',
          'o.payment_status',
          'p.status',
          'p.amount_minor',
          'p.captured_minor',
          'p.refunded_minor',
        ])
        .where('o.status', '=', 'cancelled')
        .orderBy('o.created_at')
        .execute();
      expect(cancelled).toHaveLength(summary.orders!.cancelled);
      // Paid when placed (older than two days); recent ones were only authorised.
      const paid = cancelled.filter((o) => o.captured_minor > 0);
      expect(paid.length).toBeGreaterThan(DEMO_REFUNDS_DUE);
      const due = paid.slice(-DEMO_REFUNDS_DUE);
      for (const o of paid.slice(0, -DEMO_REFUNDS_DUE)) {
        expect(o).toMatchObject({
          payment_status: 'refunded',
          status: 'refunded',
          refunded_minor: o.captured_minor,
        });
      }
      for (const o of due)
        expect(o).toMatchObject({ payment_status: 'paid', status: 'paid', refunded_minor: 0 });
      for (const o of cancelled.filter((c) => c.captured_minor === 0)) expect(o.status).toBe('voided');
      expect(summary.orders).toMatchObject({
        refunded: paid.length - DEMO_REFUNDS_DUE,
        refundDue: DEMO_REFUNDS_DUE,
      });

      // Each refunded order says so on its timeline, after the cancellation's "refund due".
      const events = await db
        .selectFrom('order_events')
        .select(['order_id', 'type'])
        .where(
          'order_id',
          'in',
          paid.map((o) => o.id),
        )
        .where('type', 'in', ['payment.refund_due', 'payment.refund'])
        .orderBy('order_id')
        .orderBy('at')
        .orderBy('id')
        .execute();
      for (const o of paid) {
        expect(events.filter((e) => e.order_id === o.id).map((e) => e.type)).toEqual(
          due.includes(o) ? ['payment.refund_due'] : ['payment.refund_due', 'payment.refund'],
        );
      }
      expect(await stockAndOrderViolations(db)).toEqual([]);
      expect(await verifyAllocations(db)).toEqual([]);
    });
  });
}
