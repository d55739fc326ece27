/**
 * A method the API does not serve on a path it does serve is 405 problem+json with `Allow` naming
 * the methods it does (RFC 9110 §15.5.6); a path it does not serve at all stays 404. The web
 * admin's catch-all GET, which answers every path, counts as no method of an API path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

describe('methods a path does not serve', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
  });
  afterAll(async () => s?.close());

  it.each([
    ['DELETE', '/api/v1/orders', ['GET', 'HEAD', 'POST']],
    ['PUT', '/api/v1/orders/ord_00000000000000000000000000000000/cancel', ['POST']],
    ['GET', '/api/v1/webhooks/stripe', ['POST']],
    ['PATCH', '/api/v1/reservations', ['GET', 'HEAD', 'POST']],
  ])('%s %s is 405, allowing %j', async (method, path, allowed) => {
    const r = await s.request(method, path, method === 'GET' ? undefined : {});
    expect(r.status).toBe(405);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    expect(r.headers.get('allow')?.split(', ')).toEqual(allowed);
  });

  it.each([
    ['GET', '/api/v1/no-such-thing'],
    ['POST', '/api/v1/no-such-thing'],
    ['DELETE', '/not-an-api-path'],
    ['GET', `/api/v1/skus/A/no-such-thing/${'A'.repeat(10_000)}`],
  ])('%s %s is still 404', async (method, path) => {
    const r = await s.request(method, path, method === 'GET' ? undefined : {});
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(r.headers.get('allow')).toBeNull();
  });
});
