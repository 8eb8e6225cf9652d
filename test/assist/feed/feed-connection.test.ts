import { describe, expect, it } from 'vitest';
import type { AssistEvent } from '../../../src/assist/events.js';
import { FeedConnection, type FeedConnectionDeps } from '../../../src/assist/feed/feed-connection.js';
import type { FeedScope } from '../../../src/assist/feed/feed-credentials.js';
import { silentLogger } from '../../../src/shared/index.js';
import { InProcessBus, type BusHandler, type BusTopic, type EventBus } from '../../../src/store/bus/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeFeedSocket } from './fake-feed-socket.js';
import { AT, BIZ_A, BIZ_B, CALL_A1, CALL_A2, CALL_B1, assistEvent, pricingSuggestion } from './fixtures.js';

/** Lets the bus deliver (it hands events over on a later tick). */
const settle = () => new Promise((r) => setImmediate(r));

const business: FeedScope = { businessId: BIZ_A, via: 'bearer' };

function connect(scope: FeedScope, deps: Partial<FeedConnectionDeps> = {}) {
  const socket = new FakeFeedSocket();
  const clock = new FakeClock();
  clock.advance(AT);
  const bus = new InProcessBus<AssistEvent>();
  const conn = new FeedConnection(socket, scope, { bus, log: silentLogger, clock, ...deps });
  return { socket, clock, bus, conn };
}

/** A bus that refuses subscriptions until told to accept them. */
class FlakyBus implements Pick<EventBus<AssistEvent>, 'subscribe'> {
  attempts = 0;
  up = false;
  readonly inner = new InProcessBus<AssistEvent>();
  async subscribe(topic: BusTopic, handler: BusHandler<AssistEvent>) {
    this.attempts++;
    if (!this.up) throw new Error('ECONNREFUSED');
    return this.inner.subscribe(topic, handler);
  }
}

describe('FeedConnection', () => {
  it('says ready first, naming what it follows, then passes on the business’s calls', async () => {
    const { socket, bus, conn } = connect(business);
    await conn.start();
    expect(socket.sent[0]).toEqual({
      type: 'ready',
      businessId: BIZ_A,
      timestamp: new Date(AT).toISOString(),
    });
    await bus.publish(assistEvent(pricingSuggestion(), { callSid: CALL_A1 }));
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'done' }, { callSid: CALL_A2, seq: 1 }));
    await bus.publish(
      assistEvent({ type: 'assist-ended', reason: 'done' }, { callSid: CALL_B1, businessId: BIZ_B }),
    );
    await settle();
    expect(socket.types()).toEqual(['ready', 'suggestion', 'suggestion-detail', 'call-ended']);
    expect(socket.sent.slice(1).map((m) => (m as { callSid: string }).callSid)).toEqual([
      CALL_A1,
      CALL_A1,
      CALL_A2,
    ]);
  });

  it('follows one call only when scoped to it', async () => {
    const { socket, bus, conn } = connect({ businessId: BIZ_A, callSid: CALL_A2, via: 'ticket' });
    await conn.start();
    expect(socket.sent[0]).toMatchObject({ type: 'ready', callSid: CALL_A2 });
    await bus.publish(assistEvent(pricingSuggestion(), { callSid: CALL_A1 }));
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'done' }, { callSid: CALL_A2 }));
    await settle();
    expect(socket.types()).toEqual(['ready', 'call-ended']);
  });

  it('tells the agent assist is unavailable when the bus refuses, keeps the socket, and recovers with backoff', async () => {
    const flaky = new FlakyBus();
    const { socket, clock, conn } = connect(business, {
      bus: flaky,
      options: { subscribeRetryMs: 1000, subscribeRetryMaxMs: 4000, pingIntervalMs: 1_000_000 },
    });
    await conn.start();
    expect(socket.sent).toEqual([
      expect.objectContaining({ type: 'ready' }),
      {
        type: 'status',
        state: 'unavailable',
        reason: 'assist bus unavailable',
        timestamp: new Date(AT).toISOString(),
      },
    ]);
    expect(socket.closedWith).toBeUndefined();
    // Retries after 1 s, 2 s, 4 s, 4 s: told once, not on every failure.
    for (const wait of [1000, 2000, 4000, 4000]) {
      clock.advance(wait - 1);
      await settle();
      const before = flaky.attempts;
      clock.advance(1);
      await settle();
      expect(flaky.attempts).toBe(before + 1);
    }
    expect(socket.types()).toEqual(['ready', 'status']);
    flaky.up = true;
    clock.advance(4000);
    await settle();
    expect(socket.sent.at(-1)).toMatchObject({ type: 'status', state: 'available' });
    await flaky.inner.publish(assistEvent(pricingSuggestion()));
    await settle();
    expect(socket.types().slice(-2)).toEqual(['suggestion', 'suggestion-detail']);
  });

  it('announces calls already live when it connects, and not again when their start comes over the bus', async () => {
    const { socket, bus, conn } = connect(business, {
      liveCalls: async (b) =>
        b === BIZ_A
          ? [
              { callSid: CALL_A1, source: 'dial', startedAt: AT - 5000 },
              { callSid: CALL_A2, source: 'transfer', startedAt: AT - 1000 },
            ]
          : [],
    });
    await conn.start();
    expect(socket.sent.slice(1)).toEqual([
      {
        type: 'call-started',
        callSid: CALL_A1,
        source: 'dial',
        timestamp: new Date(AT - 5000).toISOString(),
      },
      {
        type: 'call-started',
        callSid: CALL_A2,
        source: 'transfer',
        timestamp: new Date(AT - 1000).toISOString(),
      },
    ]);
    await bus.publish(
      assistEvent({ type: 'assist-started', source: 'dial', tracks: ['customer'] }, { callSid: CALL_A1 }),
    );
    await settle();
    expect(socket.types()).toEqual(['ready', 'call-started', 'call-started']);
  });

  it('answers a ping, ignores what it does not know, and stays open on malformed frames', async () => {
    const { socket, conn } = connect(business);
    await conn.start();
    socket.receive('{"type":"ping"}');
    socket.receive('{"type":"subscribe","to":"everything"}');
    socket.receive('{not json');
    socket.receive(Buffer.from([1, 2, 3]), true);
    expect(socket.types()).toEqual(['ready', 'pong', 'error', 'error']);
    expect(socket.sent[2]).toMatchObject({ code: 'bad_json' });
    expect(socket.closedWith).toBeUndefined();
  });

  it('closes with 1009 on a frame over the size limit', async () => {
    const { socket, conn } = connect(business);
    await conn.start();
    socket.receive(JSON.stringify({ type: 'ping', pad: 'x'.repeat(5000) }));
    expect(socket.closedWith).toEqual({ code: 1009, reason: 'message too big' });
  });

  it('pings every interval and drops a peer that stopped answering', async () => {
    const { socket, clock, conn } = connect(business, { options: { pingIntervalMs: 25_000 } });
    await conn.start();
    clock.advance(25_000);
    expect(socket.pings).toBe(1);
    socket.emit('pong');
    clock.advance(25_000);
    expect(socket.pings).toBe(2);
    expect(socket.terminated).toBe(false);
    clock.advance(25_000); // no pong to the second ping
    expect(socket.terminated).toBe(true);
  });

  it('unsubscribes when the socket closes, and sends nothing after', async () => {
    const { socket, bus, conn } = connect(business);
    await conn.start();
    expect(bus.subscriptions).toBe(1);
    socket.close(1000);
    await settle();
    expect(bus.subscriptions).toBe(0);
    await bus.publish(assistEvent(pricingSuggestion()));
    await settle();
    expect(socket.types()).toEqual(['ready']);
  });

  it('drops an event that is not an assist event (a foreign publisher) and goes on', async () => {
    const { socket, bus, conn } = connect(business);
    await conn.start();
    await bus.publish({
      type: 'assist-suggestion',
      callSid: CALL_A1,
      businessId: BIZ_A,
      seq: 1,
      at: AT,
    } as AssistEvent);
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'done' }));
    await settle();
    expect(socket.types()).toEqual(['ready', 'call-ended']);
  });

  it('sends ready only once the subscription holds, and what came before it after it', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const inner = new InProcessBus<AssistEvent>();
    const slowBus: Pick<EventBus<AssistEvent>, 'subscribe'> = {
      subscribe: async (topic, handler) => {
        await held;
        // An event the bus hands over before subscribe() has even resolved.
        void handler(assistEvent({ type: 'assist-ended', reason: 'done' }));
        return inner.subscribe(topic, handler);
      },
    };
    const { socket, conn } = connect(business, { bus: slowBus });
    const started = conn.start();
    await settle();
    expect(socket.sent).toEqual([]);
    release();
    await started;
    expect(socket.types()).toEqual(['ready', 'call-ended']);
  });

  it('sends ready and says unavailable when the bus takes too long, then available once it answers', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const inner = new InProcessBus<AssistEvent>();
    const slowBus: Pick<EventBus<AssistEvent>, 'subscribe'> = {
      subscribe: async (topic, handler) => {
        await held;
        return inner.subscribe(topic, handler);
      },
    };
    const { socket, clock, conn } = connect(business, { bus: slowBus, options: { readyWithinMs: 3000 } });
    const started = conn.start();
    clock.advance(2999);
    expect(socket.sent).toEqual([]);
    clock.advance(1);
    expect(socket.sent).toEqual([
      expect.objectContaining({ type: 'ready' }),
      expect.objectContaining({ type: 'status', state: 'unavailable', reason: 'assist bus unavailable' }),
    ]);
    release();
    await started;
    expect(socket.sent.at(-1)).toMatchObject({ type: 'status', state: 'available' });
    await inner.publish(assistEvent({ type: 'assist-ended', reason: 'done' }));
    await settle();
    expect(socket.types()).toEqual(['ready', 'status', 'status', 'call-ended']);
  });
});
