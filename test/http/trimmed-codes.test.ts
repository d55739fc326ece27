/**
 * Codes and texts are stored trimmed, whichever way they arrive: a lot or bin named with spaces
 * around it is the same lot or bin (as SKU and location codes are), and what the API stores is
 * what a CSV import — which trims every cell — reads back, so an export round-trips byte for byte.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, kibble } from '../helpers/cli.js';
import { createTestDatabase, DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, uniqueCode } from '../factories/catalog.js';

assertBuilt();

for (const dialect of DIALECTS) {
  describe(`trimmed codes and texts on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('a lot or bin named with spaces around it is that lot or bin, in movements and counts', async () => {
      const loc = await makeLocation(s, { bins: [' B1 ', 'B2'] });
      const got = await s.request('GET', `/api/v1/locations/${loc.code}`);
      expect(got.body.bins.map((b: { code: string }) => b.code)).toEqual(['B1', 'B2']);
      const sku = await makeSku(s, { tracking: 'lot' });
      const receipt = {
        type: 'receipt',
        sku: sku.sku,
        location: loc.code,
        quantity: 1,
        expiresOn: '2099-01-01',
      };
      const spaced = await s.request('POST', '/api/v1/stock/movements', {
        ...receipt,
        lot: ' L1 ',
        bin: ' B1 ',
      });
      expect(spaced.status).toBe(201);
      expect(spaced.body.lot).toBe('L1');
      const plain = await s.request('POST', '/api/v1/stock/movements', { ...receipt, lot: 'L1', bin: 'B1' });
      expect(plain.status).toBe(201);
      const stock = await s.request('GET', `/api/v1/stock/${sku.sku}`);
      expect(stock.body.locations[0].lots).toEqual([
        expect.objectContaining({ lot: 'L1', bin: 'B1', onHand: 2 }),
      ]);

      const count = await s.request('POST', '/api/v1/counts', { location: loc.code, bins: [' B1 '] });
      expect(count.status).toBe(201);
      expect(count.body.scope.bins).toEqual(['B1']);
      const line = await s.request('POST', `/api/v1/counts/${count.body.id}/lines`, {
        sku: sku.sku,
        lot: 'L1 ',
        counted: 2,
      });
      expect(line.status).toBe(200);
      expect(line.body.line).toMatchObject({ lot: 'L1', expected: 2, variance: 0 });
    });

    it('what the API stored with spaces exports and imports back to the same bytes', async () => {
      const code = uniqueCode('RT');
      const loc = await s.request('POST', '/api/v1/locations', {
        code,
        name: 'Round trip',
        kind: 'warehouse',
        address: { line1: '  1 Main St ', city: ' Columbus', country: 'US' },
        bins: ['  A-1'],
      });
      expect(loc.status).toBe(201);
      expect(loc.body.address).toEqual({ line1: '1 Main St', city: 'Columbus', country: 'US' });
      const sku = await s.request('POST', '/api/v1/skus', {
        sku: code,
        name: '  Padded name  ',
        unit: ' bag ',
        taxClass: ' pet-food ',
        tracking: 'lot',
      });
      expect(sku.status).toBe(201);
      expect(sku.body).toMatchObject({ name: 'Padded name', unit: 'bag', taxClass: 'pet-food' });
      const r = await s.request('POST', '/api/v1/stock/movements', {
        type: 'receipt',
        sku: code,
        location: code,
        quantity: 3,
        lot: ' LOT 7 ',
        expiresOn: '2099-01-01',
        bin: 'A-1 ',
      });
      expect(r.status).toBe(201);

      const fresh = await createTestDatabase(dialect);
      const dir = mkdtempSync(join(tmpdir(), 'kibble-trim-'));
      try {
        for (const kind of ['locations', 'skus', 'stock']) {
          const exported = await kibble(['export', kind], { env: s.testDb.env });
          expect(exported.code).toBe(0);
          writeFileSync(join(dir, `${kind}.csv`), exported.stdout);
          const imported = await kibble(['import', kind, join(dir, `${kind}.csv`)], { env: fresh.env });
          expect(imported.stderr).toBe('');
          expect(imported.code).toBe(0);
          const again = await kibble(['export', kind], { env: fresh.env });
          expect(again.stdout).toBe(exported.stdout);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await fresh.drop();
      }
    });
  });
}
