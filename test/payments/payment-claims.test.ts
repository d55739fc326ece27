/**
 * The claim a payment action holds while its provider call runs: released by its own token only, so
 * an action that outlives its claim (taken over after expiry) never frees the new owner's claim for
 * a third action; released when the provider fails, so the next action can run. The provider here
 * is a stand-in whose calls the test finishes by hand (the storage is the real database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaymentAction } from '../../src/app/payments/payment-actions.js';
import type { PaymentProvider, ProviderResult } from '../../src/integrations/payments/provider.js';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';

/** A provider whose refunds wait until the test lets each one finish (or fail). */
function heldProvider() {
  const waiting: Array<{ finish: () => void; fail: (e: Error) => void }> = [];
  const provider: PaymentProvider = {
    name: 'manual',
    authorize: () => Promise.reject(new Error('not used')),
    capture: () => Promise.reject(new Error('not used')),
    void: () => Promise.reject(new Error('not used')),
    refund: (reference, amountMinor) =>
      new Promise<ProviderResult>((resolve, reject) =>
        waiting.push({
          finish: () => resolve({ reference, status: 'refunded', amountMinor }),
          fail: reject,
        }),
      ),
  };
  const next = async () => {
    for (let i = 0; i < 200 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return waiting.shift()!;
  };
  return { providers: new Map([['manual', provider]]), next };
}

for (const dialect of DIALECTS) {
  describe(`payment action claims on ${dialect}`, () => {
    let s: TestServer;
    let sku: string;
    beforeAll(async () => {
      s = await startServer(dialect);
      const loc = await makeLocation(s);
      sku = (await makeSku(s)).sku;
      await receive(s, sku, loc.code, 10);
    });
    afterAll(async () => s?.close());

    async function paidOrder() {
      const placed = await s.request('POST', '/api/v1/orders', {
        customer: { email: `claims-${dialect}@example.com` },
        currency: 'USD',
        lines: [{ sku, quantity: 1, unitPriceMinor: 1000 }],
        payments: [{ provider: 'manual', amountMinor: 1000, status: 'paid' }],
      });
      return { orderId: placed.body.id as string, paymentId: placed.body.payments[0].id as string };
    }
    const ctx = () => ({ actor: 'test', requestId: null, at: new Date().toISOString() });
    const refund = (held: ReturnType<typeof heldProvider>, o: { orderId: string; paymentId: string }) =>
      runPaymentAction(
        s.running.database,
        held.providers,
        { ...o, action: 'refund', amountMinor: 100 },
        ctx(),
      );
    const db = () => s.running.database.db;

    it('an action finishing after its claim was taken over leaves the new claim in force', async () => {
      const o = await paidOrder();
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

    it('a provider failure releases the claim: the next action runs', async () => {
      const o = await paidOrder();
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
