/*
 * Issue 9: `stt` may be a list (the call's failover order). A recognizer whose stream fails, or
 * that gives no result within `stallMs` of the end of the caller's speech, is replaced for the
 * rest of the call by the next one, which is given the audio of the turns still waiting for words
 * (`onSwitch` tells). The last one is never timed out: it is the offline one that always answers.
 *
 * For call-session (issue 8): the outward face is unchanged in shape: `new Listener({detector,
 * stt, config, clock, onEvent, onError})`, push(), positionMs, close(). Added: an optional
 * `track` (default 'inbound', also on `listener.track`), and two events: 'speech-end' (once per
 * caller turn, right before its 'utterance' or 'noise': where the speech really stopped) and
 * 'interim' (the recognizer's words so far, when they change). Inside, the recognizer is now one
 * event stream per call (SpeechToText.stream) instead of one per utterance.
 */
import { Resampler } from '../audio/index.js';
import type { SpeechToText, SttEvent, SttStream, Track } from '../providers/stt/index.js';
import type { SpeechDetector, SpeechEvent } from '../providers/vad/index.js';
import type { Clock, ExpectedSpeech } from '../shared/index.js';
import { looksUnfinished, type TurnTakingConfig } from './turn-taking.js';

/** What one side of the call produces, in order. Times in ms of stream audio. */
export type ListenerEvent =
  /** Speech started (VAD, past the minimum speech length). */
  | { type: 'speech-start'; atMs: number }
  /** Still speaking, `speechMs` since the start: barge-in decisions use it. */
  | { type: 'speech-progress'; speechMs: number; partial: string }
  /** The recognizer's words so far for the turn under way (each replaces the previous one). */
  | { type: 'interim'; text: string }
  /** The turn's speech ended at `atMs` (emitted once the turn is over, before its result). */
  | { type: 'speech-end'; atMs: number; durationMs: number }
  /** A finished turn with its transcript (empty when nothing was recognised). `startMs`: its speech-start's. */
  | {
      type: 'utterance';
      startMs: number;
      text: string;
      confidence?: number;
      /** The recognizer's other readings of the same audio, best first: distinct, never `text`. */
      alternatives?: readonly string[];
      durationMs: number;
      /** Clock time the caller actually stopped speaking (before the silence window). */
      endOfSpeechAt: number;
      /** Clock time the final transcript was ready. */
      sttFinalAt: number;
      /** Silence window that ended this turn (part of the wait, not of the processing). */
      endpointingMs: number;
    }
  /** Sound that did not become a turn (too short, nothing recognised). */
  | { type: 'noise'; startMs: number; durationMs: number };

const PREROLL_MS = 1000;
/**
 * Audio before the VAD's start of speech that the recognizer still gets. The detector marks where
 * the probability crossed its threshold, which is after a soft onset ("y" of "yes", "th" of
 * "that"): without this margin "yes that is right" was heard as "no that is right".
 */
export const SPEECH_PAD_MS = 300;
/** A window at least this likely to be speech counts as voiced (the detector's end threshold). */
const VOICED_PROBABILITY = 0.35;
/** Shorter than this and nothing recognised: noise, not a turn. */
const NOISE_MS = 400;
/** A turn's audio kept for a recognizer taking over: longer turns keep their last 30 s. */
const MAX_TURN_AUDIO_MS = 30_000;
/** After a recognizer failed with nothing to fall back to, how long before a new stream is tried. */
const REOPEN_AFTER_MS = 1000;

/** The recognizer was replaced for the rest of the call. */
export interface RecognizerSwitch {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  /** A caller turn was over and waiting for its words: the caller is waiting for an answer. */
  readonly callerWaiting: boolean;
}

/** A caller turn: from the VAD's start to its result. */
interface Turn {
  startMs: number;
  /** VAD mode: the stream this turn's audio went to (dead stream: the turn is lost). */
  stream: SttStream | undefined;
  resampler: Resampler | undefined;
  /** Engine mode: the last VAD speech-end, undefined while speech goes on. */
  lastEndMs: number | undefined;
  partial: string;
  finals: string[];
  /** Per final, its readings (the first is the final's text). */
  readings: string[][];
  confidence: number | undefined;
  /** VAD mode: flushed, waiting for the recognizer's final. */
  endAtMs: number | undefined;
  endOfSpeechAt: number;
  endpointingMs: number;
  /** The turn's audio at 8 kHz, from just before its start: what a recognizer taking over hears. */
  audio: Int16Array[];
  audioMs: number;
}

/**
 * One side of a call: VAD decides when speech starts (and barge-in), the recognizer gets the
 * audio as one stream for the call, and a turn ends either where our VAD says (after the silence
 * window, held longer when the words are plainly unfinished; the recognizer is fed from just
 * before the start of speech and flushed at the end) or where the engine's own endpointing says,
 * as the provider declares (capabilities.turnEnd).
 */
export class Listener {
  readonly track: Track;
  private streamMs = 0;
  private readonly preroll: Array<{ atMs: number; ms: number; pcm: Int16Array }> = [];
  /** The turn taking audio now. */
  private turn: Turn | undefined;
  /** VAD mode: turns flushed and waiting for their final, oldest first (the stream keeps order). */
  private readonly finishing: Turn[] = [];
  private speechStartMs: number | undefined;
  private stream: SttStream | undefined;
  /** Engine mode: the stream's resampler (one for the call). */
  private streamResampler: Resampler | undefined;
  private readonly lifetime = new AbortController();
  private engineEndpointing: boolean;
  private closed = false;
  /** The recognizers in failover order, and which one the call is on. */
  private readonly chain: readonly SpeechToText[];
  private current = 0;
  private stallTimer: unknown = undefined;
  /** Clock time before which no new stream is opened (the only recognizer just failed). */
  private reopenAt = -Infinity;
  /** What the caller is likely to say next; every stream opened gets it (failover included). */
  private expectation: ExpectedSpeech = 'open';
  /**
   * VAD mode: a result whose words plainly go on ("my number is"), held for the rest of the
   * phrase; `continued` once the caller spoke again (the next result joins it).
   */
  private held: { event: UtteranceEvent; timer: unknown; continued: boolean } | undefined;
  /** The detector's work on audio already pushed: a drain waits for it. */
  private detecting: Promise<void> = Promise.resolve();
  /** Called whenever a turn may have finished: a drain checks whether anything is left. */
  private onSettle: (() => void) | undefined;

  constructor(
    private readonly deps: {
      detector: SpeechDetector;
      /** One recognizer, or the call's failover order (first is used until it fails). */
      stt: SpeechToText | readonly SpeechToText[];
      config: TurnTakingConfig;
      clock: Clock;
      onEvent: (e: ListenerEvent) => void;
      onError: (err: unknown) => void;
      /** Which side of the call this listens to; default 'inbound' (the caller). */
      track?: Track;
      /** No result this long after the caller stopped: the recognizer is replaced (default 1500). */
      stallMs?: number;
      /** The recognizer was replaced (never called for the last one failing: onError is). */
      onSwitch?: (s: RecognizerSwitch) => void;
      /** Whose words the open model carries (SttStreamOptions.vocabulary), e.g. the business id. */
      vocabulary?: string;
    },
  ) {
    this.track = deps.track ?? 'inbound';
    this.chain = Array.isArray(deps.stt) ? deps.stt : [deps.stt as SpeechToText];
    if (this.chain.length === 0) throw new Error('Listener needs at least one recognizer');
    this.engineEndpointing = this.stt.capabilities.turnEnd === 'engine';
  }

  /** The recognizer the call is on now. */
  get stt(): SpeechToText {
    return this.chain[this.current]!;
  }

  private get hasFallback(): boolean {
    return this.current < this.chain.length - 1;
  }

  /** ms of audio received so far. */
  get positionMs(): number {
    return this.streamMs;
  }

  /**
   * What the caller is likely to say next (the brain's listen hint): the recognizer narrows its
   * model from the next utterance that starts. Kept for the rest of the call until told again, and
   * given to every stream opened later (a recognizer taking over included).
   */
  expect(next: ExpectedSpeech): void {
    if (next === this.expectation) return;
    this.expectation = next;
    const stream = this.stream;
    if (!stream) return;
    try {
      stream.expect(next);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /** What the recognizer has been told to expect. */
  get expected(): ExpectedSpeech {
    return this.expectation;
  }

  /** Audio as it arrives (8 kHz PCM16, normally one 20 ms frame). */
  push(pcm: Int16Array): void {
    if (this.closed) return;
    const atMs = this.streamMs;
    const ms = pcm.length / 8; // 8 kHz
    this.streamMs += ms;
    // Kept in both modes: a recognizer taking over mid-call needs the start of the turn.
    this.preroll.push({ atMs, ms, pcm });
    while (this.preroll.length > 0 && this.preroll[0]!.atMs < this.streamMs - PREROLL_MS)
      this.preroll.shift();
    if (this.turn) keepAudio(this.turn, pcm);
    if (this.engineEndpointing) {
      // The engine hears everything and decides where turns end.
      const stream = this.open();
      if (stream) this.send(stream, this.streamResampler, pcm);
    } else if (this.turn) {
      this.feed(this.turn, pcm);
    }
    // Nothing in this chain may reject unhandled: the detector, the recognizer and the event
    // handler can each fail, and each failure is this call's to report, not the process's.
    this.detecting = this.deps.detector
      .push(pcm)
      .then((events) => this.onSpeechEvents(events))
      .catch((err: unknown) => this.deps.onError(err));
  }

  /** The call's recognizer stream, opened on first use and again after one failed. */
  private open(): SttStream | undefined {
    if (this.stream) return this.stream;
    if (this.closed || this.deps.clock.now() < this.reopenAt) return undefined;
    let stream: SttStream;
    try {
      stream = this.stt.stream({
        track: this.track,
        signal: this.lifetime.signal,
        ...(this.deps.vocabulary !== undefined ? { vocabulary: this.deps.vocabulary } : {}),
      });
    } catch (err) {
      if (this.hasFallback) return (this.failover(`error: ${describe(err)}`), this.stream);
      this.deps.onError(err);
      this.reopenAt = this.deps.clock.now() + REOPEN_AFTER_MS;
      return undefined;
    }
    this.stream = stream;
    try {
      // Before any audio: the first utterance of this stream decodes with the current model.
      stream.expect(this.expectation);
    } catch (err) {
      this.deps.onError(err);
    }
    const rate = this.stt.sampleRate;
    this.streamResampler = this.engineEndpointing && rate !== 8000 ? new Resampler(8000, rate) : undefined;
    void this.read(stream);
    return stream;
  }

  /** Never rejects. A stream that fails is reported and dropped: the next turn opens another. */
  private async read(stream: SttStream): Promise<void> {
    try {
      for await (const e of stream) {
        if (this.closed) break;
        try {
          this.onSttEvent(e);
        } catch (err) {
          this.deps.onError(err);
        }
        this.onSettle?.();
      }
    } catch (err) {
      if (!this.closed && this.stream === stream && this.hasFallback) {
        this.failover(`error: ${describe(err)}`);
        return;
      }
      if (!this.closed) {
        this.deps.onError(err);
        this.reopenAt = this.deps.clock.now() + REOPEN_AFTER_MS;
      }
    } finally {
      this.dropStream(stream);
      this.onSettle?.();
    }
  }

  private dropStream(stream: SttStream): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    try {
      stream.close();
    } catch (err) {
      if (!this.closed) this.deps.onError(err);
    }
    // Turns whose words were in that stream will get no result.
    this.finishing.length = 0;
    if (this.turn?.stream === stream) this.turn.stream = undefined;
    if (this.engineEndpointing) this.turn = undefined;
  }

  private send(stream: SttStream, resampler: Resampler | undefined, pcm: Int16Array): void {
    try {
      stream.push(resampler ? resampler.push(pcm) : pcm);
    } catch (err) {
      // One error, not one per frame: the stream is done for.
      if (this.hasFallback && this.stream === stream) {
        this.failover(`error: ${describe(err)}`);
        return;
      }
      this.deps.onError(err);
      this.dropStream(stream);
    }
  }

  private feed(t: Turn, pcm: Int16Array): void {
    if (t.stream && t.stream === this.stream) this.send(t.stream, t.resampler, pcm);
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
    if (voiced && this.deps.detector.speaking && this.speechStartMs !== undefined && this.turn) {
      this.emit({
        type: 'speech-progress',
        speechMs: this.deps.detector.processedMs - this.speechStartMs,
        partial: this.turn.partial,
      });
    }
  }

  private newTurn(startMs: number, stream: SttStream | undefined): Turn {
    const rate = this.stt.sampleRate;
    const t: Turn = {
      startMs,
      stream,
      resampler: !this.engineEndpointing && rate !== 8000 ? new Resampler(8000, rate) : undefined,
      lastEndMs: undefined,
      partial: '',
      finals: [],
      readings: [],
      confidence: undefined,
      endAtMs: undefined,
      endOfSpeechAt: 0,
      endpointingMs: 0,
      audio: [],
      audioMs: 0,
    };
    // Audio from just before the start of speech: it went by before we knew.
    const from = startMs - SPEECH_PAD_MS;
    for (const f of this.preroll) if (f.atMs + f.ms > from) keepAudio(t, f.pcm);
    return t;
  }

  private onSpeechStart(atMs: number): void {
    this.speechStartMs = atMs;
    if (this.held && !this.held.continued) {
      this.deps.clock.clearTimeout(this.held.timer);
      this.held.continued = true;
    }
    const held = this.turn;
    if (held) {
      // Same turn goes on (engine mode): the engine has not ended it.
      held.lastEndMs = undefined;
      if (this.engineEndpointing) this.disarmStall();
      return;
    }
    if (this.engineEndpointing) {
      this.turn = this.newTurn(atMs, undefined);
      this.emit({ type: 'speech-start', atMs });
      return;
    }
    const t = this.newTurn(atMs, this.open());
    this.turn = t;
    // Audio from just before the start of speech up to now went by before we knew: replay it.
    for (const pcm of t.audio) this.feed(t, pcm);
    this.emit({ type: 'speech-start', atMs });
  }

  private onSpeechEnd(atMs: number): void {
    const t = this.turn;
    this.speechStartMs = undefined;
    if (!t) return;
    if (this.engineEndpointing) {
      t.lastEndMs = atMs; // the engine's utterance-end ends the turn
      this.armStall();
      return;
    }
    // Whether the words go on is judged on the final (see result()): an offline recognizer's
    // interim lags the speech by a word or more, and holding on it cost finished sentences 800 ms.
    this.finishTurn(t, atMs);
  }

  /** VAD mode: the turn's speech is over; its transcript comes as the stream's final. */
  private finishTurn(t: Turn, endAtMs: number): void {
    if (this.turn !== t || this.closed) return;
    this.turn = undefined;
    this.stamp(t, endAtMs);
    this.emit({ type: 'speech-end', atMs: endAtMs, durationMs: endAtMs - t.startMs });
    const stream = t.stream;
    if (!stream || stream !== this.stream) return; // its recognizer failed (reported): no result
    try {
      if (t.resampler) stream.push(t.resampler.flush());
      stream.flush();
      this.finishing.push(t);
      this.armStall();
    } catch (err) {
      if (this.hasFallback) {
        this.finishing.push(t);
        this.failover(`error: ${describe(err)}`);
        return;
      }
      this.deps.onError(err);
      this.dropStream(stream);
    }
  }

  /** Where the turn's speech ended, in clock time, and the silence waited after it. */
  private stamp(t: Turn, endAtMs: number): void {
    const now = this.deps.clock.now();
    t.endAtMs = endAtMs;
    t.endOfSpeechAt = now - Math.max(0, this.streamMs - endAtMs);
    t.endpointingMs = Math.round(now - t.endOfSpeechAt);
  }

  private onSttEvent(e: SttEvent): void {
    // VAD mode: events of flushed turns come first, in order; then those of the turn under way.
    const t = this.finishing[0] ?? this.turn;
    switch (e.type) {
      case 'speech-started':
        // Speech start and barge-in come from our VAD, which hears every provider alike.
        return;
      case 'interim':
        if (!t || t !== this.turn || t.partial === e.text) return;
        t.partial = e.text;
        this.emit({ type: 'interim', text: e.text });
        // New words while the caller is still speaking: barge-in need not wait for the next voiced
        // window ("stop," then a pause: the words are known before the speech goes on).
        if (this.deps.detector.speaking && this.speechStartMs !== undefined)
          this.emit({
            type: 'speech-progress',
            speechMs: this.deps.detector.processedMs - this.speechStartMs,
            partial: t.partial,
          });
        return;
      case 'final': {
        // Engine mode: words the VAD did not count as speech still make a turn.
        const target = t ?? (this.engineEndpointing ? this.startEngineTurn() : undefined);
        if (!target) return;
        if (e.text.trim()) {
          target.finals.push(e.text.trim());
          target.readings.push([e.text.trim(), ...e.alternatives.map((a) => a.text.trim())]);
        }
        if (e.confidence !== undefined) target.confidence = Math.min(target.confidence ?? 1, e.confidence);
        // Words came: the engine is alive; the timer now only waits for it to end the turn.
        if (this.engineEndpointing && target.lastEndMs !== undefined) this.armStall({ fromNow: true });
        return;
      }
      case 'utterance-end':
        if (this.engineEndpointing) this.endEngineTurn();
        else if (this.finishing[0]) this.result(this.finishing.shift()!);
        this.disarmStall();
        if (!this.engineEndpointing && this.finishing.length > 0) this.armStall();
        return;
    }
  }

  private startEngineTurn(): Turn {
    const t = this.newTurn(this.streamMs, undefined);
    this.turn = t;
    this.emit({ type: 'speech-start', atMs: t.startMs });
    return t;
  }

  private endEngineTurn(): void {
    const t = this.turn;
    if (!t) return;
    this.turn = undefined;
    const endAtMs = t.lastEndMs ?? this.streamMs;
    this.stamp(t, endAtMs);
    this.emit({ type: 'speech-end', atMs: endAtMs, durationMs: endAtMs - t.startMs });
    this.result(t);
  }

  private result(t: Turn): void {
    const text = t.finals.join(' ');
    const durationMs = (t.endAtMs ?? this.streamMs) - t.startMs;
    if (!text && durationMs < NOISE_MS) {
      this.releaseHeld();
      this.emit({ type: 'noise', startMs: t.startMs, durationMs });
      return;
    }
    const alternatives = otherReadings(t.readings, text);
    let event: UtteranceEvent = {
      type: 'utterance',
      startMs: t.startMs,
      text,
      ...(t.confidence !== undefined ? { confidence: t.confidence } : {}),
      ...(alternatives.length > 0 ? { alternatives } : {}),
      durationMs,
      endOfSpeechAt: t.endOfSpeechAt,
      sttFinalAt: this.deps.clock.now(),
      endpointingMs: t.endpointingMs,
    };
    if (this.held?.continued) {
      event = joinUtterances(this.held.event, event);
      this.held = undefined;
    }
    this.releaseHeld();
    if (!this.engineEndpointing && this.deps.config.unfinishedExtraMs > 0 && looksUnfinished(event.text)) {
      // The rest of the phrase may come: wait what is left of the extra time, counted from
      // where the caller stopped (the silence window and the decoding are part of it).
      const waited = this.deps.clock.now() - event.endOfSpeechAt - this.deps.config.endOfTurnSilenceMs;
      const wait = Math.max(0, this.deps.config.unfinishedExtraMs - waited);
      const held = { event, continued: false, timer: undefined as unknown };
      held.timer = this.deps.clock.setTimeout(() => {
        if (this.held === held) this.releaseHeld();
      }, wait);
      this.held = held;
      return;
    }
    this.emit(event);
  }

  /** Emits a held result as it is (its continuation did not come, or the call is ending). */
  private releaseHeld(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    this.deps.clock.clearTimeout(h.timer);
    this.emit(h.event);
  }

  /**
   * Starts waiting for the recognizer's result of the oldest turn that needs one (VAD mode: the
   * first flushed turn; engine mode: the turn whose speech ended). Only while a recognizer
   * remains to fall back to: the last one is never timed out.
   */
  private armStall(opts: { fromNow?: boolean } = {}): void {
    this.disarmStall();
    if (!this.hasFallback || this.closed) return;
    const ms = this.deps.stallMs ?? 1500;
    // Counted from where the caller stopped (the silence they hear), not from when we noticed.
    const t = this.engineEndpointing ? this.turn : this.finishing[0];
    const endMs = this.engineEndpointing ? t?.lastEndMs : t?.endAtMs;
    const waited = opts.fromNow || endMs === undefined ? 0 : Math.max(0, this.streamMs - endMs);
    this.stallTimer = this.deps.clock.setTimeout(
      () => {
        this.stallTimer = undefined;
        const t = this.engineEndpointing ? this.turn : this.finishing[0];
        if (!t) return;
        // Engine mode with words already: the engine only failed to say the turn is over.
        if (this.engineEndpointing && t.finals.length > 0) return this.endEngineTurn();
        this.failover(`stalled: no result ${ms} ms after the caller stopped`);
      },
      Math.max(0, ms - waited),
    );
  }

  private disarmStall(): void {
    if (this.stallTimer === undefined) return;
    this.deps.clock.clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /**
   * The recognizer failed: the next one takes over for the rest of the call. Turns waiting for
   * words are given to it again, whole (their partial words from the failed one are dropped, so
   * nothing is said twice), in order; the turn under way goes on with it.
   */
  private failover(reason: string): void {
    if (this.closed || !this.hasFallback) return;
    this.disarmStall();
    const from = this.stt.name;
    const old = this.stream;
    this.stream = undefined;
    this.streamResampler = undefined;
    try {
      old?.close();
    } catch {
      // It failed already; closing it is only tidying.
    }
    const callerWaiting =
      this.finishing.length > 0 || (this.engineEndpointing && this.turn?.lastEndMs !== undefined);
    this.current++;
    this.engineEndpointing = this.stt.capabilities.turnEnd === 'engine';
    try {
      this.deps.onSwitch?.({ from, to: this.stt.name, reason, callerWaiting });
    } catch (err) {
      this.deps.onError(err);
    }
    const waiting = this.finishing.splice(0);
    const live = this.turn;
    // Turns whose speech is over: the new recognizer hears each and ends it.
    const ended = live && live.lastEndMs !== undefined && !this.engineEndpointing ? [live] : [];
    if (ended.length > 0) this.turn = undefined;
    const stream = this.open();
    if (!stream) return;
    for (const t of [...waiting, ...ended]) {
      t.partial = '';
      t.finals = [];
      t.readings = [];
      t.confidence = undefined;
      if (this.engineEndpointing) continue; // an engine takes the live audio; old turns are lost
      t.stream = stream;
      t.resampler = this.stt.sampleRate !== 8000 ? new Resampler(8000, this.stt.sampleRate) : undefined;
      for (const pcm of t.audio) this.feed(t, pcm);
      if (t.resampler) stream.push(t.resampler.flush());
      stream.flush();
      if (t.endAtMs === undefined) {
        // Ended by the engine-mode VAD but not yet stamped: it ends where the VAD said.
        this.stamp(t, t.lastEndMs ?? this.streamMs);
        this.emit({ type: 'speech-end', atMs: t.endAtMs!, durationMs: t.endAtMs! - t.startMs });
      }
      this.finishing.push(t);
    }
    if (live && this.turn === live) {
      live.partial = '';
      live.finals = [];
      live.readings = [];
      if (!this.engineEndpointing) {
        live.stream = stream;
        live.resampler = this.stt.sampleRate !== 8000 ? new Resampler(8000, this.stt.sampleRate) : undefined;
        for (const pcm of live.audio) this.feed(live, pcm);
      }
    }
    if (this.finishing.length > 0) this.armStall();
  }

  /**
   * The call is ending (the caller hung up): the turn under way ends where the audio ends,
   * without waiting for the silence window, and its result (and those of turns already waiting
   * for words) comes as usual. Resolves once no turn waits for words, or after `maxMs`.
   */
  async drain(maxMs: number): Promise<void> {
    if (this.closed) return;
    // The detector's verdict on the last frames: speech may have started in them.
    await this.detecting;
    if (this.held && !this.held.continued) this.releaseHeld();
    const t = this.turn;
    if (t && !this.closed) {
      if (!this.engineEndpointing) {
        this.finishTurn(t, this.streamMs);
      } else if (this.stream) {
        t.lastEndMs ??= this.streamMs;
        try {
          this.stream.flush();
        } catch (err) {
          this.deps.onError(err);
        }
      }
    }
    const waiting = () =>
      !this.closed && (this.finishing.length > 0 || (this.engineEndpointing && !!this.turn));
    if (!waiting()) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.deps.clock.clearTimeout(timer);
        this.onSettle = undefined;
        resolve();
      };
      const timer = this.deps.clock.setTimeout(done, maxMs);
      this.onSettle = () => {
        if (!waiting()) done();
      };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.turn = undefined;
    this.finishing.length = 0;
    if (this.held) this.deps.clock.clearTimeout(this.held.timer);
    this.held = undefined;
    this.disarmStall();
    const stream = this.stream;
    this.stream = undefined;
    this.onSettle?.();
    this.lifetime.abort();
    try {
      stream?.close();
    } catch (err) {
      this.deps.onError(err);
    }
  }
}

type UtteranceEvent = Extract<ListenerEvent, { type: 'utterance' }>;

/** A phrase that went on after a pause ("my number is" ... "five five five"): one turn. */
function joinUtterances(first: UtteranceEvent, rest: UtteranceEvent): UtteranceEvent {
  const text = `${first.text} ${rest.text}`.trim();
  const alternatives = [
    ...(rest.alternatives ?? []).map((a) => `${first.text} ${a}`.trim()),
    ...(first.alternatives ?? []).map((a) => `${a} ${rest.text}`.trim()),
  ].filter((a, i, all) => a !== text && all.indexOf(a) === i);
  const confidence =
    first.confidence === undefined ? rest.confidence : Math.min(first.confidence, rest.confidence ?? 1);
  return {
    ...rest,
    startMs: first.startMs,
    text,
    ...(confidence !== undefined ? { confidence } : {}),
    ...(alternatives.length > 0 ? { alternatives } : {}),
    durationMs: rest.startMs + rest.durationMs - first.startMs,
  };
}

/**
 * The utterance's other readings: for each final piece, its alternatives with the other pieces as
 * recognised (one final per utterance is the common case). Distinct, non-empty, never the text.
 */
function otherReadings(readings: readonly string[][], text: string): string[] {
  const key = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  const seen = new Set([key(text)]);
  const out: string[] = [];
  readings.forEach((alts, i) => {
    for (const alt of alts.slice(1)) {
      const whole = readings.map((r, j) => (j === i ? alt : r[0]!)).join(' ');
      const k = key(whole);
      if (!k || seen.has(k)) continue;
      seen.add(k);
      out.push(whole.replace(/\s+/g, ' ').trim());
    }
  });
  return out;
}

/** Keeps a turn's audio for a recognizer that may take over; the oldest goes past the cap. */
function keepAudio(t: Turn, pcm: Int16Array): void {
  t.audio.push(pcm);
  t.audioMs += pcm.length / 8;
  while (t.audioMs > MAX_TURN_AUDIO_MS && t.audio.length > 1) t.audioMs -= t.audio.shift()!.length / 8;
}

/** A failure in a few words for the switch event: never a whole response body or a key. */
function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.length > 120 ? `${msg.slice(0, 117)}...` : msg;
}
