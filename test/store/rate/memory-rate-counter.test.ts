import { describe, expect, it } from 'vitest';
import { MemoryRateCounter } from '../../../src/store/rate/index.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('MemoryRateCounter', () => {
  it('allows max hits in a window, refuses the next with the time left, and starts anew after it', async () => {
    const clock = new FakeClock();
    const counter = new MemoryRateCounter(clock);
    for (let i = 0; i < 3; i++)
      expect(await counter.hit('b1', 3, 60_000)).toEqual({ allowed: true, retryAfterMs: 0 });
    clock.advance(20_000);
    expect(await counter.hit('b1', 3, 60_000)).toEqual({ allowed: false, retryAfterMs: 40_000 });
    clock.advance(40_000);
    expect(await counter.hit('b1', 3, 60_000)).toEqual({ allowed: true, retryAfterMs: 0 });
  });

  it('counts each key apart', async () => {
    const counter = new MemoryRateCounter(new FakeClock());
    expect((await counter.hit('a', 1, 1000)).allowed).toBe(true);
    expect((await counter.hit('a', 1, 1000)).allowed).toBe(false);
    expect((await counter.hit('b', 1, 1000)).allowed).toBe(true);
  });

  it('forgets expired windows once many keys were seen', async () => {
    const clock = new FakeClock();
    const counter = new MemoryRateCounter(clock);
    for (let i = 0; i < 1500; i++) counter.hitNow(`k${i}`, 1, 1000);
    clock.advance(1000);
    counter.hitNow('fresh', 1, 1000);
    // The swept keys are gone: each starts a new window (a kept full one would refuse).
    expect(counter.hitNow('k0', 1, 1000).allowed).toBe(true);
    expect((counter as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThan(600);
  });
});
