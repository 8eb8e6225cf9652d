import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  openRedis,
  reconnectDelay,
  redactRedisUrl,
  type RedisConnection,
  type RedisState,
} from '../../../src/store/redis/index.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../../support/redis-env.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const opened: RedisConnection[] = [];
const servers: RedisServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function open(url: string, more: { healthCheckIntervalMs?: number; timeoutMs?: number } = {}) {
  const log = recordingLogger();
  const conn = openRedis(url, { log, name: 'test', healthCheckIntervalMs: 0, ...more });
  opened.push(conn);
  return { conn, log };
}

async function privateServer(args?: string[]): Promise<RedisServer> {
  const s = await startRedisServer({ args });
  servers.push(s);
  return s;
}

const connected = (conn: RedisConnection, yes = true) =>
  vi.waitFor(() => expect(conn.state().connected).toBe(yes), { timeout: 5000, interval: 20 });

describe('reconnectDelay', () => {
  it('backs off from 50 ms, doubling, up to the cap, and never gives up', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, 2000))).toEqual([50, 100, 200, 400, 800, 1600]);
    expect(reconnectDelay(7, 2000)).toBe(2000);
    expect(reconnectDelay(10_000, 2000)).toBe(2000);
  });
});

describe('redactRedisUrl', () => {
  it('hides the password and keeps where it points', () => {
    expect(redactRedisUrl('redis://user:s3cret@redis.internal:6380/2')).toBe(
      'redis://user:***@redis.internal:6380/2',
    );
    expect(redactRedisUrl('redis://:s3cret@h:6379')).not.toContain('s3cret');
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
  });
});

describe.skipIf(!testRedisUrl)(
  `openRedis against a real Redis${redisSkipReason ? ` (${redisSkipReason})` : ''}`,
  () => {
    it('connects, reports {connected: true, reconnectAttempts: 0} and runs commands', async () => {
      const { conn } = open(testRedisUrl!);
      await connected(conn);
      expect(conn.state()).toEqual({ connected: true, reconnectAttempts: 0 });
      const key = `${uniquePrefix()}k`;
      await conn.client.set(key, 'v', 'PX', 5000);
      expect(await conn.client.get(key)).toBe('v');
    });

    it('when Redis dies: marks itself disconnected, counts attempts, fails commands at once without queueing them, and recovers on restart', async () => {
      const server = await privateServer();
      const { conn, log } = open(server.url);
      const seen: RedisState[] = [];
      conn.onStateChange((s) => seen.push(s));
      await connected(conn);

      await server.kill();
      await connected(conn, false);
      await vi.waitFor(() => expect(conn.state().reconnectAttempts).toBeGreaterThanOrEqual(2), {
        timeout: 5000,
      });

      // Fail fast: every command rejects now, none waits for Redis to come back.
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => conn.client.set(`k${i}`, 'v')),
      );
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      // ioredis keeps commands issued while offline in `offlineQueue` unless it is off.
      expect((conn.client as unknown as { offlineQueue: { length: number } }).offlineQueue.length).toBe(0);

      await server.restart();
      await connected(conn);
      expect(conn.state().reconnectAttempts).toBe(0);
      expect(await conn.client.ping()).toBe('PONG');
      // The queued-up writes never reached the new server.
      expect(await conn.client.dbsize()).toBe(0);
      expect(seen.some((s) => !s.connected)).toBe(true);
      expect(seen.at(-1)).toMatchObject({ connected: true, reconnectAttempts: 0 });
      expect(log.lines.filter((l) => l.msg?.includes('connection lost'))).toHaveLength(1);
    });

    it('starts even when Redis is not there yet, and connects once it is', async () => {
      const server = await privateServer();
      await server.stop();
      const { conn, log } = open(server.url);
      await vi.waitFor(() => expect(conn.state().reconnectAttempts).toBeGreaterThanOrEqual(1), {
        timeout: 5000,
      });
      expect(conn.state().connected).toBe(false);
      expect(log.lines.filter((l) => l.msg?.includes('cannot connect'))).toHaveLength(1);
      await server.restart();
      await connected(conn);
    });

    it('a Redis that stops answering while its socket stays open is marked disconnected by the health-check PING', async () => {
      const server = await privateServer();
      const { conn } = open(server.url, { healthCheckIntervalMs: 100, timeoutMs: 200 });
      await connected(conn);
      const admin = openRedis(server.url, {
        log: recordingLogger(),
        name: 'admin',
        healthCheckIntervalMs: 0,
      });
      opened.push(admin);
      await connected(admin);
      await admin.client.call('CLIENT', 'PAUSE', '1500', 'ALL');
      await connected(conn, false);
      expect(conn.client.status).toBe('ready'); // the socket never closed
      await connected(conn); // the pause ends, the next PING answers
    });

    it('never lets the password reach its state or its log lines', async () => {
      const server = await privateServer(['--requirepass', 'hunter2-secret']);
      const right = open(server.url.replace('redis://', 'redis://:hunter2-secret@'));
      await connected(right.conn);
      const wrong = open(server.url.replace('redis://', 'redis://:wrong-secret@'));
      await vi.waitFor(() => expect(wrong.conn.state().lastError).toMatch(/WRONGPASS/), { timeout: 5000 });
      await server.kill();
      await connected(right.conn, false);
      for (const { conn, log } of [right, wrong]) {
        expect(log.lines.some((l) => l.level === 'warn')).toBe(true);
        expect(JSON.stringify(conn.state()) + log.text()).not.toMatch(/hunter2-secret|wrong-secret/);
      }
      expect(right.log.text()).toContain('***@127.0.0.1');
    });

    it('duplicate opens a second connection with its own state', async () => {
      const { conn } = open(testRedisUrl!);
      const sub = conn.duplicate('test-sub');
      opened.push(sub);
      await connected(sub);
      expect(sub.name).toBe('test-sub');
      expect(sub.client).not.toBe(conn.client);
    });
  },
);
