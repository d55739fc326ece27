import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { PASSWORD, makeUser, sessionCookieOf, signIn, uniqueEmail } from '../helpers/session.js';
import { makeLocation, makeSku } from '../factories/catalog.js';

for (const dialect of DIALECTS) {
  describe(`users and sessions on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer(dialect);
    });
    afterAll(async () => s?.close());

    it('says first-run setup is needed until the first user exists', async () => {
      const before = await s.request('GET', '/api/v1/session/status', undefined, { key: null });
      expect(before.status).toBe(200);
      expect(before.body).toEqual({ signedIn: false, setupRequired: true });

      const refused = await s.request(
        'POST',
        '/api/v1/session',
        { email: 'nobody@example.com', password: 'whatever-it-is' },
        { key: null },
      );
      expect(refused.status).toBe(401);
      expect(refused.body.detail).toMatch(/No users exist yet/);

      const first = await makeUser(s, { email: uniqueEmail('first') });
      const after = await s.request('GET', '/api/v1/session/status', undefined, { key: null });
      expect(after.body).toEqual({ signedIn: false, setupRequired: false });
      const session = await signIn(s, first.email);
      const signedIn = await session.request('GET', '/api/v1/session/status');
      expect(signedIn.body).toEqual({ signedIn: true, setupRequired: false });
    });

    it('creates users with canonical emails and never returns password hashes', async () => {
      const email = uniqueEmail('Mixed.Case');
      const r = await s.request('POST', '/api/v1/users', {
        email: `  ${email.toUpperCase()} `,
        role: 'warehouse',
        name: 'Wendy Warehouse',
        password: PASSWORD,
      });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        id: expect.stringMatching(/^usr_/),
        email: email.toLowerCase(),
        name: 'Wendy Warehouse',
        role: 'warehouse',
        createdAt: expect.any(String),
        disabledAt: null,
      });
      const list = await s.request('GET', '/api/v1/users');
      expect(list.status).toBe(200);
      const listed = list.body.items.find((u: any) => u.id === r.body.id);
      expect(listed).toEqual(r.body);
      expect(JSON.stringify(list.body)).not.toMatch(/scrypt|password/i);

      const row = await s.testDb.database.db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', r.body.id)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      expect(row.password_hash).not.toContain(PASSWORD);
    });

    it('rejects bad users with field errors and writes nothing', async () => {
      const email = uniqueEmail('dup');
      await makeUser(s, { email });
      const dup = await s.request('POST', '/api/v1/users', {
        email: email.toUpperCase(),
        role: 'sales',
        password: PASSWORD,
      });
      expect(dup.status).toBe(409);
      expect(dup.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);

      const weak = await s.request('POST', '/api/v1/users', {
        email: uniqueEmail(),
        role: 'sales',
        password: 'short',
      });
      expect(weak.status).toBe(400);
      expect(weak.body.errors).toEqual([
        expect.objectContaining({ field: 'password', message: 'must be at least 10 characters' }),
      ]);

      const badEmail = await s.request('POST', '/api/v1/users', {
        email: 'not-an-email',
        role: 'sales',
        password: PASSWORD,
      });
      expect(badEmail.status).toBe(400);
      expect(badEmail.body.errors[0].field).toBe('email');

      const badRole = await s.request('POST', '/api/v1/users', {
        email: uniqueEmail(),
        role: 'overlord',
        password: PASSWORD,
      });
      expect(badRole.status).toBe(400);
      expect(badRole.body.errors[0].field).toBe('role');

      const salesKey = await s.keyFor('sales');
      const forbidden = await s.request(
        'POST',
        '/api/v1/users',
        { email: uniqueEmail(), role: 'admin', password: PASSWORD },
        { key: salesKey },
      );
      expect(forbidden.status).toBe(403);
    });

    it('signs in with an HttpOnly, SameSite=Strict cookie and tells the browser who it is', async () => {
      const user = await makeUser(s, { role: 'support', name: 'Sam Support' });
      const r = await s.request(
        'POST',
        '/api/v1/session',
        { email: user.email.toUpperCase(), password: PASSWORD },
        { key: null },
      );
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      const setCookie = r.headers.getSetCookie().find((c) => c.startsWith('kibble_session='))!;
      expect(setCookie).toMatch(/; Path=\//);
      expect(setCookie).toMatch(/; HttpOnly/);
      expect(setCookie).toMatch(/; SameSite=Strict/);
      expect(setCookie).not.toMatch(/Secure/);
      expect(r.body).toEqual({
        principal: { kind: 'user', id: user.id, role: 'support', name: 'Sam Support' },
        user: expect.objectContaining({ id: user.id, email: user.email }),
        csrfToken: expect.stringMatching(/^[\w-]{32}$/),
        expiresAt: expect.any(String),
      });

      const cookie = sessionCookieOf(r)!;
      const me = await s.request('GET', '/api/v1/session', undefined, { key: null, headers: { cookie } });
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(user.id);
      expect(me.body.csrfToken).toBe(r.body.csrfToken);

      const behindTls = await s.request(
        'POST',
        '/api/v1/session',
        { email: user.email, password: PASSWORD },
        { key: null, headers: { 'x-forwarded-proto': 'https' } },
      );
      expect(behindTls.headers.getSetCookie().find((c) => c.startsWith('kibble_session='))).toMatch(
        /; Secure/,
      );
    });

    it('answers GET /session for an API key too, without a CSRF token', async () => {
      const me = await s.request('GET', '/api/v1/session');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        principal: { kind: 'key', role: 'admin' },
        user: null,
        csrfToken: null,
      });
      const anonymous = await s.request('GET', '/api/v1/session', undefined, { key: null });
      expect(anonymous.status).toBe(401);
    });

    it('refuses a wrong password or unknown email the same way', async () => {
      const user = await makeUser(s);
      const wrong = await s.request(
        'POST',
        '/api/v1/session',
        { email: user.email, password: 'not the password' },
        { key: null },
      );
      const unknown = await s.request(
        'POST',
        '/api/v1/session',
        { email: uniqueEmail('ghost'), password: 'not the password' },
        { key: null },
      );
      for (const r of [wrong, unknown]) {
        expect(r.status).toBe(401);
        expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(r.body).toMatchObject({
          code: 'INVALID_CREDENTIALS',
          detail: 'The email or password is not right.',
          errors: [{ field: 'password', pointer: '/password', message: 'email or password is not right' }],
        });
        expect(sessionCookieOf(r)).toBeNull();
      }
    });

    it('requires the CSRF token on unsafe cookie requests, and enforces the role', async () => {
      const warehouse = await makeUser(s, { role: 'warehouse' });
      const session = await signIn(s, warehouse.email);
      const code = `CSRF-${Date.now().toString(36)}`.toUpperCase();
      const body = { code, name: 'CSRF test', kind: 'warehouse' };

      const missing = await session.request('POST', '/api/v1/locations', body, { csrf: false });
      expect(missing.status).toBe(403);
      expect(missing.body.code).toBe('CSRF_TOKEN_INVALID');
      const wrong = await session.request('POST', '/api/v1/locations', body, { csrf: 'x'.repeat(32) });
      expect(wrong.status).toBe(403);
      expect((await s.request('GET', `/api/v1/locations/${code}`)).status).toBe(404);

      const read = await session.request('GET', '/api/v1/locations', undefined, { csrf: false });
      expect(read.status).toBe(200);
      const created = await session.request('POST', '/api/v1/locations', body);
      expect(created.status).toBe(201);

      const readonlyUser = await makeUser(s, { role: 'readonly' });
      const readonly = await signIn(s, readonlyUser.email);
      const sku = await makeSku(s);
      const refused = await readonly.request('POST', '/api/v1/stock/movements', {
        type: 'receipt',
        sku: sku.sku,
        location: code,
        quantity: 1,
      });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN');
    });

    it('ignores the cookie when a bearer key is sent, so keys need no CSRF token', async () => {
      const user = await makeUser(s, { role: 'readonly' });
      const session = await signIn(s, user.email);
      const loc = await s.request(
        'POST',
        '/api/v1/locations',
        { code: `KEY-${Date.now().toString(36)}`.toUpperCase(), name: 'Key', kind: 'store' },
        { headers: { cookie: session.cookie } },
      );
      expect(loc.status).toBe(201);
    });

    it('signs out: the session ends and the cookie is cleared', async () => {
      const user = await makeUser(s);
      const session = await signIn(s, user.email);
      const noToken = await session.request('DELETE', '/api/v1/session', undefined, { csrf: false });
      expect(noToken.status).toBe(403);
      expect((await session.request('GET', '/api/v1/session')).status).toBe(200);

      const out = await session.request('DELETE', '/api/v1/session');
      expect(out.status).toBe(204);
      expect(out.headers.getSetCookie().find((c) => c.startsWith('kibble_session='))).toMatch(
        /kibble_session=;.*Expires=Thu, 01 Jan 1970/,
      );
      expect((await session.request('GET', '/api/v1/session')).status).toBe(401);
      // Signing out twice, or without a session, is harmless.
      expect((await session.request('DELETE', '/api/v1/session')).status).toBe(204);
    });

    it('ends every session of a user who is disabled or whose password changes', async () => {
      const admin = await makeUser(s, { role: 'admin' });
      const adminSession = await signIn(s, admin.email);
      const user = await makeUser(s, { role: 'sales' });
      const first = await signIn(s, user.email);

      const selfDisable = await adminSession.request('PATCH', `/api/v1/users/${admin.id}`, {
        disabled: true,
      });
      expect(selfDisable.status).toBe(400);
      expect(selfDisable.body.errors[0].field).toBe('disabled');

      const reset = await adminSession.request('PATCH', `/api/v1/users/${user.id}`, {
        password: 'a brand new password',
      });
      expect(reset.status).toBe(200);
      expect((await first.request('GET', '/api/v1/session')).status).toBe(401);
      await expect(signIn(s, user.email)).rejects.toThrow(/401/);
      const second = await signIn(s, user.email, 'a brand new password');

      const disabled = await adminSession.request('PATCH', `/api/v1/users/${user.id}`, { disabled: true });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabledAt).toEqual(expect.any(String));
      expect((await second.request('GET', '/api/v1/session')).status).toBe(401);
      await expect(signIn(s, user.email, 'a brand new password')).rejects.toThrow(/401/);

      const enabled = await adminSession.request('PATCH', `/api/v1/users/${user.id}`, {
        disabled: false,
        role: 'support',
      });
      expect(enabled.body).toMatchObject({ disabledAt: null, role: 'support' });
      const third = await signIn(s, user.email, 'a brand new password');
      expect(third.user.role).toBe('support');

      const missing = await adminSession.request('PATCH', '/api/v1/users/usr_nope', { disabled: true });
      expect(missing.status).toBe(404);
    });

    it('throttles repeated failed sign-ins for an email', async () => {
      const user = await makeUser(s);
      for (let i = 0; i < 10; i++) {
        const r = await s.request(
          'POST',
          '/api/v1/session',
          { email: user.email, password: `wrong password ${i}` },
          { key: null },
        );
        expect(r.status).toBe(401);
      }
      const blocked = await s.request(
        'POST',
        '/api/v1/session',
        { email: user.email, password: PASSWORD },
        { key: null },
      );
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('TOO_MANY_ATTEMPTS');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('rejects malformed sign-in bodies with 4xx problem+json', async () => {
      for (const body of [
        {},
        { email: 'a@b.co' },
        { email: 'a@b.co', password: 'x', extra: 1 },
        '{not json',
      ]) {
        const r = await s.request('POST', '/api/v1/session', body, {
          key: null,
          headers: { 'content-type': 'application/json' },
        });
        expect(r.status).toBe(400);
        expect(r.headers.get('content-type')).toMatch(/problem\+json/);
      }
      const garbage = await s.request('GET', '/api/v1/session', undefined, {
        key: null,
        headers: { cookie: 'kibble_session=not-a-real-token-at-all-really' },
      });
      expect(garbage.status).toBe(401);
    });

    it('keeps stock and location writes attributed to the signed-in user', async () => {
      const user = await makeUser(s, { role: 'warehouse' });
      const session = await signIn(s, user.email);
      const loc = await makeLocation(s);
      const sku = await makeSku(s);
      const r = await session.request('POST', '/api/v1/stock/movements', {
        type: 'receipt',
        sku: sku.sku,
        location: loc.code,
        quantity: 3,
      });
      expect(r.status).toBe(201);
      expect(r.body.actor).toBe(`user:${user.id}`);
    });
  });
}
