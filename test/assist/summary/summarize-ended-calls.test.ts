import { describe, expect, it } from 'vitest';
import { summarizeEndedCalls } from '../../../src/assist/summary/index.js';
import { InProcessBus, type BusEvent } from '../../../src/store/bus/index.js';

const ev = (type: string, callSid: string, seq: number): BusEvent => ({
  type,
  callSid,
  businessId: 'b1',
  seq,
});

describe('summarizeEndedCalls', () => {
  it('queues the summary of each call whose end is published, and still publishes every event', async () => {
    const bus = new InProcessBus<BusEvent>();
    const queued: string[] = [];
    const tapped = summarizeEndedCalls(bus, { enqueue: (sid) => queued.push(sid) });
    const seen: string[] = [];
    await tapped.subscribe({ businessId: 'b1' }, (e) => void seen.push(`${e.type}:${e.callSid}`));
    await tapped.publish(ev('call-started', 'CA1', 1));
    await tapped.publish(ev('call-ended', 'CA1', 2));
    await tapped.publish(ev('call-ended', 'CA2', 9));
    await new Promise((r) => setImmediate(r));
    expect(queued).toEqual(['CA1', 'CA2']);
    expect(seen).toEqual(['call-started:CA1', 'call-ended:CA1', 'call-ended:CA2']);
    await tapped.close();
  });

  it('a failing queue never stops the event', async () => {
    const published: string[] = [];
    const tapped = summarizeEndedCalls(
      {
        publish: async (e: BusEvent) => void published.push(e.type),
        subscribe: async () => ({ unsubscribe: async () => {} }),
        close: async () => {},
      },
      {
        enqueue: () => {
          throw new Error('queue closed');
        },
      },
    );
    await expect(tapped.publish(ev('call-ended', 'CA1', 1))).resolves.toBeUndefined();
    expect(published).toEqual(['call-ended']);
  });
});
