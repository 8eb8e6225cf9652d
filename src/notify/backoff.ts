/** When to try a failed notification again: exponential (5 s, 15 s, 45 s, ...) with jitter, capped. */
export interface RetryPolicy {
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Spread as a fraction of the delay (0.2: ±20 %), so nodes retrying a shared outage do not stampede. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 5_000,
  factor: 3,
  maxDelayMs: 15 * 60_000,
  jitter: 0.2,
};

/**
 * Emergency rows: 1 s, 2 s, 4 s, then every 4 s (±20 %, never above the cap), for as long as the
 * emergency window lasts. The cap plus the emergency send timeout bounds how long after a provider
 * comes back the next attempt starts (under 10 s).
 */
export const EMERGENCY_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 4_000,
  jitter: 0.2,
};

/** Delay after the `failedAttempts`-th failure (1-based); `random` in [0, 1). */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number): number {
  const raw = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * policy.factor ** Math.max(0, failedAttempts - 1),
  );
  const spread = raw * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelayMs, raw + spread)));
}
