/** Factories for test data over the HTTP API. */
import type { Dialect } from '../../src/db/database.js';
import { startServer, type TestServer } from '../helpers/server.js';

let n = 0;
export const uniqueCode = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}`.toUpperCase();

export async function makeLocation(s: TestServer, overrides: Record<string, unknown> = {}) {
  const r = await s.request('POST', '/api/v1/locations', {
    code: uniqueCode('WH'),
    name: 'Warehouse',
    kind: 'warehouse',
    ...overrides,
  });
  if (r.status !== 201) throw new Error(`makeLocation: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { code: string; id: string };
}

export async function makeSku(s: TestServer, overrides: Record<string, unknown> = {}) {
  const r = await s.request('POST', '/api/v1/skus', {
    sku: uniqueCode('SKU'),
    name: 'Test SKU',
    priceMinor: 1000,
    ...overrides,
  });
  if (r.status !== 201) throw new Error(`makeSku: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { sku: string; id: string };
}

export async function receive(
  s: TestServer,
  sku: string,
  location: string,
  quantity: number,
  extra: Record<string, unknown> = {},
) {
  const r = await s.request('POST', '/api/v1/stock/movements', {
    type: 'receipt',
    sku,
    location,
    quantity,
    ...extra,
  });
  if (r.status !== 201) throw new Error(`receive: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A fresh server with one SKU holding `units` at one location: the setup of most order tests. */
export async function stockedServer(
  dialect: Dialect,
  units: number,
): Promise<{ s: TestServer; sku: string }> {
  const s = await startServer(dialect);
  const loc = await makeLocation(s);
  const sku = (await makeSku(s)).sku;
  await receive(s, sku, loc.code, units);
  return { s, sku };
}
