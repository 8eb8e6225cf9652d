import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMonitoringApi } from '../../src/admin/monitoring-api.js';
import { registerHealthRoutes } from '../../src/http/health.js';
import { Metrics } from '../../src/http/metrics.js';
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
            // The node's report as /health makes it.
            node: registerHealthRoutes(x.server, {
              metrics: new Metrics(),
              startedAt: new Date(Date.now() - 90_000),
              activeSessions: () => 1,
              totalActiveSessions: async () => 7,
              redis: () => ({ connected: true, reconnectAttempts: 0 }),
              dependencies: async () => ({ database: { status: databaseUp ? 'embedded' : 'down' } }),
              watch: { webSocketPingIntervalMs: 30_000, maxMemoryUsageMb: 16_384, memoryMonitoring: false },
              log: { info() {}, warn() {} },
            }),
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
      status: 'healthy',
      calls: {
        live: 1,
        items: [{ callSid: 'CA0000000000000000000000000000000a', startedAt: '2026-12-06T12:00:00.000Z' }],
      },
      redis: { connected: true, reconnectAttempts: 0, configured: true },
      sessions: { activeVoiceSessions: 1, totalActiveSessions: 7 },
      webSocket: { activeConnections: 0, totalMessages: 0, byKind: {} },
      dependencies: { database: { status: 'embedded' } },
    });
    expect(body).not.toHaveProperty('webSocket.connections');
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(90);
    expect(body.memory.heapUsedPercent).toBeGreaterThan(0);
    expect(body.memory.heapUsedPercent).toBeLessThanOrEqual(100);
  });

  it('agents of the business see it too (watching is their job)', async () => {
    expect((await get('/api/monitoring', h.tokens.agentA)).statusCode).toBe(200);
  });

  it('says unhealthy, with the reason, when the database is down', async () => {
    databaseUp = false;
    try {
      expect((await get('/api/monitoring', h.tokens.ownerA)).json()).toMatchObject({
        status: 'unhealthy',
        reasons: ['database-down'],
      });
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
