import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { verifyBalances } from '../../src/db/stock.repo.js';

for (const dialect of DIALECTS) {
  describe(`concurrent adjustments on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('200 concurrent −1 adjustments on a balance of 100: exactly 100 succeed and on hand ends at 0', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 100);
      const replies = await Promise.all(
        Array.from({ length: 200 }, () =>
          s.request('POST', '/api/v1/stock/movements', {
            type: 'adjustment',
            sku: sku.sku,
            location: loc.code,
            quantity: -1,
            reason: 'shrinkage',
          }),
        ),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((x) => x === 201)).toHaveLength(100);
      expect(statuses.filter((x) => x === 409)).toHaveLength(100);
      for (const r of replies.filter((x) => x.status === 409)) {
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body.code).toBe('NEGATIVE_STOCK');
      }
      const stock = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(stock.body.totals.onHand).toBe(0);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
      const ledger = await s.testDb.database.db
        .selectFrom('movements')
        .select((eb) => eb.fn.sum<number>('on_hand_delta').as('sum'))
        .where('sku_id', '=', sku.id)
        .executeTakeFirstOrThrow();
      expect(Number(ledger.sum)).toBe(0);
    });

    it('racing receipts and losses: stock as of every instant of the ledger is never negative, and the ledger lists newest first', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      const move = (quantity: number) =>
        s.request('POST', '/api/v1/stock/movements', {
          type: quantity > 0 ? 'receipt' : 'adjustment',
          sku: sku.sku,
          location: loc.code,
          quantity,
          ...(quantity < 0 ? { reason: 'damaged' } : {}),
        });
      // Each round: six losses of one race one receipt of three; a loss only succeeds once units
      // are there, so the ledger must show the receipt before every loss it served.
      const answered = new Map<string, string>();
      for (let round = 0; round < 25; round++) {
        const replies = await Promise.all([...Array.from({ length: 6 }, () => move(-1)), move(3)]);
        for (const r of replies) expect([201, 409], JSON.stringify(r.body)).toContain(r.status);
        for (const r of replies.filter((x) => x.status === 201)) answered.set(r.body.id, r.body.createdAt);
      }
      const ledger: Array<{ createdAt: string; onHandDelta: number }> = [];
      for (let cursor: string | null = null; ;) {
        const page: {
          status: number;
          body: { items: Array<{ createdAt: string; onHandDelta: number }>; nextCursor: string | null };
        } = await s.request(
          'GET',
          `/api/v1/stock/${sku.sku}/movements?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        ledger.push(...page.body.items);
        cursor = page.body.nextCursor;
        if (cursor === null) break;
      }
      expect(ledger.length).toBeGreaterThanOrEqual(25);
      // Each answer gave the movement as the ledger keeps it.
      const kept = new Map(ledger.map((m) => [(m as { id?: string }).id, m.createdAt]));
      for (const [id, createdAt] of answered) expect(kept.get(id), id).toBe(createdAt);
      // Newest first.
      for (let i = 1; i < ledger.length; i++)
        expect(ledger[i - 1]!.createdAt >= ledger[i]!.createdAt).toBe(true);
      // The running total at every instant (movements of one instant together) never goes below 0.
      let onHand = 0;
      let lowest = { onHand: 0, at: '' };
      const oldestFirst = [...ledger].reverse();
      oldestFirst.forEach((m, i) => {
        onHand += m.onHandDelta;
        if (oldestFirst[i + 1]?.createdAt !== m.createdAt && onHand < lowest.onHand)
          lowest = { onHand, at: m.createdAt };
      });
      expect(lowest, 'stock as of that instant').toEqual({ onHand: 0, at: '' });
      // And GET /stock?asOf at the busiest instant says the same as the ledger.
      const middle = oldestFirst[Math.floor(oldestFirst.length / 2)]!.createdAt;
      const upTo = oldestFirst.filter((m) => m.createdAt <= middle).reduce((n, m) => n + m.onHandDelta, 0);
      const asOf = await s.request('GET', `/api/v1/stock/${sku.sku}?asOf=${encodeURIComponent(middle)}`);
      expect(asOf.status).toBe(200);
      expect(asOf.body.totals.onHand).toBe(upTo);
    });
  });
}
