import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryOnceKeys, RedisOnceKeys } from '../../../src/store/once/index.js';
import { openRedis, type RedisConnection } from '../../../src/store/redis/index.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../../support/redis-env.js';
import { startRedisServer } from '../../support/redis-server.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function connect(url: string): Promise<RedisConnection> {
  const conn = openRedis(url, { log: recordingLogger(), name: 'once-test', healthCheckIntervalMs: 0 });
  cleanup.push(() => conn.close());
  await vi.waitFor(() => expect(conn.state().connected).toBe(true), { timeout: 5000 });
  return conn;
}

describe.skipIf(!testRedisUrl)(`RedisOnceKeys${redisSkipReason ? ` (${redisSkipReason})` : ''}`, () => {
  it('a key is won by exactly one of several nodes claiming it at once, and expires', async () => {
    const prefix = uniquePrefix('once');
    const nodes = await Promise.all(
      [1, 2, 3].map(async () => new RedisOnceKeys({ connection: await connect(testRedisUrl!), prefix })),
    );
    const wins = await Promise.all(
      nodes.flatMap((n) => [n.claim('ticket-1', 300), n.claim('ticket-1', 300)]),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await nodes[0]!.claim('ticket-2', 300)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    // Expired in Redis: another node may claim it again (its own memory never saw it).
    expect(await nodes[1]!.claim('ticket-2', 300)).toBe(true);
  });

  it('while Redis is down it answers from memory: one use per node, and a token this node spent before stays spent', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.close());
    const prefix = uniquePrefix('once');
    const [connA, connB] = [await connect(server.url), await connect(server.url)];
    const a = new RedisOnceKeys({ connection: connA, prefix, fallback: new MemoryOnceKeys() });
    const b = new RedisOnceKeys({ connection: connB, prefix });
    expect(await a.claim('spent-before', 60_000)).toBe(true);

    await server.kill();
    const started = Date.now();
    expect(await a.claim('spent-before', 60_000)).toBe(false);
    expect(await a.claim('during', 60_000)).toBe(true);
    expect(await a.claim('during', 60_000)).toBe(false);
    expect(await b.claim('during', 60_000)).toBe(true); // the documented price of an outage
    expect(Date.now() - started).toBeLessThan(1000);

    await server.restart(); // empty
    await vi.waitFor(() => expect(connA.state().connected && connB.state().connected).toBe(true), {
      timeout: 5000,
    });
    expect(await a.claim('spent-before', 60_000)).toBe(false); // memory still remembers
    expect(await a.claim('after', 60_000)).toBe(true);
    expect(await b.claim('after', 60_000)).toBe(false); // shared again
  });
});
