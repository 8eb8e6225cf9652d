import type { Clock } from '../shared/index.js';

/** Resolves after `ms` on `clock`, or at once when `signal` aborts or `wake` is called. */
export class Sleeper {
  private pending = false;
  private resolveCurrent: (() => void) | undefined;

  constructor(private readonly clock: Clock) {}

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
