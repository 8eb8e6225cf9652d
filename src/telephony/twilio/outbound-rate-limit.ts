import { MemoryRateCounter, type RateCounter } from '../../store/rate/index.js';

const MINUTE_MS = 60_000;

/**
 * At most `perMinute` outbound actions per business per minute (a fixed window from the first).
 * Placing calls and sending messages costs money and reaches strangers, so a burst from a leaked
 * key or a looping script stops here. The counter decides the reach: in memory (the default) each
 * node counts alone; a Redis counter makes the limit hold across every node.
 */
export class OutboundRateLimit {
  /**
   * @param action what is counted (`call`, `whatsapp`): each has its own windows.
   */
  constructor(
    private readonly perMinute: number,
    private readonly action: string,
    private readonly counter: RateCounter = new MemoryRateCounter(),
  ) {
    if (!(perMinute >= 1)) throw new Error('perMinute must be at least 1');
  }

  /** Counts one action for the business: `ok`, or how long until the next is allowed. */
  async take(businessId: string): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
    const d = await this.counter.hit(`outbound:${this.action}:${businessId}`, this.perMinute, MINUTE_MS);
    return d.allowed ? { ok: true } : { ok: false, retryAfterMs: d.retryAfterMs };
  }
}

/** Retry-After in whole seconds, at least 1. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
