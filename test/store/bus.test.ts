import { describe, expect, it } from 'vitest';
import { InProcessBus, type BusEvent } from '../../src/store/bus/index.js';

interface TestEvent extends BusEvent {
  readonly type: 'ping';
  readonly at?: unknown;
}

const ev = (callSid: string, seq: number, businessId = 'b1'): TestEvent => ({
  type: 'ping',
  callSid,
  businessId,
  seq,
});

const settle = () => new Promise((r) => setImmediate(r));

describe('InProcessBus', () => {
  it('delivers a call’s events to its call subscribers and to its business’s subscribers, in order', async () => {
    const bus = new InProcessBus<TestEvent>();
    const byCall: number[] = [];
    const byBusiness: string[] = [];
    const otherCall: number[] = [];
    await bus.subscribe({ callSid: 'CA1' }, (e) => void byCall.push(e.seq));
    await bus.subscribe({ businessId: 'b1' }, (e) => void byBusiness.push(`${e.callSid}#${e.seq}`));
    await bus.subscribe({ callSid: 'CA2' }, (e) => void otherCall.push(e.seq));
    for (let i = 1; i <= 3; i++) await bus.publish(ev('CA1', i));
    await bus.publish(ev('CA3', 1, 'b2'));
    await settle();
    expect(byCall).toEqual([1, 2, 3]);
    expect(byBusiness).toEqual(['CA1#1', 'CA1#2', 'CA1#3']);
    expect(otherCall).toEqual([]);
  });

  it('hands each subscriber a JSON copy, as a bus across processes would', async () => {
    const bus = new InProcessBus<TestEvent>();
    const got: TestEvent[] = [];
    await bus.subscribe({ callSid: 'CA1' }, (e) => void got.push(e));
    const sent = { ...ev('CA1', 1), at: new Date(0) };
    await bus.publish(sent);
    await settle();
    expect(got[0]).not.toBe(sent);
    // A Date does not survive the wire: events must be plain JSON.
    expect(got[0]!.at).toBe('1970-01-01T00:00:00.000Z');
  });

  it('a slow subscriber neither blocks the publisher nor gets its events out of order', async () => {
    const bus = new InProcessBus<TestEvent>();
    const got: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await bus.subscribe({ callSid: 'CA1' }, async (e) => {
      if (e.seq === 1) await gate;
      got.push(e.seq);
    });
    for (let i = 1; i <= 5; i++) await bus.publish(ev('CA1', i)); // returns while seq 1 is stuck
    await settle();
    expect(got).toEqual([]);
    release();
    await settle();
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });

  it('a subscriber that throws is reported and the others still get every event', async () => {
    const errors: unknown[] = [];
    const bus = new InProcessBus<TestEvent>({ onSubscriberError: (err) => errors.push(err) });
    const got: number[] = [];
    await bus.subscribe({ callSid: 'CA1' }, () => {
      throw new Error('subscriber bug');
    });
    await bus.subscribe({ callSid: 'CA1' }, (e) => void got.push(e.seq));
    await bus.publish(ev('CA1', 1));
    await bus.publish(ev('CA1', 2));
    await settle();
    expect(got).toEqual([1, 2]);
    expect(errors).toHaveLength(2);
  });

  it('a subscriber too far behind loses events, and the gap shows in seq', async () => {
    const errors: unknown[] = [];
    const bus = new InProcessBus<TestEvent>({ maxQueued: 2, onSubscriberError: (err) => errors.push(err) });
    const got: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await bus.subscribe({ callSid: 'CA1' }, async (e) => {
      await gate;
      got.push(e.seq);
    });
    await bus.publish(ev('CA1', 1));
    await settle(); // seq 1 is being handled; 2 and 3 wait; 4 is one too many
    for (let i = 2; i <= 4; i++) await bus.publish(ev('CA1', i));
    release();
    await settle();
    await bus.publish(ev('CA1', 5));
    await settle();
    expect(got).toEqual([1, 2, 3, 5]);
    expect(errors).toHaveLength(1);
  });

  it('nothing is delivered after unsubscribe or close, not even what was already queued', async () => {
    const bus = new InProcessBus<TestEvent>();
    const a: number[] = [];
    const b: number[] = [];
    const subA = await bus.subscribe({ callSid: 'CA1' }, (e) => void a.push(e.seq));
    await bus.subscribe({ businessId: 'b1' }, (e) => void b.push(e.seq));
    void bus.publish(ev('CA1', 1)); // queued for both, not yet handled
    await subA.unsubscribe();
    await bus.publish(ev('CA1', 2));
    await settle();
    expect(a).toEqual([]);
    expect(b).toEqual([1, 2]);
    void bus.publish(ev('CA1', 3));
    await bus.close();
    await bus.publish(ev('CA1', 4));
    await settle();
    expect(b).toEqual([1, 2]);
    expect(bus.subscriptions).toBe(0);
  });
});
