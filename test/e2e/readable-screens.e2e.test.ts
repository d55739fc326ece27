/**
 * What the web admin writes for people to read, checked in a real browser at a laptop's width
 * (1400 px): who did what on an order's timeline, and when, in the screen's own words; lists
 * whose identifiers (SKUs, locations, bins, lots, dates) and column headers are never cut short;
 * best-before dates written as dates; stock movements' reasons in the words the adjustment and
 * transfer dialogs offer; counts of one said in the singular.
 *
 * Needs web/dist (`npm run build`; `npm test` builds first) and /usr/bin/chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSuiteReady, openAdminSession, type AdminSession, type Shop } from './shop.js';

const ready = browserSuiteReady();

/**
 * The cells of a list's `columns` whose text does not fit (cut with an ellipsis), as
 * `column: text`, and the headers that do not (`header: text`); and whether the list is wider than its box (scrolls sideways).
 */
async function cutCells(page: Page, grid: string, columns: readonly string[]) {
  return page.getByRole('grid', { name: grid }).evaluate((el, columns) => {
    const names = [...el.querySelectorAll('[role=columnheader]')].map((h) => h.textContent?.trim() ?? '');
    const cut: string[] = [];
    for (const row of el.querySelectorAll('[role=row]')) {
      [...row.querySelectorAll('[role=gridcell]')].forEach((cell, i) => {
        if (!columns.includes(names[i])) return;
        const clipped = [cell, ...cell.querySelectorAll('*')].some(
          (e) =>
            e.scrollWidth > e.clientWidth + 0.5 &&
            (globalThis as any).getComputedStyle(e).overflowX !== 'visible',
        );
        if (clipped) cut.push(`${names[i]}: ${cell.textContent}`);
      });
    }
    // Headers in words, whole too ("On ha…" is not a column's name); a hidden one ("Actions") aside.
    const headers = [...el.querySelectorAll('[role=columnheader]')]
      .filter((h) => h.querySelector('.sr-only') === null)
      .filter((h) => [h, ...h.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 0.5))
      .map((h) => `header: ${h.textContent}`);
    return {
      cut: [...cut, ...headers],
      sideways: el.scrollWidth > el.clientWidth + 0.5,
      rows: el.querySelectorAll('[role=row]').length,
    };
  }, columns);
}

/** An instant as the API writes it. */
const ISO_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

describe.skipIf(!ready)('readable screens in the web admin', () => {
  let session: AdminSession;
  let shop: Shop;
  let page: Page;

  beforeAll(async () => {
    session = await openAdminSession({ skus: 160, orders: 6, viewport: { width: 1400, height: 900 } });
    ({ shop, page } = session);
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    expect(session?.problems ?? []).toEqual([]);
  });

  it('shows identifiers and dates whole in the catalog, stock, orders and movements lists', async () => {
    const lists: Array<[path: string, grid: string, columns: string[]]> = [
      ['/catalog', 'SKUs', ['SKU', 'Barcode']],
      ['/stock', 'Stock by SKU and location', ['SKU', 'Location', 'Bin', 'Lots']],
      ['/stock?filter=expiring', 'Stock by SKU and location', ['SKU', 'Location', 'Bin', 'Lots']],
      ['/orders', 'Orders', ['Order', 'Date']],
      ['/movements', 'Stock movements', ['When', 'Type', 'SKU', 'Location', 'Lot', 'Reference']],
    ];
    for (const [path, grid, columns] of lists) {
      await page.goto(`${shop.server.url}${path}`);
      await page.getByRole('grid', { name: grid }).getByRole('gridcell').first().waitFor();
      const seen = await cutCells(page, grid, columns);
      expect(seen.rows, path).toBeGreaterThan(5);
      expect(seen.cut, path).toEqual([]);
      expect(seen.sideways, `${path} scrolls sideways`).toBe(false);
    }
  }, 60_000);

  it("writes a lot's best-before date as a date in the stock dialogs' lot list", async () => {
    let lotTracked: string | undefined;
    for (const s of shop.sellable) {
      const sku = await shop.server.request('GET', `/api/v1/skus/${encodeURIComponent(s.sku)}`);
      if (sku.body.tracking === 'lot') {
        lotTracked = s.sku;
        break;
      }
    }
    expect(lotTracked).toBeDefined();
    await page.goto(`${shop.server.url}/catalog/${encodeURIComponent(lotTracked!)}`);
    await page.getByRole('button', { name: 'Adjust stock', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Adjust stock · ${lotTracked}` });
    const lots = dialog.getByLabel('Lot').locator('option');
    await lots.first().waitFor({ state: 'attached' });
    const texts = await lots.allTextContents();
    for (const t of texts) {
      expect(t).not.toMatch(/\d{4}-\d{2}-\d{2}/);
      expect(t).toMatch(/ · expires [A-Z][a-z]{2} \d{1,2}, \d{4} · [\d,]+ on hand$/);
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('shows the reasons of stock movements as the dialogs name them, not as codes', async () => {
    const s = shop.sellable[4]!;
    const stock = await shop.server.request('GET', `/api/v1/stock/${encodeURIComponent(s.sku)}`);
    const from = (stock.body.locations as Array<{ location: string; available: number }>).find(
      (l) => l.available >= 3,
    )!.location;
    const locations = await shop.server.request('GET', '/api/v1/locations');
    const to = (locations.body.items as Array<{ code: string; kind: string }>).find(
      (l) => l.code !== from && l.kind === 'warehouse',
    )!.code;
    const post = (body: Record<string, unknown>) =>
      shop.server.request('POST', '/api/v1/stock/movements', { sku: s.sku, location: from, ...body });
    expect((await post({ type: 'adjustment', quantity: -1, reason: 'lost' })).status).toBe(201);
    expect((await post({ type: 'adjustment', quantity: -1, reason: 'damaged: Torn bag' })).status).toBe(201);
    expect((await post({ type: 'transfer', toLocation: to, quantity: 1, reason: 'rebalance' })).status).toBe(
      201,
    );
    expect((await post({ type: 'adjustment', quantity: 1, reason: 'Found behind the shelf' })).status).toBe(
      201,
    );

    await page.goto(`${shop.server.url}/movements?sku=${encodeURIComponent(s.sku)}`);
    const grid = page.getByRole('grid', { name: 'Stock movements' });
    await grid.getByText('Lost or missing', { exact: true }).waitFor();
    await grid.getByText('Damaged: Torn bag', { exact: true }).waitFor();
    await grid.getByText('Rebalance between warehouses', { exact: true }).first().waitFor();
    await grid.getByText('Found behind the shelf', { exact: true }).waitFor(); // free text as written
    // Who moved it, by name (the test's API key is called "test admin").
    await grid.getByText('API key “test admin”', { exact: true }).first().waitFor();
    expect(await grid.getByText(/^API key …/).count()).toBe(0);
    for (const code of ['lost', 'damaged: Torn bag', 'rebalance'])
      expect(await grid.getByText(code, { exact: true }).count(), code).toBe(0);
  }, 60_000);

  it('says "1 order", "1 SKU", "1 movement", "1 row" and "1 allocated unit", not "1 orders"', async () => {
    const s = shop.sellable[6]!;
    const stock = await shop.server.request('GET', `/api/v1/stock/${encodeURIComponent(s.sku)}`);
    const at = (stock.body.locations as Array<{ location: string; available: number }>).find(
      (l) => l.available >= 2,
    )!.location;
    const placed = await shop.server.request('POST', '/api/v1/orders', {
      externalId: '#ONLY-ONE',
      customer: { email: 'only.one@example.com', name: 'Only One' },
      currency: 'USD',
      lines: [{ sku: s.sku, quantity: 1, unitPriceMinor: s.priceMinor }],
    });
    expect(placed.status).toBe(201);
    const moved = await shop.server.request('POST', '/api/v1/stock/movements', {
      type: 'adjustment',
      sku: s.sku,
      location: at,
      quantity: -1,
      reason: 'one of a kind',
    });
    expect(moved.status).toBe(201);
    const footer = (grid: string) =>
      page.getByRole('grid', { name: grid }).locator('xpath=..').locator('.datatable-footer');

    await page.goto(`${shop.server.url}/orders?q=${encodeURIComponent('#ONLY-ONE')}`);
    await expect.poll(() => footer('Orders').textContent()).toBe('1 order');
    await page.goto(`${shop.server.url}/movements?reason=${encodeURIComponent('one of a kind')}`);
    await expect.poll(() => footer('Stock movements').textContent()).toBe('1 movement');
    await page.goto(`${shop.server.url}/stock?q=${encodeURIComponent(s.sku)}&location=${at}`);
    await expect.poll(() => footer('Stock by SKU and location').textContent()).toBe('1 row');
    await page.goto(`${shop.server.url}/catalog?q=${encodeURIComponent(s.sku)}`);
    await expect.poll(() => page.locator('.toolbar-note').textContent()).toBe('1 SKU');

    await page.goto(`${shop.server.url}/orders/${placed.body.id}`);
    await page.getByRole('button', { name: 'Ship…' }).click();
    const ship = page.getByRole('dialog', { name: 'Ship what is allocated' });
    await expect
      .poll(() => ship.locator('p').first().textContent())
      .toBe('1 allocated unit leaves its location now; backordered units stay open.');
    await ship.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it("names who did each step of an order's timeline, and writes its instants as dates and its amounts as money", async () => {
    const s = shop.sellable[0]!;
    const placed = await shop.server.request('POST', '/api/v1/orders', {
      externalId: '#WHO-DID-IT',
      customer: { email: 'who.did.it@example.com', name: 'Who Did It' },
      currency: 'USD',
      lines: [{ sku: s.sku, quantity: 1, unitPriceMinor: s.priceMinor }],
    });
    expect(placed.status).toBe(201);
    await page.goto(`${shop.server.url}/orders/${placed.body.id}`);
    await page.getByRole('heading', { name: 'Order #WHO-DID-IT' }).waitFor();
    await page.getByRole('button', { name: 'Ship…' }).click();
    const ship = page.getByRole('dialog', { name: 'Ship what is allocated' });
    await ship.getByRole('button', { name: 'Ship' }).click();
    await ship.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Mark delivered…' }).click();
    const deliver = page.getByRole('dialog', { name: 'Mark the order delivered?' });
    await deliver.getByRole('button', { name: 'Mark delivered' }).click();
    await deliver.waitFor({ state: 'detached' });

    const timeline = page.locator('.timeline');
    const delivered = timeline.locator('li').filter({ hasText: 'Delivered at' });
    await delivered.waitFor();
    const read = await delivered.textContent();
    expect(read).not.toMatch(ISO_INSTANT);
    expect(read).toMatch(/Delivered at [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M/);
    expect(read).toContain('by Ada Admin');
    const all = (await timeline.textContent()) ?? '';
    expect(all).not.toMatch(/by user …/);
    expect(all).not.toMatch(ISO_INSTANT);
    // The API key that placed it is named by its name.
    const created = await timeline.locator('li').filter({ hasText: 'Order placed' }).textContent();
    expect(created).toContain('by API key “test admin”');
    // Its amount is written as money, as everywhere else on screen, not as the API's `12.34 USD`.
    const total = (s.priceMinor / 100).toFixed(2);
    expect(created).toContain(`total $${total}`);
    expect(all).not.toMatch(/\d USD/);
  }, 60_000);
});
