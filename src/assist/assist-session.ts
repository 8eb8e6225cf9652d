import { randomUUID } from 'node:crypto';
import { mulawToPcm } from '../audio/index.js';
import type { BusinessId, CallSid, StreamSid } from '../ids.js';
import type { Clock, Logger } from '../shared/index.js';
import type { AssistSuggestionsRepo, CallsRepo } from '../store/index.js';
import type { EventBus } from '../store/bus/index.js';
import type { ListenerEvent } from '../voice/index.js';
import type { AssistEvent, AssistEventBody, AssistSpeaker, Suggestion } from './events.js';

/**
 * One assisted call: both sides heard (inbound = customer, outbound = the business's agent), what
 * they say published on the assist bus, the coach asked what to suggest, and each card shown kept
 * in the audit log. Assist only listens: nothing here can touch the call's audio, and nothing
 * here throws into the socket that feeds it (onAudio, end).
 */

export type AssistTrack = 'inbound' | 'outbound';

/** What the assist stream (telephony) knows when it starts listening to a call. */
export interface AssistStreamStart {
  callSid: CallSid;
  businessId: BusinessId;
  streamSid: StreamSid;
  tracks: AssistTrack[];
  source: 'dial' | 'transfer';
  log: Logger;
}

/** What the assist stream hands its audio to (the telephony side's interface, met structurally). */
export interface AssistStreamCall {
  /** One frame of one side, G.711 mu-law at 8 kHz, in arrival order. Never throws, never blocks. */
  onAudio(track: AssistTrack, mulaw: Uint8Array): void;
  /** The stream stopped: last words heard, `assist-ended` published. Idempotent. */
  end(reason: string): Promise<void>;
}

/** What one side said, as the coach hears it (the coach's `Heard`). */
export interface HeardWords {
  speaker: AssistSpeaker;
  text: string;
  final: boolean;
  alternatives?: readonly string[];
  atMs: number;
  voiceEndMs?: number;
}

/** A suggestion before the gate: no id or time yet (the coach's `Candidate`). */
export type SuggestionCandidate = Omit<Suggestion, 'id' | 'atMs'>;

export interface CustomerSentiment {
  score: number;
  label: 'negative' | 'neutral' | 'positive';
  trend: 'improving' | 'steady' | 'worsening';
}

/** The coach as the session uses it (src/assist/coach's Coach fits). */
export interface AssistCoach {
  hear(h: HeardWords, signal: AbortSignal): Promise<SuggestionCandidate[]>;
  tick(atMs: number): SuggestionCandidate[];
  sentiment(): CustomerSentiment | undefined;
}

/** Which candidates become cards (src/assist/suggestion-gate.ts's SuggestionGate fits). */
export interface AssistGate {
  admit(c: SuggestionCandidate, atMs: number): boolean;
}

/** The part of a Listener (src/voice/listener.ts) the session drives. */
export interface TrackListener {
  push(pcm: Int16Array): void;
  drain(maxMs: number): Promise<void>;
  close(): void;
}

/** Builds the listener of one side; the session gives it the handlers and replaces it after a failure. */
export type ListenerFactory = (
  track: AssistTrack,
  handlers: { onEvent(e: ListenerEvent): void; onError(err: unknown): void },
) => TrackListener;

export interface AssistSessionDeps {
  start: AssistStreamStart;
  coach: AssistCoach;
  gate: AssistGate;
  /** Undefined: no recognizer is configured and assist says it cannot listen. */
  listen: ListenerFactory | undefined;
  bus: Pick<EventBus<AssistEvent>, 'publish'>;
  calls: Pick<CallsRepo, 'appendTurn'>;
  suggestions: Pick<AssistSuggestionsRepo, 'record'>;
  /** Timers (recognizer retry, drain bounds). */
  clock: Clock;
  /** Wall-clock epoch ms for events' `at` and the audit log's `shownAt`; default Date.now. */
  now?: () => number;
  /** Called once the session is over (the after-call summary is queued here). */
  onEnded?: (callSid: CallSid) => void;
  /** Waits before a failed side is heard again by a new listener; the last repeats. Default 2 s, 5 s, 10 s. */
  retryDelaysMs?: readonly number[];
  /** How long end() waits for the last words of each side. Default 2000 ms. */
  drainMs?: number;
}

const DEFAULT_RETRY_MS = [2000, 5000, 10_000] as const;
const TICK_EVERY_MS = 1000;
/** Bounds: work the session may have waiting at once; past them it drops (and says so in the log). */
const MAX_PENDING_PUBLISHES = 500;
const MAX_PENDING_WRITES = 200;
const MAX_HEARS_IN_FLIGHT = 4;

const SPEAKER: Record<AssistTrack, AssistSpeaker> = { inbound: 'customer', outbound: 'agent' };
const TURN_SPEAKER: Record<AssistTrack, 'caller' | 'human_agent'> = {
  inbound: 'caller',
  outbound: 'human_agent',
};

/** One side of the call: its listener (absent while it waits to be retried) and its words so far. */
interface Side {
  track: AssistTrack;
  listener: TrackListener | undefined;
  /** Each listener built for this side gets a generation: events of a replaced one are ignored. */
  generation: number;
  failed: boolean;
  failures: number;
  retryTimer: unknown;
  receivedMs: number;
  speechStartMs: number;
  /** Interim hearing: one in flight, the newest words waiting (older ones are stale). */
  interimInFlight: boolean;
  pendingInterim: string | undefined;
  lastHeardInterim: string;
}

export class AssistSession implements AssistStreamCall {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly lifetime = new AbortController();
  private readonly sides = new Map<AssistTrack, Side>();
  private readonly startedAt: number;
  private seq = 0;
  private publishing: Promise<void> = Promise.resolve();
  private pendingPublishes = 0;
  private writing: Promise<void> = Promise.resolve();
  private pendingWrites = 0;
  private readonly hears = new Set<Promise<void>>();
  private nextTickMs = TICK_EVERY_MS;
  private unavailable = false;
  private lastSentiment: string | undefined;
  private ending: Promise<void> | undefined;
  private ended = false;
  /** Failure kinds already logged: one line each, not one per frame. */
  private readonly logged = new Map<string, number>();

  constructor(private readonly deps: AssistSessionDeps) {
    this.log = deps.start.log;
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
    this.emit({
      type: 'assist-started',
      source: deps.start.source,
      tracks: deps.start.tracks.map((t) => SPEAKER[t]),
    });
    const tracks = deps.start.tracks.length > 0 ? deps.start.tracks : (['inbound', 'outbound'] as const);
    for (const track of new Set<AssistTrack>(tracks)) {
      const side: Side = {
        track,
        listener: undefined,
        generation: 0,
        failed: false,
        failures: 0,
        retryTimer: undefined,
        receivedMs: 0,
        speechStartMs: 0,
        interimInFlight: false,
        pendingInterim: undefined,
        lastHeardInterim: '',
      };
      this.sides.set(track, side);
    }
    if (!deps.listen) {
      this.unavailable = true;
      this.emit({ type: 'assist-status', state: 'unavailable', reason: 'no speech recognizer configured' });
      return;
    }
    for (const side of this.sides.values()) this.listen(side);
  }

  get callSid(): CallSid {
    return this.deps.start.callSid;
  }

  /** ms of stream audio received: the later of the two sides (they arrive interleaved). */
  get audioMs(): number {
    let ms = 0;
    for (const s of this.sides.values()) ms = Math.max(ms, s.receivedMs);
    return ms;
  }

  onAudio(track: AssistTrack, mulaw: Uint8Array): void {
    try {
      if (this.ended) return;
      const side = this.sides.get(track);
      if (!side) return;
      const pcm = mulawToPcm(mulaw);
      side.receivedMs += pcm.length / 8;
      // A side waiting for its retry loses this audio: the call's own audio is not ours to hold.
      side.listener?.push(pcm);
      this.maybeTick();
    } catch (err) {
      this.fault('audio', err);
    }
  }

  end(reason: string): Promise<void> {
    this.ending ??= this.finish(reason).catch((err: unknown) => this.fault('end', err));
    return this.ending;
  }

  // --- listening ---

  private listen(side: Side): void {
    const listen = this.deps.listen;
    if (!listen || this.ended) return;
    const generation = ++side.generation;
    try {
      side.listener = listen(side.track, {
        onEvent: (e) => {
          if (side.generation === generation) this.onListenerEvent(side, e);
        },
        onError: (err) => {
          if (side.generation === generation) this.onListenerError(side, err);
        },
      });
    } catch (err) {
      side.listener = undefined;
      this.onListenerError(side, err);
    }
  }

  /** The side cannot hear: say so once, drop its listener, try a new one after a backoff. */
  private onListenerError(side: Side, err: unknown): void {
    if (this.ended || side.failed) return;
    side.failed = true;
    side.generation++; // the failed listener's late events are not this side's any more
    this.log.warn({ err: describe(err), track: side.track }, 'assist: speech recognition failed; retrying');
    const old = side.listener;
    side.listener = undefined;
    try {
      old?.close();
    } catch {
      // It failed already; closing it is tidying.
    }
    const delays = this.deps.retryDelaysMs ?? DEFAULT_RETRY_MS;
    const delay = delays[Math.min(side.failures, delays.length - 1)] ?? 2000;
    side.failures++;
    if (!this.unavailable) {
      this.unavailable = true;
      this.emit({
        type: 'assist-status',
        state: 'unavailable',
        reason: `speech recognition unavailable (${SPEAKER[side.track]})`,
      });
    }
    side.retryTimer = this.deps.clock.setTimeout(() => {
      side.retryTimer = undefined;
      if (this.ended) return;
      side.failed = false;
      this.listen(side);
    }, delay);
  }

  /** The recognizer answered on this side: it works (again). */
  private recovered(side: Side): void {
    side.failures = 0;
    if (!this.unavailable) return;
    for (const s of this.sides.values()) if (s.failed || s.failures > 0) return;
    this.unavailable = false;
    this.emit({ type: 'assist-status', state: 'available' });
  }

  private onListenerEvent(side: Side, e: ListenerEvent): void {
    if (this.ended && e.type !== 'utterance') return;
    switch (e.type) {
      case 'speech-start':
        side.speechStartMs = e.atMs;
        side.lastHeardInterim = '';
        side.pendingInterim = undefined;
        return;
      case 'interim':
        this.recovered(side);
        if (!e.text.trim()) return;
        this.emit({
          type: 'assist-transcript',
          speaker: SPEAKER[side.track],
          text: e.text,
          final: false,
          startMs: side.speechStartMs,
        });
        if (side.track === 'inbound') this.hearInterim(side, e.text);
        return;
      case 'utterance':
        this.recovered(side);
        this.onUtterance(side, e);
        return;
      case 'noise':
        this.recovered(side);
        return;
      case 'speech-end':
      case 'speech-progress':
        return;
    }
  }

  private onUtterance(side: Side, e: Extract<ListenerEvent, { type: 'utterance' }>): void {
    side.pendingInterim = undefined; // stale: the final says it all
    side.lastHeardInterim = '';
    const text = e.text.trim();
    if (!text) return;
    const speaker = SPEAKER[side.track];
    const endMs = e.startMs + e.durationMs;
    this.emit({ type: 'assist-transcript', speaker, text, final: true, startMs: e.startMs, endMs });
    this.write('turn', () =>
      this.deps.calls.appendTurn(this.callSid, {
        speaker: TURN_SPEAKER[side.track],
        text,
        startOffsetMs: Math.round(e.startMs),
        endOffsetMs: Math.round(endMs),
        startedAt: new Date(this.startedAt + e.startMs),
        endedAt: new Date(this.startedAt + endMs),
      }),
    );
    const heard: HeardWords = {
      speaker,
      text,
      final: true,
      atMs: this.audioMs,
      voiceEndMs: endMs,
      ...(e.alternatives && e.alternatives.length > 0 ? { alternatives: e.alternatives } : {}),
    };
    this.hear(heard, side.track === 'inbound');
  }

  /** Interim words: at most one hearing in flight per side; while it runs only the newest words wait. */
  private hearInterim(side: Side, text: string): void {
    if (text === side.lastHeardInterim) return;
    if (side.interimInFlight) {
      side.pendingInterim = text;
      return;
    }
    side.interimInFlight = true;
    side.lastHeardInterim = text;
    const run = this.hear({ speaker: 'customer', text, final: false, atMs: this.audioMs }, false);
    void run.then(() => {
      side.interimInFlight = false;
      const next = side.pendingInterim;
      side.pendingInterim = undefined;
      if (next !== undefined && !this.ended) this.hearInterim(side, next);
    });
  }

  /** Asks the coach; its candidates go through the gate. Never rejects. */
  private hear(h: HeardWords, thenSentiment: boolean): Promise<void> {
    if (this.hears.size >= MAX_HEARS_IN_FLIGHT && !h.final) return Promise.resolve();
    if (this.hears.size >= MAX_HEARS_IN_FLIGHT * 2) {
      this.fault('coach-backlog', new Error('coach falls behind: words not heard'));
      return Promise.resolve();
    }
    const run = (async () => {
      try {
        const candidates = await this.deps.coach.hear(h, this.lifetime.signal);
        this.offer(candidates);
      } catch (err) {
        if (!this.lifetime.signal.aborted) this.fault('coach', err);
      }
      if (thenSentiment) this.publishSentiment();
    })();
    this.hears.add(run);
    void run.finally(() => this.hears.delete(run));
    return run;
  }

  private maybeTick(): void {
    const atMs = this.audioMs;
    if (atMs < this.nextTickMs) return;
    this.nextTickMs = (Math.floor(atMs / TICK_EVERY_MS) + 1) * TICK_EVERY_MS;
    try {
      this.offer(this.deps.coach.tick(atMs));
    } catch (err) {
      this.fault('coach', err);
    }
  }

  private offer(candidates: readonly SuggestionCandidate[]): void {
    if (this.ended) return;
    for (const c of candidates) {
      const atMs = this.audioMs;
      let shown: boolean;
      try {
        shown = this.deps.gate.admit(c, atMs);
      } catch (err) {
        this.fault('gate', err);
        continue;
      }
      if (!shown) continue;
      const suggestion: Suggestion = { ...c, id: randomUUID(), atMs };
      const at = this.emit({ type: 'assist-suggestion', suggestion });
      if (at === undefined) continue;
      this.write('suggestion', () =>
        this.deps.suggestions.record({
          id: suggestion.id,
          callSid: this.callSid,
          businessId: this.deps.start.businessId,
          kind: suggestion.kind,
          intent: suggestion.intent ?? null,
          content: suggestion.content,
          confidence: suggestion.confidence,
          priority: suggestion.priority,
          basis: suggestion.basis,
          evidence: suggestion.evidence,
          atMs: suggestion.atMs,
          shownAt: new Date(at),
        }),
      );
    }
  }

  private publishSentiment(): void {
    let s: CustomerSentiment | undefined;
    try {
      s = this.deps.coach.sentiment();
    } catch (err) {
      this.fault('coach', err);
      return;
    }
    if (!s) return;
    const score = Math.max(-1, Math.min(1, Math.round(s.score * 100) / 100));
    const key = `${score}|${s.label}|${s.trend}`;
    if (key === this.lastSentiment) return;
    this.lastSentiment = key;
    this.emit({ type: 'assist-sentiment', score, label: s.label, trend: s.trend });
  }

  // --- out: bus and store, in order, bounded, never throwing ---

  /** Publishes in seq order; returns the event's `at`, or undefined when it was dropped. */
  private emit(body: AssistEventBody): number | undefined {
    if (this.ended && body.type !== 'assist-ended') return undefined;
    if (this.pendingPublishes >= MAX_PENDING_PUBLISHES && body.type !== 'assist-ended') {
      this.fault('bus-backlog', new Error('assist bus falls behind: event dropped'));
      return undefined;
    }
    const at = this.now();
    const event = {
      ...body,
      callSid: this.callSid,
      businessId: this.deps.start.businessId,
      seq: ++this.seq,
      at,
    } as AssistEvent;
    this.pendingPublishes++;
    this.publishing = this.publishing
      .then(() => this.deps.bus.publish(event))
      .catch((err: unknown) => this.fault('bus', err))
      .finally(() => {
        this.pendingPublishes--;
      });
    return at;
  }

  /** Store writes one at a time, in order: turns keep their order, a failed one does not stop the next. */
  private write(what: string, run: () => Promise<unknown>): void {
    if (this.pendingWrites >= MAX_PENDING_WRITES) {
      this.fault('store-backlog', new Error(`store falls behind: ${what} not written`));
      return;
    }
    this.pendingWrites++;
    this.writing = this.writing
      .then(run)
      .then(
        () => undefined,
        (err: unknown) => this.fault(`store:${what}`, err),
      )
      .finally(() => {
        this.pendingWrites--;
      });
  }

  /** Logs the first failure of a kind (and then every 100th): never the words, never a caller's number. */
  private fault(kind: string, err: unknown): void {
    const n = (this.logged.get(kind) ?? 0) + 1;
    this.logged.set(kind, n);
    if (n === 1 || n % 100 === 0)
      this.log.warn({ err: describe(err), kind, count: n }, 'assist: a step failed; the call goes on');
  }

  // --- the end ---

  private async finish(reason: string): Promise<void> {
    const drainMs = this.deps.drainMs ?? 2000;
    // The last words count: each side's turn under way ends where the audio ended.
    await Promise.all(
      [...this.sides.values()].map(async (s) => {
        try {
          await s.listener?.drain(drainMs);
        } catch (err) {
          this.fault('drain', err);
        }
      }),
    );
    // Their coaching too, within the same bound.
    await this.settle([...this.hears], drainMs);
    this.ended = true;
    this.emit({ type: 'assist-ended', reason });
    this.lifetime.abort();
    for (const s of this.sides.values()) {
      if (s.retryTimer !== undefined) this.deps.clock.clearTimeout(s.retryTimer);
      s.retryTimer = undefined;
      s.generation++;
      try {
        s.listener?.close();
      } catch (err) {
        this.fault('close', err);
      }
      s.listener = undefined;
    }
    await this.settle([this.publishing, this.writing], drainMs);
    try {
      this.deps.onEnded?.(this.callSid);
    } catch (err) {
      this.fault('on-ended', err);
    }
  }

  /** Waits for `work`, at most `ms` on the session's clock. */
  private async settle(work: Array<Promise<unknown>>, ms: number): Promise<void> {
    if (work.length === 0) return;
    let timer: unknown;
    await Promise.race([
      Promise.allSettled(work),
      new Promise<void>((resolve) => {
        timer = this.deps.clock.setTimeout(resolve, ms);
      }),
    ]);
    this.deps.clock.clearTimeout(timer);
  }
}

/** A failure in a few words for the log: never a whole response body, a key or someone's words. */
function describe(err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return msg.length > 160 ? `${msg.slice(0, 157)}...` : msg;
}
