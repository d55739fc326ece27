/**
 * A bundle line backordered for want of one component waits for all of them: free units of its
 * other component serve nothing. The backorder job (every second, in every process, and before a
 * request that frees stock answers) must pass over such a SKU with a read rather than lock every
 * waiting order of it again on each run — with hundreds waiting, that churn made every stock
 * movement, cancel and edit wait seconds for the job while serving nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { mayServeWaiting } from '../../src/app/orders/backorders.js';
import { serveWaitingBackorders } from '../../src/jobs/backorders.job.js';

for (const dialect of DIALECTS) {
  describe(`the backorder job and bundles short of a component (${dialect})`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('passes over a component with free stock while the bundle waits for another, then serves it once that arrives', async () => {
      const loc = await makeLocation(s);
      const bowl = await makeSku(s);
      const mat = await makeSku(s);
      const kit = await makeSku(s, {
        components: [
          { sku: bowl.sku, quantity: 1 },
          { sku: mat.sku, quantity: 1 },
        ],
      });
      await receive(s, bowl.sku, loc.code, 5);
      const waiting = await s.request('POST', '/api/v1/orders', {
        customer: { email: 'kit@example.com' },
        currency: 'USD',
        onShortage: 'backorder',
        lines: [{ sku: kit.sku, quantity: 2, unitPriceMinor: 1000 }],
      });
      expect(waiting.status).toBe(201);
      expect(waiting.body.fulfillmentStatus).toBe('backordered');
      const database = s.testDb.database;
      const today = new Date().toISOString().slice(0, 10);
      expect(await mayServeWaiting(database.db, bowl.id, today)).toBe(false);
      // A run finds the bowl waited for, with free units, and serves (locks) nothing.
      expect(await serveWaitingBackorders(database, { after: null })).toBe(0);
      expect(await serveWaitingBackorders(database, 'recent')).toBe(0);

      await receive(s, mat.sku, loc.code, 2); // the arrival serves the kit in its own transaction
      const served = await s.request('GET', `/api/v1/orders/${waiting.body.id}`);
      expect(served.body.fulfillmentStatus).toBe('allocated');
    });
  });
}
