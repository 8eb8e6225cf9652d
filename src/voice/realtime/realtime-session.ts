import { callOutcome, summarizeCall } from '../call-summary.js';
import { decisionEvent } from '../decision-events.js';
import {
  detectEmergency,
  loadLlmState,
  runTool,
  systemPrompt,
  toolSpecs,
  type AgentTools,
  type BrainState,
  type ConversationContext,
  type LlmState,
  type ToolEnv,
  type TurnInput,
} from '../../agent/index.js';
import { mulawToPcm } from '../../audio/index.js';
import { greetingFor, type BusinessProfile } from '../../business/index.js';
import type { E164 } from '../../ids.js';
import type {
  RealtimeConnection,
  RealtimeServerEvent,
  RealtimeServerEventOf,
  RealtimeTurnDetection,
} from '../../providers/realtime/index.js';
import { monotonicClock, type Clock, type Logger } from '../../shared/index.js';
import type { CallEventSink, SessionResume, SessionTurn } from '../call-session.js';
import type { CallEventBody, CallOutcome, CutReason, VoiceChannel } from '../events.js';
import { LatencyMarks, type TurnLatency } from '../latency.js';
import { Playout, type MarkOutcome, type MediaTransport } from '../playout.js';
import { CallRecorder } from '../recorder.js';
import { heardTextAt } from '../speech-handle.js';

/** The provider names a switch reports (provider-switched from/to). */
export const REALTIME_PROVIDER = 'openai-realtime';

/** Audio between progress marks: bounds how stale the heard-position estimate can get. */
const PROGRESS_MARK_MS = 1000;
/** The playout gets the lead plus this much of the model's audio; the rest waits in toFeed. */
const FEED_AHEAD_MS = 100;
/** Said by the pipeline when the caller would otherwise wait through the switch. */
const ONE_MOMENT = 'One moment.';
const TRANSFER_FAILED_LINE =
  "I'm sorry, I couldn't put you through right now. I can take a message and have someone call you back.";

/** Error codes after which the session cannot go on (the rest are answered and the call goes on). */
const FATAL_ERROR_CODES = new Set([
  'session_expired',
  'invalid_api_key',
  'insufficient_quota',
  'beta_api_shape_disabled',
  'rate_limit_exceeded',
]);

/** What the pipeline needs to take the call over mid-way. */
export interface RealtimeHandover {
  resume: SessionResume;
  /** Why the Realtime session was given up (the provider-switched reason). */
  reason: string;
}

/** The session that takes over after a switch: the pipeline's CallSession fits. */
export interface TakeoverSession {
  start(): void;
  onAudio(mulaw: Uint8Array): void;
  onDtmf(digit: string): void;
  onMarkEcho(name: string): void;
  sayGoodbye(text: string, maxMs: number): Promise<void>;
  end(reason: string): Promise<void>;
}

export interface RealtimeSessionDeps {
  transport: MediaTransport;
  hangup(): void;
  transfer?(to: E164 | undefined, summary: string): Promise<boolean>;
  business: BusinessProfile;
  callerId?: E164 | undefined;
  /** Which line the call is on. Default phone. */
  channel?: VoiceChannel;
  /** The call's tools (knowledge, lead, booking, emergency, transfer), run by our code. */
  tools: AgentTools;
  /** Aborted once the call is over: writes that must outlive a barge-in use it. */
  lifetime: AbortSignal;
  events: CallEventSink;
  log: Logger;
  /** Opens the upstream session (connectOpenAiRealtime with the settings bound); rejects on failure. */
  connect(signal: AbortSignal): Promise<RealtimeConnection>;
  voice: string;
  turnDetection: RealtimeTurnDetection;
  transcriptionModel?: string;
  /** Builds the pipeline session that takes over when Realtime fails; without it the call ends. */
  takeOver?(handover: RealtimeHandover): TakeoverSession;
  saveRecording?(recording: {
    channels: [Int16Array, Int16Array];
    sampleRate: number;
  }): Promise<string | undefined>;
  playoutLeadMs: number;
  /** Caller speech over the agent must last this long (or bring words) to cut it. Default 300. */
  bargeInConfirmMs?: number;
  /** No audio (or tool call) this long after the caller's turn ended: a stall. Default 1500. */
  stallMs?: number;
  /** Keys are collected until '#' or this pause. Default 3000. */
  digitTimeoutMs?: number;
  clock?: Clock;
  /** Wall time for the prompt and greeting (tests pin it). */
  now?: () => Date;
}

/** One assistant audio item on its way to the caller. */
interface AgentItem {
  id: string;
  turnId: string;
  response: ActiveResponse;
  /** Playout position where its first audio was queued; undefined until some was. */
  startPos: number | undefined;
  /** ms of its audio received (mu-law: 8 bytes per ms). */
  receivedMs: number;
  sinceMark: number;
  transcript: string;
  transcriptDone: boolean;
  lastMark: Promise<MarkOutcome> | undefined;
  played: boolean;
  settled: boolean;
  startMs: number;
  audibleAtMs: number;
}

interface ActiveResponse {
  id: string;
  /** One signal per agent turn: tools run under it; a barge-in or the call's end aborts it. */
  abort: AbortController;
  latency: LatencyMarks | undefined;
  latencyEmitted: boolean;
  items: AgentItem[];
  tools: Promise<void>[];
  toolOutputs: number;
  done: boolean;
  /** We cancelled it (a barge-in): its late audio is dropped. */
  cancelled: boolean;
  allowInterruptions: boolean;
}

type Terminal =
  { type: 'end-call'; reason: string } | { type: 'transfer'; to: E164 | undefined; summary: string };

interface PendingBargeIn {
  itemId: string;
  timer: unknown;
}

let nextTurn = 0;

/**
 * One phone call on the OpenAI Realtime API (speech to speech). Twilio's mu-law goes up as it
 * came (base64 unchanged) and the model's mu-law comes down to the same paced playout the pipeline
 * uses, so marks tell what the caller heard. Our code decides interruptions (the server's own
 * interrupt is off): speech over the agent is confirmed (sustained, or words) before the audio is
 * cleared, the response cancelled and the item truncated where the caller stopped hearing it.
 * The brain's tools run here; the rules emergency detector hears every caller transcript. It tells
 * what happens as the same call events as the pipeline, so the call log stores both sides. When
 * the upstream fails (connect, close, fatal error, stall) the call goes on in a pipeline session
 * with the conversation so far.
 */
export class RealtimeSession {
  private readonly clock: Clock;
  private readonly playout: Playout;
  // Grows as the call goes on (doubling): hundreds of calls must not each hold a minute up front.
  private readonly recorder = new CallRecorder(8000, 1);
  /** Caller audio as it came (mu-law): decoded into the recording in batches, off the frame path. */
  private readonly callerAudio = new MulawTrack();
  private readonly startedAt: number;
  private readonly turns: SessionTurn[] = [];
  private readonly brainState: BrainState = {};
  private readonly st: LlmState;
  private readonly latencies: TurnLatency[] = [];
  private readonly confirmMs: number;
  private readonly stallMs: number;
  private readonly connecting = new AbortController();
  private conn: RealtimeConnection | undefined;
  /** session.updated arrived: caller audio may go up. */
  private ready = false;
  private responses = new Map<string, ActiveResponse>();
  private current: ActiveResponse | undefined;
  private items = new Map<string, AgentItem>();
  /**
   * The model's audio (base64 as it came) and the marks after it, not yet handed to the playout.
   * The model sends faster than real time; held here as one string per delta instead of
   * 20 ms frame objects, it costs the garbage collector far less while it waits.
   */
  private readonly toFeed: Array<
    { item: AgentItem; audio: string } | { item: AgentItem; mark: 'progress' | 'end' }
  > = [];
  private feedQueued = false;
  /** The item whose audio is playing or queued last. */
  private playing: AgentItem | undefined;
  private pendingBarge: PendingBargeIn | undefined;
  /** Caller speech that stopped too soon to cut (noise unless its words arrive). */
  private readonly shortSpeech = new Set<string>();
  private readonly speechStart = new Map<string, number>();
  private readonly speechEnd = new Map<string, number>();
  /** Latency of the caller turn awaiting its answer. */
  private pendingLatency: LatencyMarks | undefined;
  /** The caller finished a turn that no audio has answered yet. */
  private awaitingAnswer = false;
  private stallTimer: unknown;
  private lastCallerText = '';
  private terminal: Terminal | undefined;
  /** A rules-detected emergency: the next response's safety advice is not talked over. */
  private protectNext = false;
  private inputMs = 0;
  private framesIn = 0;
  private framesOut = 0;
  private digits = '';
  private digitTimer: unknown;
  private takeover: TakeoverSession | undefined;
  private switched = false;
  private ended = false;
  private silenced = false;
  private agentHungUp = false;
  private transferred = false;
  private eventsDone: Promise<void> = Promise.resolve();

  constructor(private readonly deps: RealtimeSessionDeps) {
    this.clock = deps.clock ?? monotonicClock;
    this.startedAt = this.clock.now();
    this.st = loadLlmState(this.brainState);
    this.confirmMs = deps.bargeInConfirmMs ?? 300;
    this.stallMs = deps.stallMs ?? 1500;
    this.playout = new Playout(deps.transport, {
      leadMs: deps.playoutLeadMs,
      clock: this.clock,
      events: {
        onFrameSent: () => {
          this.framesOut++;
          // Audio is handed to the playout as it needs it (see feed()), off the playout's own loop.
          if (this.toFeed.length > 0 && !this.feedQueued) {
            this.feedQueued = true;
            queueMicrotask(() => {
              this.feedQueued = false;
              this.feed();
            });
          }
        },
        onFirstFrameSent: (at) => this.playing?.response.latency?.mark('firstFrameSent', at),
      },
    });
  }

  private elapsed(): number {
    return Math.round(this.clock.now() - this.startedAt);
  }

  private emit(event: CallEventBody): void {
    if (this.silenced) return;
    try {
      this.deps.events.emit(event);
    } catch (err) {
      this.deps.log.error({ err }, 'call event listener failed');
    }
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Connects upstream; the greeting follows session.updated. A failure hands over to the pipeline. */
  start(): void {
    this.emit({ type: 'call-started', channel: this.deps.channel ?? 'phone' });
    this.deps
      .connect(this.connecting.signal)
      .then((conn) => {
        if (this.ended || this.switched) {
          conn.close();
          return;
        }
        this.conn = conn;
        conn.updateSession({
          instructions: systemPrompt(this.context(), this.st, { voice: true }),
          voice: this.deps.voice,
          turnDetection: this.deps.turnDetection,
          tools: toolSpecs(this.deps.business),
          ...(this.deps.transcriptionModel ? { transcriptionModel: this.deps.transcriptionModel } : {}),
        });
        this.eventsDone = this.consume(conn);
      })
      .catch((err: unknown) => {
        if (this.ended || this.switched) return;
        this.fail(`connect: ${reasonOf(err)}`, err);
      });
  }

  private async consume(conn: RealtimeConnection): Promise<void> {
    try {
      for await (const e of conn.events) {
        if (this.switched || this.ended) return;
        try {
          this.onServerEvent(e);
        } catch (err) {
          this.deps.log.error({ err, event: e.type }, 'realtime event handling failed');
        }
      }
      if (!this.switched && !this.ended) this.fail('closed: the server ended the session');
    } catch (err) {
      if (!this.switched && !this.ended) this.fail(`closed: ${reasonOf(err)}`, err);
    }
  }

  // ---- Twilio side ----------------------------------------------------------------------------

  /**
   * One inbound frame: `payload` is Twilio's base64 exactly as it came (passed up unchanged),
   * `mulaw` its decoded bytes (for the recording).
   */
  onAudio(mulaw: Uint8Array, payload?: string): void {
    if (this.ended) return;
    if (this.takeover) {
      this.takeover.onAudio(mulaw);
      return;
    }
    this.framesIn++;
    if (this.callerAudio.push(mulaw)) this.callerAudio.flushInto(this.recorder);
    if (!this.ready || !this.conn) return;
    this.conn.appendAudio(
      payload ?? Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64'),
    );
    this.inputMs += mulaw.length / 8;
  }

  onMarkEcho(name: string): void {
    if (this.takeover) this.takeover.onMarkEcho(name);
    else this.playout.onMarkEcho(name);
  }

  /** Keys are collected until '#' or a pause, then told to the model as the caller's turn. */
  onDtmf(digit: string): void {
    if (this.ended) return;
    if (this.takeover) {
      this.takeover.onDtmf(digit);
      return;
    }
    this.emit({ type: 'dtmf', digit, atMs: this.elapsed() });
    if (digit !== '#') this.digits += digit;
    this.clock.clearTimeout(this.digitTimer);
    if (digit === '#') this.flushDigits();
    else this.digitTimer = this.clock.setTimeout(() => this.flushDigits(), this.deps.digitTimeoutMs ?? 3000);
  }

  private flushDigits(): void {
    this.clock.clearTimeout(this.digitTimer);
    const digits = this.digits;
    this.digits = '';
    if (!digits || this.switched || this.ended) return;
    const at = this.elapsed();
    this.emit({ type: 'digits-entered', digits, atMs: at });
    this.turns.push({
      speaker: 'caller',
      text: `[keys] ${digits}`,
      startMs: at,
      endMs: at,
      interrupted: false,
    });
    if (!this.conn || !this.ready) return;
    this.conn.addMessage('user', `(The caller pressed ${digits.split('').join(' ')} on the keypad.)`);
    if (!this.responseActive()) this.requestResponse();
  }

  // ---- upstream events ------------------------------------------------------------------------

  private onServerEvent(e: RealtimeServerEvent): void {
    switch (e.type) {
      case 'session.updated':
        if (!this.ready) {
          this.ready = true;
          this.greet();
        }
        return;
      case 'error':
        this.onError(e);
        return;
      case 'input_audio_buffer.speech_started':
        this.onSpeechStarted(e);
        return;
      case 'input_audio_buffer.speech_stopped':
        this.onSpeechStopped(e);
        return;
      case 'conversation.item.input_audio_transcription.delta':
        if (/[\p{L}\p{N}]/u.test(e.delta)) this.onCallerWords(e.item_id);
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.onCallerTranscript(e.item_id, e.transcript);
        return;
      case 'conversation.item.input_audio_transcription.failed':
        this.deps.log.warn({ itemId: e.item_id }, 'caller transcription failed');
        return;
      case 'response.created':
        this.onResponseCreated(e.response.id);
        return;
      case 'response.output_item.added':
        if (e.item.type === 'message' && e.item.role !== 'user') {
          const r = e.response_id ? this.responses.get(e.response_id) : this.current;
          if (r) this.itemFor(r, e.item.id);
        }
        return;
      case 'response.output_audio.delta':
        this.onAudioDelta(e);
        return;
      case 'response.output_audio.done':
        this.onAudioDone(e.item_id);
        return;
      case 'response.output_audio_transcript.delta': {
        const item = this.items.get(e.item_id);
        if (item && !item.transcriptDone) item.transcript += e.delta;
        return;
      }
      case 'response.output_audio_transcript.done': {
        const item = this.items.get(e.item_id);
        if (item && !item.settled) {
          item.transcript = e.transcript;
          item.transcriptDone = true;
          this.maybeSettle(item);
        }
        return;
      }
      case 'response.function_call_arguments.done':
        this.onToolCall(e);
        return;
      case 'response.done':
        this.onResponseDone(e);
        return;
      default:
        return;
    }
  }

  private onError(e: RealtimeServerEventOf<'error'>): void {
    const { code, type, message } = e.error;
    // Refused configuration, a server fault, an expired session: nothing more will come.
    if (!this.ready || type === 'server_error' || (code && FATAL_ERROR_CODES.has(code))) {
      this.fail(`error: ${code ?? type}`);
      return;
    }
    // The rest answer one client event (cancel with nothing active, a late truncate...): the call goes on.
    this.deps.log.warn({ code, type, message }, 'realtime server error event');
  }

  private greet(): void {
    const greeting = greetingFor(this.deps.business, { now: this.now() });
    this.requestResponse(
      `Greet the caller now by saying exactly these words and nothing else: "${greeting}"`,
    );
  }

  /** response.create (the server makes one itself after each caller turn); a stall is watched for. */
  private requestResponse(instructions?: string): void {
    if (!this.conn) return;
    this.conn.createResponse(instructions ? { instructions } : {});
    this.armStall();
  }

  /** `waitedMs`: how long the caller has already been waiting (the stall is counted from there). */
  private armStall(waitedMs = 0): void {
    this.clock.clearTimeout(this.stallTimer);
    this.stallTimer = this.clock.setTimeout(
      () => {
        this.stallTimer = undefined;
        this.fail(`stall: no answer within ${this.stallMs} ms`);
      },
      Math.max(0, this.stallMs - waitedMs),
    );
  }

  private clearStall(): void {
    this.clock.clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private responseActive(): boolean {
    return this.current !== undefined && !this.current.done && !this.current.cancelled;
  }

  private onResponseCreated(id: string): void {
    const r: ActiveResponse = {
      id,
      abort: new AbortController(),
      latency: this.pendingLatency,
      latencyEmitted: false,
      items: [],
      tools: [],
      toolOutputs: 0,
      done: false,
      cancelled: false,
      allowInterruptions: !this.protectNext,
    };
    this.protectNext = false;
    this.pendingLatency = undefined;
    this.responses.set(id, r);
    this.current = r;
  }

  private itemFor(r: ActiveResponse, itemId: string): AgentItem {
    let item = this.items.get(itemId);
    if (item) return item;
    const startMs = this.elapsed();
    item = {
      id: itemId,
      turnId: `rt${++nextTurn}`,
      response: r,
      startPos: undefined,
      receivedMs: 0,
      sinceMark: 0,
      transcript: '',
      transcriptDone: false,
      lastMark: undefined,
      played: false,
      settled: false,
      startMs,
      audibleAtMs: startMs,
    };
    this.items.set(itemId, item);
    r.items.push(item);
    this.emit({
      type: 'agent-turn-started',
      turnId: item.turnId,
      source: 'brain',
      allowInterruptions: r.allowInterruptions,
      atMs: startMs,
    });
    return item;
  }

  private onAudioDelta(e: RealtimeServerEventOf<'response.output_audio.delta'>): void {
    const r = this.responses.get(e.response_id);
    // Late audio of a cancelled response, or of one we never saw begin: never played.
    if (!r || r.cancelled) return;
    const item = this.itemFor(r, e.item_id);
    if (item.settled) return;
    const ms = base64Bytes(e.delta) / 8;
    if (ms === 0) return;
    if (item.receivedMs === 0) {
      r.latency?.mark('firstAudio', this.clock.now());
      this.awaitingAnswer = false;
      this.clearStall();
    }
    this.playing = item;
    item.receivedMs += ms;
    this.toFeed.push({ item, audio: e.delta });
    item.sinceMark += ms;
    if (item.sinceMark >= PROGRESS_MARK_MS) {
      item.sinceMark = 0;
      this.toFeed.push({ item, mark: 'progress' });
    }
    this.feed();
  }

  private onAudioDone(itemId: string): void {
    const item = this.items.get(itemId);
    if (!item || item.settled || item.response.cancelled) return;
    this.toFeed.push({ item, mark: 'end' });
    this.feed();
  }

  /** Hands held audio to the playout while it has less than the lead and a little more queued. */
  private feed(): void {
    const ahead = this.deps.playoutLeadMs + FEED_AHEAD_MS;
    while (this.toFeed.length > 0 && this.playout.queuedPosition() - this.playout.heardPosition() < ahead) {
      const next = this.toFeed.shift()!;
      const item = next.item;
      if (item.settled) continue;
      if ('audio' in next) {
        const bytes = Buffer.from(next.audio, 'base64');
        if (item.startPos === undefined) {
          item.startPos = this.playout.queuedPosition();
          item.audibleAtMs = this.elapsed() + this.playout.bufferedMs();
          this.emit({ type: 'speech-started', track: 'outbound', atMs: item.audibleAtMs });
        }
        this.recorder.addAgent(mulawToPcm(bytes), this.elapsed() + this.playout.bufferedMs());
        this.playout.write(bytes);
      } else if (next.mark === 'progress') {
        this.playout.mark(`${item.turnId}p`, { pad: false });
      } else {
        const mark = this.playout.mark(item.turnId);
        item.lastMark = mark.outcome;
        void mark.outcome.then((o) => {
          if (o !== 'played' || item.settled) return;
          item.played = true;
          this.maybeSettle(item);
        });
      }
    }
  }

  /** ms of `item`'s audio the caller had heard at playout position `heard` (never past what came). */
  private heardOf(item: AgentItem, heard: number): number {
    if (item.startPos === undefined) return 0;
    return Math.max(0, Math.min(item.receivedMs, heard - item.startPos));
  }

  /** Played in full (its last mark echoed) and its transcript known: the agent turn ends. */
  private maybeSettle(item: AgentItem): void {
    if (item.settled || !item.played || !(item.transcriptDone || item.response.done)) return;
    item.settled = true;
    if (this.playing === item) this.playing = undefined;
    const endMs = this.elapsed();
    this.emitLatency(item.response);
    this.emit({
      type: 'speech-stopped',
      track: 'outbound',
      atMs: endMs,
      durationMs: Math.max(0, endMs - item.audibleAtMs),
    });
    this.emit({
      type: 'agent-turn-ended',
      turnId: item.turnId,
      text: item.transcript,
      startMs: item.startMs,
      endMs,
    });
    if (item.transcript) {
      this.turns.push({
        speaker: 'agent',
        text: item.transcript,
        startMs: item.startMs,
        endMs,
        interrupted: false,
        ...(item.response.latency ? { latency: item.response.latency.value } : {}),
      });
    }
    this.maybeAct();
  }

  private emitLatency(r: ActiveResponse): void {
    if (!r.latency || r.latencyEmitted) return;
    r.latencyEmitted = true;
    const turnId = r.items[0]?.turnId;
    if (!turnId) return;
    this.latencies.push(r.latency.value);
    this.emit({ type: 'turn-latency', turnId, latency: { ...r.latency.value } });
  }

  private onResponseDone(e: RealtimeServerEventOf<'response.done'>): void {
    const r = this.responses.get(e.response.id);
    if (!r) return;
    r.done = true;
    const hadAudio = r.items.some((i) => i.receivedMs > 0);
    if (!hadAudio) {
      // A tool-only answer: its latency goes on with the answer after the tool output.
      if (r.latency && !r.latencyEmitted && r.tools.length > 0) this.pendingLatency = r.latency;
      // A response without words that is not waiting on a tool: nothing will come.
      if (r.tools.length === 0 && !r.cancelled) this.clearStall();
    }
    if (e.response.status === 'failed') {
      this.deps.log.warn({ details: e.response.status_details }, 'realtime response failed');
    }
    for (const item of r.items) {
      if (item.receivedMs === 0 && !item.settled) {
        // Never had audio: nothing was heard, nothing to store.
        item.settled = true;
        this.items.delete(item.id);
      } else this.maybeSettle(item);
    }
    if (r.tools.length > 0 && !r.cancelled) {
      void Promise.all(r.tools).then(() => {
        if (this.switched || this.ended || r.abort.signal.aborted || r.toolOutputs === 0) return;
        // The model speaks about the tools' results (a terminal tool's goodbye or hand-over line too).
        this.requestResponse();
      });
    }
    this.maybeAct();
  }

  // ---- the caller's side ----------------------------------------------------------------------

  private onSpeechStarted(e: RealtimeServerEventOf<'input_audio_buffer.speech_started'>): void {
    this.speechStart.set(e.item_id, e.audio_start_ms);
    this.emit({ type: 'speech-started', track: 'inbound', atMs: this.callMs(e.audio_start_ms) });
    const cuttable =
      this.cuttableItem() !== undefined || (this.responseActive() && this.current!.allowInterruptions);
    if (!cuttable || this.pendingBarge) return;
    this.pendingBarge = {
      itemId: e.item_id,
      timer: this.clock.setTimeout(() => this.confirmBargeIn(), this.confirmMs),
    };
  }

  /** The agent item the caller may cut: still playing, or its answer still coming. */
  private cuttableItem(): AgentItem | undefined {
    const item = this.playing;
    if (!item || item.settled || !item.response.allowInterruptions || item.response.cancelled)
      return undefined;
    return this.playout.isPlaying() || !item.response.done ? item : undefined;
  }

  private onSpeechStopped(e: RealtimeServerEventOf<'input_audio_buffer.speech_stopped'>): void {
    this.speechEnd.set(e.item_id, e.audio_end_ms);
    const start = this.speechStart.get(e.item_id) ?? e.audio_end_ms;
    this.emit({
      type: 'speech-stopped',
      track: 'inbound',
      atMs: this.callMs(e.audio_end_ms),
      durationMs: Math.max(0, e.audio_end_ms - start),
    });
    if (this.pendingBarge?.itemId === e.item_id) {
      // Stopped before it was confirmed: noise, unless words for it arrive after all.
      this.clock.clearTimeout(this.pendingBarge.timer);
      this.pendingBarge = undefined;
      this.shortSpeech.add(e.item_id);
      return;
    }
    const now = this.clock.now();
    const endOfSpeechAt = now - Math.max(0, this.inputMs - e.audio_end_ms);
    this.pendingLatency = new LatencyMarks(endOfSpeechAt, Math.round(now - endOfSpeechAt));
    // One model hears, thinks and speaks.
    this.pendingLatency.by({ stt: REALTIME_PROVIDER, llm: REALTIME_PROVIDER, tts: REALTIME_PROVIDER });
    this.awaitingAnswer = true;
    // Counted from where the caller stopped, as the pipeline's recognizer stall is. Server VAD's
    // audio_end_ms includes its silence window (OpenAI documents it so): the caller stopped that
    // much earlier. Semantic VAD's wait is the model's own and is not known here.
    const td = this.deps.turnDetection;
    const stoppedAt = e.audio_end_ms - (td.type === 'server_vad' ? td.silenceDurationMs : 0);
    if (!this.responseActive()) this.armStall(Math.max(0, this.inputMs - stoppedAt));
  }

  /** Words of the caller's current speech: confirms a barge-in at once. */
  private onCallerWords(itemId: string): void {
    if (this.pendingBarge?.itemId === itemId) {
      this.confirmBargeIn();
      return;
    }
    if (this.shortSpeech.delete(itemId)) {
      const item = this.cuttableItem();
      if (item) this.cut(item, 'barge-in');
    }
  }

  private confirmBargeIn(): void {
    const pending = this.pendingBarge;
    if (!pending) return;
    this.clock.clearTimeout(pending.timer);
    this.pendingBarge = undefined;
    const item = this.cuttableItem();
    if (item) {
      this.cut(item, 'barge-in');
    } else if (this.responseActive() && this.current!.allowInterruptions) {
      // An answer still being made when the caller went on: it would answer half the turn.
      this.cancel(this.current!);
    }
  }

  /** clear to Twilio, cancel the response, truncate the item where the caller stopped hearing it. */
  private cut(item: AgentItem, reason: CutReason): void {
    const heard = this.playout.clear();
    this.recorder.truncateAgent(this.elapsed());
    const heardMs = this.heardOf(item, heard);
    // What was not handed to the playout yet was never heard either.
    this.toFeed.length = 0;
    // Sent even when its response.done has come: one may already be under way (a harmless error if not).
    if (item.response.done && !item.response.cancelled) this.conn?.cancelResponse();
    this.cancel(item.response);
    // Never past the audio received for it: the server refuses that.
    if (item.receivedMs > 0) this.conn?.truncate(item.id, Math.floor(heardMs));
    this.settleInterrupted(item, reason, heardMs);
  }

  private cancel(r: ActiveResponse): void {
    if (r.cancelled) return;
    r.cancelled = true;
    r.abort.abort(new Error('interrupted'));
    if (!r.done) this.conn?.cancelResponse();
    this.clearStall();
  }

  private settleInterrupted(item: AgentItem, reason: CutReason, heardMs: number): void {
    if (item.settled) return;
    item.settled = true;
    if (this.playing === item) this.playing = undefined;
    const endMs = this.elapsed();
    const text = item.transcript;
    // Words in proportion to the audio heard (speech is roughly even within an item).
    const heardText = heardTextAt([{ text, start: 0, end: Math.max(item.receivedMs, 1) }], heardMs);
    this.emitLatency(item.response);
    if (heardMs > 0) {
      this.emit({
        type: 'speech-stopped',
        track: 'outbound',
        atMs: endMs,
        durationMs: Math.max(0, endMs - item.audibleAtMs),
      });
    }
    this.emit({
      type: 'agent-turn-interrupted',
      turnId: item.turnId,
      reason,
      text,
      heardText,
      heardMs: Math.round(heardMs),
      startMs: item.startMs,
      endMs,
    });
    if (text) {
      this.turns.push({
        speaker: 'agent',
        text,
        startMs: item.startMs,
        endMs,
        interrupted: true,
        heardText,
        ...(item.response.latency ? { latency: item.response.latency.value } : {}),
      });
    }
  }

  private onCallerTranscript(itemId: string, transcript: string): void {
    const text = transcript.trim();
    if (text) this.onCallerWords(itemId);
    (this.pendingLatency ?? this.current?.latency)?.mark('sttFinal', this.clock.now());
    this.shortSpeech.delete(itemId);
    // Nothing understood (a cough, the line): no turn to store.
    if (!text) return;
    const start = this.callMs(this.speechStart.get(itemId) ?? 0);
    const end = this.callMs(this.speechEnd.get(itemId) ?? this.inputMs);
    this.emit({ type: 'transcript-final', track: 'inbound', text, startMs: start, endMs: end });
    this.turns.push({ speaker: 'caller', text, startMs: start, endMs: end, interrupted: false });
    this.speechStart.delete(itemId);
    this.speechEnd.delete(itemId);
    this.lastCallerText = text;
    this.checkEmergency(text);
  }

  /** The rules detector hears every caller turn: an emergency is raised even if the model forgets. */
  private checkEmergency(text: string): void {
    const hit = detectEmergency(text, this.deps.business.trade);
    if (!hit || this.st.emergencies.includes(hit.category)) return;
    // What the agent says about it (how to stay safe) is not talked over: the answer under way, or the next.
    if (this.responseActive()) this.current!.allowInterruptions = false;
    else this.protectNext = true;
    const summary = `The caller said: "${text}"`;
    void this.runToolCall(
      {
        id: 'rules-emergency',
        name: 'raise_emergency',
        arguments: { category: hit.category, summary },
        rawArguments: '',
      },
      this.deps.lifetime,
    ).catch((err: unknown) => this.deps.log.error({ err }, 'raising the detected emergency failed'));
  }

  // ---- tools ----------------------------------------------------------------------------------

  private onToolCall(e: RealtimeServerEventOf<'response.function_call_arguments.done'>): void {
    const r = (e.response_id ? this.responses.get(e.response_id) : undefined) ?? this.current;
    if (!r || r.cancelled) return;
    this.clearStall();
    this.awaitingAnswer = false;
    let args: unknown = {};
    let invalid: string | undefined;
    try {
      args = e.arguments.trim() ? JSON.parse(e.arguments) : {};
    } catch (err) {
      invalid = err instanceof Error ? err.message : 'not JSON';
    }
    const call = {
      id: e.call_id,
      name: e.name,
      arguments: invalid ? undefined : args,
      rawArguments: e.arguments,
      ...(invalid ? { invalid } : {}),
    };
    const run = this.runToolCall(call, r.abort.signal).then(
      (result) => {
        if (this.switched || this.ended || r.abort.signal.aborted) return;
        this.conn?.sendToolOutput(e.call_id, JSON.stringify(result));
        r.toolOutputs++;
      },
      (err: unknown) => {
        if (!r.abort.signal.aborted) this.deps.log.error({ err, tool: e.name }, 'realtime tool failed');
      },
    );
    r.tools.push(run);
  }

  /** Runs one tool over the call's AgentTools and tells its outputs as call events. */
  private async runToolCall(
    call: { id: string; name: string; arguments: unknown; rawArguments: string; invalid?: string },
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const ctx = this.context();
    const env: ToolEnv = {
      ctx,
      st: this.st,
      tools: this.deps.tools,
      signal,
      lifetime: this.deps.lifetime,
      logger: this.deps.log,
      callerText: this.lastCallerText,
      transcript: ctx.transcript,
      voice: true,
    };
    const outcome = await runTool(call, env);
    for (const out of outcome.outputs) {
      const e = decisionEvent(out);
      if (e) this.emit(e);
    }
    const t = outcome.terminal;
    if (t?.type === 'transfer') {
      this.emit(decisionEvent(t)!);
      this.terminal = { type: 'transfer', to: t.to, summary: t.summary };
    } else if (t?.type === 'end-call') {
      this.terminal = { type: 'end-call', reason: t.reason };
    }
    return outcome.result;
  }

  /** After a terminal tool: once the model's last words have played, hang up or transfer. */
  private maybeAct(): void {
    const t = this.terminal;
    if (!t || this.switched || this.ended) return;
    // The words after the tool output must have been said and heard.
    if (
      this.responseActive() ||
      this.playout.isPlaying() ||
      [...this.items.values()].some((i) => !i.settled)
    ) {
      return;
    }
    const last = this.current;
    if (!last || last.tools.length > 0) return;
    this.terminal = undefined;
    if (t.type === 'end-call') {
      this.agentHungUp = true;
      this.emit({ type: 'agent-hangup', reason: t.reason });
      this.deps.hangup();
      return;
    }
    void (this.deps.transfer?.(t.to, t.summary) ?? Promise.resolve(false))
      .catch((err: unknown) => {
        this.deps.log.error({ err }, 'transfer failed');
        return false;
      })
      .then((moved) => {
        this.emit({ type: 'transfer-result', transferred: moved });
        if (moved) this.transferred = true;
        else if (this.conn) this.requestResponse(`Say exactly: "${TRANSFER_FAILED_LINE}"`);
      });
  }

  // ---- the conversation -----------------------------------------------------------------------

  private context(): ConversationContext {
    return {
      business: this.deps.business,
      channel: 'phone',
      callerId: this.deps.callerId,
      transcript: this.turns.map((t) => ({
        speaker: t.speaker,
        text: t.interrupted ? (t.heardText ?? '') : t.text,
        ...(t.interrupted ? { interrupted: true } : {}),
      })),
      state: this.brainState,
      now: this.now(),
    };
  }

  /** Input-audio ms (the server's timeline) on the call's timeline. */
  private callMs(audioMs: number): number {
    // Input audio is the caller's frames in real time since the first went up.
    return Math.max(0, Math.round(this.elapsed() - (this.inputMs - audioMs)));
  }

  // ---- failure -> the pipeline ----------------------------------------------------------------

  private fail(reason: string, err?: unknown): void {
    if (this.switched || this.ended) return;
    this.switched = true;
    this.deps.log.warn(
      { reason, ...(err ? { err } : {}) },
      'realtime session failed; the pipeline takes over',
    );
    this.clearStall();
    this.clock.clearTimeout(this.pendingBarge?.timer);
    this.pendingBarge = undefined;
    // The caller waits for an answer: their turn ended unanswered, or the answer was being made or cut short.
    let waiting = this.awaitingAnswer || this.responseActive();
    // What was playing is cut where the caller is; the rest of that answer never comes.
    const item = this.playing;
    if (item && !item.settled) {
      const heard = this.playout.clear();
      this.recorder.truncateAgent(this.elapsed());
      this.settleInterrupted(item, 'failed', this.heardOf(item, heard));
      waiting = true;
    }
    for (const r of this.responses.values()) r.abort.abort(new Error('provider switched'));
    this.toFeed.length = 0;
    this.playout.close();
    this.connecting.abort(new Error('provider switched'));
    this.conn?.close();
    this.emit({
      type: 'provider-switched',
      kind: 'realtime',
      from: REALTIME_PROVIDER,
      to: 'pipeline',
      reason,
    });
    if (!this.deps.takeOver) {
      this.deps.hangup();
      return;
    }
    const lastCaller = [...this.turns].reverse().find((t) => t.speaker === 'caller');
    const answer: TurnInput | undefined =
      waiting && lastCaller ? { kind: 'speech', text: lastCaller.text } : undefined;
    this.callerAudio.flushInto(this.recorder);
    const resume: SessionResume = {
      turns: [...this.turns],
      startedAt: this.startedAt,
      brainState: this.brainState,
      recorder: this.recorder,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      latencies: [...this.latencies],
      next: answer
        ? { kind: 'answer', input: answer, say: ONE_MOMENT }
        : !this.greetingHeard() || (waiting && !lastCaller)
          ? { kind: 'greet' }
          : { kind: 'listen' },
    };
    try {
      this.takeover = this.deps.takeOver({ resume, reason });
      this.takeover.start();
    } catch (err) {
      this.deps.log.error({ err }, 'the pipeline could not take the call over');
      this.deps.hangup();
    }
  }

  /** Some agent turn was heard in full (a greeting cut short is said again, whole). */
  private greetingHeard(): boolean {
    return this.turns.some((t) => t.speaker === 'agent' && !t.interrupted);
  }

  // ---- the end --------------------------------------------------------------------------------

  /** The server stops: cut what plays, have the model say `text`, wait for it up to `maxMs`. */
  async sayGoodbye(text: string, maxMs: number): Promise<void> {
    if (this.ended) return;
    if (this.takeover) return this.takeover.sayGoodbye(text, maxMs);
    this.emit({ type: 'goodbye', atMs: this.elapsed() });
    const item = this.playing;
    if (item && !item.settled) this.cut(item, 'cut-off');
    else if (this.responseActive()) this.cancel(this.current!);
    if (!this.conn) return;
    const deadline = this.clock.now() + maxMs;
    const waitFor = (cond: () => boolean) =>
      new Promise<void>((resolve) => {
        const poll = () => {
          if (cond() || this.clock.now() >= deadline || this.ended || this.switched) resolve();
          else this.clock.setTimeout(poll, 50);
        };
        poll();
      });
    // A cancelled answer must be over at the server before another may start.
    await waitFor(() => !this.current || this.current.done);
    if (this.ended || this.switched || !this.conn) return;
    const before = this.responses.size;
    this.conn.createResponse({ instructions: `Say exactly: "${text}"` });
    await waitFor(
      () =>
        this.responses.size > before &&
        this.current?.done === true &&
        !this.playout.isPlaying() &&
        [...this.items.values()].every((i) => i.settled),
    );
  }

  /** Never rejects: the recording is kept and `call-ended` is emitted last, once. */
  async end(reason: string): Promise<void> {
    if (this.ended) return;
    if (this.takeover) {
      this.ended = true;
      await this.takeover.end(reason);
      return;
    }
    this.ended = true;
    this.clearStall();
    this.clock.clearTimeout(this.digitTimer);
    this.clock.clearTimeout(this.pendingBarge?.timer);
    this.connecting.abort(new Error('call ended'));
    const item = this.playing;
    if (item && !item.settled) {
      this.settleInterrupted(item, 'cut-off', this.heardOf(item, this.playout.heardPosition()));
    }
    for (const r of this.responses.values()) r.abort.abort(new Error('call ended'));
    this.toFeed.length = 0;
    this.playout.close();
    this.conn?.close();
    await this.eventsDone;
    await Promise.allSettled([...this.responses.values()].flatMap((r) => r.tools));
    const summary = summarizeCall(
      {
        durationMs: this.elapsed(),
        turns: this.turns,
        latencies: this.latencies,
        framesIn: this.framesIn,
        framesOut: this.framesOut,
      },
      reason,
    );
    this.callerAudio.flushInto(this.recorder);
    let recording: string | undefined;
    if (this.deps.saveRecording) {
      recording = await this.deps
        .saveRecording({ channels: this.recorder.channels(), sampleRate: this.recorder.sampleRate })
        .catch((err: unknown) => {
          this.deps.log.error({ err }, 'call end: recording failed');
          return undefined;
        });
    }
    this.emit({
      type: 'call-ended',
      reason,
      outcome: this.outcome(reason),
      summary,
      ...(recording ? { recording } : {}),
    });
    this.silenced = true;
  }

  private outcome(reason: string): CallOutcome {
    return callOutcome({ transferred: this.transferred, agentHungUp: this.agentHungUp }, reason);
  }
}

/** Bytes a base64 string decodes to. */
function base64Bytes(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/** Caller mu-law kept as it came, decoded for the recording a few seconds at a time. */
class MulawTrack {
  private buf = new Uint8Array(8000 * 5);
  private len = 0;

  /** True when full: time to flush. */
  push(mulaw: Uint8Array): boolean {
    if (this.len + mulaw.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + mulaw.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(mulaw, this.len);
    this.len += mulaw.length;
    return this.len >= 8000 * 4;
  }

  flushInto(recorder: CallRecorder): void {
    if (this.len === 0) return;
    recorder.addCaller(mulawToPcm(this.buf.subarray(0, this.len)));
    this.len = 0;
  }
}

/** A failure as a short reason for the event and the log: never the key, never a body. */
function reasonOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { kind?: unknown; status?: unknown; message?: unknown };
    const parts = [
      typeof e.kind === 'string' ? e.kind : undefined,
      typeof e.status === 'number' ? String(e.status) : undefined,
    ];
    const head = parts.filter(Boolean).join(' ');
    if (head) return head;
    if (typeof e.message === 'string') return e.message.slice(0, 120);
  }
  return 'unknown';
}
