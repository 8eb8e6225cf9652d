import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/index.js';
import { MemoryRateCounter } from './memory-rate-counter.js';
import type { RateCounter, RateDecision } from './rate-counter.js';

/**
 * INCR and the window's expiry in one script, so a crash between them can never leave a key
 * without a TTL (a counter that never resets would refuse its key for good). Returns the count
 * and the milliseconds left in the window.
 */
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

/** One warning per outage, not per hit. */
const WARN_EVERY_MS = 60_000;

export interface RedisRateCounterOptions {
  redis: Pick<Redis, 'eval'>;
  /** Put before every key, e.g. `sb:rate:` (several apps may share a Redis). */
  prefix?: string;
  log: Pick<Logger, 'warn'>;
  /** Counts while Redis does not answer; default a fresh memory counter. */
  fallback?: RateCounter;
}

/**
 * Fixed windows in Redis, shared by every node. A limit is a guard, not a reason to fail: when
 * Redis errs, the hit is counted by this node alone (the memory fallback) and never refused for
 * the outage.
 */
export class RedisRateCounter implements RateCounter {
  private readonly prefix: string;
  private readonly fallback: RateCounter;
  private lastWarned = 0;

  constructor(private readonly opts: RedisRateCounterOptions) {
    this.prefix = opts.prefix ?? 'sb:rate:';
    this.fallback = opts.fallback ?? new MemoryRateCounter();
  }

  async hit(key: string, max: number, windowMs: number): Promise<RateDecision> {
    try {
      const reply = await this.opts.redis.eval(HIT_SCRIPT, 1, this.prefix + key, String(windowMs));
      const [count, ttl] = parseReply(reply);
      return count <= max
        ? { allowed: true, retryAfterMs: 0 }
        : { allowed: false, retryAfterMs: Math.max(1, ttl) };
    } catch (err) {
      const now = Date.now();
      if (now - this.lastWarned >= WARN_EVERY_MS) {
        this.lastWarned = now;
        this.opts.log.warn({ err }, 'rate counter: Redis failed; counting on this node alone');
      }
      return this.fallback.hit(key, max, windowMs);
    }
  }
}

function parseReply(reply: unknown): [count: number, ttlMs: number] {
  if (Array.isArray(reply) && reply.length === 2) {
    const [count, ttl] = reply.map(Number) as [number, number];
    if (Number.isFinite(count) && Number.isFinite(ttl)) return [count, ttl];
  }
  throw new Error('unexpected reply from the rate script');
}
