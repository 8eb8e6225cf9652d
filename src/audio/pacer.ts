/**
 * Real-time frame pacing without drift.
 *
 * Frame k plays at start + k * frameMs (its due time). The pacer releases it at
 * max(start, due - leadMs): with a lead, sending runs up to leadMs ahead of playback (Twilio
 * buffers and plays in order; a capped lead keeps `clear` effective and "what was heard"
 * estimates tight). The schedule is absolute, so a late tick is followed by an immediate
 * catch-up rather than pushing every later frame back. Jitter is measured as release time
 * actually achieved minus release time planned.
 */
import { FRAME_MS } from './frames.js';

/** Time source and timer: injectable so tests can drive the pacer with fake time. */
export interface PacerClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's monotonic clock and timers (looked up at call time, so fake timers apply). */
export const systemClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface FramePacerOptions {
  clock: PacerClock;
  /** Duration of one frame, ms. */
  frameMs?: number;
  /** How far ahead of playback frames may be sent, ms; 0 sends each frame when it is due. */
  leadMs?: number;
}

export interface JitterStats {
  /** Frames released so far since start(). */
  readonly frames: number;
  /** Mean of (actual - planned release time), ms. */
  readonly meanMs: number;
  /** Worst lateness seen, ms. */
  readonly maxMs: number;
  /** Frames released a whole frame or more late. */
  readonly late: number;
}

/** Timers may fire this much early (whole-ms timer resolution) and still count as on time. */
const EARLY_TOLERANCE_MS = 1;

export class FramePacer {
  readonly frameMs: number;
  readonly leadMs: number;
  readonly #clock: PacerClock;
  #start = Number.NaN;
  #next = 0;
  #waiting = false;
  #frames = 0;
  #sumJitter = 0;
  #maxJitter = 0;
  #late = 0;

  constructor(options: FramePacerOptions) {
    const { clock, frameMs = FRAME_MS, leadMs = 0 } = options;
    if (!(frameMs > 0)) throw new RangeError(`frameMs must be > 0, got ${frameMs}`);
    if (!(leadMs >= 0)) throw new RangeError(`leadMs must be >= 0, got ${leadMs}`);
    this.#clock = clock;
    this.frameMs = frameMs;
    this.leadMs = leadMs;
  }

  get started(): boolean {
    return !Number.isNaN(this.#start);
  }

  /** Index of the next frame to release. */
  get nextFrame(): number {
    return this.#next;
  }

  /** Anchor frame 0 to play at `at` (default now); restarts the count and the statistics. */
  start(at: number = this.#clock.now()): void {
    this.#start = at;
    this.#next = 0;
    this.#frames = 0;
    this.#sumJitter = 0;
    this.#maxJitter = 0;
    this.#late = 0;
  }

  /** When frame k plays. */
  dueAt(k: number): number {
    return this.#start + k * this.frameMs;
  }

  /** The earliest moment frame k may be sent. */
  releaseAt(k: number): number {
    return Math.max(this.#start, this.dueAt(k) - this.leadMs);
  }

  /** How many more frames may be sent at `now` (0 before start()). */
  due(now: number = this.#clock.now()): number {
    if (!this.started || now < this.#start) return 0;
    let count = Math.floor((now - this.#start + this.leadMs) / this.frameMs) + 1 - this.#next;
    if (count < 0) count = 0;
    // Settle floating-point edges against releaseAt(), the single definition.
    while (count > 0 && this.releaseAt(this.#next + count - 1) > now) count--;
    while (this.releaseAt(this.#next + count) <= now) count++;
    return count;
  }

  /** Record that `count` frames left at `now`; each one's jitter is now - its release time. */
  sent(count = 1, now: number = this.#clock.now()): void {
    if (!this.started) this.start(now);
    for (let i = 0; i < count; i++) {
      const jitter = now - this.releaseAt(this.#next);
      this.#next++;
      this.#frames++;
      this.#sumJitter += jitter;
      if (jitter > this.#maxJitter) this.#maxJitter = jitter;
      if (jitter >= this.frameMs) this.#late++;
    }
  }

  /**
   * Wait until the next frame may be sent, record it as sent, and return its index. Starts the
   * pacer at now if start() was not called. Rejects with the signal's reason once aborted.
   * One wait at a time.
   */
  next(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiting) return Promise.reject(new Error('FramePacer.next() is already waiting'));
    const clock = this.#clock;
    if (!this.started) this.start();
    const k = this.#next;
    const target = this.releaseAt(k);
    if (clock.now() >= target) {
      this.sent(1);
      return Promise.resolve(k);
    }
    this.#waiting = true;
    return new Promise<number>((resolve, reject) => {
      let handle: unknown;
      const onAbort = () => {
        clock.clearTimeout(handle);
        this.#waiting = false;
        reject(signal?.reason);
      };
      const fire = () => {
        const now = clock.now();
        if (now < target - EARLY_TOLERANCE_MS) {
          handle = clock.setTimeout(fire, Math.ceil(target - now));
          return;
        }
        signal?.removeEventListener('abort', onAbort);
        this.#waiting = false;
        this.sent(1, now);
        resolve(k);
      };
      handle = clock.setTimeout(fire, Math.ceil(target - clock.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Call when the source had nothing to send for a while. If playback has already run dry
   * (the next frame's play time is past), move the timeline so the next frame plays now
   * instead of bursting to catch up on time nobody heard; otherwise keep the timeline.
   */
  resync(now: number = this.#clock.now()): void {
    if (!this.started) {
      this.start(now);
      return;
    }
    if (now > this.dueAt(this.#next)) this.#start = now - this.#next * this.frameMs;
  }

  /** Audio sent but not yet played at `now`, ms: the current lead over playback. */
  bufferedMs(now: number = this.#clock.now()): number {
    if (!this.started) return 0;
    return Math.max(0, this.dueAt(this.#next) - now);
  }

  jitter(): JitterStats {
    return {
      frames: this.#frames,
      meanMs: this.#frames === 0 ? 0 : this.#sumJitter / this.#frames,
      maxMs: this.#maxJitter,
      late: this.#late,
    };
  }
}
