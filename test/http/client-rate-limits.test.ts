import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerClientRateLimits, type ClientRateLimitOptions } from '../../src/http/client-rate-limits.js';
import { registerErrorHandling } from '../../src/http/errors.js';
import { Metrics } from '../../src/http/metrics.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * Per client address, per minute: HTTP requests and WebSocket upgrades, refused with 429 in the
 * one error shape with Retry-After; probes never limited; routes with their own limits keep them;
 * with Redis every node counts together, and a Redis outage refuses nothing.
 */

const silent = { warn() {} };
const apps: FastifyInstance[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const a of apps.splice(0)) await a.close();
});

async function serve(
  opts: Partial<ClientRateLimitOptions> = {},
  extra?: (app: FastifyInstance) => Promise<void>,
) {
  const app = Fastify();
  apps.push(app);
  registerErrorHandling(app);
  await app.register(websocket);
  const metrics = new Metrics();
  await registerClientRateLimits(app, {
    httpRequestsPerMinute: 3,
    wsUpgradesPerMinute: 2,
    log: silent,
    metrics,
    ...opts,
  });
  app.get('/api/thing', async () => ({ ok: true }));
  for (const path of ['/health', '/health/metrics', '/metrics']) app.get(path, async () => ({ ok: true }));
  app.get('/chat', { websocket: true }, (socket) => {
    socket.on('message', () => socket.send('ok'));
  });
  await extra?.(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base, metrics };
}

const upgrade = (url: string) =>
  new Promise<{ opened: true } | { opened: false; status: number; retryAfter?: string; body: string }>(
    (resolve) => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      ws.once('open', () => resolve({ opened: true }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({
            opened: false,
            status: res.statusCode ?? 0,
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
            body,
          }),
        );
      });
      ws.on('error', () => undefined);
    },
  );

describe('HTTP requests per address per minute', () => {
  it('past the limit: 429 rate_limited in the error shape with Retry-After, counted in the metrics', async () => {
    const { base, metrics } = await serve();
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/api/thing`)).status).toBe(200);
    const refused = await fetch(`${base}/api/thing`);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      error: 'rate_limited',
      message: expect.stringMatching(
        /^Too many requests from this address \(at most 3 a minute\); try again in \d+ s\.$/,
      ),
    });
    expect((await metrics.rateLimited.get()).values).toEqual([
      expect.objectContaining({ labels: { scope: 'http' }, value: 1 }),
    ]);
  });

  it('never limits the probes: /health, /health/metrics and /metrics', async () => {
    const { base } = await serve();
    for (let i = 0; i < 10; i++)
      for (const path of ['/health', '/health/metrics', '/metrics'])
        expect((await fetch(`${base}${path}`)).status).toBe(200);
    expect((await fetch(`${base}/api/thing`)).status).toBe(200);
  });

  it('Twilio is not limited on its signed routes (their own check refuses forgeries); the header opens no other route', async () => {
    const { base } = await serve({}, async (app) => {
      app.post('/twilio/voice', async () => 'ok');
      app.post('/whatsapp/send', async () => 'ok');
    });
    const signed = { method: 'POST', headers: { 'x-twilio-signature': 'sig' } };
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/twilio/voice`, signed)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/whatsapp/send`, signed)).status).toBe(200);
    expect((await fetch(`${base}/whatsapp/send`, signed)).status).toBe(429);
    expect((await fetch(`${base}/twilio/voice`, { method: 'POST' })).status).toBe(429);
  });

  it('0 turns it off', async () => {
    const { base } = await serve({ httpRequestsPerMinute: 0 });
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/api/thing`)).status).toBe(200);
  });

  it('a route with its own limit keeps it and its code, also when a route file registers the plugin again (global: false)', async () => {
    const { base } = await serve({ httpRequestsPerMinute: 100 }, async (app) => {
      // As src/admin/auth-api.ts does; src/telephony/web/room-routes.ts skips it when hasPlugin says so.
      await app.register(rateLimit, { global: false });
      app.post('/login', { config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, async () => ({
        ok: true,
      }));
    });
    for (let i = 0; i < 2; i++) expect((await fetch(`${base}/login`, { method: 'POST' })).status).toBe(200);
    const refused = await fetch(`${base}/login`, { method: 'POST' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(((await refused.json()) as { error: string }).error).toBe('too_many_requests');
    // The per-address limit counted those three too, and is far from its 100.
    expect((await fetch(`${base}/api/thing`)).status).toBe(200);
  });
});

describe('WebSocket upgrades per address per minute', () => {
  it('past the limit the upgrade is refused before it happens: 429 rate_limited with Retry-After', async () => {
    const { base, metrics } = await serve();
    const ws = base.replace(/^http/, 'ws');
    expect(await upgrade(`${ws}/chat`)).toEqual({ opened: true });
    expect(await upgrade(`${ws}/chat`)).toEqual({ opened: true });
    const refused = await upgrade(`${ws}/chat`);
    expect(refused).toMatchObject({ opened: false, status: 429, retryAfter: expect.stringMatching(/^\d+$/) });
    if (!refused.opened) expect(JSON.parse(refused.body)).toMatchObject({ error: 'rate_limited' });
    expect((await metrics.rateLimited.get()).values).toEqual([
      expect.objectContaining({ labels: { scope: 'ws-upgrade' }, value: 1 }),
    ]);
  });

  it('Twilio streams are not limited: an upgrade to a Twilio stream route with a signature goes through', async () => {
    const { base } = await serve({}, async (app) => {
      app.get('/twilio/stream', { websocket: true }, () => undefined);
    });
    const ws = base.replace(/^http/, 'ws');
    const signed = () =>
      new Promise<boolean>((resolve) => {
        const s = new WebSocket(`${ws}/twilio/stream`, { headers: { 'x-twilio-signature': 'sig' } });
        sockets.push(s);
        s.once('open', () => resolve(true));
        s.once('unexpected-response', () => resolve(false));
        s.on('error', () => undefined);
      });
    for (let i = 0; i < 5; i++) expect(await signed()).toBe(true);
  });

  it('upgrades do not use up the HTTP limit', async () => {
    const { base } = await serve({ wsUpgradesPerMinute: 10 });
    const ws = base.replace(/^http/, 'ws');
    for (let i = 0; i < 5; i++) expect(await upgrade(`${ws}/chat`)).toEqual({ opened: true });
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/api/thing`)).status).toBe(200);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl)('with Redis: several nodes count together (TEST_REDIS_URL)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl!, { keyPrefix: `test:client-limits:${randomUUID()}:` });
  });
  afterAll(async () => {
    const prefix = redis.options.keyPrefix ?? '';
    const keys = await redis.keys(`${prefix}*`);
    // keys() answers with the prefix; del() adds it again.
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
  });

  it('two nodes on one Redis share the HTTP and the upgrade limits of an address', async () => {
    const a = await serve({ redis });
    const b = await serve({ redis });
    expect((await fetch(`${a.base}/api/thing`)).status).toBe(200);
    expect((await fetch(`${b.base}/api/thing`)).status).toBe(200);
    expect((await fetch(`${a.base}/api/thing`)).status).toBe(200);
    expect((await fetch(`${b.base}/api/thing`)).status).toBe(429);

    expect(await upgrade(`${a.base.replace(/^http/, 'ws')}/chat`)).toEqual({ opened: true });
    expect(await upgrade(`${b.base.replace(/^http/, 'ws')}/chat`)).toEqual({ opened: true });
    expect(await upgrade(`${a.base.replace(/^http/, 'ws')}/chat`)).toMatchObject({
      opened: false,
      status: 429,
    });
  });
});

describe('when the shared Redis is down', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.close());

  it('nothing is refused for the outage: HTTP goes through, upgrades count on this node', async () => {
    const redis = new Redis(server.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
    });
    // The client reports the outage as error events; the limits must simply go on.
    redis.on('error', () => undefined);
    try {
      const { base } = await serve({ redis, httpRequestsPerMinute: 2, wsUpgradesPerMinute: 5 });
      await server.kill();
      for (let i = 0; i < 6; i++) expect((await fetch(`${base}/api/thing`)).status).toBe(200);
      for (let i = 0; i < 5; i++)
        expect(await upgrade(`${base.replace(/^http/, 'ws')}/chat`)).toEqual({ opened: true });
      expect(await upgrade(`${base.replace(/^http/, 'ws')}/chat`)).toMatchObject({
        opened: false,
        status: 429,
      });
    } finally {
      redis.disconnect();
    }
  });
});
