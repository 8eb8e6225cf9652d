import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PASSWORD = 'a long enough password';

describe('users over the API (/api/users)', () => {
  let s: TestServer;
  let demo: string;
  let other: string;
  const tokens: Record<string, string> = {};

  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, who: string, payload?: Json) =>
    s.app.server.inject({
      method,
      url,
      headers: { authorization: `Bearer ${who === 'key' ? s.app.apiKey : tokens[who]}` },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    s = await startTestServer({}, { stt: null });
    const list = (await req('GET', '/api/business', 'key')).json() as Json;
    demo = list.items[0].id;
    const created = await s.app.server.inject({
      method: 'POST',
      url: '/api/business',
      headers: { authorization: `Bearer ${s.app.apiKey}` },
      payload: { name: 'Bright Smiles Dental', trade: 'dental', timezone: 'America/Chicago' },
    });
    other = (created.json() as Json).business?.id ?? (created.json() as Json).id;
    for (const [name, role, businessId] of [
      ['owner', 'owner', demo],
      ['agent', 'agent', demo],
      ['admin', 'admin', undefined],
      ['otherOwner', 'owner', other],
    ] as const) {
      await s.app.accounts.add({ email: `${name}@example.com`, password: PASSWORD, role, businessId });
      const login = await s.app.server.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: `${name}@example.com`, password: PASSWORD },
        remoteAddress: `10.9.0.${Object.keys(tokens).length + 1}`,
      });
      tokens[name] = (login.json() as Json).token;
    }
  });
  afterAll(async () => s?.stop());

  it('an owner lists the users of their own business only', async () => {
    const res = await req('GET', '/api/users', 'owner');
    expect(res.statusCode).toBe(200);
    const emails = ((res.json() as Json).items as Json[]).map((u) => u.email).sort();
    expect(emails).toEqual(['agent@example.com', 'owner@example.com']);
    expect(JSON.stringify(res.json())).not.toMatch(/password/i);
  });

  it("an owner asking for another business's users gets 404", async () => {
    expect((await req('GET', `/api/users?businessId=${other}`, 'owner')).statusCode).toBe(404);
  });

  it('an agent cannot list or add users (403)', async () => {
    expect((await req('GET', '/api/users', 'agent')).statusCode).toBe(403);
    const add = await req('POST', '/api/users', 'agent', {
      email: 'x@example.com',
      password: PASSWORD,
      role: 'agent',
    });
    expect(add.statusCode).toBe(403);
  });

  it('an owner adds an agent to their business; the agent can sign in', async () => {
    const res = await req('POST', '/api/users', 'owner', {
      email: 'New.Agent@example.com',
      password: PASSWORD,
      role: 'agent',
    });
    expect(res.statusCode).toBe(201);
    expect((res.json() as Json).user).toMatchObject({
      email: 'new.agent@example.com',
      role: 'agent',
      businessId: demo,
    });
    expect(await s.app.accounts.login('new.agent@example.com', PASSWORD)).toBeDefined();
  });

  it('an owner cannot add an admin, nor a user to another business', async () => {
    const admin = await req('POST', '/api/users', 'owner', {
      email: 'a2@example.com',
      password: PASSWORD,
      role: 'admin',
    });
    expect(admin.statusCode).toBe(403);
    const elsewhere = await req('POST', '/api/users', 'owner', {
      email: 'b2@example.com',
      password: PASSWORD,
      role: 'agent',
      businessId: other,
    });
    expect(elsewhere.statusCode).toBe(404);
  });

  it('refuses a second user with the same email (409) and a short password (400)', async () => {
    const dup = await req('POST', '/api/users', 'admin', {
      email: 'OWNER@example.com',
      password: PASSWORD,
      role: 'agent',
      businessId: demo,
    });
    expect(dup.statusCode).toBe(409);
    const weak = await req('POST', '/api/users', 'admin', {
      email: 'weak@example.com',
      password: 'short',
      role: 'agent',
      businessId: demo,
    });
    expect(weak.statusCode).toBe(400);
    expect((weak.json() as Json).message).toMatch(/at least 10 characters/);
  });

  it("an owner cannot remove another business's user (404); an admin can, and that user's token stops working", async () => {
    const users = ((await req('GET', `/api/users?businessId=${other}`, 'admin')).json() as Json)
      .items as Json[];
    const target = users.find((u) => u.email === 'otherowner@example.com')!;
    expect((await req('DELETE', `/api/users/${target.id}`, 'owner')).statusCode).toBe(404);
    expect((await req('DELETE', `/api/users/${target.id}`, 'admin')).statusCode).toBe(204);
    expect((await req('GET', '/api/auth/me', 'otherOwner')).statusCode).toBe(401);
  });

  it('nobody removes themselves', async () => {
    const me = ((await req('GET', '/api/auth/me', 'owner')).json() as Json).user;
    expect((await req('DELETE', `/api/users/${me.id}`, 'owner')).statusCode).toBe(400);
  });
});
