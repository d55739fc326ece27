/**
 * An order's timeline names who did each step: `actorName` is the user's name for a person signed
 * in to the admin and the key's name for an API key, in the reply of the command itself (capture
 * answers without reading back) as in every read; other actors have none. The ledger's lists name
 * who moved the stock the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';
import { makeUser, signIn, uniqueEmail, type Session } from '../helpers/session.js';
import { stockedServer } from '../factories/catalog.js';

type Entry = { type: string; actor: string; actorName: string | null };

for (const dialect of DIALECTS) {
  describe(`order timeline actors on ${dialect}`, () => {
    let s: TestServer;
    let sku: string;
    let olga: Session;
    beforeAll(async () => {
      ({ s, sku } = await stockedServer(dialect, 20));
      const user = await makeUser(s, { email: uniqueEmail('olga'), name: 'Olga Owner', role: 'admin' });
      olga = await signIn(s, user.email);
    });
    afterAll(async () => s?.close());

    const order = (externalId: string) => ({
      externalId,
      customer: { email: 'ann@example.com', name: 'Ann' },
      currency: 'USD',
      lines: [{ sku, quantity: 1, unitPriceMinor: 1000 }],
    });

    it('names the API key that placed an order, in the reply and when read', async () => {
      const placed = await s.request('POST', '/api/v1/orders', order(`#KEY-${dialect}`), {
        headers: { 'idempotency-key': `actors-key-${dialect}` },
      });
      expect(placed.status).toBe(201);
      expect(placed.body.timeline.length).toBeGreaterThan(0);
      for (const t of placed.body.timeline as Entry[]) {
        expect(t.actor).toMatch(/^key:key_/);
        expect(t.actorName).toBe('test admin');
      }
      const read = await s.request('GET', `/api/v1/orders/${placed.body.id}`);
      expect((read.body.timeline as Entry[]).map((t) => t.actorName)).toEqual(
        (placed.body.timeline as Entry[]).map(() => 'test admin'),
      );
      const replay = await s.request('POST', '/api/v1/orders', order(`#KEY-${dialect}`), {
        headers: { 'idempotency-key': `actors-key-${dialect}` },
      });
      expect(replay.body.timeline).toEqual(placed.body.timeline);
    });

    it("names the person who changed an order by the user's name", async () => {
      const placed = await olga.request('POST', '/api/v1/orders', order(`#USER-${dialect}`));
      expect(placed.status).toBe(201);
      expect((placed.body.timeline as Entry[])[0]).toMatchObject({
        actor: `user:${olga.user.id}`,
        actorName: 'Olga Owner',
      });
      const id = placed.body.id as string;
      expect((await olga.request('POST', `/api/v1/orders/${id}/ship`, {})).status).toBe(200);
      const delivered = await olga.request('POST', `/api/v1/orders/${id}/deliver`, {});
      expect(delivered.status).toBe(200);
      const timeline = delivered.body.timeline as Entry[];
      expect(timeline.map((t) => t.type)).toContain('order.delivered');
      expect(new Set(timeline.map((t) => t.actorName))).toEqual(new Set(['Olga Owner']));
    });

    it('names who moved stock on the ledger lists', async () => {
      const stock = await s.request('GET', `/api/v1/stock/${sku}`);
      const location = stock.body.locations[0].location as string;
      const move = { type: 'adjustment', sku, location, quantity: 1, reason: 'found' };
      expect((await olga.request('POST', '/api/v1/stock/movements', move)).status).toBe(201);
      expect((await s.request('POST', '/api/v1/stock/movements', move)).status).toBe(201);
      for (const path of [
        `/api/v1/stock/${sku}/movements?limit=2`,
        `/api/v1/reports/movements?sku=${sku}&limit=2`,
      ]) {
        const r = await s.request('GET', path);
        expect(r.status).toBe(200);
        expect(
          r.body.items.map((m: { actorName: string | null }) => m.actorName),
          path,
        ).toEqual(['test admin', 'Olga Owner']);
      }
      const demo = await s.request('GET', `/api/v1/reports/movements?sku=${sku}&type=receipt`);
      expect(demo.body.items.map((m: { actorName: string | null }) => m.actorName)).toEqual(['test admin']);
    });
  });
}
