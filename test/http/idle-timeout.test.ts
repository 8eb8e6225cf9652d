import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { idleTimeout } from '../../src/http/idle-timeout.js';

/** A connection's idle timeout: restarted by every sign of life, fires once, stopped with the connection. */

describe('idleTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once after the time with no touch', () => {
    const onIdle = vi.fn();
    idleTimeout(1000, onIdle);
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('each touch restarts the count', () => {
    const onIdle = vi.fn();
    const idle = idleTimeout(1000, onIdle);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(800);
      idle.touch();
    }
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does not fire again on a touch after it fired, nor at all once stopped', () => {
    const fired = vi.fn();
    const a = idleTimeout(100, fired);
    vi.advanceTimersByTime(100);
    a.touch();
    vi.advanceTimersByTime(1000);
    expect(fired).toHaveBeenCalledTimes(1);

    const stopped = vi.fn();
    const b = idleTimeout(100, stopped);
    vi.advanceTimersByTime(50);
    b.stop();
    b.touch();
    vi.advanceTimersByTime(1000);
    expect(stopped).not.toHaveBeenCalled();
  });
});
