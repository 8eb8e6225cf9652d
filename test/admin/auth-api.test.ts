import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('signing in (POST /api/auth/login, the session cookie, CSRF)', () => {
  let s: TestServer;
  const password = 'correct horse battery';

  beforeAll(async () => {
    s = await startTestServer({ LOGIN_ATTEMPTS_PER_MINUTE: '5' }, { stt: null });
    await s.app.accounts.add({ email: 'Owner@Example.com', password, role: 'owner' });
  });
  afterAll(async () => s?.stop());

  const login = (email: string, pw: string, ip = '127.0.0.1') =>
    s.app.server.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: pw },
      remoteAddress: ip,
    });

  it('answers {token} and sets an HTTP-only, SameSite=Strict session cookie', async () => {
    const res = await login('owner@example.com', password);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Json;
    expect(body.token).toMatch(/^ey/);
    expect(body.user).toMatchObject({ email: 'owner@example.com', role: 'owner' });
    expect(body.user.passwordHash).toBeUndefined();
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/sb_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it('refuses a wrong password and an unknown email alike (401 invalid_credentials)', async () => {
    const wrong = await login('owner@example.com', 'not the password', '10.0.0.2');
    const unknown = await login('nobody@example.com', password, '10.0.0.3');
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('the bearer token opens the API; /api/auth/me says who it is', async () => {
    const { token } = (await login('owner@example.com', password, '10.0.0.4')).json() as Json;
    const me = await s.app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.statusCode).toBe(200);
    expect((me.json() as Json).user.email).toBe('owner@example.com');
  });

  it('a change made with the cookie needs the CSRF token; with it, it goes through', async () => {
    const res = await login('owner@example.com', password, '10.0.0.5');
    const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
    const me = await s.app.server.inject({ method: 'GET', url: '/api/auth/me', cookies });
    expect(me.statusCode).toBe(200);
    const csrfCookies = Object.fromEntries([...res.cookies, ...me.cookies].map((c) => [c.name, c.value]));
    const { csrfToken } = me.json() as Json;
    const withoutToken = await s.app.server.inject({
      method: 'POST',
      url: '/api/auth/logout-everywhere',
      cookies: csrfCookies,
    });
    expect(withoutToken.statusCode).toBe(403);
    expect((withoutToken.json() as Json).error).toBe('csrf_failed');
    const withToken = await s.app.server.inject({
      method: 'POST',
      url: '/api/auth/logout-everywhere',
      cookies: csrfCookies,
      headers: { 'x-csrf-token': csrfToken },
    });
    expect(withToken.statusCode).toBe(204);
    // Every session of the user ended, the cookie's too.
    const after = await s.app.server.inject({ method: 'GET', url: '/api/auth/me', cookies: csrfCookies });
    expect(after.statusCode).toBe(401);
  });

  it('limits sign-in attempts per email, whatever the address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await login('target@example.com', 'guess' + i, `10.1.0.${i}`)).statusCode);
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes.slice(5)).toEqual([429, 429]);
  });

  it('limits sign-in attempts per address, whatever the email', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await login(`u${i}@example.com`, 'guess', '10.2.0.1')).statusCode);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(2);
  });
});
