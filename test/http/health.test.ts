import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerHealthRoutes, type HealthSources } from '../../src/http/health.js';
import { Metrics } from '../../src/http/metrics.js';

/**
 * GET /health per seed 004: status (healthy; degraded with 200 while the node still serves
 * calls; unhealthy with 503 when the database is down), memory in MB, redis, sessions and
 * WebSockets; ?connections=true lists the open sockets without caller data. /health/metrics and
 * /metrics carry the same figures for scrapers.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const silent = { info() {}, warn() {} };

let app: FastifyInstance | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await app?.close();
  app = undefined;
});

interface World {
  database: 'embedded' | 'up' | 'down';
  stt: 'up' | 'down' | 'disabled';
  redis: { connected: boolean; reconnectAttempts: number } | undefined;
  liveCalls: number;
  allSessions: number | Error;
}

async function serve(over: Partial<HealthSources> = {}, world: Partial<World> = {}) {
  const w: World = {
    database: 'embedded',
    stt: 'up',
    redis: undefined,
    liveCalls: 0,
    allSessions: 0,
    ...world,
  };
  app = Fastify();
  await app.register(websocket);
  const metrics = new Metrics();
  const node = registerHealthRoutes(app, {
    metrics,
    startedAt: new Date(Date.now() - 42_000),
    activeSessions: () => w.liveCalls,
    totalActiveSessions: async () => {
      if (w.allSessions instanceof Error) throw w.allSessions;
      return w.allSessions;
    },
    redis: () => w.redis,
    dependencies: async () => ({
      database: { status: w.database, detail: 'pglite' },
      stt: { status: w.stt },
    }),
    watch: { webSocketPingIntervalMs: 30_000, maxMemoryUsageMb: 16_384, memoryMonitoring: false },
    log: silent,
    ...over,
  });
  app.get('/chat', { websocket: true }, (socket) => {
    socket.on('message', () => socket.send('ok'));
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: (await res.json()) as Json };
  };
  return { w, node, get, base, metrics };
}

describe('GET /health', () => {
  it('healthy: the seed’s shape (heap in MB), redis not configured on the embedded default, uptime and dependencies', async () => {
    const { get } = await serve({}, { liveCalls: 2, allSessions: 5 });
    const { status, body } = await get('/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'healthy',
      memory: {
        heapUsed: expect.any(Number),
        heapTotal: expect.any(Number),
        heapUsedPercent: expect.any(Number),
        rss: expect.any(Number),
        maxMemoryUsage: 16_384,
      },
      redis: { connected: false, reconnectAttempts: 0, configured: false },
      sessions: { activeVoiceSessions: 2, totalActiveSessions: 5 },
      webSocket: { activeConnections: 0, totalMessages: 0, byKind: {} },
      database: { status: 'embedded', detail: 'pglite' },
      stt: { status: 'up' },
    });
    expect(body).not.toHaveProperty('reasons');
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(42);
    expect(Date.parse(body.timestamp)).toBeGreaterThan(0);
    // MB, one decimal: a heap of a few hundred bytes' precision is noise.
    expect(body.memory.heapUsed).toBeLessThan(body.memory.heapTotal);
    expect(body.memory.heapUsed).toBeGreaterThan(1);
    // From the exact bytes: the MB shown are rounded, so their ratio may differ by a point.
    expect(
      Math.abs(body.memory.heapUsedPercent - (body.memory.heapUsed / body.memory.heapTotal) * 100),
    ).toBeLessThanOrEqual(1);
  });

  it('Redis configured and connected is healthy; disconnected is degraded with 200 and the attempts so far', async () => {
    const { w, get } = await serve({}, { redis: { connected: true, reconnectAttempts: 0 } });
    expect((await get('/health')).body).toMatchObject({
      status: 'healthy',
      redis: { connected: true, reconnectAttempts: 0, configured: true },
    });
    w.redis = { connected: false, reconnectAttempts: 3 };
    const { status, body } = await get('/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'degraded',
      reasons: ['redis-disconnected'],
      redis: { connected: false, reconnectAttempts: 3, configured: true },
    });
  });

  it('a heap over MAX_MEMORY_USAGE_MB is degraded (200)', async () => {
    const { get } = await serve({
      watch: { webSocketPingIntervalMs: 30_000, maxMemoryUsageMb: 1, memoryMonitoring: false },
    });
    const { status, body } = await get('/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'degraded', reasons: ['memory-over-limit'] });
  });

  it('a provider down is degraded (200); the database down is unhealthy (503: route calls elsewhere)', async () => {
    const { w, get } = await serve({}, { stt: 'down' });
    expect(await get('/health')).toMatchObject({
      status: 200,
      body: { status: 'degraded', reasons: ['stt-down'] },
    });
    w.database = 'down';
    expect(await get('/health')).toMatchObject({
      status: 503,
      body: { status: 'unhealthy', reasons: ['database-down', 'stt-down'], database: { status: 'down' } },
    });
  });

  it('a node shutting down is draining (503: the balancer stops sending calls) while its live calls go on', async () => {
    let draining = false;
    const { get } = await serve({ draining: () => draining }, { liveCalls: 2 });
    expect((await get('/health')).status).toBe(200);
    draining = true;
    expect(await get('/health')).toMatchObject({
      status: 503,
      body: { status: 'draining', reasons: ['shutting-down'], sessions: { activeVoiceSessions: 2 } },
    });
  });

  it('a live-sessions store that fails counts this node’s calls instead of failing the probe', async () => {
    const { get } = await serve({}, { liveCalls: 3, allSessions: new Error('redis gone') });
    expect((await get('/health')).body.sessions).toEqual({ activeVoiceSessions: 3, totalActiveSessions: 3 });
  });

  it('counts WebSockets and their messages; ?connections=true lists each with its kind and masked address, nothing else', async () => {
    const { get, base } = await serve();
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/chat`);
    clients.push(ws);
    await new Promise((r) => ws.once('open', r));
    const answered = new Promise((r) => ws.once('message', r));
    ws.send('{"type":"hello","text":"my name is Jane"}');
    await answered;

    const plain = (await get('/health')).body;
    expect(plain.webSocket).toEqual({ activeConnections: 1, totalMessages: 1, byKind: { chat: 1 } });

    const listed = (await get('/health?connections=true')).body;
    expect(listed.webSocket.connections).toEqual([
      {
        kind: 'chat',
        remoteAddress: '127.0.0.x',
        openedAt: expect.any(String),
        messagesIn: 1,
        messagesOut: 1,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain('Jane');
    // Counted per message as plain sums; /metrics reads them when scraped.
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'switchboard_websocket_messages_total{kind="chat"} 1',
    );
  });
});

describe('GET /health/metrics and /metrics', () => {
  it('carry the health figures as gauges: memory over the limit, Redis, sessions, WebSockets, refused calls', async () => {
    const { get, base, metrics } = await serve(
      {},
      { redis: { connected: false, reconnectAttempts: 2 }, liveCalls: 1, allSessions: 4 },
    );
    metrics.refusedCalls.inc({ reason: 'over-capacity', at: 'webhook' });
    const json = (await get('/health/metrics')).body;
    expect(json).toMatchObject({
      switchboard_memory_over_limit: 0,
      switchboard_redis_connected: 0,
      switchboard_redis_reconnect_attempts: 2,
      switchboard_active_sessions: expect.arrayContaining([
        expect.objectContaining({ labels: { scope: 'voice' }, value: 1 }),
        expect.objectContaining({ labels: { scope: 'total' }, value: 4 }),
      ]),
      switchboard_calls_refused_total: [
        expect.objectContaining({ labels: { reason: 'over-capacity', at: 'webhook' }, value: 1 }),
      ],
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'switchboard_memory_over_limit 0',
      'switchboard_redis_connected 0',
      'switchboard_active_sessions{scope="total"} 4',
      '# TYPE switchboard_websocket_active_connections gauge',
      '# TYPE switchboard_websocket_messages_total counter',
      '# TYPE switchboard_websocket_terminated_total counter',
    ])
      expect(text).toContain(name);
  });
});
