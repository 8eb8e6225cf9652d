import { afterEach, describe, expect, it, vi } from 'vitest';
import { asBusinessId } from '../../../src/ids.js';
import { RedisLiveSessions, type LiveSessionRecord } from '../../../src/store/live-sessions/index.js';
import { openRedis, type RedisConnection } from '../../../src/store/redis/index.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../../support/redis-env.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { record } from './records.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function connect(url: string, wait = true): Promise<RedisConnection> {
  const conn = openRedis(url, { log: recordingLogger(), name: 'live-test', healthCheckIntervalMs: 0 });
  cleanup.push(() => conn.close());
  if (wait) await vi.waitFor(() => expect(conn.state().connected).toBe(true), { timeout: 5000 });
  return conn;
}

async function store(
  url: string,
  nodeId: string,
  prefix: string,
  more: { ttlMs?: number; heartbeatMs?: number; readTimeoutMs?: number } = {},
) {
  const connection = await connect(url);
  const log = recordingLogger();
  const s = new RedisLiveSessions({ connection, nodeId, prefix, log, ...more });
  cleanup.push(() => s.close());
  return { s, connection, log };
}

async function privateServer(args?: string[]): Promise<RedisServer> {
  const server = await startRedisServer({ args });
  cleanup.push(() => server.close());
  return server;
}

/** What Redis holds under the prefix: the records and the members of each index. */
async function inRedis(conn: RedisConnection, prefix: string) {
  const keys = (await conn.client.keys(`${prefix}*`)).sort();
  const records: Record<string, LiveSessionRecord> = {};
  const indexes: Record<string, string[]> = {};
  for (const k of keys) {
    const name = k.slice(prefix.length);
    if (name.startsWith('s:')) records[name.slice(2)] = JSON.parse((await conn.client.get(k))!);
    else indexes[name] = (await conn.client.zrange(k, 0, -1)).sort();
  }
  return { records, indexes };
}

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 4, 0, s)).toISOString();

describe.skipIf(!testRedisUrl)(`RedisLiveSessions${redisSkipReason ? ` (${redisSkipReason})` : ''}`, () => {
  it('two nodes share one view: count, list by business (oldest first) and get see both nodes’ sessions', async () => {
    const prefix = uniquePrefix('live');
    const a = await store(testRedisUrl!, 'node-a', prefix);
    const b = await store(testRedisUrl!, 'node-b', prefix);
    await a.s.put(record('CA1', { startedAt: at(1) }));
    await a.s.put(record('CA3', { startedAt: at(3), businessId: asBusinessId('b2') }));
    await b.s.put(record('CA2', { startedAt: at(2), nodeId: 'node-b', turns: 3 }));
    await a.s.flush();
    await b.s.flush();

    for (const view of [a.s, b.s]) {
      expect(await view.count()).toBe(3);
      expect((await view.list(asBusinessId('b1'))).map((r) => [r.id, r.nodeId])).toEqual([
        ['phone-CA1', 'node-a'],
        ['phone-CA2', 'node-b'],
      ]);
      expect((await view.list()).map((r) => r.id)).toEqual(['phone-CA1', 'phone-CA2', 'phone-CA3']);
      expect(await view.get('phone-CA2')).toMatchObject({ nodeId: 'node-b', turns: 3 });
    }
    await b.s.remove('phone-CA2');
    expect(await b.s.count()).toBe(2); // its own change counts before it reaches Redis
    await b.s.flush();
    expect(await a.s.get('phone-CA2')).toBeUndefined();
    expect(await a.s.count()).toBe(2);
    expect(a.s.degraded).toBe(false);
  });

  it('a crashed node’s sessions leave the counts once their TTL passes; a live node’s heartbeat keeps its own', async () => {
    const prefix = uniquePrefix('live');
    const a = await store(testRedisUrl!, 'node-a', prefix, { ttlMs: 400, heartbeatMs: 100 });
    // node-b "crashes": it never refreshes after its first write.
    const b = await store(testRedisUrl!, 'node-b', prefix, { ttlMs: 400, heartbeatMs: 3_600_000 });
    await a.s.put(record('CA1'));
    await b.s.put(record('CA2', { nodeId: 'node-b' }));
    await a.s.flush();
    await b.s.flush();
    expect(await a.s.count()).toBe(2);
    await new Promise((r) => setTimeout(r, 900));
    expect(await a.s.count()).toBe(1);
    expect((await a.s.list()).map((r) => r.id)).toEqual(['phone-CA1']);
    expect(await a.s.get('phone-CA2')).toBeUndefined();
  });

  it('Redis killed mid-call: writes go to memory, reads answer from memory (degraded); after restart Redis holds exactly the node’s truth', async () => {
    const server = await privateServer();
    const prefix = uniquePrefix('live');
    const a = await store(server.url, 'node-a', prefix);
    const raw = await connect(server.url);
    await a.s.put(record('CA1'));
    await a.s.put(record('CA2'));
    await a.s.flush();

    await server.kill();
    await vi.waitFor(() => expect(a.s.degraded).toBe(true));
    const started = Date.now();
    await a.s.put(record('CA1', { turns: 5, lastActivityAt: at(30) }));
    await a.s.remove('phone-CA2');
    await a.s.put(record('CA3', { type: 'whatsapp' }));
    expect(await a.s.count()).toBe(2);
    expect((await a.s.list()).map((r) => r.id)).toEqual(['phone-CA1', 'whatsapp-CA3']);
    expect(await a.s.get('phone-CA1')).toMatchObject({ turns: 5 });
    expect(Date.now() - started).toBeLessThan(1000); // never waits on the dead Redis

    await server.restart(); // comes back empty
    await vi.waitFor(() => expect(a.s.degraded).toBe(false), { timeout: 5000 });
    await vi.waitFor(async () => expect(Object.keys((await inRedis(raw, prefix)).records)).toHaveLength(2), {
      timeout: 5000,
    });
    await a.s.flush();
    const truth = await inRedis(raw, prefix);
    expect(truth.records).toEqual({
      'phone-CA1': record('CA1', { turns: 5, lastActivityAt: at(30) }),
      'whatsapp-CA3': record('CA3', { type: 'whatsapp' }),
    });
    expect(truth.indexes).toEqual({
      all: ['phone-CA1', 'whatsapp-CA3'],
      'b:b1': ['phone-CA1', 'whatsapp-CA3'],
      'n:node-a': ['phone-CA1', 'whatsapp-CA3'],
    });
  });

  it('a Redis that comes back with its old data: what the node removed meanwhile is deleted there', async () => {
    // Persistence on: the restart keeps what was written before the kill.
    const server = await privateServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    const prefix = uniquePrefix('live');
    const a = await store(server.url, 'node-a', prefix);
    const raw = await connect(server.url);
    await a.s.put(record('CA1'));
    await a.s.put(record('CA2'));
    await a.s.flush();

    await server.kill();
    await vi.waitFor(() => expect(a.s.degraded).toBe(true));
    await a.s.remove('phone-CA1');
    await server.restart();
    await vi.waitFor(
      async () => expect(Object.keys((await inRedis(raw, prefix)).records)).toEqual(['phone-CA2']),
      {
        timeout: 5000,
      },
    );
    await a.s.flush();
    expect((await inRedis(raw, prefix)).indexes).toEqual({
      all: ['phone-CA2'],
      'b:b1': ['phone-CA2'],
      'n:node-a': ['phone-CA2'],
    });
  });

  it('a node restarted under the same id deletes what its previous life left in Redis', async () => {
    const prefix = uniquePrefix('live');
    const before = await store(testRedisUrl!, 'node-a', prefix, { heartbeatMs: 3_600_000 });
    await before.s.put(record('CA1'));
    await before.s.flush();
    const other = await store(testRedisUrl!, 'node-b', prefix);
    expect(await other.s.count()).toBe(1);

    const after = await store(testRedisUrl!, 'node-a', prefix);
    await after.s.flush();
    expect(await other.s.count()).toBe(0);
    expect((await inRedis(other.connection, prefix)).records).toEqual({});
  });

  it('a Redis that stops answering never holds a read up: the answer comes from memory after the read timeout', async () => {
    const server = await privateServer();
    const prefix = uniquePrefix('live');
    const a = await store(server.url, 'node-a', prefix, { readTimeoutMs: 100 });
    const admin = await connect(server.url);
    await a.s.put(record('CA1'));
    await a.s.flush();
    await admin.client.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = Date.now();
    expect(await a.s.count()).toBe(1);
    expect((await a.s.list()).map((r) => r.id)).toEqual(['phone-CA1']);
    await a.s.put(record('CA2'));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ignores a record in Redis that is not valid (another node’s data is checked, never trusted)', async () => {
    const prefix = uniquePrefix('live');
    const a = await store(testRedisUrl!, 'node-a', prefix);
    const far = Date.now() + 60_000;
    await a.connection.client
      .multi()
      .set(`${prefix}s:phone-CAX`, '{"id":"phone-CAX","turns":"many"}', 'PX', 60_000)
      .zadd(`${prefix}all`, far, 'phone-CAX')
      .set(`${prefix}s:phone-CAY`, 'not json', 'PX', 60_000)
      .zadd(`${prefix}all`, far, 'phone-CAY')
      .pexpire(`${prefix}all`, 60_000)
      .exec();
    await a.s.put(record('CA1'));
    await a.s.flush();
    expect((await a.s.list()).map((r) => r.id)).toEqual(['phone-CA1']);
    expect(await a.s.get('phone-CAX')).toBeUndefined();
    expect(a.log.lines.filter((l) => l.msg?.includes('not valid')).length).toBeGreaterThan(0);
  });
});
