import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMonitoringApi } from '../../src/admin/monitoring-api.js';
import { API_KEY, startHarness, type Harness } from './support/route-harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GET /api/monitoring: health and WebSocket monitoring, a PRO feature', () => {
  let h: Harness;
  let databaseUp = true;

  beforeAll(async () => {
    // B is on BASIC: no monitoring there.
    h = await startHarness({
      planB: 'BASIC',
      routes: (x) =>
        registerMonitoringApi(x.server, {
          access: x.access,
          db: x.database.db,
          sources: {
            startedAt: new Date(Date.now() - 90_000),
            webSockets: () => ({ twilio: 3 }),
            dependencies: async () => ({ database: { status: databaseUp ? 'embedded' : 'down' } }),
            liveCalls: (businessId) =>
              businessId === x.a
                ? [{ callSid: 'CA0000000000000000000000000000000a', startedAt: Date.UTC(2026, 11, 6, 12) }]
                : [],
          },
        }),
    });
  });
  afterAll(async () => h?.close());

  const get = (url: string, token: string) =>
    h.server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it("shows a PRO business's owner the node's health, its WebSockets and the business's live calls", async () => {
    const res = await get('/api/monitoring', h.tokens.ownerA);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Json;
    expect(body).toMatchObject({
      status: 'ok',
      calls: {
        live: 1,
        items: [{ callSid: 'CA0000000000000000000000000000000a', startedAt: '2026-12-06T12:00:00.000Z' }],
      },
      webSocket: { activeConnections: 3, byKind: { twilio: 3 } },
      dependencies: { database: { status: 'embedded' } },
    });
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(90);
    expect(body.memory.heapUsedPercent).toBeGreaterThan(0);
    expect(body.memory.heapUsedPercent).toBeLessThanOrEqual(100);
  });

  it('agents of the business see it too (watching is their job)', async () => {
    expect((await get('/api/monitoring', h.tokens.agentA)).statusCode).toBe(200);
  });

  it('says degraded when a dependency is down', async () => {
    databaseUp = false;
    try {
      expect(((await get('/api/monitoring', h.tokens.ownerA)).json() as Json).status).toBe('degraded');
    } finally {
      databaseUp = true;
    }
  });

  it('refuses a business whose plan has no monitoring with 403 plan_required', async () => {
    const res = await get('/api/monitoring', h.tokens.ownerB);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: 'plan_required',
      message: 'Health and WebSocket monitoring need the PRO plan.',
    });
  });

  it("answers 404 for another business's monitoring, and asks the API key to name a business", async () => {
    expect((await get(`/api/monitoring?businessId=${h.b}`, h.tokens.ownerA)).statusCode).toBe(404);
    const key = await get('/api/monitoring', API_KEY);
    expect(key.statusCode).toBe(400);
    expect((await get(`/api/monitoring?businessId=${h.a}`, API_KEY)).statusCode).toBe(200);
  });

  it('refuses anyone not signed in', async () => {
    expect((await h.server.inject({ method: 'GET', url: '/api/monitoring' })).statusCode).toBe(401);
  });
});
