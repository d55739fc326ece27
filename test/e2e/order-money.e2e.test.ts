/**
 * What the web admin says about an order's money and counts, checked in a real browser against the
 * API's figures for the same data: the cancel dialog of a partly shipped order, the lines table of
 * an order with a discount, and the dashboard's open-orders card.
 *
 * Needs web/dist (`npm run build`; `npm test` builds first) and /usr/bin/chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSuiteReady, openAdminSession, type AdminSession, type Shop } from './shop.js';

const ready = browserSuiteReady();

/** "$1,234.56" → 123456 */
const cents = (text: string | null) => Math.round(Number((text ?? '').replace(/[^0-9.-]/g, '')) * 100);

describe.skipIf(!ready)('order money in the web admin', () => {
  let session: AdminSession;
  let shop: Shop;
  let page: Page;

  beforeAll(async () => {
    session = await openAdminSession({ skus: 120, orders: 6, viewport: { width: 1366, height: 860 } });
    ({ shop, page } = session);
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    expect(session?.problems ?? []).toEqual([]);
  });

  it('does not offer to cancel the whole order, or refund all it was paid, once part of it shipped', async () => {
    const s = shop.sellable[1]!;
    const stock = await shop.server.request('GET', `/api/v1/stock/${encodeURIComponent(s.sku)}`);
    const quantity = (stock.body.totals.available as number) + 2;
    const placed = await shop.server.request('POST', '/api/v1/orders', {
      externalId: '#PART-SHIPPED',
      customer: { email: 'part.shipped@example.com', name: 'Part Shipped' },
      currency: 'USD',
      onShortage: 'backorder',
      lines: [{ sku: s.sku, quantity, unitPriceMinor: s.priceMinor }],
      payments: [{ provider: 'manual', amountMinor: quantity * s.priceMinor, status: 'authorized' }],
    });
    expect(placed.status).toBe(201);
    const id = placed.body.id as string;
    const shipped = await shop.server.request('POST', `/api/v1/orders/${id}/ship`, {});
    expect(shipped.status).toBe(200);
    expect(shipped.body.fulfillmentStatus).toBe('partially_shipped');
    expect(shipped.body.payments[0].capturedMinor).toBe(quantity * s.priceMinor);

    await page.goto(`${shop.server.url}/orders/${id}`);
    await page.getByRole('heading', { name: 'Order #PART-SHIPPED' }).waitFor();
    await page.getByRole('button', { name: 'Cancel…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel order or units' });
    await dialog.waitFor();
    // Every open (backordered) unit is the rest of the order, not the order.
    expect(await dialog.getByRole('radio', { name: /^The whole order/ }).count()).toBe(0);
    await dialog.getByRole('radio', { name: /^Everything not shipped/ }).check();
    expect(await dialog.getByRole('button', { name: /whole order/ }).count()).toBe(0);
    const confirm = dialog.getByRole('button', { name: 'Cancel the 2 unshipped units', exact: true });
    await confirm.waitFor();
    const refund = dialog.getByRole('checkbox', { name: /Refund/ });
    const label = await dialog.locator('label.check-row').filter({ hasText: 'Refund' }).textContent();
    expect(label).not.toContain(`$${(quantity * s.priceMinor) / 100}`);
    expect(label).toContain('no longer costs');
    expect(await dialog.getByRole('checkbox', { name: /Void/ }).count()).toBe(0);

    await refund.check();
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    const after = await shop.server.request('GET', `/api/v1/orders/${id}`);
    expect(after.body.status).toBe('completed');
    expect(after.body.payments[0].refundedMinor).toBe(2 * s.priceMinor);
  }, 60_000);

  it('shows line amounts that add up to the subtotal when a line has a discount', async () => {
    const [a, b] = [shop.sellable[2]!, shop.sellable[3]!];
    const placed = await shop.server.request('POST', '/api/v1/orders', {
      externalId: '#DISCOUNTED',
      customer: { email: 'discounted@example.com', name: 'Discounted' },
      currency: 'USD',
      lines: [
        { sku: a.sku, quantity: 2, unitPriceMinor: a.priceMinor, discountMinor: 150 },
        { sku: b.sku, quantity: 1, unitPriceMinor: b.priceMinor },
      ],
    });
    expect(placed.status).toBe(201);
    const o = placed.body;
    await page.goto(`${shop.server.url}/orders/${o.id}`);
    const table = page.getByRole('table', { name: 'Order lines' });
    await table.waitFor();
    // A line's amount is the first text of its last cell (a discount is noted below it).
    const amounts = await table
      .locator('tbody tr td:last-child')
      .evaluateAll((cells) => cells.map((c) => c.firstChild?.textContent ?? ''));
    expect(amounts.map(cents)).toEqual([2 * a.priceMinor, b.priceMinor]);
    expect(amounts.map(cents).reduce((x, y) => x + y, 0)).toBe(o.subtotalMinor);
    const footer = Object.fromEntries(
      await table
        .locator('tfoot tr')
        .evaluateAll((rows) => rows.map((r) => [r.cells[0]!.textContent!.trim(), r.cells[1]!.textContent!])),
    );
    expect(cents(footer['Subtotal'])).toBe(o.subtotalMinor);
    expect(cents(footer['Discount'])).toBe(-o.discountMinor);
    expect(cents(footer['Total'])).toBe(o.totalMinor);
  }, 60_000);

  it("links the dashboard's open orders to lists that hold as many orders as it counts", async () => {
    const dash = await shop.server.request('GET', '/api/v1/reports/dashboard');
    const byStatus = dash.body.openOrders.byStatus as Array<{ status: string; count: number }>;
    expect(byStatus.find((s) => s.status === 'on_hold')?.count).toBeGreaterThan(0);
    await page.goto(shop.server.url);
    const card = page.locator('.kpi').filter({ hasText: 'Open orders' });
    await card.waitFor();
    expect(cents(await card.locator('.kpi-value').textContent()) / 100).toBe(dash.body.openOrders.total);
    const links = card.locator('a');
    let listed = 0;
    for (const href of await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')!))) {
      const status = new URL(href, shop.server.url).searchParams.get('status');
      const count = byStatus.find((s) => s.status === status)?.count ?? -1;
      const text = await card.locator(`a[href="${href}"]`).textContent();
      expect(cents(text) / 100).toBe(count);
      listed += count;
    }
    expect(listed).toBe(dash.body.openOrders.total);
  }, 60_000);
});
