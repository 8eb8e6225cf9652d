import { describe, expect, it } from 'vitest';
import { deadline } from '../../src/shared/index.js';

const aborted = (signal: AbortSignal) =>
  new Promise<unknown>((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  );

describe('deadline: a signal that ends work after a time or with its parent', () => {
  it('aborts with a TimeoutError when the time runs out, and says so', async () => {
    const d = deadline(20);
    const reason = (await aborted(d.signal)) as DOMException;
    expect(reason.name).toBe('TimeoutError');
    expect(d.timedOut()).toBe(true);
  });

  it("aborts with the parent's reason when the parent aborts first, which is not a time-out", async () => {
    const parent = new AbortController();
    const d = deadline(60_000, parent.signal);
    const reason = aborted(d.signal);
    parent.abort('caller left');
    expect(await reason).toBe('caller left');
    expect(d.timedOut()).toBe(false);
    d.clear();
  });

  it('starts aborted under a parent that already is', () => {
    const parent = new AbortController();
    parent.abort('gone');
    const d = deadline(60_000, parent.signal);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe('gone');
    d.clear();
  });

  it('once cleared, neither the time nor the parent aborts it', async () => {
    const parent = new AbortController();
    const d = deadline(20, parent.signal);
    d.clear();
    await new Promise((r) => setTimeout(r, 60));
    parent.abort('late');
    expect(d.signal.aborted).toBe(false);
  });
});
