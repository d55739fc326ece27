/**
 * A real Kibble server with the demo pet shop (a sample of its catalog, its warehouses and opening
 * stock), users for several roles, and a few days of orders placed through the API: what the
 * browser suite signs in to, and what its screenshots show.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Dialect } from '../../src/db/database.js';
import { seedDemo } from '../../src/app/demo/seed-demo.js';
import { startServer, type TestServer } from '../helpers/server.js';

export type Shop = {
  readonly server: TestServer;
  readonly password: string;
  readonly users: { admin: string; warehouse: string; sales: string; readonly: string };
  /** SKUs with stock at a sellable location, good for orders: [sku, name, priceMinor]. */
  readonly sellable: ReadonlyArray<{ sku: string; name: string; priceMinor: number; available: number }>;
};

const customers = [
  ['olivia.martin@example.com', 'Olivia Martin', 'Portland', 'OR', '97205'],
  ['liam.chen@example.com', 'Liam Chen', 'Austin', 'TX', '78701'],
  ['emma.garcia@example.com', 'Emma Garcia', 'Denver', 'CO', '80202'],
  ['noah.patel@example.com', 'Noah Patel', 'Columbus', 'OH', '43215'],
  ['ava.johnson@example.com', 'Ava Johnson', 'Atlanta', 'GA', '30303'],
  ['lucas.brown@example.com', 'Lucas Brown', 'Reno', 'NV', '89501'],
  ['mia.wilson@example.com', 'Mia Wilson', 'Boston', 'MA', '02108'],
  ['ethan.davis@example.com', 'Ethan Davis', 'Seattle', 'WA', '98101'],
] as const;

/** A deterministic pseudo-random sequence, so the shop looks the same on every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function openShop(
  dialect: Dialect = 'sqlite',
  opts: { skus?: number; orders?: number } = {},
): Promise<Shop> {
  const server = await startServer(dialect);
  await seedDemo(server.running.database, { seed: 42, out: () => undefined, skus: opts.skus ?? 400 });

  const password = 'kibble-e2e-password';
  const users = {
    admin: 'ada.admin@petshop.example',
    warehouse: 'will.warehouse@petshop.example',
    sales: 'sam.sales@petshop.example',
    readonly: 'rita.readonly@petshop.example',
  };
  const names = {
    admin: 'Ada Admin',
    warehouse: 'Will Warehouse',
    sales: 'Sam Sales',
    readonly: 'Rita Readonly',
  };
  for (const role of ['admin', 'warehouse', 'sales', 'readonly'] as const) {
    const r = await server.request('POST', '/api/v1/users', {
      email: users[role],
      name: names[role],
      role,
      password,
    });
    if (r.status !== 201) throw new Error(`user ${role}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  // SKUs that can be sold now, from the stock report (not bundles: they have no stock rows).
  const stock = await server.request('GET', '/api/v1/reports/stock?filter=available&limit=1000');
  const bySku = new Map<string, { sku: string; name: string; available: number }>();
  for (const row of stock.body.items as Array<{
    sku: string;
    name: string;
    available: number;
    sellable: boolean;
  }>) {
    if (!row.sellable) continue;
    const seen = bySku.get(row.sku);
    bySku.set(row.sku, { sku: row.sku, name: row.name, available: (seen?.available ?? 0) + row.available });
  }
  const sellable: Array<{ sku: string; name: string; priceMinor: number; available: number }> = [];
  for (const s of [...bySku.values()].filter((x) => x.available >= 10).slice(0, 60)) {
    const sku = await server.request('GET', `/api/v1/skus/${encodeURIComponent(s.sku)}`);
    if (sku.body.priceMinor) sellable.push({ ...s, priceMinor: sku.body.priceMinor });
  }

  const next = random(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const placed: string[] = [];
  for (let i = 0; i < (opts.orders ?? 24); i++) {
    const [email, name, city, region, postalCode] = pick(customers);
    const lineCount = 1 + Math.floor(next() * 3);
    const chosen = new Map<string, (typeof sellable)[number]>();
    while (chosen.size < lineCount) {
      const s = pick(sellable);
      chosen.set(s.sku, s);
    }
    const r = await server.request('POST', '/api/v1/orders', {
      channel: pick(['web', 'web', 'shopify', 'pos']),
      externalId: `#${1040 + i}`,
      customer: { email, name },
      shippingAddress: { name, line1: `${100 + i} Main St`, city, region, postalCode, country: 'US' },
      currency: 'USD',
      onShortage: 'backorder',
      shippingMinor: pick([0, 499, 799]),
      lines: [...chosen.values()].map((s) => ({
        sku: s.sku,
        quantity: 1 + Math.floor(next() * 3),
        unitPriceMinor: s.priceMinor,
      })),
      payments: [{ provider: 'manual', amountMinor: 0, status: 'pending' }],
    });
    if (r.status !== 201) throw new Error(`order ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    placed.push(r.body.id);
  }
  // A realistic mix: some held, some cancelled.
  for (const id of placed.slice(0, 2))
    await server.request('POST', `/api/v1/orders/${id}/hold`, { reason: 'Address needs confirming' });
  for (const id of placed.slice(2, 4))
    await server.request('POST', `/api/v1/orders/${id}/cancel`, { reason: 'Customer changed their mind' });

  const res = sellable[5];
  if (res)
    await server.request('POST', '/api/v1/reservations', {
      sku: res.sku,
      quantity: 2,
      ttlSeconds: 1800,
      reference: 'cart-8842',
    });

  return { server, password, users, sellable };
}

export const CHROMIUM = '/usr/bin/chromium';
const WEB_DIST = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
/** Whether a browser suite can run here; under CI it must (a missing build or browser is an error). */
export function browserSuiteReady(): boolean {
  const ready = existsSync(CHROMIUM) && existsSync(WEB_DIST);
  if (!ready && process.env['CI'] === 'true')
    throw new Error('The browser suite needs /usr/bin/chromium and a built web/dist (npm run build).');
  return ready;
}

export type AdminSession = {
  readonly shop: Shop;
  readonly browser: Browser;
  readonly page: Page;
  /** Uncaught errors of the page so far: a suite expects none at its end. */
  readonly problems: string[];
  close(): Promise<void>;
};

/** A shop, and a headless Chromium signed in to it as its admin, on the dashboard. */
export async function openAdminSession(opts: {
  readonly skus: number;
  readonly orders: number;
  readonly viewport: { readonly width: number; readonly height: number };
}): Promise<AdminSession> {
  const shop = await openShop('sqlite', { skus: opts.skus, orders: opts.orders });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: opts.viewport, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(shop.server.url);
  await page.getByLabel('Email').fill(shop.users.admin);
  await page.getByLabel('Password').fill(shop.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return {
    shop,
    browser,
    page,
    problems,
    close: async () => {
      await browser.close();
      await shop.server.close();
    },
  };
}
