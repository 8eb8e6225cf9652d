import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateCounter, RedisRateCounter } from '../../../src/store/rate/index.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const url = process.env.TEST_REDIS_URL;
const silent = { warn() {} };

describe.skipIf(!url)('RedisRateCounter (TEST_REDIS_URL)', () => {
  let a: Redis;
  let b: Redis;
  // Our own prefix on the shared Redis: other tests use it too.
  const prefix = `test:rate:${randomUUID()}:`;

  beforeAll(() => {
    a = new Redis(url!, { lazyConnect: false });
    b = new Redis(url!, { lazyConnect: false });
  });
  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  });

  it('two nodes count together: the limit holds across both', async () => {
    const nodeA = new RedisRateCounter({ redis: a, prefix, log: silent });
    const nodeB = new RedisRateCounter({ redis: b, prefix, log: silent });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? nodeA : nodeB).hit('biz', 4, 60_000)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(4);
    const refused = results.filter((r) => !r.allowed);
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expect(r.retryAfterMs).toBeGreaterThan(55_000);
      expect(r.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
  });

  it('the window expires in Redis, and a key left without a TTL gets one', async () => {
    const counter = new RedisRateCounter({ redis: a, prefix, log: silent });
    expect((await counter.hit('short', 1, 150)).allowed).toBe(true);
    expect((await counter.hit('short', 1, 150)).allowed).toBe(false);
    expect(await a.pttl(`${prefix}short`)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect((await counter.hit('short', 1, 150)).allowed).toBe(true);

    await a.set(`${prefix}stuck`, '5');
    expect((await counter.hit('stuck', 1, 60_000)).allowed).toBe(false);
    expect(await a.pttl(`${prefix}stuck`)).toBeGreaterThan(0);
  });
});

describe('RedisRateCounter when Redis is down', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.close());

  it('counts in memory instead (never refuses for the outage), warns once, and uses Redis again once back', async () => {
    const redis = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    redis.on('error', () => undefined);
    const warnings: string[] = [];
    const fallback = new MemoryRateCounter();
    const counter = new RedisRateCounter({
      redis,
      log: { warn: (_o, m) => warnings.push(String(m)) },
      fallback,
    });
    const ready = () =>
      new Promise<void>((resolve) =>
        redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve()),
      );
    try {
      await ready();
      expect((await counter.hit('k', 2, 60_000)).allowed).toBe(true);
      await server.kill();
      await new Promise((r) => setTimeout(r, 100));
      const during = [];
      for (let i = 0; i < 3; i++) during.push(await counter.hit('k', 2, 60_000));
      // The fallback counts on its own: two allowed, the third refused by this node.
      expect(during.map((r) => r.allowed)).toEqual([true, true, false]);
      expect(warnings).toHaveLength(1);
      await server.restart();
      await new Promise<void>((resolve) =>
        redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve()),
      );
      expect((await counter.hit('k', 2, 60_000)).allowed).toBe(true);
      expect(await redis.get('sb:rate:k')).toBe('1');
    } finally {
      redis.disconnect();
    }
  });
});
