/**
 * Time and timers, injectable so tests can run retries, timeouts and pacing without waiting.
 * The one Clock type of the house; two clocks of the system:
 * - `systemClock`: `now()` is epoch ms (Date.now), for times that are stored or compared across
 *   processes (outbox attempts, escalations).
 * - `monotonicClock`: `now()` is performance.now(), for measuring intervals inside one process
 *   (audio playout, turn latency), where a wall-clock step must not move the timeline.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
