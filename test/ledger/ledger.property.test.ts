/**
 * Ledger invariants under random movement sequences, through the real use-cases on a real
 * database (every dialect). A model predicts the outcome of every command; after each command
 * the balances must equal the model, a refused command must have written nothing, and at the end
 * the balances must equal the ledger sums, no counter may be negative, and stock as of every
 * earlier instant (rebuilt from the ledger alone) must equal what the balances showed then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { createLocation } from '../../src/app/locations/locations.js';
import { createSku } from '../../src/app/catalog/create-sku.js';
import { postMovement, type Context, type PostMovementInput } from '../../src/app/stock/post-movement.js';
import { receiveTransfer } from '../../src/app/stock/transfers.js';
import { approveCount, cancelCount, openCount, recordCountLine } from '../../src/app/stock/counts.js';
import { stockAsOf, stockOf } from '../../src/app/stock/stock-view.js';
import { verifyBalances } from '../../src/db/stock.repo.js';
import type { SkuRow } from '../../src/db/catalog.repo.js';
import { DomainError } from '../../src/domain/errors.js';

const LOCATIONS = 3;
const LOTS = ['L0', 'L1'];

/** Where a movement applies; `reuse` picks a place touched before (so stock is there) when set. */
type Target = { sku: number; loc: number; lot: number; reuse: number | null };
type Op =
  | ({ kind: 'receipt' | 'quarantine' | 'quarantine_release' | 'scrap'; qty: number } & Target)
  | ({ kind: 'adjustment'; qty: number } & Target)
  | ({ kind: 'transfer'; qty: number; hop: number } & Target)
  | { kind: 'receive'; pick: number }
  | { kind: 'count'; loc: number; counted: Array<number | null> };

const target = {
  sku: fc.nat(1),
  loc: fc.nat(LOCATIONS - 1),
  lot: fc.nat(LOTS.length - 1),
  reuse: fc.option(fc.nat(50), { nil: null, freq: 4 }),
};
const qty = fc.integer({ min: 1, max: 12 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('receipt' as const), qty, ...target }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('adjustment' as const),
      qty: fc.integer({ min: -12, max: 12 }).filter((n) => n !== 0),
      ...target,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      qty,
      hop: fc.nat(LOCATIONS - 2),
      ...target,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('receive' as const), pick: fc.nat(20) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom('quarantine' as const, 'quarantine_release' as const, 'scrap' as const),
      qty: fc.integer({ min: 1, max: 4 }),
      ...target,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('count' as const),
      loc: fc.nat(LOCATIONS - 1),
      counted: fc.array(fc.option(fc.nat(15), { nil: null }), { minLength: 1, maxLength: 4 }),
    }),
  },
);

/** One hand-written sequence that visits every outcome, run before the random ones. */
const at = (sku: number, loc: number, lot = 0) => ({ sku, loc, lot, reuse: null });
const walkthrough: Op[] = [
  { kind: 'receipt', qty: 10, ...at(0, 0) },
  { kind: 'quarantine', qty: 4, ...at(0, 0) },
  { kind: 'scrap', qty: 2, ...at(0, 0) },
  { kind: 'quarantine_release', qty: 1, ...at(0, 0) },
  { kind: 'scrap', qty: 5, ...at(0, 0) }, // only 1 quarantined: refused
  { kind: 'transfer', qty: 3, hop: 0, ...at(0, 0) },
  { kind: 'receive', pick: 0 },
  { kind: 'receive', pick: 0 }, // already received: refused
  { kind: 'adjustment', qty: 5, ...at(1, 2) },
  { kind: 'adjustment', qty: -9, ...at(1, 2) }, // refused
  { kind: 'transfer', qty: 9, hop: 1, ...at(1, 2) }, // refused
  { kind: 'transfer', qty: 1, hop: 0, ...at(0, 0, 1) }, // lot never received: refused
  { kind: 'count', loc: 0, counted: [0] }, // counting 0 under 1 quarantined: refused
  { kind: 'count', loc: 1, counted: [2, null] }, // posts −1, skips the uncounted line
];

type Counters = { onHand: number; quarantined: number };
type Snapshot = {
  at: string;
  balances: Map<string, { onHand: number; allocated: number; quarantined: number }>;
};

for (const dialect of DIALECTS) {
  describe(`ledger properties on ${dialect}`, () => {
    let t: TestDatabase;
    const locations: Array<{ id: string; code: string }> = [];
    // A synthetic clock: every command gets its own, strictly later instant.
    let tick = Date.UTC(2031, 0, 1);
    const nextAt = () => new Date((tick += 1000)).toISOString();
    const ctxAt = (at: string): Context => ({ actor: 'test:ledger-property', requestId: null, at });
    let runNo = 0;

    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      for (let i = 0; i < LOCATIONS; i++) {
        const l = await t.database.transact((tx) =>
          createLocation(tx, { code: `PROP-${dialect}-${i}`, name: `Prop ${i}`, kind: 'warehouse' }),
        );
        locations.push({ id: l.id, code: l.code });
      }
    });
    afterAll(async () => t?.drop());

    async function ledgerFootprint(skuIds: string[]) {
      const db = t.database.db;
      const [m, b, tr, lots, cl] = await Promise.all([
        db
          .selectFrom('movements')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('sku_id', 'in', skuIds)
          .executeTakeFirstOrThrow(),
        db
          .selectFrom('balances')
          .selectAll()
          .where('sku_id', 'in', skuIds)
          .orderBy('location_id')
          .orderBy('lot_id')
          .orderBy('sku_id')
          .execute(),
        db
          .selectFrom('transfers')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('sku_id', 'in', skuIds)
          .executeTakeFirstOrThrow(),
        db
          .selectFrom('lots')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('sku_id', 'in', skuIds)
          .executeTakeFirstOrThrow(),
        db
          .selectFrom('count_lines')
          .select(['movement_id'])
          .where('sku_id', 'in', skuIds)
          .where('movement_id', 'is not', null)
          .execute(),
      ]);
      return {
        movements: Number(m.n),
        balances: b.map((r) => [r.sku_id, r.location_id, r.lot_id, r.on_hand, r.allocated, r.quarantined]),
        transfers: Number(tr.n),
        lots: Number(lots.n),
        postedCountLines: cl.length,
      };
    }

    async function actualBalances(skuIds: string[]) {
      const rows = await t.database.db
        .selectFrom('balances')
        .selectAll()
        .where('sku_id', 'in', skuIds)
        .execute();
      const out = new Map<string, { onHand: number; allocated: number; quarantined: number }>();
      for (const r of rows) {
        if (r.on_hand === 0 && r.allocated === 0 && r.quarantined === 0) continue;
        out.set(`${r.sku_id}|${r.location_id}|${r.lot_id}`, {
          onHand: r.on_hand,
          allocated: r.allocated,
          quarantined: r.quarantined,
        });
      }
      return out;
    }

    it('keeps balances equal to the model and to the ledger, never negative, and reconstructible as of any instant', async () => {
      // Outcomes seen over all runs, so the property cannot pass vacuously.
      const seen = new Map<string, number>();
      const note = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30, size: 'max' }), async (ops) => {
          runNo++;
          const skus: SkuRow[] = [];
          for (const tracking of ['lot', 'none'] as const) {
            const view = await t.database.transact((tx) =>
              createSku(tx, { sku: `P${runNo}-${tracking}-${tick}`, name: 'Property SKU', tracking }),
            );
            skus.push(
              await t.database.db
                .selectFrom('skus')
                .selectAll()
                .where('id', '=', view.id)
                .executeTakeFirstOrThrow(),
            );
          }
          const skuIds = skus.map((s) => s.id);
          const lotIds = new Map<string, string>(); // `${skuIndex}|${lot}` → lot id, once it exists
          const model = new Map<string, Counters>(); // `${skuId}|${locationId}|${lotId}`
          const transfers: Array<{ id: string; key: string; qty: number; received: boolean }> = [];
          const snapshots: Snapshot[] = [];
          const touched: Array<{ sku: number; loc: number; lot: number }> = [];

          const lotIdOf = (sku: number, lot: number) => (sku === 0 ? lotIds.get(`${sku}|${LOTS[lot]}`) : '');
          const keyOf = (sku: number, loc: number, lotId: string) =>
            `${skuIds[sku]}|${locations[loc]!.id}|${lotId}`;
          const get = (key: string) => model.get(key) ?? { onHand: 0, quarantined: 0 };
          const set = (key: string, c: Counters) => model.set(key, c);

          for (const op of ops) {
            let expectedError: string | null = null;
            let expectedMovements = 1;
            let at = nextAt();
            let run: () => Promise<unknown>;
            let apply = () => {};
            let landed: { sku: number; loc: number; lot: number } | null = null;

            if (op.kind === 'receive') {
              if (transfers.length === 0) continue;
              const tr = transfers[op.pick % transfers.length]!;
              if (tr.received) expectedError = 'INVALID_TRANSITION';
              else
                apply = () => {
                  const c = get(tr.key);
                  set(tr.key, { ...c, onHand: c.onHand + tr.qty });
                  tr.received = true;
                };
              run = () => t.database.transact((tx) => receiveTransfer(tx, tr.id, ctxAt(at)));
            } else if (op.kind === 'count') {
              const loc = locations[op.loc]!;
              const expectedLines = [...model]
                .filter(([k, c]) => k.split('|')[1] === loc.id && c.onHand > 0)
                .map(([k, c]) => ({ key: k, expected: c.onHand }));
              if (!expectedLines.some((l) => l.key === `${skuIds[1]}|${loc.id}|`))
                expectedLines.push({ key: `${skuIds[1]}|${loc.id}|`, expected: 0 });
              expectedLines.sort((a, b) => (a.key < b.key ? -1 : 1));
              const counted = expectedLines.map((_, i) => op.counted[i % op.counted.length] ?? null);
              const corrections = expectedLines.flatMap((l, i) => {
                const c = counted[i] ?? null;
                return c === null || c === l.expected ? [] : [{ ...l, counted: c }];
              });
              expectedMovements = corrections.length;
              if (corrections.some((c) => c.counted < get(c.key).quarantined))
                expectedError = 'NEGATIVE_STOCK';
              else
                apply = () => {
                  for (const c of corrections) set(c.key, { ...get(c.key), onHand: c.counted });
                };
              const opened = await t.database.transact((tx) =>
                openCount(tx, { location: loc.code, skus: skus.map((s) => s.sku) }, ctxAt(at)),
              );
              const lineKey = (l: { sku: string; lot: string | null }) => {
                const i = skus.findIndex((s) => s.sku === l.sku);
                return `${skuIds[i]}|${loc.id}|${l.lot === null ? '' : lotIds.get(`0|${l.lot}`)}`;
              };
              expect(
                opened
                  .lines!.map((l) => ({ key: lineKey(l), expected: l.expected }))
                  .sort((a, b) => (a.key < b.key ? -1 : 1)),
              ).toEqual(expectedLines);
              for (const l of opened.lines!) {
                const value = counted[expectedLines.findIndex((e) => e.key === lineKey(l))];
                if (value === null || value === undefined) continue;
                await t.database.transact((tx) =>
                  recordCountLine(
                    tx,
                    opened.id,
                    { sku: l.sku, ...(l.lot !== null ? { lot: l.lot } : {}), counted: value },
                    ctxAt(nextAt()),
                  ),
                );
              }
              at = nextAt();
              run = async () => {
                try {
                  return await t.database.transact((tx) => approveCount(tx, opened.id, ctxAt(at)));
                } catch (error) {
                  // A refused approval leaves the count open; cancel it so its claims are released.
                  await t.database.transact((tx) => cancelCount(tx, opened.id, ctxAt(at)));
                  throw error;
                }
              };
            } else {
              // Reuse prefers one of the three places most recently stocked.
              const reused =
                op.reuse === null || touched.length === 0
                  ? null
                  : touched[touched.length - 1 - (op.reuse % Math.min(3, touched.length))]!;
              const tg = reused ?? { sku: op.sku, loc: op.loc, lot: op.lot };
              landed = tg;
              const tracked = tg.sku === 0;
              const sku = skus[tg.sku]!;
              const loc = locations[tg.loc]!;
              const lotKnown = !tracked || lotIds.has(`${tg.sku}|${LOTS[tg.lot]}`);
              const input: PostMovementInput = {
                type: op.kind,
                sku: sku.sku,
                location: loc.code,
                quantity: op.qty,
                ...(tracked
                  ? {
                      lot: LOTS[tg.lot]!,
                      ...(op.kind === 'receipt' || op.kind === 'adjustment'
                        ? { expiresOn: '2099-12-31' }
                        : {}),
                    }
                  : {}),
                ...(op.kind === 'transfer'
                  ? { toLocation: locations[(tg.loc + 1 + op.hop) % LOCATIONS]!.code }
                  : {}),
              };
              const creates = op.kind === 'receipt' || (op.kind === 'adjustment' && op.qty > 0);
              const key = () => keyOf(tg.sku, tg.loc, lotIdOf(tg.sku, tg.lot)!);
              const c = lotKnown ? get(key()) : { onHand: 0, quarantined: 0 };
              const fits = {
                receipt: true,
                adjustment: c.onHand + op.qty >= c.quarantined,
                transfer: c.onHand - op.qty >= c.quarantined,
                quarantine: c.quarantined + op.qty <= c.onHand,
                quarantine_release: c.quarantined >= op.qty,
                scrap: c.quarantined >= op.qty,
              }[op.kind];
              if (!lotKnown && !creates) expectedError = 'UNKNOWN_LOT';
              else if (!fits) expectedError = 'NEGATIVE_STOCK';
              let result: any;
              run = async () =>
                (result = await t.database.transact((tx) => postMovement(tx, input, ctxAt(at))));
              apply = () => {
                if (tracked && !lotKnown) {
                  const lot = result.lot as string;
                  expect(lot).toBe(LOTS[tg.lot]);
                }
                const d = {
                  receipt: [op.qty, 0],
                  adjustment: [op.qty, 0],
                  transfer: [-op.qty, 0],
                  quarantine: [0, op.qty],
                  quarantine_release: [0, -op.qty],
                  scrap: [-op.qty, -op.qty],
                }[op.kind];
                const k = key();
                const cur = get(k);
                set(k, { onHand: cur.onHand + d[0]!, quarantined: cur.quarantined + d[1]! });
                if (op.kind === 'transfer') {
                  const to = (tg.loc + 1 + op.hop) % LOCATIONS;
                  transfers.push({
                    id: result.transfer.id,
                    key: keyOf(tg.sku, to, lotIdOf(tg.sku, tg.lot)!),
                    qty: op.qty,
                    received: false,
                  });
                }
              };
              if (tracked && !lotKnown && creates) {
                const inner = run;
                run = async () => {
                  const r = await inner();
                  const lot = await t.database.db
                    .selectFrom('lots')
                    .select('id')
                    .where('sku_id', '=', sku.id)
                    .where('code', '=', LOTS[tg.lot]!)
                    .executeTakeFirstOrThrow();
                  lotIds.set(`${tg.sku}|${LOTS[tg.lot]}`, lot.id);
                  return r;
                };
              }
            }

            const before = await ledgerFootprint(skuIds);
            let thrown: unknown = null;
            try {
              await run();
            } catch (error) {
              thrown = error;
            }
            note(`${op.kind}:${expectedError ?? 'ok'}`);
            if (expectedError === null) {
              if (thrown instanceof Error) throw thrown;
              expect(thrown).toBeNull();
              apply();
              if (landed) touched.push(landed);
              const after = await ledgerFootprint(skuIds);
              expect(after.movements - before.movements).toBe(expectedMovements);
            } else {
              expect(thrown, `${JSON.stringify(op)} should be refused`).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(expectedError);
              const after = await ledgerFootprint(skuIds);
              expect(after).toEqual(before);
            }

            const actual = await actualBalances(skuIds);
            const expected = new Map(
              [...model]
                .filter(([, c]) => c.onHand !== 0 || c.quarantined !== 0)
                .map(([k, c]) => [k, { onHand: c.onHand, allocated: 0, quarantined: c.quarantined }]),
            );
            expect(actual).toEqual(expected);
            snapshots.push({ at, balances: actual });
          }

          expect(await verifyBalances(t.database.db)).toEqual([]);
          const broken = await t.database.db
            .selectFrom('balances')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where(
              sql<boolean>`on_hand < 0 or allocated < 0 or quarantined < 0 or allocated + quarantined > on_hand`,
            )
            .executeTakeFirstOrThrow();
          expect(Number(broken.n)).toBe(0);

          const locationCode = new Map(locations.map((l) => [l.code, l.id]));
          const lotCode = new Map([...lotIds].map(([k, id]) => [k.split('|')[1]!, id]));
          for (const snap of snapshots) {
            const rebuilt = new Map<string, { onHand: number; allocated: number; quarantined: number }>();
            for (const sku of skus) {
              const view = await stockAsOf(t.database.db, sku, snap.at);
              for (const l of view.locations) {
                const rows = l.lots
                  ? l.lots.map((x) => ({ ...x, lotId: lotCode.get(x.lot)! }))
                  : [{ ...l, lotId: '' }];
                for (const r of rows) {
                  if (r.onHand === 0 && r.allocated === 0 && r.quarantined === 0) continue;
                  rebuilt.set(`${sku.id}|${locationCode.get(l.location)}|${r.lotId}`, {
                    onHand: r.onHand,
                    allocated: r.allocated,
                    quarantined: r.quarantined,
                  });
                }
              }
            }
            expect(rebuilt, `as of ${snap.at}`).toEqual(snap.balances);
          }

          const inTransit = transfers.filter((x) => !x.received).reduce((n, x) => n + x.qty, 0);
          const incoming = (await Promise.all(skus.map((s) => stockOf(t.database.db, s)))).reduce(
            (n, v) => n + (v.totals.incoming ?? 0),
            0,
          );
          expect(incoming).toBe(inTransit);
        }),
        { numRuns: 25, examples: [[walkthrough]] },
      );
      for (const outcome of [
        'receipt:ok',
        'adjustment:ok',
        'adjustment:NEGATIVE_STOCK',
        'transfer:ok',
        'transfer:NEGATIVE_STOCK',
        'receive:ok',
        'receive:INVALID_TRANSITION',
        'quarantine:ok',
        'scrap:ok',
        'count:ok',
      ]) {
        expect(seen.get(outcome) ?? 0, outcome).toBeGreaterThan(0);
      }
    });
  });
}
