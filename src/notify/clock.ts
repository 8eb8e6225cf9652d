/**
 * Wall-clock time and timers for the outbox and escalations, injectable so tests can run retries
 * and acknowledgement timeouts without waiting. `now()` is epoch ms: it is stored in the database.
 */
export interface NotifyClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: NotifyClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Pino-compatible logger. Never give it recipients, message bodies or provider error texts. */
export interface NotifyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: NotifyLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Resolves after `ms` on `clock`, or at once when `signal` aborts or `wake` is called. */
export class Sleeper {
  private pending = false;
  private resolveCurrent: (() => void) | undefined;

  constructor(private readonly clock: NotifyClock) {}

  /** Ends the current sleep, or the next one at once if none is in progress. */
  wake(): void {
    this.pending = true;
    this.resolveCurrent?.();
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.clock.clearTimeout(handle);
        signal.removeEventListener('abort', done);
        this.resolveCurrent = undefined;
        this.pending = false;
        resolve();
      };
      const handle = this.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.resolveCurrent = done;
    });
  }
}
