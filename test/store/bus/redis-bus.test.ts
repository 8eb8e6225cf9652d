import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { busEventSchema, RedisBus, topicKey, type BusTopic } from '../../../src/store/bus/index.js';
import { openRedis, type RedisConnection } from '../../../src/store/redis/index.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../../support/redis-env.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const pingSchema = busEventSchema('ping', { n: z.number() });
type Ping = z.infer<typeof pingSchema>;

const ping = (callSid: string, seq: number, businessId = 'b1'): Ping =>
  ({ type: 'ping', callSid, businessId, seq, at: 1_700_000_000_000 + seq, n: seq }) as Ping;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function connect(url: string): Promise<RedisConnection> {
  const conn = openRedis(url, { log: recordingLogger(), name: 'bus-test', healthCheckIntervalMs: 0 });
  cleanup.push(() => conn.close());
  await vi.waitFor(() => expect(conn.state().connected).toBe(true), { timeout: 5000 });
  return conn;
}

/** One "node": its own connection and bus on the shared channels. */
async function node(url: string, nodeId: string, prefix: string) {
  const connection = await connect(url);
  const log = recordingLogger();
  const bus = new RedisBus<Ping>({ connection, nodeId, prefix, schema: pingSchema, log });
  cleanup.push(() => bus.close());
  // The subscriber connection opens beside the publisher: wait until it is up, as a node would be.
  await vi.waitFor(() => expect(bus.remoteConnected).toBe(true));
  const got = (topic: BusTopic) => {
    const seen: string[] = [];
    return bus.subscribe(topic, (e) => void seen.push(`${e.callSid}#${e.seq}`)).then((s) => ({ seen, s }));
  };
  return { bus, connection, log, got };
}

async function privateServer(): Promise<RedisServer> {
  const s = await startRedisServer();
  cleanup.push(() => s.close());
  return s;
}

const seqs = (from: number, to: number, sid = 'CA1') =>
  Array.from({ length: to - from + 1 }, (_, i) => `${sid}#${from + i}`);

describe.skipIf(!testRedisUrl)(`RedisBus${redisSkipReason ? ` (${redisSkipReason})` : ''}`, () => {
  it('two nodes see each other’s events, in order and once; a node never gets its own twice', async () => {
    const prefix = uniquePrefix('bus');
    const a = await node(testRedisUrl!, 'node-a', prefix);
    const b = await node(testRedisUrl!, 'node-b', prefix);
    const aCall = await a.got({ callSid: 'CA1' });
    const aBusiness = await a.got({ businessId: 'b1' });
    const bCall = await b.got({ callSid: 'CA1' });
    const bBusiness = await b.got({ businessId: 'b1' });
    const bOther = await b.got({ businessId: 'b2' });

    for (let i = 1; i <= 100; i++) await a.bus.publish(ping('CA1', i));
    for (let i = 1; i <= 3; i++) await b.bus.publish(ping('CA2', i));

    await vi.waitFor(() => {
      expect(bCall.seen).toHaveLength(100);
      expect(aBusiness.seen).toHaveLength(103);
    });
    await new Promise((r) => setTimeout(r, 100)); // anything extra would have arrived by now
    expect(aCall.seen).toEqual(seqs(1, 100));
    expect(bCall.seen).toEqual(seqs(1, 100));
    expect(aBusiness.seen.filter((s) => s.startsWith('CA1'))).toEqual(seqs(1, 100));
    expect(aBusiness.seen.filter((s) => s.startsWith('CA2'))).toEqual(seqs(1, 3, 'CA2'));
    await vi.waitFor(() => expect(bBusiness.seen).toHaveLength(103));
    // Each publisher's events in its order (how the two interleave is not defined).
    expect(bBusiness.seen.filter((s) => s.startsWith('CA1'))).toEqual(seqs(1, 100));
    expect(bBusiness.seen.filter((s) => s.startsWith('CA2'))).toEqual(seqs(1, 3, 'CA2'));
    expect(bOther.seen).toEqual([]);
    expect(a.bus.stats()).toMatchObject({ published: 100, received: 3, malformed: 0, remoteDropped: 0 });
    expect(b.bus.stats()).toMatchObject({ published: 3, received: 200, malformed: 0, remoteDropped: 0 });
  });

  it('events from Redis are plain copies checked by the schema (extra fields dropped)', async () => {
    const prefix = uniquePrefix('bus');
    const a = await node(testRedisUrl!, 'node-a', prefix);
    const b = await node(testRedisUrl!, 'node-b', prefix);
    const got: Ping[] = [];
    await b.bus.subscribe({ callSid: 'CA1' }, (e) => void got.push(e));
    await a.bus.publish({ ...ping('CA1', 1), secret: 'x' } as Ping);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]).toEqual(ping('CA1', 1));
  });

  it('ignores and counts malformed messages on its channels, and an event on another call’s channel', async () => {
    const prefix = uniquePrefix('bus');
    const b = await node(testRedisUrl!, 'node-b', prefix);
    const raw = await connect(testRedisUrl!);
    const call = await b.got({ callSid: 'CA1' });
    const business = await b.got({ businessId: 'b1' });
    const channel = prefix + topicKey({ callSid: 'CA1' });

    await raw.client.publish(channel, 'not json {');
    await raw.client.publish(channel, JSON.stringify({ node: 'x', event: { type: 'ping', callSid: 'CA1' } }));
    await raw.client.publish(channel, JSON.stringify(ping('CA1', 1))); // no envelope
    await raw.client.publish(channel, JSON.stringify({ node: 'x', event: ping('CA9', 1, 'b9') }));
    await raw.client.publish(
      prefix + topicKey({ businessId: 'b1' }),
      JSON.stringify({ node: 'x', event: ping('CA9', 1, 'b9') }),
    );
    await raw.client.publish(channel, JSON.stringify({ node: 'x', event: ping('CA1', 2) }));

    await vi.waitFor(() => expect(call.seen).toEqual(['CA1#2']));
    expect(business.seen).toEqual([]);
    expect(b.bus.stats()).toMatchObject({ malformed: 5, received: 1 });
    const warns = b.log.lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1); // once a minute at most
    expect(b.log.text()).not.toContain('not json');
  });

  it('after unsubscribe nothing more arrives, and the channel stays while another subscriber wants it', async () => {
    const prefix = uniquePrefix('bus');
    const a = await node(testRedisUrl!, 'node-a', prefix);
    const b = await node(testRedisUrl!, 'node-b', prefix);
    const first = await b.got({ callSid: 'CA1' });
    const second = await b.got({ callSid: 'CA1' });
    await a.bus.publish(ping('CA1', 1));
    await vi.waitFor(() => expect(second.seen).toEqual(['CA1#1']));
    await first.s.unsubscribe();
    await a.bus.publish(ping('CA1', 2));
    await vi.waitFor(() => expect(second.seen).toEqual(['CA1#1', 'CA1#2']));
    expect(first.seen).toEqual(['CA1#1']);
    await second.s.unsubscribe();
    expect(await a.connection.client.pubsub('NUMSUB', prefix + 'call:CA1')).toEqual([prefix + 'call:CA1', 0]);
  });

  it('while Redis is killed: the publishing node’s own subscribers still get every event, publish resolves at once without queueing, and remote delivery resumes after restart', async () => {
    const server = await privateServer();
    const prefix = uniquePrefix('bus');
    const a = await node(server.url, 'node-a', prefix);
    const b = await node(server.url, 'node-b', prefix);
    const aCall = await a.got({ callSid: 'CA1' });
    const bCall = await b.got({ callSid: 'CA1' });
    await a.bus.publish(ping('CA1', 1));
    await vi.waitFor(() => expect(bCall.seen).toEqual(['CA1#1']));

    await server.kill();
    await vi.waitFor(() => expect(a.connection.state().connected).toBe(false));
    // 1000 publishes during the outage: every one resolves, none waits in ioredis's offline queue.
    const during = Array.from({ length: 1000 }, (_, i) => a.bus.publish(ping('CA1', i + 2)));
    await expect(Promise.all(during)).resolves.toBeDefined();
    expect((a.connection.client as unknown as { offlineQueue: { length: number } }).offlineQueue.length).toBe(
      0,
    );
    await vi.waitFor(() => expect(aCall.seen).toHaveLength(1001));
    expect(aCall.seen).toEqual(seqs(1, 1001));
    expect(a.bus.stats().remoteDropped).toBe(1000);
    expect(a.log.lines.filter((l) => l.msg?.includes('this node’s subscribers only'))).toHaveLength(1);

    await server.restart();
    await vi.waitFor(() => expect(a.connection.state().connected).toBe(true), { timeout: 5000 });
    // B's subscriber connection re-subscribes on its own once Redis is back.
    await vi.waitFor(
      async () => {
        await a.bus.publish(ping('CA1', 2000));
        expect(bCall.seen).toContain('CA1#2000');
      },
      { timeout: 5000, interval: 100 },
    );
    // Lost while down, never replayed: B saw 1, then only what was published after the restart.
    expect(bCall.seen[0]).toBe('CA1#1');
    expect(bCall.seen.slice(1).every((s) => s === 'CA1#2000')).toBe(true);
  });

  it('publishes after close are ignored; close is idempotent', async () => {
    const a = await node(testRedisUrl!, 'node-a', uniquePrefix('bus'));
    const seen = await a.got({ callSid: 'CA1' });
    await a.bus.close();
    await a.bus.close();
    await a.bus.publish(ping('CA1', 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.seen).toEqual([]);
    expect(a.bus.stats().published).toBe(0);
  });
});
