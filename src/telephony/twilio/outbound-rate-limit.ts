import type { Clock } from '../../shared/index.js';

/**
 * A token bucket per key (a business), in this process: `perMinute` calls at once, then one more
 * each 60/perMinute seconds. Placing calls costs money and rings strangers, so a burst from a
 * leaked key or a looping script stops here. Per process: with several nodes each has its own
 * bucket, which multiplies the limit by the number of nodes (acceptable for a guard, not a quota).
 */
export class OutboundRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    if (!(perMinute >= 1)) throw new Error('perMinute must be at least 1');
    this.perMs = perMinute / 60_000;
  }

  /** Takes one token: `ok`, or how long until one is there. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    const tokens = Math.min(this.perMinute, b.tokens + Math.max(0, now - b.at) * this.perMs);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      this.prune(now);
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / this.perMs) };
  }

  /** Drops buckets that have filled up again (they are the same as no bucket), now and then. */
  private prune(now: number): void {
    if (this.buckets.size < 1000) return;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}
