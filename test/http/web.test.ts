import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

/** The web admin is served by the API's own process; the browser suite covers the app itself. */
describe('serving the web admin', () => {
  let built: TestServer;
  let unbuilt: TestServer;
  let dir: string;
  const previous = process.env['KIBBLE_WEB_DIST'];
  const html = (path: string, s: TestServer) =>
    fetch(`${s.url}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kibble-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Kibble admin</title><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log("app")');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    process.env['KIBBLE_WEB_DIST'] = dir;
    built = await startServer('sqlite');
    process.env['KIBBLE_WEB_DIST'] = join(dir, 'does-not-exist');
    unbuilt = await startServer('sqlite');
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env['KIBBLE_WEB_DIST'];
    else process.env['KIBBLE_WEB_DIST'] = previous;
    await built?.close();
    await unbuilt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / uncached, with a strict content security policy', async () => {
    const r = await html('/', built);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(await r.text()).toContain('Kibble admin');
  });

  it('answers client-side routes with index.html', async () => {
    for (const path of ['/orders', '/orders/ord_123', '/catalog/DOG-FOOD-1?tab=lots']) {
      const r = await html(path, built);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('Kibble admin');
    }
  });

  it('caches hashed assets for a year and other files not at all', async () => {
    const asset = await fetch(`${built.url}/assets/index-AbC123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await fetch(`${built.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('keeps problem+json 404s for API paths and missing assets, even for browsers', async () => {
    for (const path of ['/api/v1/nothing-here', '/api/nothing', '/assets/missing-123.js']) {
      const r = await html(path, built);
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const post = await fetch(`${built.url}/orders`, { method: 'POST' });
    expect(post.status).toBe(404);
    const json = await fetch(`${built.url}/not-a-page`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('refuses path tricks', async () => {
    for (const path of [
      '/assets/..%2f..%2fpackage.json',
      '/%2e%2e/package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/..%5c..%5cpackage.json',
    ]) {
      const r = await fetch(`${built.url}${path}`);
      expect([400, 403, 404]).toContain(r.status);
      expect(await r.text()).not.toContain('"name": "kibble"');
    }
  });

  it('still starts and explains itself when the app is not built', async () => {
    const r = await html('/', unbuilt);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('npm run build');
    const api = await unbuilt.request('GET', '/api/v1/skus');
    expect(api.status).toBe(200);
  });

  it('does not open API routes to anonymous browsers', async () => {
    const r = await built.request('GET', '/api/v1/skus', undefined, { key: null });
    expect(r.status).toBe(401);
  });
});
