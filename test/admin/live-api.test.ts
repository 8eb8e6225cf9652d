import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerLiveApi } from '../../src/admin/live-api.js';
import { asCallSid, type BusinessId } from '../../src/ids.js';
import { InProcessBus } from '../../src/store/bus/index.js';
import { CallsRepo } from '../../src/store/index.js';
import type { CallEvent, CallEventBody } from '../../src/voice/index.js';
import { API_KEY, bearer, startHarness, type Harness } from './support/route-harness.js';
import { openSse, type SseReader } from './support/sse.js';

describe('GET /api/live: the live feed of a business’s calls (server-sent events)', () => {
  let h: Harness;
  let url: string;
  const bus = new InProcessBus<CallEvent>();
  const logged: unknown[] = [];
  const log = {
    info: (o: unknown, msg?: string) => void logged.push({ level: 'info', o, msg }),
    warn: (o: unknown, msg?: string) => void logged.push({ level: 'warn', o, msg }),
  };
  const readers: SseReader[] = [];
  const seqs = new Map<string, number>();

  /** One call event as a call's stream would publish it. */
  const publish = (businessId: BusinessId, callSid: string, body: CallEventBody) => {
    const seq = (seqs.get(callSid) ?? 0) + 1;
    seqs.set(callSid, seq);
    return bus.publish({ ...body, callSid, businessId, seq, at: Date.now() } as CallEvent);
  };
  const open = async (query: string, token: string) => {
    const r = await openSse(`${url}/api/live${query}`, bearer(token));
    readers.push(r);
    return r;
  };

  beforeAll(async () => {
    h = await startHarness({
      routes: ({ server, access, database }) =>
        registerLiveApi(server, {
          access,
          db: database.db,
          bus,
          log,
          maxFeedsPerPrincipal: 3,
          pingMs: 50,
          maxUnreadBytes: 64 * 1024,
        }),
    });
    url = await h.listen();
    // A call in progress on A with two turns, and one that has ended.
    const calls = new CallsRepo(h.database.db);
    await calls.create({ callSid: asCallSid('CA-live-1'), businessId: h.a, from: '+15551230001' });
    await calls.appendTurn(asCallSid('CA-live-1'), {
      speaker: 'agent',
      text: 'Acme Plumbing, how can I help?',
      startOffsetMs: 0,
    });
    await calls.appendTurn(asCallSid('CA-live-1'), {
      speaker: 'caller',
      text: 'my sink is leaking',
      startOffsetMs: 2400,
    });
    await calls.create({ callSid: asCallSid('CA-done'), businessId: h.a, from: '+15551230002' });
    await calls.recordStatus({
      callSid: asCallSid('CA-done'),
      status: 'completed',
      source: 'status-callback',
      occurredAt: new Date(),
    });
  });
  afterAll(async () => {
    for (const r of readers) r.close();
    await h?.close();
    await bus.close();
  });

  it('opens with a snapshot of the calls in progress and their words so far', async () => {
    const feed = await open('', h.tokens.ownerA);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const snap = await feed.next();
    expect(snap.event).toBe('snapshot');
    const calls = snap.data!['calls'] as Array<Record<string, unknown>>;
    expect(calls.map((c) => c['callSid'])).toEqual(['CA-live-1']);
    expect(calls[0]).toMatchObject({
      from: '+15551230001',
      answeredBy: 'ai',
      transcript: [
        { speaker: 'agent', text: 'Acme Plumbing, how can I help?', final: true, atMs: 0 },
        { speaker: 'caller', text: 'my sink is leaking', final: true, atMs: 2400 },
      ],
    });
    feed.close();
  });

  it('streams a call as it happens: start, the caller’s words interim then final, the agent’s turn, alerts, end', async () => {
    const feed = await open('', h.tokens.ownerA);
    await feed.next((m) => m.event === 'snapshot');
    const sid = 'CA-live-2';
    await new CallsRepo(h.database.db).create({
      callSid: asCallSid(sid),
      businessId: h.a,
      from: '+15551230003',
    });
    await publish(h.a, sid, { type: 'call-started', channel: 'phone' });
    await publish(h.a, sid, { type: 'speech-started', track: 'inbound', atMs: 5000 });
    await publish(h.a, sid, { type: 'transcript-interim', track: 'inbound', text: 'my basement' });
    await publish(h.a, sid, {
      type: 'transcript-final',
      track: 'inbound',
      text: 'my basement is flooding',
      startMs: 5000,
      endMs: 6200,
    });
    await publish(h.a, sid, {
      type: 'emergency',
      category: 'flooding',
      trigger: 'flooding',
      summary: 'Basement flooding',
    });
    await publish(h.a, sid, {
      type: 'agent-turn-interrupted',
      turnId: 't1',
      reason: 'barge-in',
      text: 'I am alerting the owner now. Please stay safe.',
      heardText: 'I am alerting the owner now.',
      heardMs: 900,
      startMs: 6500,
      endMs: 7400,
    });
    await publish(h.a, sid, {
      type: 'lead',
      fields: { name: 'Dana', need: 'flooded basement' },
      complete: true,
    });
    await publish(h.a, sid, {
      type: 'call-ended',
      reason: 'stop',
      outcome: 'caller-hung-up',
      summary: {
        durationMs: 9000,
        turns: 2,
        callerTurns: 1,
        agentTurns: 1,
        interruptions: 1,
        framesIn: 1,
        framesOut: 1,
        endReason: 'stop',
      },
    });

    const isNews = (m: { event: string }) => m.event !== 'comment';
    expect((await feed.next(isNews)).data).toMatchObject({
      callSid: sid,
      kind: 'started',
      from: '+15551230003',
    });
    expect((await feed.next(isNews)).data).toEqual({
      callSid: sid,
      speaker: 'caller',
      text: 'my basement',
      final: false,
      atMs: 5000,
    });
    expect((await feed.next(isNews)).data).toEqual({
      callSid: sid,
      speaker: 'caller',
      text: 'my basement is flooding',
      final: true,
      atMs: 5000,
    });
    expect(await feed.next(isNews)).toMatchObject({
      event: 'alert',
      data: { callSid: sid, kind: 'emergency', summary: 'Basement flooding' },
    });
    expect(await feed.next(isNews)).toMatchObject({
      event: 'transcript',
      data: { speaker: 'agent', text: 'I am alerting the owner now.', final: true, atMs: 6500 },
    });
    expect(await feed.next(isNews)).toMatchObject({
      event: 'alert',
      data: { kind: 'lead', summary: 'New lead from Dana: flooded basement' },
    });
    expect(await feed.next(isNews)).toMatchObject({
      event: 'call',
      data: { callSid: sid, kind: 'ended', reason: 'stop' },
    });
    feed.close();
  });

  it('opens with the dashboard’s session cookie, as EventSource sends it (a GET needs no CSRF token)', async () => {
    const feed = await openSse(`${url}/api/live`, { cookie: `sb_session=${h.tokens.ownerA}` });
    readers.push(feed);
    expect(feed.status).toBe(200);
    expect((await feed.next()).event).toBe('snapshot');
    feed.close();
  });

  it('keeps a quiet feed open with a `: ping` comment', async () => {
    const feed = await open('', h.tokens.agentA);
    await feed.next((m) => m.event === 'snapshot');
    expect(await feed.next((m) => m.event === 'comment')).toMatchObject({ comment: 'ping' });
    feed.close();
  });

  it('a user of another business gets 404 for it, and their own feed shows none of its calls', async () => {
    const refused = await fetch(`${url}/api/live?businessId=${h.a}`, { headers: bearer(h.tokens.ownerB) });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toMatchObject({ error: 'not_found' });

    const feedB = await open('', h.tokens.ownerB);
    const snap = await feedB.next((m) => m.event === 'snapshot');
    expect(snap.data).toEqual({ calls: [] });
    await publish(h.a, 'CA-secret', { type: 'call-started', channel: 'phone' });
    await publish(h.a, 'CA-secret', { type: 'transcript-interim', track: 'inbound', text: 'private words' });
    await publish(h.b, 'CA-b-1', { type: 'call-started', channel: 'phone' });
    const first = await feedB.next((m) => m.event !== 'comment');
    expect(first.data).toMatchObject({ callSid: 'CA-b-1', kind: 'started' });
    expect(JSON.stringify(feedB.seen)).not.toContain('CA-secret');
    feedB.close();
  });

  it('refuses the unsigned (401); the API key must name a business (400), then sees it', async () => {
    expect((await fetch(`${url}/api/live`)).status).toBe(401);
    const unnamed = await fetch(`${url}/api/live`, { headers: bearer(API_KEY) });
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({
      error: 'validation_failed',
      details: [{ path: 'query.businessId' }],
    });
    const feed = await open(`?businessId=${h.a}`, API_KEY);
    expect((await feed.next()).event).toBe('snapshot');
    feed.close();
  });

  it('allows a few open feeds per user and refuses one more with 429', async () => {
    const feeds = [];
    for (let i = 0; i < 3; i++) {
      const f = await open('', h.tokens.ownerB);
      await f.next((m) => m.event === 'snapshot');
      feeds.push(f);
    }
    const extra = await fetch(`${url}/api/live`, { headers: bearer(h.tokens.ownerB) });
    expect(extra.status).toBe(429);
    expect(await extra.json()).toMatchObject({ error: 'too_many_requests' });
    // Another user is not counted against this one.
    const other = await open('', h.tokens.ownerA);
    expect(other.status).toBe(200);
    other.close();
    // A closed feed frees its place.
    feeds[0]!.close();
    await vi.waitFor(async () => {
      const again = await fetch(`${url}/api/live`, {
        headers: bearer(h.tokens.ownerB),
        signal: AbortSignal.timeout(2000),
      });
      expect(again.status).toBe(200);
      await again.body?.cancel();
    });
    for (const f of feeds) f.close();
  });

  it('unsubscribes from the bus when the client goes away', async () => {
    await vi.waitFor(() => expect(bus.subscriptions).toBe(0));
    const feed = await open('', h.tokens.ownerA);
    await feed.next((m) => m.event === 'snapshot');
    expect(bus.subscriptions).toBe(1);
    feed.close();
    await vi.waitFor(() => expect(bus.subscriptions).toBe(0));
  });

  it('closes a client that stops reading instead of buffering for it', async () => {
    await vi.waitFor(() => expect(bus.subscriptions).toBe(0));
    const { port } = new URL(url);
    let closed = false;
    const req = http.get({ host: '127.0.0.1', port, path: '/api/live', headers: bearer(h.tokens.ownerA) });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    res.pause(); // reads nothing more
    res.once('close', () => (closed = true));
    req.once('error', () => (closed = true));
    await vi.waitFor(() => expect(bus.subscriptions).toBe(1));
    const words = 'x'.repeat(16 * 1024);
    for (let i = 0; closed === false && bus.subscriptions > 0 && i < 2000; i++) {
      await publish(h.a, 'CA-flood', { type: 'transcript-interim', track: 'inbound', text: words });
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await vi.waitFor(() => expect(bus.subscriptions).toBe(0));
    expect(logged).toContainEqual({
      level: 'warn',
      o: { businessId: h.a, feed: expect.stringMatching(/^user:/) },
      msg: 'live feed: the client stopped reading; closed',
    });
    req.destroy();
  });

  it('writes no caller words to its log', () => {
    const text = JSON.stringify(logged);
    for (const words of ['basement', 'sink', 'private words', 'Dana', 'xxxx'])
      expect(text).not.toContain(words);
  });
});
