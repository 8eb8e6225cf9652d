import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSessionsApi } from '../../src/admin/sessions-api.js';
import { asCallSid, type BusinessId, type CallSid } from '../../src/ids.js';
import { CallsRepo, SessionsRepo, type CallChannel } from '../../src/store/index.js';
import { MemoryLiveSessions } from '../../src/store/live-sessions/index.js';
import { API_KEY, bearer, startHarness, type Harness } from './support/route-harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GET /sessions and /sessions/:id: live sessions by type', () => {
  let h: Harness;
  const sids: Record<string, CallSid> = {};
  const live = new MemoryLiveSessions();

  beforeAll(async () => {
    h = await startHarness({
      routes: (x) =>
        registerSessionsApi(x.server, {
          access: x.access,
          sessions: new SessionsRepo(x.database.db),
          live,
        }),
    });
    const calls = new CallsRepo(h.database.db);
    const start = async (name: string, businessId: BusinessId, channel: CallChannel, second: number) => {
      sids[name] = asCallSid(`CA${randomBytes(16).toString('hex')}`);
      await calls.create({
        callSid: sids[name],
        businessId,
        channel,
        direction: channel === 'phone' ? 'outbound-api' : 'inbound',
        status: 'in-progress',
        startedAt: new Date(Date.UTC(2026, 11, 7, 12, 0, second)),
      });
    };
    await start('phoneA', h.a, 'phone', 0);
    await start('whatsappA', h.a, 'whatsapp', 1);
    await start('webA', h.a, 'web', 2);
    await start('phoneB', h.b, 'phone', 3);
    await start('endedA', h.a, 'phone', 4);
    // The node serving phoneA keeps its live state in the deployment's store.
    await live.put({
      id: `phone-${sids['phoneA']}`,
      type: 'phone',
      callSid: sids['phoneA']!,
      businessId: h.a,
      nodeId: 'node-b',
      startedAt: '2026-12-07T12:00:00.000Z',
      lastActivityAt: '2026-12-07T12:00:09.000Z',
      turns: 3,
    });
    await calls.recordStatus({
      callSid: sids['endedA']!,
      status: 'completed',
      source: 'status-callback',
      occurredAt: new Date(),
    });
  });
  afterAll(async () => h?.close());

  const get = (url: string, token?: string) =>
    h.server.inject({ method: 'GET', url, ...(token ? { headers: bearer(token) } : {}) });

  it("lists a user's business's live sessions with counts by type (phone, whatsapp, web, chat)", async () => {
    const res = await get('/sessions', h.tokens.ownerA);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Json;
    expect(body.byType).toEqual({ phone: 1, whatsapp: 1, web: 1, chat: 0 });
    expect(body.total).toBe(3);
    expect(body.sessions[0]).toEqual({
      id: `phone-${sids['phoneA']}`,
      type: 'phone',
      callSid: sids['phoneA'],
      status: 'in-progress',
      direction: 'outbound-api',
      startedAt: '2026-12-07T12:00:00.000Z',
      businessId: h.a,
      answeredBy: 'ai',
      node: 'node-b',
      lastActivityAt: '2026-12-07T12:00:09.000Z',
      turns: 3,
    });
    // A session the live store does not hold (yet) is answered from the calls table alone.
    expect(body.sessions[1]).not.toHaveProperty('node');
    expect(body.sessions.map((s: Json) => s.id)).toEqual([
      `phone-${sids['phoneA']}`,
      `whatsapp-${sids['whatsappA']}`,
      `web-${sids['webA']}`,
    ]);
    // Agents watch live calls too.
    expect(((await get('/sessions', h.tokens.agentA)).json() as Json).total).toBe(3);
  });

  it('the API key sees every business, or the one it names; an owner cannot name another', async () => {
    expect(((await get('/sessions', API_KEY)).json() as Json).byType).toEqual({
      phone: 2,
      whatsapp: 1,
      web: 1,
      chat: 0,
    });
    expect(((await get(`/sessions?businessId=${h.b}`, API_KEY)).json() as Json).total).toBe(1);
    expect((await get(`/sessions?businessId=${h.b}`, h.tokens.ownerA)).statusCode).toBe(404);
    expect((await get('/sessions?type=phone', h.tokens.ownerA)).statusCode).toBe(400);
    expect((await get('/sessions')).statusCode).toBe(401);
  });

  it('GET /sessions/:id answers a live one; 404 once ended, for another tenant or the wrong type; 400 for a malformed id', async () => {
    const one = await get(`/sessions/whatsapp-${sids['whatsappA']}`, h.tokens.ownerA);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ type: 'whatsapp', callSid: sids['whatsappA'], status: 'in-progress' });
    expect((await get(`/sessions/phone-${sids['phoneB']}`, API_KEY)).statusCode).toBe(200);
    expect((await get(`/sessions/phone-${sids['phoneA']}`, h.tokens.ownerA)).json()).toMatchObject({
      node: 'node-b',
      turns: 3,
    });

    for (const id of [
      `phone-${sids['endedA']}`,
      `phone-${sids['phoneB']}`,
      `phone-${sids['whatsappA']}`,
      `phone-CA${'0'.repeat(32)}`,
    ]) {
      const res = await get(`/sessions/${id}`, h.tokens.ownerA);
      expect(res.statusCode, id).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: 'No live session with this id.' });
    }
    // Not an id of the form <type>-<CallSid>: refused before anything is looked up.
    for (const id of [sids['phoneA']!, `fax-${sids['phoneA']}`]) {
      const res = await get(`/sessions/${id}`, h.tokens.ownerA);
      expect(res.statusCode, id).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed' });
    }
  });
});
