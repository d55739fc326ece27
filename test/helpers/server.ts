/**
 * A real Kibble server on a random port over a fresh test database, and a small JSON client.
 */
import type { Dialect } from '../../src/db/database.js';
import { createApiKey } from '../../src/app/access/api-keys.js';
import { serve, type Running } from '../../src/cli/serve.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export type Reply<T = any> = { status: number; headers: Headers; body: T };

export type TestServer = {
  readonly url: string;
  readonly adminKey: string;
  readonly running: Running;
  readonly testDb: TestDatabase;
  /** JSON request with the admin key unless `key` says otherwise (null = no credential). */
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  keyFor(role: string): Promise<string>;
  close(): Promise<void>;
};

export async function startServer(dialect: Dialect): Promise<TestServer> {
  const testDb = await createTestDatabase(dialect);
  const running = await serve(
    { port: 0, host: '127.0.0.1', log: false, out: () => undefined },
    testDb.database,
  );
  const admin = await testDb.database.transact((tx) =>
    createApiKey(tx, { role: 'admin', name: 'test admin' }),
  );
  const url = running.url;
  const request = async <T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> => {
    const key = opts.key === undefined ? admin.key : opts.key;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (key !== null) headers['authorization'] = `Bearer ${key}`;
    if (body !== undefined && typeof body !== 'string') headers['content-type'] ??= 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text.length ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  return {
    url,
    adminKey: admin.key,
    running,
    testDb,
    request,
    async keyFor(role) {
      const r = await request<{ key: string }>('POST', '/api/v1/api-keys', { role, name: `test ${role}` });
      return r.body.key;
    },
    async close() {
      await running.close().catch(() => undefined);
      await testDb.drop();
    },
  };
}
