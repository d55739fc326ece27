/**
 * `kibble demo`, `kibble stock verify` and `kibble keys create`, through the real binary, on every
 * database. The demo runs with `--skus` to keep the suite quick; the full catalog's size and
 * validity are covered by src/app/demo/demo-catalog.test.ts.
 */
import { sql } from 'kysely';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { assertBuilt, kibble, kibbleServe } from '../helpers/cli.js';

assertBuilt();

for (const dialect of DIALECTS) {
  describe(`kibble demo and stock verify on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(async () => t?.drop());

    it('seeds a realistic shop that stock verify accepts with exit code 0', async () => {
      const demo = await kibble(['demo', '--seed', '7', '--skus', '300'], { env: t.env });
      expect(demo.stderr).toBe('');
      expect(demo.code).toBe(0);
      expect(demo.stdout).toMatch(/Seeded the demo pet shop \(seed 7\) in [\d.]+ s: 300 SKUs/);

      const db = t.database.db;
      const count = async (table: 'skus' | 'locations' | 'bins' | 'safety_stock' | 'bundle_components') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await count('skus')).toBe(300);
      expect(await count('locations')).toBe(5);
      expect(await count('bins')).toBeGreaterThan(1000);
      expect(await count('bundle_components')).toBeGreaterThan(0);
      expect(await count('safety_stock')).toBeGreaterThan(0);
      const locations = await db
        .selectFrom('locations')
        .select(['code', 'kind', 'sellable', 'lat'])
        .execute();
      expect(locations.filter((l) => l.kind === 'warehouse')).toHaveLength(3);
      expect(locations.find((l) => l.kind === 'quarantine')?.sellable).toBe(0);
      expect(locations.every((l) => typeof l.lat === 'number')).toBe(true);
      const lotTracked = await db
        .selectFrom('skus')
        .select('sku')
        .where('tracking', '=', 'lot')
        .where('shelf_life_days', 'is not', null)
        .execute();
      expect(lotTracked.length).toBeGreaterThan(50);
      const today = new Date().toISOString().slice(0, 10);
      const lots = await db.selectFrom('lots').select('expires_on').execute();
      expect(lots.some((l) => l.expires_on !== null && l.expires_on < today)).toBe(true);
      expect(lots.some((l) => l.expires_on !== null && l.expires_on > today)).toBe(true);
      const quarantined = await db
        .selectFrom('balances')
        .select((eb) => eb.fn.sum<number>('quarantined').as('q'))
        .executeTakeFirstOrThrow();
      expect(Number(quarantined.q)).toBeGreaterThan(0);
      const barcodes = await db.selectFrom('sku_barcodes').select(['barcode', 'kind']).execute();
      expect(barcodes.length).toBeGreaterThanOrEqual(300);
      expect(barcodes.every((b) => b.kind === 'gtin')).toBe(true);

      // The ledger keeps the history's own instants: opening stock ~100 days ago, then orders over
      // 90 days (not all stamped with the moment the demo ran).
      const days = await db
        .selectFrom('movements')
        .select((eb) => [
          eb.fn.min('created_at').as('first'),
          eb.fn.count(sql`distinct substr(created_at, 1, 10)`).as('n'),
        ])
        .executeTakeFirstOrThrow();
      expect(String(days.first) < new Date(Date.now() - 95 * 86_400_000).toISOString()).toBe(true);
      expect(Number(days.n)).toBeGreaterThan(60);

      const verify = await kibble(['stock', 'verify'], { env: t.env });
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain('OK: every balance equals the sum of its ledger movements.');
      expect(verify.stdout).toContain('OK: every allocated figure equals the sum of its open allocations.');
      // The last two days of demo orders are open, so the allocation check had rows to compare.
      expect(
        Number(
          (
            await db
              .selectFrom('allocations')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ).toBeGreaterThan(0);
    });

    it('refuses to seed a database that already has SKUs, with exit code 3 and nothing added', async () => {
      const before = await t.database.db
        .selectFrom('movements')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const again = await kibble(['demo', '--skus', '50'], { env: t.env });
      expect(again.code).toBe(3);
      expect(again.stderr).toContain('CONFLICT');
      expect(again.stderr).toContain('already has SKUs');
      const after = await t.database.db
        .selectFrom('movements')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('rejects a nonsense --skus before touching the database', async () => {
      const r = await kibble(['demo', '--skus', 'lots'], { env: t.env });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('--skus must be a whole number');
      const skus = await t.database.db
        .selectFrom('skus')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(skus.n)).toBe(300);
    });

    it('exits 1 and names the SKU and location when a balance row is changed by hand', async () => {
      const row = await t.database.db
        .selectFrom('balances as b')
        .innerJoin('skus as s', 's.id', 'b.sku_id')
        .innerJoin('locations as l', 'l.id', 'b.location_id')
        .leftJoin('lots as t', 't.id', 'b.lot_id')
        .select(['b.sku_id', 'b.location_id', 'b.lot_id', 'b.on_hand', 's.sku', 'l.code', 't.code as lot'])
        .where('b.on_hand', '>', 0)
        .orderBy('s.sku_key')
        .limit(1)
        .executeTakeFirstOrThrow();
      const tamper = (delta: number) =>
        t.database.db
          .updateTable('balances')
          .set((eb) => ({ on_hand: eb('on_hand', '+', delta) }))
          .where('sku_id', '=', row.sku_id)
          .where('location_id', '=', row.location_id)
          .where('lot_id', '=', row.lot_id)
          .execute();
      await tamper(1);
      try {
        const verify = await kibble(['stock', 'verify'], { env: t.env });
        expect(verify.code).toBe(1);
        expect(verify.stdout).toContain('1 balance(s) differ from the ledger');
        expect(verify.stdout).toContain(`sku=${row.sku} location=${row.code}`);
        if (row.lot) expect(verify.stdout).toContain(`lot=${row.lot}`);
        expect(verify.stdout).toContain(`onHand=${row.on_hand + 1}`);

        const json = await kibble(['stock', 'verify', '--json'], { env: t.env });
        expect(json.code).toBe(1);
        const report = JSON.parse(json.stdout);
        expect(report.ok).toBe(false);
        expect(report.differences).toEqual([
          expect.objectContaining({
            sku: row.sku,
            location: row.code,
            balance: expect.objectContaining({ onHand: row.on_hand + 1 }),
            ledger: expect.objectContaining({ onHand: row.on_hand }),
          }),
        ]);
      } finally {
        await tamper(-1);
      }
      expect((await kibble(['stock', 'verify'], { env: t.env })).code).toBe(0);
    });

    /** The first balance (by SKU code) that open allocation rows hold units of, with its names. */
    const allocatedBalance = () =>
      t.database.db
        .selectFrom('balances as b')
        .innerJoin('skus as s', 's.id', 'b.sku_id')
        .innerJoin('locations as l', 'l.id', 'b.location_id')
        .leftJoin('lots as t', 't.id', 'b.lot_id')
        .select(['b.sku_id', 'b.location_id', 'b.lot_id', 'b.allocated', 's.sku', 'l.code', 't.code as lot'])
        .where('b.allocated', '>', 0)
        .orderBy('s.sku_key')
        .limit(1)
        .executeTakeFirstOrThrow();

    it('exits 1 and names the balance when its allocated figure is changed by hand (ledger and allocations both disagree)', async () => {
      const row = await allocatedBalance();
      const tamper = (delta: number) =>
        t.database.db
          .updateTable('balances')
          .set((eb) => ({ allocated: eb('allocated', '+', delta) }))
          .where('sku_id', '=', row.sku_id)
          .where('location_id', '=', row.location_id)
          .where('lot_id', '=', row.lot_id)
          .execute();
      await tamper(-1);
      try {
        const verify = await kibble(['stock', 'verify'], { env: t.env });
        expect(verify.code).toBe(1);
        const where = `sku=${row.sku} location=${row.code}${row.lot ? ` lot=${row.lot}` : ''}`;
        expect(verify.stdout).toContain('1 balance(s) differ from the ledger');
        expect(verify.stdout).toContain('1 balance(s) differ from their open allocations:');
        expect(verify.stdout).toContain(
          `  ${where}: balance allocated=${row.allocated - 1} but allocations sum to ${row.allocated}`,
        );

        const json = await kibble(['stock', 'verify', '--json'], { env: t.env });
        expect(json.code).toBe(1);
        const report = JSON.parse(json.stdout);
        expect(report.ok).toBe(false);
        expect(report.allocationDifferences).toEqual([
          {
            sku: row.sku,
            location: row.code,
            lot: row.lot ?? null,
            allocated: row.allocated - 1,
            allocationRows: row.allocated,
          },
        ]);
      } finally {
        await tamper(1);
      }
      expect((await kibble(['stock', 'verify'], { env: t.env })).code).toBe(0);
    });

    it('exits 1 on allocation rows that no longer add up to the balance even when the ledger agrees', async () => {
      const row = await allocatedBalance();
      const allocation = await t.database.db
        .selectFrom('allocations')
        .select(['id', 'quantity'])
        .where('sku_id', '=', row.sku_id)
        .where('location_id', '=', row.location_id)
        .where('lot_id', '=', row.lot_id)
        .orderBy('id')
        .limit(1)
        .executeTakeFirstOrThrow();
      const tamper = (quantity: number) =>
        t.database.db.updateTable('allocations').set({ quantity }).where('id', '=', allocation.id).execute();
      await tamper(allocation.quantity + 2);
      try {
        const verify = await kibble(['stock', 'verify', '--json'], { env: t.env });
        expect(verify.code).toBe(1);
        const report = JSON.parse(verify.stdout);
        expect(report.differences).toEqual([]);
        expect(report.allocationDifferences).toEqual([
          expect.objectContaining({
            sku: row.sku,
            allocated: row.allocated,
            allocationRows: row.allocated + 2,
          }),
        ]);
        const text = await kibble(['stock', 'verify'], { env: t.env });
        expect(text.code).toBe(1);
        expect(text.stdout).not.toContain('differ from the ledger');
        expect(text.stdout).toContain(`sku=${row.sku} location=${row.code}`);
      } finally {
        await tamper(allocation.quantity);
      }
    });

    it('exits 1 on allocation rows whose key has no balance row, counting that balance as 0', async () => {
      const row = await allocatedBalance();
      await t.database.db
        .insertInto('allocations')
        .values({
          id: 'alc_stray',
          owner_type: 'order',
          owner_id: 'ord_stray',
          order_line_id: null,
          sku_id: row.sku_id,
          location_id: row.location_id,
          lot_id: 'lot_missing',
          quantity: 3,
          expires_at: null,
          created_at: new Date().toISOString(),
        })
        .execute();
      try {
        const verify = await kibble(['stock', 'verify', '--json'], { env: t.env });
        expect(verify.code).toBe(1);
        expect(JSON.parse(verify.stdout).allocationDifferences).toEqual([
          { sku: row.sku, location: row.code, lot: 'lot_missing', allocated: 0, allocationRows: 3 },
        ]);
      } finally {
        await t.database.db.deleteFrom('allocations').where('id', '=', 'alc_stray').execute();
      }
      expect((await kibble(['stock', 'verify'], { env: t.env })).code).toBe(0);
    });
  });

  describe(`kibble serve on a taken port on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(async () => t?.drop());

    it('says so in one line (exit 2), and keeps the first admin key for the start that works', async () => {
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      const { port } = holder.address() as AddressInfo;
      try {
        const refused = await kibble(['serve', '--port', String(port), '--host', '127.0.0.1'], {
          env: { ...t.env, KIBBLE_ADMIN_KEY: '' },
        });
        expect(refused.code).toBe(2);
        expect(refused.stderr.trim()).toBe(
          `Kibble: cannot listen on 127.0.0.1:${port} (the port is in use, perhaps by another Kibble): free it, or choose another port with PORT=… or --port, or another address with --host`,
        );
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
      // No admin key was made (and lost) for the server that did not start.
      const keys = await t.database.db.selectFrom('api_keys').select('id').execute();
      expect(keys).toEqual([]);
    });
  });

  describe(`kibble keys on ${dialect}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
    });
    afterAll(async () => t?.drop());

    it('keys create --role readonly prints a key that reads through the server and is refused (403) on a write', async () => {
      const created = await kibble(['keys', 'create', '--role', 'readonly', '--name', 'dashboard'], {
        env: t.env,
      });
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^kbl_[\w-]{20,}$/);

      const server = await kibbleServe(t.env);
      try {
        const auth = { authorization: `Bearer ${key}` };
        const read = await fetch(`${server.url}/api/v1/skus`, { headers: auth });
        expect(read.status).toBe(200);
        expect(((await read.json()) as { items: unknown[] }).items).toEqual([]);

        const write = await fetch(`${server.url}/api/v1/skus`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ sku: 'RO-1', name: 'Should not exist', priceMinor: 100 }),
        });
        expect(write.status).toBe(403);
        expect(write.headers.get('content-type')).toContain('application/problem+json');

        const wrong = await fetch(`${server.url}/api/v1/skus`, {
          headers: { authorization: `Bearer ${key}x` },
        });
        expect(wrong.status).toBe(401);
      } finally {
        await server.stop();
      }
      const sku = await t.database.db.selectFrom('skus').select('id').executeTakeFirst();
      expect(sku).toBeUndefined();
    });

    it('keys create with an unknown role exits 2 and creates nothing', async () => {
      const r = await kibble(['keys', 'create', '--role', 'emperor'], { env: t.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Unknown role');
      const keys = await t.database.db.selectFrom('api_keys').select('role').execute();
      expect(keys.map((k) => k.role)).toEqual(['readonly']);
    });
  });
}
