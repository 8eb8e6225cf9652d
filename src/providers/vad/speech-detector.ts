import type { VoiceActivityDetector } from './vad.js';

/**
 * Turn-level speech events, in stream time: milliseconds of audio pushed since the detector
 * was created (or last reset), not wall-clock time.
 */
export type SpeechEvent =
  | {
      type: 'speech-start';
      /** Where the speech began: start of the first window of the run that crossed startThreshold. */
      atMs: number;
      /** When it was declared (end of the window that completed minSpeechMs); >= atMs. */
      detectedAtMs: number;
    }
  | {
      type: 'speech-end';
      /** Where the speech ended: start of the first window of the silence that ended it. */
      atMs: number;
      /** atMs of this end minus atMs of its start. */
      durationMs: number;
      /** When it was declared (after minSilenceMs of silence, or at finish()); >= atMs. */
      detectedAtMs: number;
    };

export interface SpeechDetectorOptions {
  /** A window at or above this probability may start speech, and cancels a pending end. */
  startThreshold?: number;
  /** Below this, speech is fading: it cancels a pending start and starts the silence clock. */
  endThreshold?: number;
  /**
   * Speech must stay at or above endThreshold this long (from its first window crossing
   * startThreshold) before speech-start is emitted. Barge-in callers pass ~300 so a cough or a
   * click does not interrupt the agent. Default 300. Rounded up to whole windows (32 ms for Silero).
   */
  minSpeechMs?: number;
  /** Silence (below endThreshold, never back above startThreshold) that ends speech. */
  minSilenceMs?: number;
  /** Once aborted, push() and finish() produce no more events. */
  signal?: AbortSignal;
}

export const SPEECH_DETECTOR_DEFAULTS = {
  startThreshold: 0.5,
  endThreshold: 0.35,
  minSpeechMs: 300,
  minSilenceMs: 500,
} as const;

/**
 * Turns per-window speech probabilities into speech-start / speech-end events with hysteresis,
 * a minimum speech duration and a minimum silence duration. Accepts PCM16 chunks of any size
 * (a Twilio frame is 160 samples at 8 kHz) and cuts them into the VAD's windows.
 */
export class SpeechDetector {
  readonly #vad: VoiceActivityDetector;
  readonly #startThreshold: number;
  readonly #endThreshold: number;
  readonly #minSpeechMs: number;
  readonly #minSilenceMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #pending: Float32Array;
  #pendingLength = 0;
  /** Samples already handed to the VAD. */
  #processedSamples = 0;
  #state: 'silence' | 'maybe-speech' | 'speech' = 'silence';
  #speechStartMs = 0;
  #silenceStartMs: number | null = null;
  /** Start of the current run of windows at or above endThreshold, while silent. */
  #risingSinceMs: number | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #lastProbability = 0;

  constructor(vad: VoiceActivityDetector, options: SpeechDetectorOptions = {}) {
    const o = { ...SPEECH_DETECTOR_DEFAULTS, ...options };
    if (!(o.endThreshold <= o.startThreshold)) {
      throw new RangeError('endThreshold must not exceed startThreshold');
    }
    if (o.minSpeechMs < 0 || o.minSilenceMs < 0) throw new RangeError('durations must be >= 0');
    this.#vad = vad;
    this.#startThreshold = o.startThreshold;
    this.#endThreshold = o.endThreshold;
    this.#minSpeechMs = o.minSpeechMs;
    this.#minSilenceMs = o.minSilenceMs;
    this.#signal = options.signal;
    this.#pending = new Float32Array(vad.windowSamples);
  }

  get sampleRate(): number {
    return this.#vad.sampleRate;
  }

  /** Milliseconds of audio handed to the VAD so far (whole windows only). */
  get processedMs(): number {
    return (this.#processedSamples * 1000) / this.#vad.sampleRate;
  }

  get speaking(): boolean {
    return this.#state === 'speech';
  }

  /** Probability of the last window, for meters and debugging. */
  get lastProbability(): number {
    return this.#lastProbability;
  }

  /**
   * Feed mono PCM16 at the VAD's sample rate. Resolves with the events produced by the windows
   * this chunk completed. Calls may overlap: chunks are processed strictly in push order.
   */
  push(pcm: Int16Array): Promise<SpeechEvent[]> {
    const copy = pcm.slice();
    return this.#enqueue(() => this.#consume(copy));
  }

  /**
   * End of stream: if speech is open, close it at the current stream time. A partial window
   * left over is dropped (under 32 ms of audio).
   */
  finish(): Promise<SpeechEvent[]> {
    return this.#enqueue(async () => {
      if (this.#signal?.aborted || this.#state !== 'speech') {
        this.#state = 'silence';
        return [];
      }
      const now = this.processedMs;
      const end = this.#silenceStartMs ?? now;
      this.#state = 'silence';
      this.#silenceStartMs = null;
      return [{ type: 'speech-end', atMs: end, durationMs: end - this.#speechStartMs, detectedAtMs: now }];
    });
  }

  /** Forget everything, including stream time and the VAD's own state. */
  reset(): Promise<void> {
    return this.#enqueue(async () => {
      this.#vad.reset();
      this.#pendingLength = 0;
      this.#processedSamples = 0;
      this.#state = 'silence';
      this.#silenceStartMs = null;
      this.#risingSinceMs = null;
      this.#lastProbability = 0;
    });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    // A failed chunk must not wedge the queue for later ones; the caller still sees the error.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #consume(pcm: Int16Array): Promise<SpeechEvent[]> {
    const events: SpeechEvent[] = [];
    const window = this.#pending;
    let offset = 0;
    while (offset < pcm.length) {
      if (this.#signal?.aborted) return [];
      const take = Math.min(window.length - this.#pendingLength, pcm.length - offset);
      for (let i = 0; i < take; i++) window[this.#pendingLength + i] = (pcm[offset + i] ?? 0) / 32768;
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength < window.length) break;
      const p = await this.#vad.process(window);
      this.#pendingLength = 0;
      if (this.#signal?.aborted) return [];
      const startMs = this.processedMs;
      this.#processedSamples += window.length;
      const event = this.#step(p, startMs, this.processedMs);
      if (event) events.push(event);
    }
    return events;
  }

  /** The hysteresis state machine for one window spanning [startMs, endMs). */
  #step(p: number, startMs: number, endMs: number): SpeechEvent | undefined {
    this.#lastProbability = p;
    switch (this.#state) {
      case 'silence':
        if (p < this.#endThreshold) {
          this.#risingSinceMs = null;
          return undefined;
        }
        // Speech begins where the probability first rose past the lower threshold, not where it
        // finally crossed the upper one: Silero ramps up over a window or two at an onset.
        this.#risingSinceMs ??= startMs;
        if (p < this.#startThreshold) return undefined;
        this.#state = 'maybe-speech';
        this.#speechStartMs = this.#risingSinceMs;
        this.#risingSinceMs = null;
        return this.#maybeDeclare(endMs);
      case 'maybe-speech':
        if (p < this.#endThreshold) {
          // Too short to be speech (a cough, a click): forget it.
          this.#state = 'silence';
          return undefined;
        }
        return this.#maybeDeclare(endMs);
      case 'speech':
        if (p >= this.#startThreshold) {
          this.#silenceStartMs = null;
          return undefined;
        }
        if (p < this.#endThreshold && this.#silenceStartMs === null) this.#silenceStartMs = startMs;
        if (this.#silenceStartMs !== null && endMs - this.#silenceStartMs >= this.#minSilenceMs) {
          const end = this.#silenceStartMs;
          this.#state = 'silence';
          this.#silenceStartMs = null;
          return {
            type: 'speech-end',
            atMs: end,
            durationMs: end - this.#speechStartMs,
            detectedAtMs: endMs,
          };
        }
        return undefined;
    }
  }

  #maybeDeclare(endMs: number): SpeechEvent | undefined {
    // Tolerance for float rounding in window durations (e.g. 20 ms windows summing to 300).
    if (endMs - this.#speechStartMs + 1e-6 < this.#minSpeechMs) return undefined;
    this.#state = 'speech';
    this.#silenceStartMs = null;
    return { type: 'speech-start', atMs: this.#speechStartMs, detectedAtMs: endMs };
  }
}
