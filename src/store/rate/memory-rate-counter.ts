import { systemClock, type Clock } from '../../shared/index.js';
import type { RateCounter, RateDecision } from './rate-counter.js';

/** Windows kept before expired ones are swept (a sweep is linear, so not on every hit). */
const SWEEP_AT = 1000;

/** Fixed windows in this process: the default, and what the Redis counter falls back to. */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  hit(key: string, max: number, windowMs: number): Promise<RateDecision> {
    return Promise.resolve(this.hitNow(key, max, windowMs));
  }

  /** The same, synchronously (for callers that cannot wait, e.g. an upgrade check). */
  hitNow(key: string, max: number, windowMs: number): RateDecision {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || w.endsAt <= now) {
      if (this.windows.size >= SWEEP_AT) this.sweep(now);
      w = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count <= max
      ? { allowed: true, retryAfterMs: 0 }
      : { allowed: false, retryAfterMs: w.endsAt - now };
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key);
  }
}
