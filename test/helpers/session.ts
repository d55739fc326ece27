/** Browser-style sessions for HTTP tests: sign in with email and password, then send the cookie. */
import type { Reply, TestServer } from './server.js';

export type Session = {
  readonly cookie: string;
  readonly csrfToken: string;
  readonly user: { id: string; email: string; role: string };
  /** A request carrying only the session cookie (and the CSRF token unless `csrf: false`). */
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts?: { csrf?: string | false; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
};

let n = 0;
export const uniqueEmail = (prefix = 'user') =>
  `${prefix}.${Date.now().toString(36)}.${(n++).toString(36)}@example.com`;

export const PASSWORD = 'correct horse battery staple';

/** Creates a user with the admin key and returns it. */
export async function makeUser(
  s: TestServer,
  overrides: { email?: string; role?: string; name?: string; password?: string } = {},
) {
  const r = await s.request('POST', '/api/v1/users', {
    email: overrides.email ?? uniqueEmail(),
    role: overrides.role ?? 'admin',
    password: overrides.password ?? PASSWORD,
    ...(overrides.name ? { name: overrides.name } : {}),
  });
  if (r.status !== 201) throw new Error(`makeUser: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { id: string; email: string; role: string; name: string };
}

/** The `name=value` part of the session cookie a reply set. */
export function sessionCookieOf(reply: Reply): string | null {
  for (const line of reply.headers.getSetCookie()) {
    const m = /^(kibble_session=[^;]*)/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}

export async function signIn(s: TestServer, email: string, password = PASSWORD): Promise<Session> {
  const r = await s.request('POST', '/api/v1/session', { email, password }, { key: null });
  if (r.status !== 200) throw new Error(`signIn: ${r.status} ${JSON.stringify(r.body)}`);
  const cookie = sessionCookieOf(r);
  if (!cookie) throw new Error('signIn: no session cookie');
  const csrfToken = r.body.csrfToken as string;
  return {
    cookie,
    csrfToken,
    user: r.body.user,
    request: (method, path, body, opts = {}) =>
      s.request(method, path, body, {
        key: null,
        headers: {
          cookie,
          ...(opts.csrf === false ? {} : { 'x-csrf-token': opts.csrf ?? csrfToken }),
          ...(opts.headers ?? {}),
        },
      }),
  };
}
