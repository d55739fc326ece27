/**
 * A request Node's HTTP parser refuses before any route sees it — a header line without a colon,
 * Content-Length together with Transfer-Encoding (request smuggling), a body longer than its
 * Content-Length, headers over the size limit — is answered like every other refusal: a 4xx in
 * RFC 9457 problem+json, and the connection closed.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

/** Writes `raw` on a fresh connection and reads until the server closes it. */
function exchange(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
  });
}

describe('requests the HTTP parser refuses', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer('sqlite');
  });
  afterAll(async () => s?.close());

  const auth = () => `authorization: Bearer ${s.adminKey}\r\n`;
  it.each([
    [
      'a header line without a colon',
      () => `GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`,
      400,
    ],
    [
      'Content-Length with Transfer-Encoding',
      () =>
        `POST /api/v1/orders HTTP/1.1\r\nHost: x\r\n${auth()}content-type: application/json\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    ['a NUL in the path', () => `GET /api/v1/orders/\u0000 HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`, 400],
    [
      'headers over the limit',
      () => `GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
  ])('%s: a problem+json 4xx', async (_name, raw, status) => {
    const answer = await exchange(s.url, raw());
    const [head, body] = answer.split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(head.toLowerCase()).toContain('connection: close');
    const problem = JSON.parse(body) as Record<string, unknown>;
    expect(problem).toMatchObject({
      status,
      type: expect.stringMatching(/^https:\/\/kibble\.dev\/problems\//),
    });
    expect(problem['code']).toEqual(expect.any(String));
    expect(problem['detail']).toEqual(expect.any(String));
    // The server still serves the next client.
    expect((await s.request('GET', '/healthz', undefined, { key: null })).status).toBe(200);
  });
});
