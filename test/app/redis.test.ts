import { afterEach, describe, expect, it, vi } from 'vitest';
import { wireRedis, type RedisWiring } from '../../src/app/redis.js';
import type { Config } from '../../src/config.js';
import { asBusinessId, asCallSid } from '../../src/ids.js';
import { InProcessBus, RedisBus, type BusEvent } from '../../src/store/bus/index.js';
import { MemoryLiveSessions, RedisLiveSessions } from '../../src/store/live-sessions/index.js';
import { MemoryOnceKeys, RedisOnceKeys } from '../../src/store/once/index.js';
import { assistEventSchema, type AssistEvent } from '../../src/assist/index.js';
import { callEventSchema, type CallEvent } from '../../src/voice/index.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../support/redis-env.js';
import { record } from '../store/live-sessions/records.js';

const production: Config['production'] = {
  redisHealthCheckIntervalMs: 30_000,
  maxMemoryUsageMb: 1024,
  memoryMonitoring: false,
  webSocketPingIntervalMs: 30_000,
  maxConcurrentCalls: 0,
  jobConcurrency: 1,
  trustProxy: false,
  httpRequestsPerMinutePerIp: 0,
  wsUpgradesPerMinutePerIp: 0,
};

const wirings: RedisWiring[] = [];
afterEach(async () => {
  await Promise.all(wirings.splice(0).map((w) => w.close()));
});

function wire(redisUrl: string | undefined, nodeId: string, keyPrefix?: string): RedisWiring {
  const w = wireRedis({
    config: { redisUrl, production },
    log: recordingLogger(),
    nodeId,
    ...(keyPrefix ? { keyPrefix } : {}),
  });
  wirings.push(w);
  return w;
}

const started = (callSid: string, seq = 1): CallEvent => ({
  type: 'call-started',
  channel: 'phone',
  callSid: asCallSid(callSid),
  businessId: asBusinessId('b1'),
  seq,
  at: Date.UTC(2026, 11, 7),
});

describe('wireRedis without REDIS_URL (the embedded default)', () => {
  it('hands out the in-process versions and reports no Redis', async () => {
    const w = wire(undefined, 'node-a');
    expect(w.connection).toBeUndefined();
    expect(w.health()).toBeUndefined();
    expect(w.callBus(callEventSchema, { name: 'call' })).toBeInstanceOf(InProcessBus);
    expect(w.liveSessions).toBeInstanceOf(MemoryLiveSessions);
    expect(w.onceKeys).toBeInstanceOf(MemoryOnceKeys);
    expect(await w.onceKeys.claim('t', 1000)).toBe(true);
    expect(await w.onceKeys.claim('t', 1000)).toBe(false);
  });

  it('close stops every bus it made', async () => {
    const w = wire(undefined, 'node-a');
    const bus = w.callBus(callEventSchema, { name: 'call' });
    const got: number[] = [];
    await bus.subscribe({ callSid: 'CA1' }, (e) => void got.push(e.seq));
    await w.close();
    await bus.publish(started('CA1'));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]);
  });
});

describe.skipIf(!testRedisUrl)(
  `wireRedis with REDIS_URL${redisSkipReason ? ` (${redisSkipReason})` : ''}`,
  () => {
    it('two nodes share call events, live sessions and claim-once keys; /health sees the connection', async () => {
      const keyPrefix = uniquePrefix('app');
      const a = wire(testRedisUrl, 'node-a', keyPrefix);
      const b = wire(testRedisUrl, 'node-b', keyPrefix);
      expect(a.callBus(callEventSchema, { name: 'call' })).toBeInstanceOf(RedisBus);
      expect(a.liveSessions).toBeInstanceOf(RedisLiveSessions);
      expect(a.onceKeys).toBeInstanceOf(RedisOnceKeys);
      await vi.waitFor(() => expect(a.health()).toEqual({ connected: true, reconnectAttempts: 0 }));
      await vi.waitFor(() => expect(b.health()?.connected).toBe(true));

      const busA = a.callBus(callEventSchema, { name: 'call' });
      const busB = b.callBus(callEventSchema, { name: 'call' });
      const seenOnB: CallEvent[] = [];
      await vi.waitFor(() => expect((busB as RedisBus<CallEvent>).remoteConnected).toBe(true));
      await busB.subscribe({ businessId: 'b1' }, (e) => void seenOnB.push(e));
      await busA.publish(started('CA1'));
      await vi.waitFor(() => expect(seenOnB).toEqual([started('CA1')]));

      await a.liveSessions.put(record('CA1'));
      await (a.liveSessions as RedisLiveSessions).flush();
      expect(await b.liveSessions.count()).toBe(1);
      expect(await b.liveSessions.get('phone-CA1')).toMatchObject({ nodeId: 'node-a' });

      expect(await a.onceKeys.claim('ticket', 10_000)).toBe(true);
      expect(await b.onceKeys.claim('ticket', 10_000)).toBe(false);

      await a.close();
      expect(a.health()?.connected).toBe(false);
    });

    it('each kind of event has its own channels: an assist bus never carries call events', async () => {
      const keyPrefix = uniquePrefix('app');
      const a = wire(testRedisUrl, 'node-a', keyPrefix);
      const b = wire(testRedisUrl, 'node-b', keyPrefix);
      const calls = a.callBus(callEventSchema, { name: 'call' });
      const assistOnB = b.callBus<AssistEvent>(assistEventSchema, { name: 'assist' });
      const callsOnB = b.callBus(callEventSchema, { name: 'call' });
      const assistSeen: unknown[] = [];
      const callsSeen: unknown[] = [];
      await vi.waitFor(() => {
        for (const bus of [assistOnB, callsOnB])
          expect((bus as unknown as RedisBus<BusEvent>).remoteConnected).toBe(true);
      });
      await assistOnB.subscribe({ callSid: 'CA1' }, (e) => void assistSeen.push(e));
      await callsOnB.subscribe({ callSid: 'CA1' }, (e) => void callsSeen.push(e));
      await calls.publish(started('CA1'));
      await vi.waitFor(() => expect(callsSeen).toHaveLength(1));
      await new Promise((r) => setTimeout(r, 50)); // an assist event would have arrived too by now
      expect(assistSeen).toEqual([]);
      expect((assistOnB as RedisBus<AssistEvent>).stats().malformed).toBe(0);
    });
  },
);
