import { describe, expect, it } from 'vitest';
import { trackLiveSessions, tapPublished } from '../../src/app/live-sessions.js';
import { asBusinessId, asCallSid } from '../../src/ids.js';
import { InProcessBus } from '../../src/store/bus/index.js';
import { MemoryLiveSessions, type LiveSessions } from '../../src/store/live-sessions/index.js';
import type { CallEvent, CallEventBody } from '../../src/voice/index.js';
import { recordingLogger } from '../support/redis-env.js';

const T0 = Date.UTC(2026, 11, 7, 4, 0, 0);
const summary = {
  durationMs: 1,
  turns: 0,
  callerTurns: 0,
  agentTurns: 0,
  interruptions: 0,
  framesIn: 0,
  framesOut: 0,
  endReason: 'stop',
};

/** One call's events as its stream numbers them: seq from 1, a second apart. */
function call(callSid: string, businessId = 'b1') {
  let seq = 0;
  return (body: CallEventBody): CallEvent =>
    ({
      ...body,
      callSid: asCallSid(callSid),
      businessId: asBusinessId(businessId),
      seq: ++seq,
      at: T0 + seq * 1000,
    }) as CallEvent;
}

const iso = (seq: number) => new Date(T0 + seq * 1000).toISOString();
const settle = () => new Promise((r) => setImmediate(r));

describe('trackLiveSessions', () => {
  it('puts a session at call-started, counts caller and agent turns with the last activity, follows its state, and removes it at call-ended', async () => {
    const store = new MemoryLiveSessions();
    const { onCallEvent } = trackLiveSessions({ store, nodeId: 'node-a' });
    const e = call('CA1');
    onCallEvent(e({ type: 'call-started', channel: 'phone' }));
    await settle();
    expect(await store.get('phone-CA1')).toEqual({
      id: 'phone-CA1',
      type: 'phone',
      callSid: 'CA1',
      businessId: 'b1',
      nodeId: 'node-a',
      startedAt: iso(1),
      lastActivityAt: iso(1),
      turns: 0,
      state: 'in-progress',
    });

    onCallEvent(e({ type: 'agent-turn-ended', turnId: 't1', text: 'Hello', startMs: 0, endMs: 900 }));
    onCallEvent(e({ type: 'transcript-interim', track: 'inbound', text: 'my sink' }));
    onCallEvent(
      e({ type: 'transcript-final', track: 'inbound', text: 'my sink leaks', startMs: 1, endMs: 2 }),
    );
    onCallEvent(
      e({ type: 'transcript-final', track: 'outbound', text: 'not a caller turn', startMs: 1, endMs: 2 }),
    );
    onCallEvent(e({ type: 'digits-entered', digits: '42', atMs: 3 }));
    onCallEvent(
      e({
        type: 'agent-turn-interrupted',
        turnId: 't2',
        reason: 'barge-in',
        text: 'a b',
        heardText: 'a',
        heardMs: 5,
        startMs: 3,
        endMs: 8,
      }),
    );
    await settle();
    expect(await store.get('phone-CA1')).toMatchObject({
      turns: 4,
      lastActivityAt: iso(7),
      startedAt: iso(1),
    });

    onCallEvent(e({ type: 'transfer', summary: 's', reason: 'caller-request' }));
    await settle();
    expect((await store.get('phone-CA1'))?.state).toBe('transferring');
    onCallEvent(e({ type: 'transfer-result', transferred: false }));
    await settle();
    expect((await store.get('phone-CA1'))?.state).toBe('in-progress');
    onCallEvent(e({ type: 'agent-hangup', reason: 'done' }));
    await settle();
    expect((await store.get('phone-CA1'))?.state).toBe('ending');

    onCallEvent(e({ type: 'call-ended', reason: 'stop', outcome: 'caller-hung-up', summary }));
    await settle();
    expect(await store.get('phone-CA1')).toBeUndefined();
    expect(await store.count()).toBe(0);
  });

  it('names a session by its channel (the ids GET /sessions uses), and ignores calls it never saw start', async () => {
    const store = new MemoryLiveSessions();
    const { onCallEvent } = trackLiveSessions({ store, nodeId: 'node-a' });
    onCallEvent(call('CAw', 'b2')({ type: 'call-started', channel: 'web' }));
    const unseen = call('CAx');
    unseen({ type: 'call-started', channel: 'phone' });
    onCallEvent(unseen({ type: 'agent-turn-ended', turnId: 't', text: '', startMs: 0, endMs: 1 }));
    onCallEvent(unseen({ type: 'call-ended', reason: 'stop', outcome: 'dropped', summary }));
    await settle();
    expect((await store.list()).map((r) => [r.id, r.businessId])).toEqual([['web-CAw', 'b2']]);
  });

  it('never throws into the call: a failing store is logged and the call goes on', async () => {
    const failing: LiveSessions = {
      put: () => Promise.reject(new Error('store down')),
      get: async () => undefined,
      remove: () => Promise.reject(new Error('store down')),
      list: async () => [],
      count: async () => 0,
      degraded: true,
      close: async () => {},
    };
    const log = recordingLogger();
    const { onCallEvent } = trackLiveSessions({ store: failing, nodeId: 'node-a', log });
    const e = call('CA1');
    expect(() => {
      onCallEvent(e({ type: 'call-started', channel: 'phone' }));
      onCallEvent(e({ type: 'call-ended', reason: 'stop', outcome: 'dropped', summary }));
    }).not.toThrow();
    await settle();
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });
});

describe('tapPublished', () => {
  it('shows the tap every event this node publishes, before the bus delivers it', async () => {
    const inner = new InProcessBus<CallEvent>();
    const tapped: number[] = [];
    const bus = tapPublished(inner, (e) => tapped.push(e.seq));
    const delivered: number[] = [];
    await bus.subscribe({ callSid: 'CA1' }, (e) => void delivered.push(e.seq));
    const e = call('CA1');
    await bus.publish(e({ type: 'call-started', channel: 'phone' }));
    await bus.publish(e({ type: 'question', text: 'q' }));
    await settle();
    expect(tapped).toEqual([1, 2]);
    expect(delivered).toEqual([1, 2]);
    await bus.close();
    expect(inner.subscriptions).toBe(0);
  });
});
