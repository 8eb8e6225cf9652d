import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusinessId } from '../../src/ids.js';
import { DEMO_BUSINESS_ID } from '../../src/store/index.js';
import type { CallEvent } from '../../src/voice/index.js';
import { openSse, type SseReader } from '../admin/support/sse.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { cuedCaller } from './cued-caller.js';
import { LEAD_CALLER, LEAD_TURNS, placeLeadCall, storedCall, storedLead, waitFor } from './lead-call.js';

/**
 * Redis killed (SIGKILL) in the middle of a call and started again (empty) while the call is
 * still on: the call goes on from memory and completes, its transcript and lead are stored,
 * /health says degraded (still 200) while Redis is away and healthy once it is back, the call's
 * live session is written back to Redis when it returns and removed when the call ends, and the
 * call events published during the outage reach this node's own subscribers (the dashboard's
 * live feed) without a gap.
 */
interface Health {
  status: string;
  redis: { connected: boolean; reconnectAttempts: number; configured?: boolean };
}

let redis: RedisServer;
let server: TestServer;

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(async () => {
  await server?.stop();
  await redis?.close();
});

async function health(): Promise<{ http: number; body: Health }> {
  const res = await fetch(`${server.baseUrl}/health`);
  return { http: res.status, body: (await res.json()) as Health };
}

/** The call's live-session record as Redis holds it, whatever the deployment's key prefix. */
async function sessionInRedis(callSid: string): Promise<Record<string, unknown> | undefined> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const [key] = await client.keys(`*live:s:phone-${callSid}`);
    const value = key ? await client.get(key) : null;
    return value ? (JSON.parse(value) as Record<string, unknown>) : undefined;
  } finally {
    client.disconnect();
  }
}

describe('Redis killed mid-call and restarted', () => {
  it('the call completes from memory: transcript and lead stored, /health degraded then healthy, the session written back, no event lost locally', async () => {
    const caller = await cuedCaller();
    server = await startTestServer({ REDIS_URL: redis.url }, { stt: caller.stt });
    // The connection is made in the background: healthy once it is up.
    await waitFor(async () => (await health()).body.status === 'healthy', 10_000, 'healthy at start');
    expect(await health()).toMatchObject({
      http: 200,
      body: { redis: { connected: true, configured: true } },
    });

    // This node's subscribers: the bus itself, and the dashboard's live feed over HTTP.
    const events: CallEvent[] = [];
    const sub = await server.app.bus.subscribe({ businessId: DEMO_BUSINESS_ID as BusinessId }, (e) => {
      events.push(e);
    });
    const feed: SseReader = await openSse(`${server.baseUrl}/api/live?businessId=${DEMO_BUSINESS_ID}`, {
      authorization: `Bearer ${server.app.apiKey}`,
    });
    expect(feed.status).toBe(200);

    const leads = () => events.filter((e) => e.type === 'lead').length;
    const seen: { during?: { http: number; body: Health }; writtenBack?: Record<string, unknown> } = {};
    let killedAtSeq = 0;
    let degradedMs = 0;
    // The conductor: Redis dies once the first turn's lead is written, and comes back (empty)
    // after the second turn, heard while it was away; the call's third turn is still to come.
    const conductor = (async () => {
      await waitFor(() => leads() >= 1, 80_000, 'the first lead');
      await redis.kill();
      const killedAt = performance.now();
      killedAtSeq = events.at(-1)!.seq;
      await waitFor(
        async () => (seen.during = await health()).body.status === 'degraded',
        10_000,
        'degraded',
      );
      await waitFor(() => leads() >= 2, 80_000, 'the second lead, during the outage');
      await redis.restart();
      await waitFor(async () => (await health()).body.status === 'healthy', 15_000, 'healthy again');
      degradedMs = performance.now() - killedAt;
      await waitFor(
        async () => (seen.writtenBack = await sessionInRedis(events[0]!.callSid)) !== undefined,
        10_000,
        'the live session written back',
      );
    })();

    const report = await placeLeadCall(server, caller.callerAudio, { extraTurns: ['42 Oak Avenue'] });
    await conductor;
    await sub.unsubscribe();

    // /health said degraded, not down, while Redis was away.
    expect(seen.during).toMatchObject({
      http: 200,
      body: { status: 'degraded', redis: { connected: false } },
    });
    expect(degradedMs).toBeGreaterThan(0);

    // The call completed and stored every turn, its lead included the turn heard without Redis.
    expect(report.closedBy).toBe('simulator');
    expect(report.protocolErrors).toEqual([]);
    const call = storedCall(report);
    expect(call.status).toBe('completed');
    expect(call.turns.filter((t) => t.speaker === 'caller').map((t) => t.text)).toEqual([
      ...LEAD_TURNS,
      '42 Oak Avenue',
    ]);
    expect(await storedLead(server.app.database.db, report.callSid)).toMatchObject({
      name: 'Maria Lopez',
      need: 'My water heater is leaking',
      phone: LEAD_CALLER,
      address: '42 Oak Avenue',
    });

    // Written back when Redis returned: the live call, with the turns taken while it was away.
    expect(seen.writtenBack).toMatchObject({ callSid: report.callSid, type: 'phone' });
    expect(Number(seen.writtenBack!['turns'])).toBeGreaterThanOrEqual(4);
    // And removed from Redis once the call ended.
    await waitFor(async () => (await sessionInRedis(report.callSid)) === undefined, 10_000, 'the removal');

    // Every event reached this node's subscriber, in order, none missing: before, during, after.
    const mine = events.filter((e) => e.callSid === report.callSid);
    expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
    expect(mine.at(-1)?.type).toBe('call-ended');
    expect(killedAtSeq).toBeGreaterThan(0);
    expect(mine.filter((e) => e.seq > killedAtSeq).some((e) => e.type === 'lead')).toBe(true);

    // The dashboard's feed showed the whole call: the words said while Redis was down, both leads.
    await feed.next((m) => m.event === 'call' && m.data?.['kind'] === 'ended');
    feed.close();
    const words = feed.seen
      .filter((m) => m.event === 'transcript' && m.data?.['speaker'] === 'caller' && m.data?.['final'])
      .map((m) => m.data?.['text']);
    expect(words).toEqual([...LEAD_TURNS, '42 Oak Avenue']);
    expect(await health()).toMatchObject({ http: 200, body: { status: 'healthy' } });
  }, 150_000);
});
