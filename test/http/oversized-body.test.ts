/**
 * A body over the limit (1 MiB) gets its 413 problem, however large: the server reads the rest of
 * the body before answering, so the client finishes sending and reads the answer. Answering at once
 * and closing left a client still sending with EPIPE or ECONNRESET and no answer at all. The same
 * holds for any answer given before the body is read (401 without a key). Against a real
 * `kibble serve` process: in process, the client and server share one event loop, which hides it.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import {
  ensureBuilt,
  PROCESS_ADMIN_KEY,
  spawnServer,
  type ServerProcess,
} from '../helpers/server-process.js';

describe('oversized request bodies', () => {
  let testDb: TestDatabase;
  let server: ServerProcess;
  beforeAll(async () => {
    await ensureBuilt();
    testDb = await createTestDatabase('sqlite');
    server = await spawnServer(testDb.env);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await testDb?.drop();
  });

  it('are answered 413 BODY_TOO_LARGE (401 without a key), never with a reset connection', async () => {
    const paths = [
      '/api/v1/orders',
      '/api/v1/reservations',
      '/api/v1/stock/movements',
      '/api/v1/webhooks/stripe',
    ];
    for (const mib of [5, 20]) {
      const body = JSON.stringify({ sku: 'X', reason: 'x'.repeat(mib * 1024 * 1024) });
      for (let round = 0; round < 3; round++) {
        for (const path of paths) {
          for (const key of [PROCESS_ADMIN_KEY, null]) {
            const headers: Record<string, string> = {
              'content-type': 'application/json',
              'stripe-signature': 't=1,v1=0',
            };
            if (key !== null) headers['authorization'] = `Bearer ${key}`;
            const what = `${mib} MiB to ${path} ${key === null ? 'without' : 'with'} a key`;
            const r = await fetch(`${server.url}${path}`, { method: 'POST', headers, body }).catch(
              (e: Error & { cause?: { code?: string } }) => {
                throw new Error(`${what}: ${e.message} (${e.cause?.code})`);
              },
            );
            // The webhook needs no key (the signature over the body is its credential): 413 both ways.
            const expected = key === null && !path.includes('webhooks') ? 401 : 413;
            expect(r.status, what).toBe(expected);
            expect(r.headers.get('content-type'), what).toContain('application/problem+json');
            const problem = (await r.json()) as { code: string };
            if (expected === 413) expect(problem.code, what).toBe('BODY_TOO_LARGE');
          }
        }
      }
    }
    // Nothing was written.
    const orders = await server.request('GET', '/api/v1/orders');
    expect(orders.body.items).toEqual([]);
  }, 120_000);
  it('answers at once a request that announces a body it never sends, when it does not need one', async () => {
    // A GET with Content-Length and no body: Fastify never reads it, and the answer must not wait.
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () =>
        socket.write('GET /healthz HTTP/1.1\r\nHost: kibble\r\nContent-Length: 20\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
