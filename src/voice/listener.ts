import { Resampler } from '../audio/resample.js';
import type { SpeechStream, SpeechToText } from '../providers/stt/stt.js';
import type { SpeechDetector, SpeechEvent } from '../providers/vad/speech-detector.js';
import type { Clock } from './playout.js';
import { looksUnfinished, type TurnTakingConfig } from './turn-taking.js';

/** What the caller's side of the call produces, in order. Times in ms of stream audio. */
export type ListenerEvent =
  /** The caller started speaking (VAD, past the minimum speech length). */
  | { type: 'speech-start'; atMs: number }
  /** The caller is still speaking, `speechMs` since the start: barge-in decisions use it. */
  | { type: 'speech-progress'; speechMs: number; partial: string }
  /** A finished caller turn with its transcript (empty when nothing was recognised). */
  | {
      type: 'utterance';
      text: string;
      confidence?: number;
      durationMs: number;
      /** Clock time the caller actually stopped speaking (before the silence window). */
      endOfSpeechAt: number;
      /** Clock time the final transcript was ready. */
      sttFinalAt: number;
      /** Silence window that ended this turn (part of the wait, not of the processing). */
      endpointingMs: number;
    }
  /** Sound that did not become a turn (too short, nothing recognised). */
  | { type: 'noise'; durationMs: number };

const PREROLL_MS = 1000;
/**
 * Audio before the VAD's start of speech that the recognizer still gets. The detector marks where
 * the probability crossed its threshold, which is after a soft onset ("y" of "yes", "th" of
 * "that"): without this margin "yes that is right" was heard as "no that is right".
 */
export const SPEECH_PAD_MS = 300;
/** A window at least this likely to be speech counts as voiced (the detector's end threshold). */
const VOICED_PROBABILITY = 0.35;

interface OpenUtterance {
  stt: SpeechStream;
  startMs: number;
  resampler: Resampler | undefined;
  holdTimer: unknown;
  /** The last speech-end while held: the turn ends there unless speech resumes. */
  heldEnd: { atMs: number } | undefined;
  abort: AbortController;
  /** The recognizer failed on this utterance: it gets no more audio (one error, not one per frame). */
  failed: boolean;
}

/**
 * The caller's side: VAD decides when speech starts and ends, the recognizer is fed from the
 * start of speech (with a pre-roll so the first syllable is not lost) while the caller talks,
 * and a turn ends after the silence window, held longer when the words are plainly unfinished.
 */
export class Listener {
  private streamMs = 0;
  private readonly preroll: Array<{ atMs: number; ms: number; pcm: Int16Array }> = [];
  private utterance: OpenUtterance | undefined;
  private speechStartMs: number | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      detector: SpeechDetector;
      stt: SpeechToText;
      config: TurnTakingConfig;
      clock: Clock;
      onEvent: (e: ListenerEvent) => void;
      onError: (err: unknown) => void;
    },
  ) {}

  /** ms of caller audio received so far. */
  get positionMs(): number {
    return this.streamMs;
  }

  /** Caller audio as it arrives (8 kHz PCM16, normally one 20 ms frame). */
  push(pcm: Int16Array): void {
    if (this.closed) return;
    const atMs = this.streamMs;
    const ms = pcm.length / 8; // 8 kHz
    this.streamMs += ms;
    this.preroll.push({ atMs, ms, pcm });
    while (this.preroll.length > 0 && this.preroll[0]!.atMs < this.streamMs - PREROLL_MS)
      this.preroll.shift();
    if (this.utterance) this.feed(this.utterance, pcm);
    // Nothing in this chain may reject unhandled: the detector, the recognizer and the event
    // handler can each fail, and each failure is this call's to report, not the process's.
    this.deps.detector
      .push(pcm)
      .then((events) => this.onSpeechEvents(events))
      .catch((err: unknown) => this.deps.onError(err));
  }

  private feed(u: OpenUtterance, pcm: Int16Array): void {
    if (u.failed) return;
    try {
      u.stt.push(u.resampler ? u.resampler.push(pcm) : pcm);
    } catch (err) {
      u.failed = true;
      this.deps.onError(err);
    }
  }

  /** Hands an event on; a handler's fault is reported and the listener goes on. */
  private emit(e: ListenerEvent): void {
    try {
      this.deps.onEvent(e);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  private onSpeechEvents(events: SpeechEvent[]): void {
    if (this.closed) return;
    for (const e of events) {
      try {
        if (e.type === 'speech-start') this.onSpeechStart(e.atMs);
        else this.onSpeechEnd(e.atMs);
      } catch (err) {
        this.deps.onError(err);
      }
    }
    // Progress counts voiced audio only: the silence before a speech-end is not more speech.
    const voiced = this.deps.detector.lastProbability >= VOICED_PROBABILITY;
    if (voiced && this.deps.detector.speaking && this.speechStartMs !== undefined && this.utterance) {
      this.emit({
        type: 'speech-progress',
        speechMs: this.deps.detector.processedMs - this.speechStartMs,
        partial: this.utterance.stt.partial(),
      });
    }
  }

  private onSpeechStart(atMs: number): void {
    this.speechStartMs = atMs;
    const held = this.utterance;
    if (held?.heldEnd) {
      // The caller went on after an unfinished phrase: same turn, same recognizer.
      this.deps.clock.clearTimeout(held.holdTimer);
      held.heldEnd = undefined;
      return;
    }
    if (held) return;
    const abort = new AbortController();
    const u: OpenUtterance = {
      stt: this.deps.stt.start(abort.signal),
      startMs: atMs,
      resampler:
        this.deps.stt.sampleRate === 8000 ? undefined : new Resampler(8000, this.deps.stt.sampleRate),
      holdTimer: undefined,
      heldEnd: undefined,
      abort,
      failed: false,
    };
    this.utterance = u;
    // Audio from just before the start of speech up to now went by before we knew: replay it.
    const from = atMs - SPEECH_PAD_MS;
    for (const f of this.preroll) if (f.atMs + f.ms > from) this.feed(u, f.pcm);
    this.emit({ type: 'speech-start', atMs });
  }

  private onSpeechEnd(atMs: number): void {
    const u = this.utterance;
    this.speechStartMs = undefined;
    if (!u) return;
    const silenceSoFar = this.deps.detector.processedMs - atMs;
    if (this.deps.config.unfinishedExtraMs > 0 && looksUnfinished(u.stt.partial())) {
      u.heldEnd = { atMs };
      const wait = Math.max(
        0,
        this.deps.config.unfinishedExtraMs - (silenceSoFar - this.deps.config.endOfTurnSilenceMs),
      );
      u.holdTimer = this.deps.clock.setTimeout(() => void this.finalize(u, atMs), wait);
      return;
    }
    void this.finalize(u, atMs);
  }

  /** Never rejects: callers fire and forget it. */
  private async finalize(u: OpenUtterance, endAtMs: number): Promise<void> {
    if (this.utterance !== u || this.closed) return;
    this.utterance = undefined;
    const now = this.deps.clock.now();
    const endOfSpeechAt = now - Math.max(0, this.streamMs - endAtMs);
    const durationMs = endAtMs - u.startMs;
    try {
      if (u.resampler && !u.failed) u.stt.push(u.resampler.flush());
      const result = await u.stt.finish();
      if (this.closed) return;
      const text = result.text.trim();
      if (!text && durationMs < 400) {
        this.emit({ type: 'noise', durationMs });
        return;
      }
      this.emit({
        type: 'utterance',
        text,
        ...(result.confidence !== undefined ? { confidence: result.confidence } : {}),
        durationMs,
        endOfSpeechAt,
        sttFinalAt: this.deps.clock.now(),
        endpointingMs: Math.round(now - endOfSpeechAt),
      });
    } catch (err) {
      this.deps.onError(err);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const u = this.utterance;
    this.utterance = undefined;
    if (u) {
      this.deps.clock.clearTimeout(u.holdTimer);
      u.abort.abort();
      try {
        u.stt.close();
      } catch (err) {
        this.deps.onError(err);
      }
    }
  }
}
