/**
 * Counts hits per key in fixed windows: "at most `max` per `windowMs`". A window starts at its
 * first hit; a refused hit says how long until the window ends. One interface for the memory
 * counter (one node) and the Redis counter (several nodes count together).
 */
export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; else the time until the window ends and a hit would be counted anew. */
  retryAfterMs: number;
}

export interface RateCounter {
  hit(key: string, max: number, windowMs: number): Promise<RateDecision>;
}
