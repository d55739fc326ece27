/**
 * Queries that run often over tables that only grow must find their rows through an index that
 * holds only those rows. The backorder look-ups (every stock arrival, and the backorder job every
 * second) once let SQLite walk every open order through the orders' status index — in the benchmark
 * the job alone, on tens of thousands of open orders, doubled the p99 of order capture. SQLite's own
 * EXPLAIN QUERY PLAN, on the statements the functions really run, says which index each uses.
 */
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockBackorders, waitingSkusWithFreeStock } from '../../src/app/orders/backorders.js';
import { listOrders } from '../../src/app/orders/list-orders.js';
import type { DB } from '../../src/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

describe('query plans on SQLite', () => {
  let testDb: TestDatabase;
  let raw: Sqlite.Database;
  let db: Kysely<DB>;
  const ran: CompiledQuery[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('sqlite');
    raw = new Sqlite(testDb.env['KIBBLE_DB']);
    db = new Kysely<DB>({
      dialect: new SqliteDialect({ database: raw }),
      log: (event) => {
        if (event.level === 'query') ran.push(event.query);
      },
    });
  });
  afterAll(async () => {
    await db.destroy();
    await testDb.drop();
  });

  /** The plan of every statement `run` executed, one string each. */
  async function plansOf(run: () => Promise<unknown>): Promise<string[]> {
    ran.length = 0;
    await run();
    expect(ran.length).toBeGreaterThan(0);
    return ran.map((q) =>
      (
        raw.prepare(`explain query plan ${q.sql}`).all(...(q.parameters as unknown[])) as Array<{
          detail: string;
        }>
      )
        .map((r) => r.detail)
        .join('; '),
    );
  }

  it('the backorder job and stock arrivals read backordered lines through their partial index', async () => {
    const plans = [
      ...(await plansOf(() => waitingSkusWithFreeStock(db, 100))),
      ...(await plansOf(() => db.transaction().execute((tx) => lockBackorders(tx, ['sku_a', 'sku_b'])))),
    ];
    for (const plan of plans.filter((p) => p.includes('order_lines'))) {
      expect(plan).toContain('order_lines_backorder_idx');
      expect(plan).not.toContain('orders_status_idx');
    }
    expect(plans.some((p) => p.includes('order_lines_backorder_idx'))).toBe(true);
  });

  it('the orders search finds an order by id or external id through indexes, a customer by scanning the customers, never the orders but for a short number', async () => {
    for (const [q, short] of [
      ['#F4AFBB5B', true],
      ['f4afbb5b', true],
      ['ord_0190f6c1a2b37c4d8e9f0a1bf4afbb5b', false],
      ['a@b.example', false],
      ['ext-1', false],
    ] as const) {
      const [plan] = await plansOf(() => listOrders(db, { q, limit: 50 }));
      expect(plan, q).toContain('orders_external_id_idx');
      // Part of an e-mail or a name reads the customers (far fewer than orders), then their orders
      // through the customer index; a short number reads the orders' ids (no index on a random key
      // on the capture path).
      const scans = (plan ?? '').split('; ').filter((step) => /\bSCAN\b/.test(step));
      const orderScans = scans.filter((step) => !/^SCAN qc\b/.test(step));
      if (short) expect(orderScans.length, q).toBeLessThanOrEqual(1);
      else expect(orderScans, q).toEqual([]);
    }
  });
});
