/**
 * Captures, voids and refunds of one payment racing each other: the provider is called outside the
 * database transaction, so each action first claims the payment. Ten refunds of 300 on a capture of
 * 1,000 used to all pass the amount check and reach the provider (3,000 refunded); now at most what
 * was captured is ever refunded, every refund the timeline shows was sent once, and the losers are
 * told to retry (409), never a 5xx. The claim is released by its own token only (an action that
 * outlives its claim never frees the next owner's), and when the provider fails; those cases use a
 * stand-in provider whose calls the test finishes by hand (the storage is the real database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaymentAction, runPaymentActionOnce } from '../../src/app/payments/payment-actions.js';
import type { PaymentProvider, ProviderResult } from '../../src/integrations/payments/provider.js';
import { DIALECTS } from '../helpers/databases.js';
import { lockRow } from '../../src/db/row-lock.js';
import type { TestServer } from '../helpers/server.js';
import { stockedServer } from '../factories/catalog.js';
import { deliver, signature, useWebhookSecret } from '../helpers/stripe.js';

/**
 * A provider whose refunds and captures wait until the test lets each one finish (or fail); as
 * `stripe`, one whose webhooks report running totals.
 */
function heldProvider(name: 'manual' | 'stripe' = 'manual') {
  const waiting: Array<{ finish: () => void; fail: (e: Error) => void }> = [];
  const held = (reference: string, status: ProviderResult['status'], amountMinor: number) =>
    new Promise<ProviderResult>((resolve, reject) =>
      waiting.push({ finish: () => resolve({ reference, status, amountMinor }), fail: reject }),
    );
  const provider: PaymentProvider = {
    name,
    reportsRunningTotals: name === 'stripe',
    authorize: () => Promise.reject(new Error('not used')),
    capture: (reference, amountMinor) => held(reference, 'paid', amountMinor),
    void: () => Promise.reject(new Error('not used')),
    refund: (reference, amountMinor) => held(reference, 'refunded', amountMinor),
  };
  const next = async () => {
    for (let i = 0; i < 200 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return waiting.shift()!;
  };
  return { providers: new Map([[name, provider]]), next };
}

const WEBHOOK_SECRET = 'whsec_payment_action_races';

for (const dialect of DIALECTS) {
  describe(`racing payment actions on ${dialect}`, () => {
    useWebhookSecret(WEBHOOK_SECRET);
    let s: TestServer;
    let sku: string;
    beforeAll(async () => {
      ({ s, sku } = await stockedServer(dialect, 100));
    });
    afterAll(async () => s?.close());

    /** An order of `units` of the shared SKU at `unitPriceMinor` each, with these payments. */
    async function placeWith(units: number, unitPriceMinor: number, payments: unknown[]) {
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'payment-races@example.com' },
        currency: 'USD',
        lines: [{ sku, quantity: units, unitPriceMinor }],
        payments,
      });
      expect(placed.status).toBe(201);
      return placed;
    }

    async function orderWithPayment(status: 'authorized' | 'paid') {
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email: `pay-${status}@example.com` },
        currency: 'USD',
        lines: [{ sku, quantity: 1, unitPriceMinor: 1000 }],
        payments: [{ provider: 'manual', amountMinor: 1000, status }],
      });
      expect(placed.status).toBe(201);
      return { orderId: placed.body.id as string, paymentId: placed.body.payments[0].id as string };
    }
    const act = (o: { orderId: string; paymentId: string }, action: string, body: object = {}) =>
      s.request('POST', `/api/v1/orders/${o.orderId}/payments/${o.paymentId}/${action}`, body);
    const entries = async (orderId: string, type: string) =>
      ((await s.request('GET', `/api/v1/orders/${orderId}`)).body.timeline as Array<{ type: string }>).filter(
        (t) => t.type === type,
      ).length;

    it('ten refunds of 300 at once on a payment of 1,000: never more refunded than captured', async () => {
      const o = await orderWithPayment('paid');
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => act(o, 'refund', { amountMinor: 300 })),
      );
      for (const r of replies) expect([200, 400, 409]).toContain(r.status);
      const ok = replies.filter((r) => r.status === 200).length;
      expect(ok).toBeGreaterThanOrEqual(1);
      const order = (await s.request('GET', `/api/v1/orders/${o.orderId}`)).body;
      expect(order.payments[0].refundedMinor).toBe(300 * ok);
      expect(order.payments[0].refundedMinor).toBeLessThanOrEqual(1000);
      expect(await entries(o.orderId, 'payment.refund')).toBe(ok);
      for (const r of replies.filter((x) => x.status === 409)) expect(r.body.code).toBe('CONFLICT');
      // Once the race is over, the rest can be refunded, and no more.
      while (order.payments[0].refundedMinor + 300 <= 1000) {
        expect((await act(o, 'refund', { amountMinor: 300 })).status).toBe(200);
        order.payments[0].refundedMinor += 300;
      }
      expect((await act(o, 'refund', { amountMinor: 300 })).status).toBe(400);
    });

    it('ten captures at once: one capture, the others refused', async () => {
      const o = await orderWithPayment('authorized');
      const replies = await Promise.all(Array.from({ length: 10 }, () => act(o, 'capture')));
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of replies.filter((x) => x.status !== 200)) expect(r.status).toBe(409);
      expect(await entries(o.orderId, 'payment.capture')).toBe(1);
    });

    it('voids and captures at once: exactly one of them happens', async () => {
      const o = await orderWithPayment('authorized');
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => act(o, i % 2 === 0 ? 'void' : 'capture')),
      );
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of replies.filter((x) => x.status !== 200)) expect(r.status).toBe(409);
      const payment = (await s.request('GET', `/api/v1/orders/${o.orderId}`)).body.payments[0];
      expect(['voided', 'paid']).toContain(payment.status);
      expect(payment.capturedMinor).toBe(payment.status === 'paid' ? 1000 : 0);
    });

    it('a payment of a cancelled order cannot be captured, only voided', async () => {
      const o = await orderWithPayment('authorized');
      const cancel = await s.request('POST', `/api/v1/orders/${o.orderId}/cancel`, { voidPayments: false });
      expect(cancel.status).toBe(200);
      const capture = await act(o, 'capture');
      expect(capture.status).toBe(409);
      expect(capture.body.code).toBe('INVALID_TRANSITION');
      expect((await act(o, 'void')).status).toBe(200);
    });

    it("captures of an order's two payments at once: never more than the order owes, and its payment status true", async () => {
      for (let round = 0; round < 5; round++) {
        // 3,000 authorised in two halves on an order then cut to 2,000: either alone could take 1,500.
        const placed = await placeWith(3, 1000, [
          { provider: 'manual', amountMinor: 1500, status: 'authorized' },
          { provider: 'manual', amountMinor: 1500, status: 'authorized' },
        ]);
        const orderId = placed.body.id as string;
        await s.request('POST', `/api/v1/orders/${orderId}/cancel`, { lines: [{ sku, quantity: 1 }] });
        const ids = (placed.body.payments as Array<{ id: string }>).map((p) => p.id);
        const replies = await Promise.all(ids.map((paymentId) => act({ orderId, paymentId }, 'capture')));
        for (const r of replies) expect([200, 409]).toContain(r.status);
        expect(replies.some((r) => r.status === 200)).toBe(true);
        // The one refused while the other ran goes through once asked again.
        for (const [i, r] of replies.entries())
          if (r.status === 409)
            expect((await act({ orderId, paymentId: ids[i]! }, 'capture')).status).toBe(200);
        const order = (await s.request('GET', `/api/v1/orders/${orderId}`)).body;
        const captured = order.payments.map((p: any) => p.capturedMinor as number);
        expect(captured.reduce((a: number, b: number) => a + b, 0)).toBe(2000);
        expect(captured.sort()).toEqual([1500, 500].sort()); // the first to run took 1,500, the other the rest
        expect(order.paymentStatus).toBe('paid');
      }
    });

    it('a cancellation racing a capture: the money is voided, or captured with a refund asked for on the timeline', async () => {
      for (let round = 0; round < 8; round++) {
        const o = await orderWithPayment('authorized');
        const [cancel, capture] = await Promise.all([
          s.request('POST', `/api/v1/orders/${o.orderId}/cancel`, {}),
          act(o, 'capture'),
        ]);
        expect(cancel.status).toBe(200);
        expect([200, 409]).toContain(capture.status);
        const order = (await s.request('GET', `/api/v1/orders/${o.orderId}`)).body;
        expect(order.status).toBe('cancelled');
        const payment = order.payments[0];
        expect(['voided', 'paid']).toContain(payment.status);
        const notes = (order.timeline as Array<{ type: string }>)
          .map((t) => t.type)
          .filter((t) => t === 'payment.captured_after_cancel' || t === 'payment.refund_due');
        expect(notes).toHaveLength(payment.status === 'paid' ? 1 : 0);
        expect(order.paymentStatus).toBe(payment.status === 'paid' ? 'paid' : 'unpaid');
      }
    });

    const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });
    const refund = (held: ReturnType<typeof heldProvider>, o: { orderId: string; paymentId: string }) =>
      runPaymentAction(
        s.running.database,
        held.providers,
        { ...o, action: 'refund', amountMinor: 100 },
        ctx(),
      );
    /** A refund of 100 under an Idempotency-Key, called below the HTTP layer as another process would. */
    const refundOnce = (
      held: ReturnType<typeof heldProvider>,
      o: { orderId: string; paymentId: string },
      scope: { principal: string; key: string; requestHash: string },
    ) =>
      runPaymentActionOnce(
        s.running.database,
        held.providers,
        { ...o, action: 'refund', amountMinor: 100 },
        ctx(),
        scope,
      );
    const db = () => s.running.database.db;

    /**
     * An order of 2,000 paid 1,000 and authorised 1,000, whose paid payment is being refunded by a
     * provider call held open (`call.finish()` lets it return).
     */
    async function refundingOneOfTwo() {
      const placed = await placeWith(2, 1000, [
        { provider: 'manual', amountMinor: 1000, status: 'paid' },
        { provider: 'manual', amountMinor: 1000, status: 'authorized' },
      ]);
      const o = { orderId: placed.body.id as string, paymentId: placed.body.payments[0].id as string };
      const held = heldProvider();
      const refunding = refund(held, o); // holds payment 1's claim
      const call = await held.next();
      return { orderId: o.orderId, refunding, call };
    }

    it('an action finishing after its claim was taken over leaves the new claim in force', async () => {
      const o = await orderWithPayment('paid');
      const held = heldProvider();
      const a = refund(held, o);
      const callA = await held.next();
      // A's provider call hangs past the claim's lifetime: B takes the claim over.
      await db()
        .updateTable('payments')
        .set({ action_claimed_at: new Date(Date.now() - 11 * 60_000).toISOString() })
        .where('id', '=', o.paymentId)
        .execute();
      const b = refund(held, o);
      const callB = await held.next();
      callA.finish();
      await a;
      // B still holds the claim: a third action is refused, not sent to the provider.
      await expect(refund(held, o)).rejects.toMatchObject({ code: 'CONFLICT' });
      callB.finish();
      await b;
      const payment = await db()
        .selectFrom('payments')
        .selectAll()
        .where('id', '=', o.paymentId)
        .executeTakeFirstOrThrow();
      expect(payment).toMatchObject({ refunded_minor: 200, action_claim: null, action_claimed_at: null });
    });

    it('a capture already under way when the order is cancelled completes, and the timeline asks for a refund', async () => {
      const o = await orderWithPayment('authorized');
      const held = heldProvider();
      const capture = runPaymentAction(
        s.running.database,
        held.providers,
        { ...o, action: 'capture' },
        ctx(),
      );
      const call = await held.next();
      // The cancellation's void finds the capture in progress and leaves the payment to it.
      const cancelled = await s.request('POST', `/api/v1/orders/${o.orderId}/cancel`, {});
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.payments[0].status).toBe('authorized');
      expect(await entries(o.orderId, 'payment.void_failed')).toBe(0);
      call.finish();
      const after = await capture;
      expect(after.status).toBe('cancelled');
      expect(after.payments[0]).toMatchObject({ status: 'paid', capturedMinor: 1000 });
      expect(await entries(o.orderId, 'payment.captured_after_cancel')).toBe(1);
    });

    it('a capture racing a partial cancellation takes what was owed before; the timeline asks for the difference back', async () => {
      const placed = await placeWith(2, 1000, [
        { provider: 'manual', amountMinor: 2000, status: 'authorized' },
      ]);
      const o = { orderId: placed.body.id as string, paymentId: placed.body.payments[0].id as string };
      const held = heldProvider();
      const capture = runPaymentAction(
        s.running.database,
        held.providers,
        { ...o, action: 'capture' },
        ctx(),
      );
      const call = await held.next(); // claimed for 2000, the provider not answered yet
      const cut = await s.request('POST', `/api/v1/orders/${o.orderId}/cancel`, {
        lines: [{ sku, quantity: 1 }],
      });
      expect(cut.body.totalMinor).toBe(1000);
      expect(await entries(o.orderId, 'payment.refund_due')).toBe(0); // nothing was captured yet
      call.finish();
      const after = await capture;
      expect(after.payments[0]!.capturedMinor).toBe(2000);
      expect(after.paymentStatus).toBe('paid');
      const due = after.timeline.filter((t) => t.type === 'payment.refund_due');
      expect(due).toHaveLength(1);
      expect(due[0]!.message).toContain('10.00');
    });

    it("a shipment's capture waits while another payment of the order is being refunded, then captures", async () => {
      const { orderId, refunding, call } = await refundingOneOfTwo();
      const shipping = s.request('POST', `/api/v1/orders/${orderId}/ship`, {});
      await new Promise((r) => setTimeout(r, 60));
      call.finish();
      await refunding;
      const shipped = await shipping;
      expect(shipped.status).toBe(200);
      expect(shipped.body.payments[1]).toMatchObject({ status: 'paid', capturedMinor: 1000 });
      expect(await entries(orderId, 'payment.capture_failed')).toBe(0);
    });

    it("a shipment's capture that waited in vain for another payment says so on the timeline", async () => {
      const { orderId, refunding, call } = await refundingOneOfTwo();
      const shipped = await s.request('POST', `/api/v1/orders/${orderId}/ship`, {});
      expect(shipped.status).toBe(200);
      expect(shipped.body.status).toBe('completed');
      expect(shipped.body.payments[1].status).toBe('authorized');
      expect(await entries(orderId, 'payment.capture_failed')).toBe(1);
      call.finish();
      await refunding;
    }, 15_000);

    it("Stripe's webhook recording a capture before Kibble does still flags money taken on a cancelled order, once", async () => {
      const reference = `pi_webhook_first_${dialect}`;
      const placed = await placeWith(1, 1000, [
        { provider: 'stripe', reference, amountMinor: 1000, status: 'authorized' },
      ]);
      const o = { orderId: placed.body.id as string, paymentId: placed.body.payments[0].id as string };
      const held = heldProvider('stripe');
      const capture = runPaymentAction(
        s.running.database,
        held.providers,
        { ...o, action: 'capture' },
        ctx(),
      );
      const call = await held.next();
      expect((await s.request('POST', `/api/v1/orders/${o.orderId}/cancel`, {})).body.status).toBe(
        'cancelled',
      );
      const raw = JSON.stringify({
        id: `evt_webhook_first_${dialect}`,
        type: 'payment_intent.succeeded',
        data: { object: { id: reference, object: 'payment_intent', amount: 1000, amount_received: 1000 } },
      });
      expect((await deliver(s, raw, signature(raw, WEBHOOK_SECRET))).status).toBe(200);
      expect(await entries(o.orderId, 'payment.captured_after_cancel')).toBe(1);
      call.finish();
      const after = await capture;
      expect(after.payments[0]).toMatchObject({ status: 'paid', capturedMinor: 1000 });
      expect(await entries(o.orderId, 'payment.captured_after_cancel')).toBe(1);
    });

    /**
     * Cancels `units` with refundPayments while a manual refund of 100 on `paymentId` is in flight,
     * finishing that refund 60 ms later; the cancellation's reply.
     */
    async function cancelDuringManualRefund(orderId: string, paymentId: string, units: number) {
      const held = heldProvider();
      const manual = refund(held, { orderId, paymentId });
      const call = await held.next();
      const cutting = s.request('POST', `/api/v1/orders/${orderId}/cancel`, {
        lines: [{ sku, quantity: units }],
        refundPayments: true,
      });
      await new Promise((r) => setTimeout(r, 60));
      call.finish();
      await manual;
      return cutting;
    }

    it('a refund of the overpaid rest waits for a manual refund of another payment and then gives back no more than is owed', async () => {
      const placed = await placeWith(2, 1000, [
        { provider: 'manual', amountMinor: 1000, status: 'paid' },
        { provider: 'manual', amountMinor: 1000, status: 'paid' },
      ]);
      const orderId = placed.body.id as string;
      const [first, second] = placed.body.payments.map((p: { id: string }) => p.id) as [string, string];
      // Someone refunds the first payment by hand while the order is cut to 1,000 with refundPayments.
      const cut = await cancelDuringManualRefund(orderId, first, 1);
      expect(cut.status).toBe(200);
      expect(cut.body.totalMinor).toBe(1000);
      // The manual refund gave back 100; the settlement then owed only 900 more, not the second's 1,000.
      const refunded = cut.body.payments.map((p: { refundedMinor: number }) => p.refundedMinor);
      expect(refunded.reduce((a: number, b: number) => a + b, 0)).toBe(1000);
      expect(cut.body.payments.find((p: { id: string }) => p.id === second).refundedMinor).toBe(900);
    });

    it('a refund of the overpaid rest waits for a manual refund of the same payment, then refunds what is still overpaid', async () => {
      const placed = await placeWith(5, 500, [
        { provider: 'manual', amountMinor: 1500, status: 'paid' },
        { provider: 'manual', amountMinor: 1000, status: 'paid' },
      ]);
      const orderId = placed.body.id as string;
      const newest = placed.body.payments[1].id as string;
      const cut = await cancelDuringManualRefund(orderId, newest, 2); // 100 by hand, in flight
      expect(cut.body.totalMinor).toBe(1500);
      const held_ = cut.body.payments.map((p: any) => p.capturedMinor - p.refundedMinor);
      expect(held_.reduce((a: number, b: number) => a + b, 0)).toBe(1500); // nothing overpaid is left
      expect(cut.body.timeline.filter((t: any) => t.type === 'payment.refund_failed')).toHaveLength(0);
    });

    it('one Idempotency-Key retried from another process while the first attempt runs: refused until it ends, then replayed — never sent twice', async () => {
      const o = await orderWithPayment('paid');
      const held = heldProvider();
      // Called below the HTTP layer, as another process would: nothing in this process queues them.
      const scope = { principal: 'key:test', key: 'refund-across-processes', requestHash: 'same-body' };
      const once = () => refundOnce(held, o, scope);
      const first = once();
      const call = await held.next();
      await expect(once()).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
      // The same key for another request (another payment of the order) is refused, not run.
      const other = await placeWith(1, 1000, [{ provider: 'manual', amountMinor: 1000, status: 'paid' }]);
      await expect(
        runPaymentActionOnce(
          s.running.database,
          held.providers,
          {
            orderId: other.body.id,
            paymentId: other.body.payments[0].id,
            action: 'refund',
            amountMinor: 100,
          },
          ctx(),
          { ...scope, requestHash: 'another-body' },
        ),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
      call.finish();
      expect((await first).body.payments[0]!.refundedMinor).toBe(100);
      const retried = await once();
      expect(retried.replayed).toBe(true);
      expect(retried.body.payments[0]!.refundedMinor).toBe(100);
      expect(await entries(o.orderId, 'payment.refund')).toBe(1);
    });

    it('an attempt whose Idempotency-Key was taken over after ten minutes leaves the new holder its key', async () => {
      const o = await orderWithPayment('paid');
      const held = heldProvider();
      const scope = { principal: 'key:test', key: 'refund-taken-over', requestHash: 'same-body' };
      const once = () => refundOnce(held, o, scope);
      const first = once();
      const callA = await held.next();
      // A's provider call hangs past ten minutes: its claim and its key may be taken over.
      const longAgo = new Date(Date.now() - 11 * 60_000).toISOString();
      await db()
        .updateTable('payments')
        .set({ action_claimed_at: longAgo })
        .where('id', '=', o.paymentId)
        .execute();
      await db()
        .updateTable('idempotency_keys')
        .set({ created_at: longAgo })
        .where('key', '=', scope.key)
        .execute();
      const second = once();
      const callB = await held.next();
      // A fails now: it gives up only what it still holds, so B keeps the key.
      callA.fail(new Error('provider timed out'));
      await expect(first).rejects.toThrow('provider timed out');
      await expect(once()).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
      callB.finish();
      expect((await second).body.payments[0]!.refundedMinor).toBe(100);
      expect((await once()).replayed).toBe(true);
    });

    it('a payment action that failed gives its Idempotency-Key up: the retry runs', async () => {
      const o = await orderWithPayment('paid');
      const held = heldProvider();
      const scope = { principal: 'key:test', key: 'refund-after-failure', requestHash: 'same-body' };
      const once = () => refundOnce(held, o, scope);
      const failing = once();
      (await held.next()).fail(new Error('provider down'));
      await expect(failing).rejects.toThrow('provider down');
      const retry = once();
      (await held.next()).finish();
      const done = await retry;
      expect(done.replayed).toBe(false);
      expect(done.body.payments[0]!.refundedMinor).toBe(100);
    });

    it.runIf(dialect === 'postgres')(
      'a retry from another process that looks for its key while the first attempt records its outcome: replayed, not acted again',
      async () => {
        const o = await orderWithPayment('paid');
        const held = heldProvider();
        const scope = { principal: 'key:test', key: 'refund-while-recording', requestHash: 'same-body' };
        const once = () => refundOnce(held, o, scope);
        const first = once();
        const call = await held.next();
        // Hold the order's row lock: the first attempt's record and the retry's look-up queue on it,
        // the record first. A look-up outside that lock found no outcome and then claimed the
        // payment the record had just released, refunding a second time.
        let unblock!: () => void;
        let locked!: () => void;
        const isLocked = new Promise<void>((r) => (locked = r));
        const blocker = s.running.database.db.transaction().execute(async (tx) => {
          await lockRow(tx, 'orders', o.orderId);
          locked();
          await new Promise<void>((r) => (unblock = r));
        });
        await isLocked;
        call.finish();
        await new Promise((r) => setTimeout(r, 100));
        // Its outcome caught at once: it may be refused before this test awaits it.
        const retry = once().catch((e: unknown) => e);
        await new Promise((r) => setTimeout(r, 100));
        unblock();
        await blocker;
        expect((await first).body.payments[0]!.refundedMinor).toBe(100);
        // Depending on which of the two got the lock first: told the first attempt is under way, or
        // its replay — never a second refund.
        const retried = await retry;
        if (retried instanceof Error) expect(retried).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
        else expect(retried).toMatchObject({ replayed: true });
        const later = await once();
        expect(later.replayed).toBe(true);
        expect(later.body.payments[0]!.refundedMinor).toBe(100);
        expect(await entries(o.orderId, 'payment.refund')).toBe(1);
      },
    );

    it('a provider failure releases the claim: the next action runs', async () => {
      const o = await orderWithPayment('paid');
      const held = heldProvider();
      const a = refund(held, o);
      (await held.next()).fail(new Error('provider down'));
      await expect(a).rejects.toThrow('provider down');
      const b = refund(held, o);
      (await held.next()).finish();
      expect((await b).payments[0]).toMatchObject({ refundedMinor: 100 });
    });
  });
}
