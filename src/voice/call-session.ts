import type { Brain, BrainOutput, BrainState, ConversationContext, TurnInput } from '../agent/index.js';
import { callOutcome, summarizeCall } from './call-summary.js';
import { decisionEvent } from './decision-events.js';
import { mulawToPcm } from '../audio/index.js';
import type { BusinessProfile } from '../business/index.js';
import type { E164 } from '../ids.js';
import type { SpeechToText } from '../providers/stt/index.js';
import type { TextToSpeech } from '../providers/tts/index.js';
import type { SpeechDetector } from '../providers/vad/index.js';
import { AsyncQueue } from './async-queue.js';
import type { CallEventBody, CallOutcome, CutReason, VoiceChannel } from './events.js';
import { LatencyMarks, type TurnLatency } from './latency.js';
import { Listener, type ListenerEvent } from './listener.js';
import { monotonicClock, type Clock, type ExpectedSpeech, type Logger } from '../shared/index.js';
import { Playout, type MediaTransport } from './playout.js';
import { CallRecorder } from './recorder.js';
import { speak } from './speaker.js';
import { SpeechHandle, type SpeechOutcome } from './speech-handle.js';
import { bargeIn, isNothingToAnswer } from './barge-in.js';
import { hasRealWords, isBackchannel, type TurnTakingConfig } from './turn-taking.js';

/** A turn as the session stores it. Times are ms since the stream started. */
export interface SessionTurn {
  speaker: 'caller' | 'agent';
  text: string;
  startMs: number;
  endMs: number;
  interrupted: boolean;
  heardText?: string;
  latency?: TurnLatency;
}

export type { CallSummary } from './events.js';

/** Where the session's events go: the call's event stream (CallEventStream). */
export interface CallEventSink {
  emit(event: CallEventBody): void;
}

/** The call's audio at its end: caller left, agent right, 8 kHz. */
export interface CallRecording {
  channels: [Int16Array, Int16Array];
  sampleRate: number;
}

/** The caller's side is optional: without it the session only speaks (greeting, announcements). */
export interface ListeningDeps {
  /** One recognizer, or the call's failover order (the next takes over when one fails or stalls). */
  stt: SpeechToText | readonly SpeechToText[];
  /** A detector made for this call with minSpeechMs/minSilenceMs from the turn-taking config. */
  detector: SpeechDetector;
  /** No result this long after the caller stopped: the recognizer is replaced (PROVIDER_STALL_MS). */
  stallMs?: number;
  /** Whose words the recognizer's open model carries (the business id its vocabulary is under). */
  vocabulary?: string;
}

export interface CallSessionDeps {
  transport: MediaTransport;
  /** End the call (close the stream; with nothing after <Connect>, Twilio hangs up). */
  hangup(): void;
  /** Move the caller to a human (Twilio call update to <Dial>); false when it could not be done. */
  transfer?(to: E164 | undefined, summary: string): Promise<boolean>;
  tts: TextToSpeech;
  listening?: ListeningDeps;
  brain: Brain;
  business: BusinessProfile;
  callerId?: E164 | undefined;
  /** Which line the call is on (a phone number, WhatsApp, a browser): the brain words things for it. Default phone. */
  channel?: VoiceChannel;
  /** Everything the call does is told here, in order; the call log and metrics listen to it. */
  events: CallEventSink;
  /** Keeps the recording at the end; resolves to where it was kept, or undefined. */
  saveRecording?(recording: CallRecording): Promise<string | undefined>;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  turnTaking: TurnTakingConfig;
  playoutLeadMs: number;
  clock?: Clock;
  /** Take over a call already under way (the Realtime session failed): no call-started, no second greeting. */
  resume?: SessionResume;
}

/** What a session needs to take a call over mid-way, with the conversation so far. */
export interface SessionResume {
  /** The call's turns so far: the brain gets them as the conversation. */
  turns: readonly SessionTurn[];
  /** Clock time the call's stream started: offsets go on on the call's timeline. */
  startedAt: number;
  brainState: BrainState;
  /** The call's recording so far, continued. */
  recorder: CallRecorder;
  framesIn: number;
  framesOut: number;
  latencies: readonly TurnLatency[];
  /** First: greet (nothing was said yet), answer a caller turn left waiting (after `say`), or listen. */
  next: { kind: 'greet' } | { kind: 'answer'; input: TurnInput; say?: string } | { kind: 'listen' };
}

/** Said when a provider failed while the caller was waiting for an answer: the answer follows. */
export const ONE_MOMENT = 'One moment.';

/**
 * A paused agent turn whose caller utterance got no result this long after it ended (its
 * recognizer failed) plays on: the caller is not left in silence.
 */
export const PAUSE_MAX_AFTER_SPEECH_MS = 4000;
/** Over the agent, a best reading this short with an acknowledgement among its other readings is one. */
const ASIDE_MAX_WORDS = 3;
/** After the caller hung up: how long the words they had just said may take to come. */
export const LAST_WORDS_MAX_MS = 3000;
/** After the caller hung up: how long the brain may take to act on those words (save, alert). */
export const LAST_TURN_MAX_MS = 10_000;

const TRANSFER_FAILED_LINE =
  "I'm sorry, I couldn't put you through right now. I can take a message and have someone call you back.";

interface AgentTurn {
  handle: SpeechHandle;
  latency: LatencyMarks | undefined;
  /** Audio of this turn has reached the playout. */
  audible: boolean;
  /** Why it was cut, once it was. */
  cutReason?: CutReason;
  /** Stopped by caller speech with no words yet: clock time of the pause, until it resumes or is cut. */
  pausedAt?: number;
  /** The expectation the brain gave with this turn (its `listen` hint; 'phone' for keypad digits). */
  expects?: ExpectedSpeech;
}

/** What an agent turn speaks: the brain's answer to an input, or a fixed line. */
type TurnSource = { kind: 'brain'; input: TurnInput; brain: Brain } | { kind: 'say'; text: string };

/**
 * One phone call's voice session: listens, takes turns with the caller, lets the caller
 * interrupt, and keeps in the conversation only what the caller heard. Events of one call are
 * handled in arrival order; everything the call owns is released when the stream ends. It
 * stores and counts nothing itself: it tells what happens as typed events (events.ts), ending
 * with `call-ended`, and the call log and metrics listen.
 */
export class CallSession {
  private readonly clock: Clock;
  private readonly playout: Playout;
  private readonly recorder: CallRecorder;
  private readonly listener: Listener | undefined;
  private readonly startedAt: number;
  private readonly turns: SessionTurn[] = [];
  private readonly brainState: BrainState;
  /** Agent turns run one after another. */
  private agentChain: Promise<void> = Promise.resolve();
  private current: AgentTurn | undefined;
  private framesIn = 0;
  private framesOut = 0;
  private ended = false;
  private digits = '';
  private digitTimer: unknown;
  private lastDtmfAt = -Infinity;
  private listenHint: Extract<BrainOutput, { type: 'listen' }> | undefined;
  private noInputTimer: unknown;
  /** Caller text whose answer was abandoned before any of it was heard (the caller went on). */
  private carriedCallerText = '';
  private lastCallerText = '';
  /** Caller utterances (by their start) that began over this agent turn's audio. */
  private readonly overAgent = new Map<number, AgentTurn>();
  /** The caller's utterance under way (its start), from speech-start to speech-end. */
  private callerUtterance: number | undefined;
  /** Words came before the minimum speech: stops the agent once it is reached. */
  private wordsTimer: unknown;
  /** A paused turn's utterance ended: resumes it if no result comes. */
  private pauseTimer: unknown;
  /** The caller hung up: their last words are still heard and acted on, nothing more is said. */
  private hangingUp = false;
  /** What the caller said or keyed last, heard after they hung up: acted on without speaking. */
  private readonly lastInputs: TurnInput[] = [];
  private agentHungUp = false;
  private transferred = false;
  /** `call-ended` was emitted: it is the call's last event. */
  private silenced = false;
  private readonly latencies: TurnLatency[] = [];
  /** The stored caller turn each brain input came from. */
  private readonly inputTurns = new WeakMap<TurnInput, SessionTurn>();

  constructor(private readonly deps: CallSessionDeps) {
    this.clock = deps.clock ?? monotonicClock;
    const resume = deps.resume;
    this.startedAt = resume?.startedAt ?? this.clock.now();
    this.recorder = resume?.recorder ?? new CallRecorder();
    this.brainState = resume?.brainState ?? {};
    if (resume) {
      this.turns.push(...resume.turns);
      this.latencies.push(...resume.latencies);
      this.framesIn = resume.framesIn;
      this.framesOut = resume.framesOut;
    }
    this.playout = new Playout(deps.transport, {
      leadMs: deps.playoutLeadMs,
      clock: this.clock,
      events: {
        onFrameSent: () => this.framesOut++,
        onFirstFrameSent: (at) => this.current?.latency?.mark('firstFrameSent', at),
      },
    });
    if (deps.listening) {
      this.listener = new Listener({
        detector: deps.listening.detector,
        stt: deps.listening.stt,
        config: deps.turnTaking,
        clock: this.clock,
        onEvent: (e) => this.onListenerEvent(e),
        onError: (err) => this.deps.log.error({ err }, 'listening failed on a frame'),
        ...(deps.listening.stallMs !== undefined ? { stallMs: deps.listening.stallMs } : {}),
        ...(deps.listening.vocabulary !== undefined ? { vocabulary: deps.listening.vocabulary } : {}),
        onSwitch: ({ from, to, reason, callerWaiting }) => {
          this.deps.log.warn({ from, to, reason }, 'speech recognizer replaced for the rest of the call');
          this.emit({ type: 'provider-switched', kind: 'stt', from, to, reason });
          // The caller finished speaking a while ago and the words are only now being heard again.
          if (callerWaiting) void this.say(ONE_MOMENT);
        },
      });
    }
  }

  /** ms since the stream started. */
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

  start(): void {
    const resume = this.deps.resume;
    if (!resume) {
      this.emit({ type: 'call-started', channel: this.deps.channel ?? 'phone' });
      this.enqueueAgentTurn({ kind: 'call-started' });
      return;
    }
    // Taking over: the call has started (and been greeted, unless `greet`).
    const next = resume.next;
    if (next.kind === 'greet') {
      this.enqueueAgentTurn({ kind: 'call-started' });
    } else if (next.kind === 'answer') {
      if (next.say) void this.say(next.say);
      const asked = [...this.turns].reverse().find((t) => t.speaker === 'caller');
      if (asked) this.inputTurns.set(next.input, asked);
      if (next.input.kind === 'speech') this.lastCallerText = next.input.text;
      this.enqueueAgentTurn(next.input);
    } else {
      this.armNoInput();
    }
  }

  onAudio(mulaw: Uint8Array): void {
    if (this.ended) return;
    this.framesIn++;
    const pcm = mulawToPcm(mulaw);
    this.recorder.addCaller(pcm);
    this.listener?.push(pcm);
  }

  onMarkEcho(name: string): void {
    this.playout.onMarkEcho(name);
  }

  /** Keypad digits are collected into one input: until the finish key, the digit limit, or a pause. */
  onDtmf(digit: string): void {
    if (this.ended) return;
    this.lastDtmfAt = this.clock.now();
    this.clock.clearTimeout(this.noInputTimer);
    this.emit({ type: 'dtmf', digit, atMs: this.elapsed() });
    const finishOnKey = this.listenHint?.finishOnKey ?? '#';
    if (digit !== finishOnKey) this.digits += digit;
    this.clock.clearTimeout(this.digitTimer);
    const max = this.listenHint?.maxDigits;
    if (digit === finishOnKey || (max !== undefined && this.digits.length >= max)) {
      this.flushDigits();
    } else {
      this.digitTimer = this.clock.setTimeout(() => this.flushDigits(), this.deps.turnTaking.digitTimeoutMs);
    }
  }

  private flushDigits(): void {
    this.clock.clearTimeout(this.digitTimer);
    const digits = this.digits;
    this.digits = '';
    if (!digits) return;
    const at = this.elapsed();
    this.emit({ type: 'digits-entered', digits, atMs: at });
    const turn = this.recordTurn({
      speaker: 'caller',
      text: `[keys] ${digits}`,
      startMs: at,
      endMs: at,
      interrupted: false,
    });
    const input: TurnInput = { kind: 'dtmf', digits };
    this.inputTurns.set(input, turn);
    if (this.hangingUp) this.lastInputs.push(input);
    else this.enqueueAgentTurn(input);
  }

  private onListenerEvent(e: ListenerEvent): void {
    if (this.ended && !this.hangingUp) return;
    switch (e.type) {
      case 'speech-start': {
        this.clock.clearTimeout(this.noInputTimer);
        this.emit({ type: 'speech-started', track: 'inbound', atMs: e.atMs });
        this.callerUtterance = e.atMs;
        const turn = this.current;
        if (turn && (this.playout.isPlaying() || turn.pausedAt !== undefined))
          this.overAgent.set(e.atMs, turn);
        // The caller went on talking before any of our answer was heard: drop that answer
        // and answer everything they said together (unless it must be heard, e.g. safety advice).
        if (
          turn &&
          !turn.audible &&
          !turn.handle.isSettled &&
          turn.handle.allowInterruptions &&
          this.lastCallerText
        ) {
          this.carriedCallerText = this.lastCallerText;
          this.cut(turn, 'caller-continued', this.playout.heardPosition());
        }
        break;
      }
      case 'speech-progress':
        this.maybeBargeIn(e.speechMs, e.partial);
        break;
      case 'interim':
        this.emit({ type: 'transcript-interim', track: 'inbound', text: e.text });
        break;
      case 'speech-end': {
        this.callerUtterance = undefined;
        this.clock.clearTimeout(this.wordsTimer);
        this.wordsTimer = undefined;
        const paused = this.current?.pausedAt !== undefined ? this.current : undefined;
        if (paused) {
          this.clock.clearTimeout(this.pauseTimer);
          this.pauseTimer = this.clock.setTimeout(() => {
            if (this.callerUtterance === undefined) this.resume(paused);
          }, PAUSE_MAX_AFTER_SPEECH_MS);
        }
        this.emit({ type: 'speech-stopped', track: 'inbound', atMs: e.atMs, durationMs: e.durationMs });
        break;
      }
      case 'noise': {
        const over = this.overAgentTurn(e.startMs);
        if (over) this.resume(over);
        break;
      }
      case 'utterance': {
        const over = this.overAgentTurn(e.startMs);
        const carried = this.carriedCallerText;
        const text = [carried, e.text].filter(Boolean).join(' ');
        this.carriedCallerText = '';
        const endMs = Math.round(e.endOfSpeechAt - this.startedAt);
        this.emit({
          type: 'transcript-final',
          track: 'inbound',
          text: e.text,
          ...(e.confidence !== undefined ? { confidence: e.confidence } : {}),
          startMs: endMs - e.durationMs,
          endMs,
        });
        const turn = this.recordTurn({
          speaker: 'caller',
          text: e.text,
          startMs: endMs - e.durationMs,
          endMs,
          interrupted: false,
        });
        if (over && this.isAside(over, e.text, e.alternatives ?? [])) {
          // "uh-huh", a cough or nothing over the agent acknowledges: not a turn to answer, and
          // an agent stopped for it goes on from where it was heard.
          this.resume(over);
          break;
        }
        if (over && over.pausedAt !== undefined) {
          // A real interruption: the turn settles with what was heard before the pause.
          if (over.handle.allowInterruptions) this.cutPlaying(over, 'barge-in');
          else this.resume(over);
        }
        this.lastCallerText = text;
        const latency = new LatencyMarks(e.endOfSpeechAt, e.endpointingMs);
        latency.mark('sttFinal', e.sttFinalAt);
        if (this.listener) latency.by({ stt: this.listener.stt.name });
        const alternatives = (e.alternatives ?? []).map((a) => [carried, a].filter(Boolean).join(' '));
        const input: TurnInput = text
          ? {
              kind: 'speech',
              text,
              ...(e.confidence !== undefined ? { confidence: e.confidence } : {}),
              ...(alternatives.length > 0 ? { alternatives } : {}),
            }
          : { kind: 'unclear' };
        this.inputTurns.set(input, turn);
        if (this.hangingUp) this.lastInputs.push(input);
        else this.enqueueAgentTurn(input, latency);
        break;
      }
    }
  }

  /** The agent turn the caller's utterance starting at `startMs` began over, if any. */
  private overAgentTurn(startMs: number): AgentTurn | undefined {
    const over = this.overAgent.get(startMs);
    // Older entries are turns that never got a result (their recognizer failed).
    for (const at of this.overAgent.keys()) if (at <= startMs) this.overAgent.delete(at);
    return over;
  }

  /**
   * Said over the agent and nothing to answer: no words, noise, or only acknowledgements; or a
   * few words the recognizer also read as an acknowledgement (PocketSphinx hears "uh-huh" as
   * "are"; its other reading says "uh huh"). Except "yeah" or "right" just as a yes/no question
   * ended: that is the answer, said a little early.
   */
  private isAside(over: AgentTurn, text: string, alternatives: readonly string[]): boolean {
    const words = this.deps.turnTaking.backchannelWords;
    const fewWords = text.split(/\s+/).filter(Boolean).length <= ASIDE_MAX_WORDS;
    const nothing =
      isNothingToAnswer(text, words) || (fewWords && alternatives.some((a) => isBackchannel(a, words)));
    if (!nothing) return false;
    const stillSpeaking = this.current === over && !over.handle.isSettled;
    return stillSpeaking || !text.trim() || over.expects !== 'yes-no';
  }

  /**
   * Caller speech over agent audio: real words stop the agent at once; speech with no words yet
   * (or only "uh-huh") does not, until it is too long to be a backchannel. A stop is a pause: the
   * utterance's final settles it (words: interrupted; nothing to answer: the agent goes on), so a
   * recognizer's garbage words cost a short gap, not the rest of the answer.
   */
  private maybeBargeIn(speechMs: number, partial: string): void {
    const turn = this.current;
    if (!turn || turn.handle.isSettled || !turn.handle.allowInterruptions) return;
    if (turn.pausedAt !== undefined) return;
    if (!this.playout.isPlaying()) return;
    if (this.clock.now() - this.lastDtmfAt < this.deps.turnTaking.dtmfGuardMs) return;
    const cfg = this.deps.turnTaking;
    const action = bargeIn(speechMs, partial, cfg);
    if (action !== 'wait') {
      this.pause(turn);
      return;
    }
    // Words before the minimum speech: stop when it is reached, if the caller is still at it
    // (after "stop," comes a pause, and no voiced audio to decide on).
    if (hasRealWords(partial, cfg.backchannelWords) && this.wordsTimer === undefined) {
      const utterance = this.callerUtterance;
      this.wordsTimer = this.clock.setTimeout(
        () => {
          this.wordsTimer = undefined;
          if (this.current !== turn || this.callerUtterance !== utterance || utterance === undefined) return;
          if (turn.handle.isSettled || turn.pausedAt !== undefined || !this.playout.isPlaying()) return;
          this.pause(turn);
        },
        Math.max(0, cfg.minInterruptSpeechMs - speechMs),
      );
    }
  }

  /** Stops the agent's audio at the caller's end, keeping the rest to resume (a false interruption). */
  private pause(turn: AgentTurn): void {
    const start = turn.handle.startPosition;
    const heard = this.playout.heardPosition();
    this.playout.pause(start);
    this.recorder.truncateAgent(this.elapsed());
    turn.pausedAt = this.clock.now();
    this.emit({
      type: 'agent-turn-paused',
      turnId: turn.handle.id,
      atMs: this.elapsed(),
      heardMs: Math.max(0, heard - (start ?? heard)),
    });
  }

  /** A paused turn plays on; its kept audio goes into the recording where it now plays. */
  private resume(turn: AgentTurn): void {
    if (turn.pausedAt === undefined) return;
    const pausedMs = Math.round(this.clock.now() - turn.pausedAt);
    turn.pausedAt = undefined;
    if (turn.handle.isSettled || this.current !== turn || !this.playout.paused) return;
    const rest = this.playout.pendingAudio();
    this.playout.resume();
    if (rest.length > 0) this.recorder.addAgent(mulawToPcm(rest), this.elapsed());
    this.emit({ type: 'agent-turn-resumed', turnId: turn.handle.id, atMs: this.elapsed(), pausedMs });
  }

  /** Stops the agent's audio at the caller's end now and settles the turn with what was heard. */
  private cutPlaying(turn: AgentTurn, reason: CutReason): void {
    const heard = this.playout.clear();
    this.recorder.truncateAgent(this.elapsed());
    this.cut(turn, reason, heard);
  }

  private cut(turn: AgentTurn, reason: CutReason, heardPosition: number): void {
    if (turn.handle.isSettled) return;
    turn.pausedAt = undefined;
    turn.cutReason = reason;
    turn.handle.markInterrupted(heardPosition);
  }

  private enqueueAgentTurn(input: TurnInput, latency?: LatencyMarks): void {
    this.enqueue(new SpeechHandle(true), { kind: 'brain', input, brain: this.deps.brain }, latency);
  }

  private enqueue(handle: SpeechHandle, source: TurnSource, latency?: LatencyMarks): void {
    this.agentChain = this.agentChain
      .then(() => {
        if (!this.ended) return this.runAgentTurn(handle, source, latency);
        // Never spoken: whoever waits on the handle learns that nothing was heard.
        handle.markInterrupted(0);
      })
      .catch((err: unknown) => this.deps.log.error({ err }, 'agent turn failed'));
  }

  /**
   * Speaks a fixed line after whatever the agent is saying now, without asking the brain (a
   * failed transfer, the shutdown goodbye). With `allowInterruptions: false` the caller cannot
   * talk over it. Resolves once it has played, or with what was heard when it was cut.
   */
  say(text: string, opts: { allowInterruptions?: boolean } = {}): Promise<SpeechOutcome> {
    const handle = new SpeechHandle(opts.allowInterruptions ?? true);
    this.enqueue(handle, { kind: 'say', text });
    return handle.done;
  }

  /** The conversation before `input`: the brain gets the current turn as input, not in the history. */
  private context(input: TurnInput): ConversationContext {
    const current = this.inputTurns.get(input);
    return {
      business: this.deps.business,
      channel: this.deps.channel ?? 'phone',
      callerId: this.deps.callerId,
      transcript: this.turns
        .filter((t) => t !== current)
        .map((t) => ({
          speaker: t.speaker,
          text: t.interrupted ? (t.heardText ?? '') : t.text,
          ...(t.interrupted ? { interrupted: true } : {}),
        })),
      state: this.brainState,
      now: new Date(),
    };
  }

  /** One agent turn: the brain's sentences are spoken as they come, under one AbortSignal. */
  private async runAgentTurn(
    handle: SpeechHandle,
    source: TurnSource,
    latency?: LatencyMarks,
  ): Promise<void> {
    const turn: AgentTurn = { handle, latency, audible: false };
    latency?.by({
      tts: this.deps.tts.name,
      ...(source.kind === 'brain' ? { llm: source.brain.name ?? 'brain' } : {}),
    });
    this.current = turn;
    const sentences = new AsyncQueue<string>();
    const after: BrainOutput[] = [];
    const startMs = this.elapsed();
    let audibleAtMs = startMs;
    this.listenHint = undefined;
    this.emit({
      type: 'agent-turn-started',
      turnId: handle.id,
      source: source.kind,
      allowInterruptions: handle.allowInterruptions,
      atMs: startMs,
    });

    const thinking =
      source.kind === 'say'
        ? (async () => {
            sentences.push(source.text);
            sentences.end();
          })()
        : this.think(source, turn, sentences, after);

    try {
      await speak(
        handle,
        sentences,
        { tts: this.deps.tts, playout: this.playout, now: () => this.clock.now() },
        {
          onFirstAudio: (at) => {
            latency?.mark('firstAudio', at);
            // A synthesizer chain may have switched for this very sentence: name who spoke.
            latency?.by({ tts: this.deps.tts.name });
          },
          onAudio: (pcm) => {
            if (!turn.audible) {
              turn.audible = true;
              audibleAtMs = this.elapsed() + this.playout.bufferedMs();
              this.emit({ type: 'speech-started', track: 'outbound', atMs: audibleAtMs });
            }
            // While paused it waits in the playout: the resume records it where it then plays.
            if (!this.playout.paused) this.recorder.addAgent(pcm, this.elapsed() + this.playout.bufferedMs());
          },
        },
      );
    } catch (err) {
      this.deps.log.error({ err }, 'agent speech failed');
      this.cut(turn, 'failed', this.playout.heardPosition());
    }
    await thinking;
    const outcome = await handle.done;
    if (this.current === turn) this.current = undefined;
    const endMs = this.elapsed();
    // Before the turn's end: the call log stores the latency with the turn.
    if (latency) {
      this.latencies.push(latency.value);
      this.emit({ type: 'turn-latency', turnId: handle.id, latency: { ...latency.value } });
    }
    if (turn.audible) {
      this.emit({
        type: 'speech-stopped',
        track: 'outbound',
        atMs: endMs,
        durationMs: Math.max(0, endMs - audibleAtMs),
      });
    }
    if (outcome.interrupted) {
      this.emit({
        type: 'agent-turn-interrupted',
        turnId: handle.id,
        reason: turn.cutReason ?? 'cut-off',
        text: outcome.text,
        heardText: outcome.heardText,
        heardMs: outcome.heardMs,
        startMs,
        endMs,
      });
    } else {
      this.emit({ type: 'agent-turn-ended', turnId: handle.id, text: outcome.text, startMs, endMs });
    }
    if (outcome.text) {
      this.recordTurn({
        speaker: 'agent',
        text: outcome.text,
        startMs,
        endMs,
        interrupted: outcome.interrupted,
        ...(outcome.interrupted ? { heardText: outcome.heardText } : {}),
        ...(latency ? { latency: latency.value } : {}),
      });
    }
    if (outcome.interrupted) return;
    const ending = after.find((o) => o.type === 'end-call' || o.type === 'transfer');
    if (ending?.type === 'end-call') {
      this.agentHungUp = true;
      this.emit({ type: 'agent-hangup', reason: ending.reason });
      this.deps.hangup();
      return;
    }
    if (ending?.type === 'transfer') {
      const moved = await (this.deps.transfer?.(ending.to, ending.summary) ?? Promise.resolve(false)).catch(
        (err: unknown) => {
          this.deps.log.error({ err }, 'transfer failed');
          return false;
        },
      );
      this.emit({ type: 'transfer-result', transferred: moved });
      // Twilio now runs the <Dial>: this stream is over. If it could not be done, keep the caller.
      if (moved) {
        this.transferred = true;
        return;
      }
      void this.say(TRANSFER_FAILED_LINE);
      return;
    }
    this.armNoInput();
  }

  /** The brain's side of a turn: its sentences into `sentences`, its decisions told as events. */
  private async think(
    source: Extract<TurnSource, { kind: 'brain' }>,
    turn: AgentTurn,
    sentences: AsyncQueue<string>,
    after: BrainOutput[],
  ): Promise<void> {
    const { handle, latency } = turn;
    const signal = handle.abort.signal;
    let said = false;
    try {
      const ctx = {
        ...this.context(source.input),
        onFirstToken: () => latency?.mark('llmFirstToken', this.clock.now()),
      };
      for await (const out of source.brain.respond(source.input, ctx, signal)) {
        if (signal.aborted) break;
        switch (out.type) {
          case 'say':
            said = true;
            latency?.mark('firstText', this.clock.now());
            sentences.push(out.text);
            break;
          case 'listen':
            this.listenHint = out;
            break;
          case 'end-call':
            after.push(out);
            break;
          case 'transfer':
            after.push(out);
            this.emitDecision(out);
            break;
          case 'emergency':
            // What the agent says from here (what to do to stay safe) cannot be talked over.
            handle.disallowInterruptions();
            this.resume(turn);
            this.emitDecision(out);
            break;
          default:
            this.emitDecision(out);
        }
      }
    } catch (err) {
      if (!signal.aborted) {
        this.deps.log.error({ err }, 'brain failed during a turn');
        if (!said) sentences.push("Sorry, I'm having trouble right now. Could you say that again?");
      }
    } finally {
      sentences.end();
    }
    if (signal.aborted) return;
    // The recognizer listens for what this turn asked (the open model when it asked nothing).
    const hint = this.listenHint;
    turn.expects = hint?.hint ?? (hint?.expect === 'digits' ? 'phone' : 'open');
    this.listener?.expect(turn.expects);
  }

  /**
   * The brain's turn on what the caller said just before hanging up: its decisions happen (the
   * lead saved with the number just said, the emergency raised) and are told; nothing is said.
   */
  private async actSilently(input: TurnInput): Promise<void> {
    const abort = new AbortController();
    const timer = this.clock.setTimeout(
      () => abort.abort(new Error('too slow after hang-up')),
      LAST_TURN_MAX_MS,
    );
    try {
      for await (const out of this.deps.brain.respond(input, this.context(input), abort.signal)) {
        if (abort.signal.aborted) break;
        if (out.type === 'say' || out.type === 'listen' || out.type === 'end-call' || out.type === 'transfer')
          continue;
        this.emitDecision(out);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'call end: the brain failed on the last words');
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private emitDecision(out: BrainOutput): void {
    const e = decisionEvent(out);
    if (e) this.emit(e);
  }

  private armNoInput(): void {
    if (!this.listener) return;
    this.clock.clearTimeout(this.noInputTimer);
    this.noInputTimer = this.clock.setTimeout(() => {
      if (!this.current && !this.ended) this.enqueueAgentTurn({ kind: 'no-input' });
    }, this.deps.turnTaking.noInputTimeoutMs);
  }

  /** The conversation as the brain will see it (the stored turns come from the events). */
  private recordTurn(turn: SessionTurn): SessionTurn {
    this.turns.push(turn);
    return turn;
  }

  /**
   * The call must end now (the server shuts down): whatever the agent is saying is cut, the caller
   * hears `text`, and this resolves once it has played or after `maxMs`, whichever comes first.
   * The caller then ends the session.
   */
  async sayGoodbye(text: string, maxMs: number): Promise<void> {
    if (this.ended) return;
    this.clock.clearTimeout(this.noInputTimer);
    this.clock.clearTimeout(this.digitTimer);
    // Nothing the caller says now starts another turn.
    this.listener?.close();
    const turn = this.current;
    if (turn && !turn.handle.isSettled) this.cutPlaying(turn, 'cut-off');
    this.emit({ type: 'goodbye', atMs: this.elapsed() });
    const said = this.say(text, { allowInterruptions: false });
    let timer: unknown;
    await Promise.race([
      said,
      new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, maxMs))),
    ]);
    this.clock.clearTimeout(timer);
  }

  /**
   * Never rejects: whatever fails while releasing the call, its recording is kept and its
   * `call-ended` event (with the summary) is emitted, last.
   */
  async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const attempt = (what: string, run: () => void) => {
      try {
        run();
      } catch (err) {
        this.deps.log.error({ err }, `call end: ${what} failed`);
      }
    };
    this.clock.clearTimeout(this.noInputTimer);
    this.clock.clearTimeout(this.digitTimer);
    this.clock.clearTimeout(this.wordsTimer);
    this.clock.clearTimeout(this.pauseTimer);
    const turn = this.current;
    attempt('cutting the current turn', () => {
      if (turn) this.cut(turn, 'cut-off', this.playout.heardPosition());
    });
    attempt('closing the playout', () => this.playout.close());
    // What the caller said or keyed just before hanging up is still heard, stored and acted on.
    this.hangingUp = true;
    attempt('taking the last keys', () => this.flushDigits());
    if (this.listener) {
      await this.listener
        .drain(LAST_WORDS_MAX_MS)
        .catch((err: unknown) => this.deps.log.error({ err }, 'call end: the last words were lost'));
    }
    this.hangingUp = false;
    attempt('closing the listener', () => this.listener?.close());
    // The turn that was cut off records itself before the summary is written.
    await this.agentChain;
    // The caller is gone: a transfer handed them to a person, who hears the rest.
    if (!this.transferred) for (const input of this.lastInputs.splice(0)) await this.actSilently(input);
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
    const recording = await this.saveRecording();
    this.emit({
      type: 'call-ended',
      reason,
      outcome: this.outcome(reason),
      summary,
      ...(recording ? { recording } : {}),
    });
    this.silenced = true;
  }

  private async saveRecording(): Promise<string | undefined> {
    if (!this.deps.saveRecording) return undefined;
    try {
      return await this.deps.saveRecording({
        channels: this.recorder.channels(),
        sampleRate: this.recorder.sampleRate,
      });
    } catch (err) {
      this.deps.log.error({ err }, 'call end: recording failed');
      return undefined;
    }
  }

  private outcome(reason: string): CallOutcome {
    return callOutcome({ transferred: this.transferred, agentHungUp: this.agentHungUp }, reason);
  }
}
