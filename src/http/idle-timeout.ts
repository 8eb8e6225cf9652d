/**
 * A connection's idle timeout (the media stream, the browser call's socket): `touch()` on every
 * sign of life restarts it, `stop()` when the connection ends. One timer, refreshed: media
 * arrives 50 frames a second per call, and a new timer per frame would be 50 allocations a
 * second for nothing. `onIdle` runs at most once, after `ms` with no touch; touches after it
 * ran, or after `stop()`, do nothing.
 */
export interface IdleTimeout {
  touch(): void;
  stop(): void;
}

/** Starts counting at once. */
export function idleTimeout(ms: number, onIdle: () => void): IdleTimeout {
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    onIdle();
  }, ms);
  return {
    touch() {
      if (!done) timer.refresh();
    },
    stop() {
      done = true;
      clearTimeout(timer);
    },
  };
}
