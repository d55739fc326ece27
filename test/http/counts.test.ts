import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeLocation, makeSku, receive } from '../factories/catalog.js';
import { verifyBalances } from '../../src/db/stock.repo.js';

/** A valid EAN-13 from 12 digits: appends the GS1 mod-10 check digit. */
function ean13(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return `${first12}${(10 - (sum % 10)) % 10}`;
}
let serial = 0;
const freshEan = () =>
  ean13(`20${String(Date.now() % 1e7).padStart(7, '0')}${String(serial++ % 1000).padStart(3, '0')}`);

for (const dialect of DIALECTS) {
  describe(`cycle counts on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    const stockAt = async (sku: string, location: string) => {
      const r = await s.request('GET', `/api/v1/stock/${sku}`);
      return r.body.locations.find((l: any) => l.location === location) ?? null;
    };
    const movementsOf = async (countId: string) =>
      s.testDb.database.db
        .selectFrom('movements')
        .selectAll()
        .where('reference_type', '=', 'count')
        .where('reference_id', '=', countId)
        .execute();

    it('freezes expected quantities, records set / scanned / found lines, and posts the variances on approval', async () => {
      const loc = await makeLocation(s);
      const unitEan = freshEan();
      const caseGtin = `1${freshEan().slice(0, 12)}`;
      const caseCode =
        caseGtin +
        String(
          (10 - ([...caseGtin].reduce((sum, d, i) => sum + Number(d) * (i % 2 === 0 ? 3 : 1), 0) % 10)) % 10,
        );
      const food = await makeSku(s, {
        barcodes: [unitEan],
        packs: [{ name: 'case', quantity: 6, barcode: caseCode }],
      });
      const meds = await makeSku(s, { tracking: 'lot' });
      const toy = await makeSku(s);
      const found = await makeSku(s);
      await receive(s, food.sku, loc.code, 20);
      await receive(s, meds.sku, loc.code, 8, { lot: 'A1', expiresOn: '2099-01-01' });
      await receive(s, meds.sku, loc.code, 5, { lot: 'B2', expiresOn: '2099-06-01' });
      await receive(s, toy.sku, loc.code, 3);
      // `found` has a lot elsewhere but nothing here.

      const opened = await s.request('POST', '/api/v1/counts', { location: loc.code, note: 'weekly' });
      expect(opened.status).toBe(201);
      const id = opened.body.id as string;
      expect(id).toMatch(/^cnt_/);
      expect(opened.body).toMatchObject({
        location: loc.code,
        status: 'open',
        note: 'weekly',
        scope: { skus: null, bins: null },
        summary: { lines: 4, counted: 0, uncounted: 4, withVariance: 0, netVariance: 0 },
      });
      const expected = Object.fromEntries(
        opened.body.lines.map((l: any) => [`${l.sku}/${l.lot}`, [l.expected, l.counted, l.variance]]),
      );
      expect(expected).toEqual({
        [`${food.sku}/null`]: [20, null, null],
        [`${meds.sku}/A1`]: [8, null, null],
        [`${meds.sku}/B2`]: [5, null, null],
        [`${toy.sku}/null`]: [3, null, null],
      });

      // Stock arriving after the freeze is a real movement the count did not see.
      await receive(s, food.sku, loc.code, 10);

      const line = (body: Record<string, unknown>) => s.request('POST', `/api/v1/counts/${id}/lines`, body);
      // Two cases scanned (12), three single units scanned (one by its UPC-padded GTIN-14 form).
      expect((await line({ barcode: caseCode })).body.line.counted).toBe(6);
      expect((await line({ barcode: caseCode, add: 1 })).body.line.counted).toBe(12);
      expect((await line({ barcode: unitEan })).body.line.counted).toBe(13);
      expect((await line({ barcode: `0${unitEan}` })).body.line.counted).toBe(14);
      const undo = await line({ barcode: unitEan, add: -1 });
      expect(undo.status).toBe(200);
      expect(undo.body.line).toMatchObject({
        sku: food.sku,
        lot: null,
        expected: 20,
        counted: 13,
        variance: -7,
      });
      expect((await line({ barcode: unitEan, add: 5 })).body.line.counted).toBe(18);

      expect((await line({ sku: meds.sku, lot: 'A1', counted: 8 })).body.line.variance).toBe(0);
      expect((await line({ sku: meds.sku.toLowerCase(), lot: 'B2', counted: 7 })).body.line.variance).toBe(2);
      const surprise = await line({ sku: found.sku, counted: 4 });
      expect(surprise.status).toBe(200);
      expect(surprise.body.line).toMatchObject({ sku: found.sku, expected: 0, counted: 4, variance: 4 });
      // `toy` stays uncounted: it is skipped, not treated as zero.

      const detail = await s.request('GET', `/api/v1/counts/${id}`);
      expect(detail.body.summary).toEqual({
        lines: 5,
        counted: 4,
        uncounted: 1,
        withVariance: 3,
        netVariance: -2 + 2 + 4,
      });
      const toyLine = detail.body.lines.find((l: any) => l.sku === toy.sku);
      expect(toyLine).toMatchObject({ counted: null, variance: null, countedAt: null });
      expect(detail.body.lines.find((l: any) => l.sku === found.sku).countedBy).toMatch(/^key:/);

      const approved = await s.request('POST', `/api/v1/counts/${id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('approved');
      expect(approved.body.approvedAt).toEqual(expect.any(String));
      const posted = await movementsOf(id);
      expect(
        posted.map((m) => [m.type, m.on_hand_delta]).sort((a, b) => Number(a[1]) - Number(b[1])),
      ).toEqual([
        ['count_correction', -2],
        ['count_correction', 2],
        ['count_correction', 4],
      ]);
      for (const l of approved.body.lines) {
        expect(l.movementId === null).toBe(l.variance === null || l.variance === 0);
      }

      // Frozen semantics: 20 frozen, 18 counted → −2, and the 10 received later are kept.
      expect((await stockAt(food.sku, loc.code)).onHand).toBe(28);
      const medsHere = await stockAt(meds.sku, loc.code);
      expect(medsHere.lots.map((l: any) => [l.lot, l.onHand])).toEqual([
        ['A1', 8],
        ['B2', 7],
      ]);
      expect((await stockAt(toy.sku, loc.code)).onHand).toBe(3);
      expect((await stockAt(found.sku, loc.code)).onHand).toBe(4);
      const ledger = await s.request('GET', `/api/v1/stock/${found.sku}/movements?type=count_correction`);
      expect(ledger.body.items[0]).toMatchObject({
        type: 'count_correction',
        quantity: 4,
        reason: 'cycle count: weekly',
        reference: { type: 'count', id },
      });
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);

      const twice = await s.request('POST', `/api/v1/counts/${id}/approve`);
      expect(twice.status).toBe(409);
      expect(twice.body.code).toBe('INVALID_TRANSITION');
      const late = await line({ sku: toy.sku, counted: 1 });
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('INVALID_TRANSITION');
      expect((await s.request('POST', `/api/v1/counts/${id}/cancel`)).status).toBe(409);
    });

    it('shows, per line, how stock moved since the count opened, so a count taken after it is not posted twice', async () => {
      const loc = await makeLocation(s);
      const food = await makeSku(s);
      const toy = await makeSku(s);
      await receive(s, food.sku, loc.code, 10);
      await receive(s, toy.sku, loc.code, 4);
      const opened = await s.request('POST', '/api/v1/counts', { location: loc.code });
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
      const id = opened.body.id;
      // Three bags found damaged and written off while the count is open.
      const loss = await s.request('POST', '/api/v1/stock/movements', {
        type: 'adjustment',
        sku: food.sku,
        location: loc.code,
        quantity: -3,
        reason: 'damaged',
      });
      expect(loss.status).toBe(201);
      const line = (body: any, sku: string) => body.lines.find((l: { sku: string }) => l.sku === sku);
      const before = (await s.request('GET', `/api/v1/counts/${id}`)).body;
      expect(line(before, food.sku)).toMatchObject({ expected: 10, counted: null, movedSinceOpened: -3 });
      expect(line(before, toy.sku)).toMatchObject({ expected: 4, movedSinceOpened: 0 });
      // Recording a line answers with the same figure, so a scanner can warn at once.
      const recorded = await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: food.sku, counted: 10 });
      expect(recorded.status, JSON.stringify(recorded.body)).toBe(200);
      expect(recorded.body.line).toMatchObject({
        expected: 10,
        counted: 10,
        variance: 0,
        movedSinceOpened: -3,
      });
      await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: toy.sku, counted: 3 });
      const approved = await s.request('POST', `/api/v1/counts/${id}/approve`, {});
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      // After approval the count's own correction is not "moved since": the write-off still is.
      const after = (await s.request('GET', `/api/v1/counts/${id}`)).body;
      expect(line(after, food.sku)).toMatchObject({ movedSinceOpened: -3 });
      expect(line(after, toy.sku)).toMatchObject({ variance: -1, movedSinceOpened: 0 });
      expect((await s.request('GET', `/api/v1/stock/${food.sku}`)).body.totals.onHand).toBe(7);
    });

    it('refuses an approval whose correction no longer fits the stock, posting nothing', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 10);
      await receive(s, b.sku, loc.code, 10);
      const id = (await s.request('POST', '/api/v1/counts', { location: loc.code, skus: [a.sku, b.sku] }))
        .body.id;
      await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: a.sku, counted: 12 });
      await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: b.sku, counted: 2 });
      // Meanwhile 5 of b leave: 10 − 5 − 8 would be negative.
      await s.request('POST', '/api/v1/stock/movements', {
        type: 'adjustment',
        sku: b.sku,
        location: loc.code,
        quantity: -5,
        reason: 'damaged',
      });
      const refused = await s.request('POST', `/api/v1/counts/${id}/approve`);
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body.code).toBe('NEGATIVE_STOCK');
      expect(refused.body.detail).toContain(b.sku);
      expect(refused.body.errors[0].field).toBe('lines');
      expect(await movementsOf(id)).toEqual([]);
      expect((await stockAt(a.sku, loc.code)).onHand).toBe(10);
      expect((await stockAt(b.sku, loc.code)).onHand).toBe(5);
      const still = await s.request('GET', `/api/v1/counts/${id}`);
      expect(still.body.status).toBe('open');
      expect(still.body.lines.every((l: any) => l.movementId === null)).toBe(true);

      const cancelled = await s.request('POST', `/api/v1/counts/${id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
      expect((await s.request('POST', `/api/v1/counts/${id}/approve`)).body.code).toBe('INVALID_TRANSITION');
      expect(await movementsOf(id)).toEqual([]);
    });

    it('refuses a count that finds fewer than are quarantined, saying how to get out of it', async () => {
      const loc = await makeLocation(s);
      const y = await makeSku(s);
      await receive(s, y.sku, loc.code, 5);
      const held = await s.request('POST', '/api/v1/stock/movements', {
        type: 'quarantine',
        sku: y.sku,
        location: loc.code,
        quantity: 3,
      });
      expect(held.status).toBe(201);
      const id = (await s.request('POST', '/api/v1/counts', { location: loc.code, skus: [y.sku] })).body.id;
      await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: y.sku, counted: 1 });
      const refused = await s.request('POST', `/api/v1/counts/${id}/approve`);
      expect([refused.status, refused.body.code]).toEqual([409, 'NEGATIVE_STOCK']);
      expect(refused.body.detail).toMatch(
        /where 2 are on hand outside quarantine \(on hand 5, quarantined 3\)/,
      );
      expect(refused.body.detail).toMatch(/Release or scrap the quarantined units/);
      expect(refused.body.detail).not.toMatch(/stock moved/);
      const adjust = await s.request('POST', '/api/v1/stock/movements', {
        type: 'adjustment',
        sku: y.sku,
        location: loc.code,
        quantity: -4,
      });
      expect(adjust.body.detail).toMatch(/2 outside quarantine.*never takes quarantined units/);
    });

    it('keeps a SKU at a location in at most one open count', async () => {
      const loc = await makeLocation(s);
      const a = await makeSku(s);
      const b = await makeSku(s);
      await receive(s, a.sku, loc.code, 4);
      await receive(s, b.sku, loc.code, 4);
      const first = await s.request('POST', '/api/v1/counts', { location: loc.code, skus: [a.sku] });
      expect(first.status).toBe(201);
      const overlap = await s.request('POST', '/api/v1/counts', { location: loc.code });
      expect(overlap.status).toBe(409);
      expect(overlap.body.code).toBe('CONFLICT');
      expect(overlap.body.countId).toBe(first.body.id);
      expect(overlap.body.errors[0].field).toBe('location');
      const other = await s.request('POST', '/api/v1/counts', { location: loc.code, skus: [b.sku] });
      expect(other.status).toBe(201);
      // Finding `a` in the count of `b` would double-count it.
      const found = await s.request('POST', `/api/v1/counts/${other.body.id}/lines`, {
        sku: a.sku,
        counted: 1,
      });
      expect(found.status).toBe(409);
      expect(found.body.errors[0].field).toBe('sku');
      expect((await s.request('GET', `/api/v1/counts/${other.body.id}`)).body.summary.lines).toBe(1);

      const concurrent = await Promise.all(
        Array.from({ length: 6 }, () =>
          s.request('POST', '/api/v1/counts', { location: loc.code, skus: [a.sku] }),
        ),
      );
      expect(concurrent.every((r) => r.status === 409)).toBe(true);
      await s.request('POST', `/api/v1/counts/${first.body.id}/cancel`);
      const races = await Promise.all(
        Array.from({ length: 6 }, () =>
          s.request('POST', '/api/v1/counts', { location: loc.code, skus: [a.sku] }),
        ),
      );
      expect(races.filter((r) => r.status === 201)).toHaveLength(1);
      expect(races.filter((r) => r.status === 409)).toHaveLength(5);
    });

    it('scopes a count to SKUs and bins, and expects 0 of a named SKU with no stock there', async () => {
      const loc = await makeLocation(s, { bins: ['A-01', 'A-02'] });
      const a = await makeSku(s);
      const b = await makeSku(s);
      const empty = await makeSku(s);
      await receive(s, a.sku, loc.code, 3, { bin: 'A-01' });
      await receive(s, b.sku, loc.code, 4, { bin: 'A-02' });
      const byBin = await s.request('POST', '/api/v1/counts', { location: loc.code, bins: ['A-02'] });
      expect(byBin.status).toBe(201);
      expect(byBin.body.scope).toEqual({ skus: null, bins: ['A-02'] });
      expect(byBin.body.lines.map((l: any) => [l.sku, l.expected])).toEqual([[b.sku, 4]]);

      // A lot- or serial-tracked SKU with nothing here gets no line: one without its lot (or serial
      // number) could never be recorded; what is found is added with its lot.
      const lotted = await makeSku(s, { tracking: 'lot' });
      const serial = await makeSku(s, { tracking: 'serial' });
      const bySku = await s.request('POST', '/api/v1/counts', {
        location: loc.code,
        skus: [a.sku, empty.sku, lotted.sku, serial.sku],
      });
      expect(bySku.status).toBe(201);
      expect(bySku.body.lines.map((l: any) => [l.sku, l.expected]).sort()).toEqual(
        [
          [a.sku, 3],
          [empty.sku, 0],
        ].sort(),
      );

      const unknownBin = await s.request('POST', '/api/v1/counts', { location: loc.code, bins: ['Z-99'] });
      expect(unknownBin.status).toBe(400);
      expect(unknownBin.body.errors[0].field).toBe('bins.0');
      const unknownSku = await s.request('POST', '/api/v1/counts', {
        location: loc.code,
        skus: ['NOPE-404'],
      });
      expect(unknownSku.status).toBe(422);
      expect(unknownSku.body.errors[0].field).toBe('skus.0');
      const unknownLocation = await s.request('POST', '/api/v1/counts', { location: 'NOWHERE' });
      expect(unknownLocation.status).toBe(422);
      expect(unknownLocation.body.errors[0].field).toBe('location');
    });

    it('rejects line entries it cannot trust, naming the field, and writes nothing', async () => {
      const loc = await makeLocation(s);
      const meds = await makeSku(s, { tracking: 'lot' });
      const plain = await makeSku(s);
      await receive(s, meds.sku, loc.code, 5, { lot: 'M1', expiresOn: '2099-01-01' });
      await receive(s, plain.sku, loc.code, 5);
      const id = (await s.request('POST', '/api/v1/counts', { location: loc.code })).body.id;
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [{ sku: meds.sku, counted: 1 }, 422, 'LOT_REQUIRED', 'lot'],
        [{ sku: meds.sku, lot: 'NEVER', counted: 1 }, 422, 'UNKNOWN_LOT', 'lot'],
        [{ sku: plain.sku, lot: 'X', counted: 1 }, 400, 'VALIDATION_FAILED', 'lot'],
        [{ sku: plain.sku }, 400, 'VALIDATION_FAILED', 'counted'],
        [{ sku: plain.sku, counted: 1, add: 1 }, 400, 'VALIDATION_FAILED', 'add'],
        [{ sku: plain.sku, add: -1 }, 400, 'VALIDATION_FAILED', 'add'],
        [{ sku: plain.sku, add: 0 }, 400, 'VALIDATION_FAILED', 'add'],
        [{ sku: plain.sku, counted: -1 }, 400, 'VALIDATION_FAILED', 'counted'],
        [{ sku: plain.sku, counted: 1.5 }, 400, 'VALIDATION_FAILED', 'counted'],
        [{ sku: plain.sku, barcode: plain.sku }, 400, 'VALIDATION_FAILED', 'barcode'],
        [{ counted: 1 }, 400, 'VALIDATION_FAILED', 'sku'],
        [{ barcode: '4006381333932' }, 400, 'VALIDATION_FAILED', 'barcode'],
        [{ barcode: 'NO-SUCH-CODE' }, 422, 'UNKNOWN_SKU', 'barcode'],
        [{ sku: 'NO-SUCH-SKU', counted: 1 }, 422, 'UNKNOWN_SKU', 'sku'],
        [{ sku: plain.sku, counted: 1, extra: true }, 400, 'VALIDATION_FAILED', 'extra'],
      ];
      for (const [body, status, code, field] of cases) {
        const r = await s.request('POST', `/api/v1/counts/${id}/lines`, body);
        expect({ body, status: r.status, code: r.body.code }).toEqual({ body, status, code });
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        expect(r.body.errors.map((e: any) => e.field)).toContain(field);
      }
      // A scanner screen learns which SKU needs a lot, and the lots this count expects of it.
      const unnamed = await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: meds.sku, add: 1 });
      expect(unnamed.body).toMatchObject({ code: 'LOT_REQUIRED', sku: meds.sku, lots: ['M1'] });
      expect(unnamed.body.detail).toContain('this count expects M1');
      const after = await s.request('GET', `/api/v1/counts/${id}`);
      expect(after.body.summary).toMatchObject({ lines: 2, counted: 0 });
      expect(
        (await s.request('POST', '/api/v1/counts/cnt_missing/lines', { sku: plain.sku, counted: 1 })).status,
      ).toBe(404);
    });

    it('adds concurrent scans without losing one, and replays a retried scan by Idempotency-Key', async () => {
      const loc = await makeLocation(s);
      const code = freshEan();
      const sku = await makeSku(s, { barcodes: [code] });
      await receive(s, sku.sku, loc.code, 50);
      const id = (await s.request('POST', '/api/v1/counts', { location: loc.code })).body.id;
      const scans = await Promise.all(
        Array.from({ length: 30 }, () => s.request('POST', `/api/v1/counts/${id}/lines`, { barcode: code })),
      );
      expect(scans.every((r) => r.status === 200)).toBe(true);
      const retry = { headers: { 'idempotency-key': `scan-${id}` } };
      const first = await s.request('POST', `/api/v1/counts/${id}/lines`, { barcode: code }, retry);
      const again = await s.request('POST', `/api/v1/counts/${id}/lines`, { barcode: code }, retry);
      expect(first.body.line.counted).toBe(31);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const detail = await s.request('GET', `/api/v1/counts/${id}`);
      expect(detail.body.lines[0].counted).toBe(31);
    });

    it('lets fulfilment record counts but only warehouse or admin approve; readonly may only read', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 2);
      const fulfilment = await s.keyFor('fulfilment');
      const warehouse = await s.keyFor('warehouse');
      const readonly = await s.keyFor('readonly');
      const opened = await s.request('POST', '/api/v1/counts', { location: loc.code }, { key: fulfilment });
      expect(opened.status).toBe(201);
      const id = opened.body.id;
      expect(
        (
          await s.request(
            'POST',
            `/api/v1/counts/${id}/lines`,
            { sku: sku.sku, counted: 1 },
            { key: readonly },
          )
        ).status,
      ).toBe(403);
      expect(
        (
          await s.request(
            'POST',
            `/api/v1/counts/${id}/lines`,
            { sku: sku.sku, counted: 1 },
            { key: fulfilment },
          )
        ).status,
      ).toBe(200);
      expect(
        (await s.request('POST', `/api/v1/counts/${id}/approve`, undefined, { key: fulfilment })).status,
      ).toBe(403);
      expect((await s.request('GET', `/api/v1/counts/${id}`, undefined, { key: readonly })).status).toBe(200);
      const approved = await s.request('POST', `/api/v1/counts/${id}/approve`, undefined, { key: warehouse });
      expect(approved.status).toBe(200);
      expect(approved.body.closedBy).toMatch(/^key:/);
      expect((await stockAt(sku.sku, loc.code)).onHand).toBe(1);
    });

    it('applies exactly one of 10 concurrent approvals, posting each correction once', async () => {
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      await receive(s, sku.sku, loc.code, 9);
      const id = (await s.request('POST', '/api/v1/counts', { location: loc.code })).body.id;
      await s.request('POST', `/api/v1/counts/${id}/lines`, { sku: sku.sku, counted: 6 });
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.request('POST', `/api/v1/counts/${id}/${i % 3 === 2 ? 'cancel' : 'approve'}`),
        ),
      );
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of replies.filter((x) => x.status !== 200)) {
        expect(r.status).toBe(409);
        expect(r.body.code).toBe('INVALID_TRANSITION');
      }
      const final = (await s.request('GET', `/api/v1/counts/${id}`)).body;
      expect((await movementsOf(id)).length).toBe(final.status === 'approved' ? 1 : 0);
      expect((await stockAt(sku.sku, loc.code)).onHand).toBe(final.status === 'approved' ? 6 : 9);
      expect(await verifyBalances(s.testDb.database.db)).toEqual([]);
    });

    it('lists counts newest first by status and location with cursor pagination', async () => {
      const loc = await makeLocation(s);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const sku = await makeSku(s);
        await receive(s, sku.sku, loc.code, 1);
        ids.push(
          (await s.request('POST', '/api/v1/counts', { location: loc.code, skus: [sku.sku] })).body.id,
        );
      }
      await s.request('POST', `/api/v1/counts/${ids[1]}/cancel`);
      const open = await s.request(
        'GET',
        `/api/v1/counts?location=${loc.code.toLowerCase()}&status=open&limit=1`,
      );
      expect(open.body.items.map((c: any) => c.id)).toEqual([ids[2]]);
      expect(open.body.items[0].lines).toBeUndefined();
      expect(open.body.items[0].summary.lines).toBe(1);
      const next = await s.request(
        'GET',
        `/api/v1/counts?location=${loc.code}&status=open&limit=1&cursor=${open.body.nextCursor}`,
      );
      expect(next.body.items.map((c: any) => c.id)).toEqual([ids[0]]);
      const all = await s.request('GET', `/api/v1/counts?location=${loc.code}`);
      expect(all.body.items.map((c: any) => c.id)).toEqual([...ids].reverse());
      expect(all.body.items.map((c: any) => c.status)).toEqual(['open', 'cancelled', 'open']);
    });
  });
}
