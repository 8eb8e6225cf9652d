import type { Brain, BrainOutput, BrainState, ConversationContext, TurnInput } from '../agent/brain.js';
import { mulawToPcm } from '../audio/mulaw.js';
import type { BusinessProfile } from '../business/profile.js';
import type { E164 } from '../ids.js';
import type { SpeechToText } from '../providers/stt/stt.js';
import type { TextToSpeech } from '../providers/tts/tts.js';
import type { SpeechDetector } from '../providers/vad/speech-detector.js';
import { AsyncQueue } from './async-queue.js';
import { LatencyMarks, type TurnLatency } from './latency.js';
import { Listener, type ListenerEvent } from './listener.js';
import { Playout, systemClock, type Clock, type MediaTransport } from './playout.js';
import { CallRecorder } from './recorder.js';
import { speak } from './speaker.js';
import { SpeechHandle } from './speech-handle.js';
import { isBackchannel, type TurnTakingConfig } from './turn-taking.js';

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

/** Where a session writes what happened; app.ts adapts the store to it. */
export interface CallLogPort {
  appendTurn(turn: SessionTurn): Promise<void>;
  appendEvent(type: string, payload: Record<string, unknown>): Promise<void>;
  /** The brain reported a lead, emergency, booking or question: the channel-free side effects. */
  onBrainOutput?(output: Exclude<BrainOutput, { type: 'say' } | { type: 'listen' }>): Promise<void>;
  /** The stream ended: recording (stereo, 8 kHz) and the call-level summary. */
  finish(result: {
    recording: [Int16Array, Int16Array];
    sampleRate: number;
    summary: CallSummary;
  }): Promise<void>;
}

export interface CallSummary {
  durationMs: number;
  turns: number;
  callerTurns: number;
  agentTurns: number;
  interruptions: number;
  framesIn: number;
  framesOut: number;
  endReason: string;
  /** Median and worst per-stage latency over the call's agent turns (ms after end of speech). */
  latency?: { turns: number; firstFrameSentP50?: number; firstFrameSentMax?: number };
}

export interface SessionLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The caller's side is optional: without it the session only speaks (greeting, announcements). */
export interface ListeningDeps {
  stt: SpeechToText;
  /** A detector made for this call with minSpeechMs/minSilenceMs from the turn-taking config. */
  detector: SpeechDetector;
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
  callLog: CallLogPort;
  log: SessionLogger;
  turnTaking: TurnTakingConfig;
  playoutLeadMs: number;
  clock?: Clock;
  /** Observers for metrics. */
  onTurnLatency?(latency: TurnLatency): void;
  onBargeIn?(): void;
}

const TRANSFER_FAILED_LINE =
  "I'm sorry, I couldn't put you through right now. I can take a message and have someone call you back.";

interface AgentTurn {
  handle: SpeechHandle;
  latency: LatencyMarks | undefined;
  /** Audio of this turn has reached the playout. */
  audible: boolean;
}

/**
 * One phone call's voice session: listens, takes turns with the caller, lets the caller
 * interrupt, and keeps in the conversation only what the caller heard. Events of one call are
 * handled in arrival order; everything the call owns is released when the stream ends.
 */
export class CallSession {
  private readonly clock: Clock;
  private readonly playout: Playout;
  private readonly recorder = new CallRecorder();
  private readonly listener: Listener | undefined;
  private readonly startedAt: number;
  private readonly turns: SessionTurn[] = [];
  private readonly brainState: BrainState = {};
  /** Agent turns run one after another. */
  private agentChain: Promise<void> = Promise.resolve();
  private current: AgentTurn | undefined;
  /** Persistence happens in order, off the audio path; failures are logged, never thrown. */
  private writes: Promise<void> = Promise.resolve();
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
  /** The caller's current utterance began while agent audio was playing. */
  private spokeOverAgent = false;
  private readonly latencies: TurnLatency[] = [];
  /** The stored caller turn each brain input came from. */
  private readonly inputTurns = new WeakMap<TurnInput, SessionTurn>();

  constructor(private readonly deps: CallSessionDeps) {
    this.clock = deps.clock ?? systemClock;
    this.startedAt = this.clock.now();
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
      });
    }
  }

  /** ms since the stream started. */
  private elapsed(): number {
    return Math.round(this.clock.now() - this.startedAt);
  }

  start(): void {
    this.enqueueAgentTurn({ kind: 'call-started' });
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
    this.persist(() => this.deps.callLog.appendEvent('dtmf', { digit, atMs: this.elapsed() }));
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
    const turn = this.recordTurn({
      speaker: 'caller',
      text: `[keys] ${digits}`,
      startMs: at,
      endMs: at,
      interrupted: false,
    });
    const input: TurnInput = { kind: 'dtmf', digits };
    this.inputTurns.set(input, turn);
    this.enqueueAgentTurn(input);
  }

  private onListenerEvent(e: ListenerEvent): void {
    if (this.ended) return;
    switch (e.type) {
      case 'speech-start': {
        this.clock.clearTimeout(this.noInputTimer);
        this.spokeOverAgent = this.playout.isPlaying();
        const turn = this.current;
        // The caller went on talking before any of our answer was heard: drop that answer
        // and answer everything they said together.
        if (turn && !turn.audible && !turn.handle.isSettled && this.lastCallerText) {
          this.carriedCallerText = this.lastCallerText;
          turn.handle.markInterrupted(this.playout.heardPosition());
        }
        break;
      }
      case 'speech-progress':
        this.maybeBargeIn(e.speechMs, e.partial);
        break;
      case 'noise':
        break;
      case 'utterance': {
        const text = [this.carriedCallerText, e.text].filter(Boolean).join(' ');
        this.carriedCallerText = '';
        const endMs = Math.round(e.endOfSpeechAt - this.startedAt);
        const turn = this.recordTurn({
          speaker: 'caller',
          text: e.text,
          startMs: endMs - e.durationMs,
          endMs,
          interrupted: false,
        });
        // "uh-huh" over the agent acknowledges; it is not a turn to answer.
        if (
          this.spokeOverAgent &&
          this.current &&
          isBackchannel(e.text, this.deps.turnTaking.backchannelWords)
        )
          break;
        this.lastCallerText = text;
        const latency = new LatencyMarks(e.endOfSpeechAt, e.endpointingMs);
        latency.mark('sttFinal', e.sttFinalAt);
        const input: TurnInput = text
          ? { kind: 'speech', text, ...(e.confidence !== undefined ? { confidence: e.confidence } : {}) }
          : { kind: 'unclear' };
        this.inputTurns.set(input, turn);
        this.enqueueAgentTurn(input, latency);
        break;
      }
    }
  }

  /** Caller speech over agent audio, long enough to be speech and not a keypress or a backchannel. */
  private maybeBargeIn(speechMs: number, partial: string): void {
    const turn = this.current;
    if (!turn || turn.handle.isSettled || !turn.handle.allowInterruptions) return;
    if (!this.playout.isPlaying()) return;
    if (speechMs < this.deps.turnTaking.minInterruptSpeechMs) return;
    if (this.clock.now() - this.lastDtmfAt < this.deps.turnTaking.dtmfGuardMs) return;
    if (isBackchannel(partial, this.deps.turnTaking.backchannelWords)) return;
    this.interrupt(turn);
  }

  private interrupt(turn: AgentTurn): void {
    const heard = this.playout.clear();
    this.recorder.truncateAgent(this.elapsed());
    turn.handle.markInterrupted(heard);
    this.deps.onBargeIn?.();
    this.persist(() =>
      this.deps.callLog.appendEvent('barge-in', { atMs: this.elapsed(), heardPosition: heard }),
    );
  }

  private enqueueAgentTurn(input: TurnInput, latency?: LatencyMarks): void {
    this.agentChain = this.agentChain
      .then(() => (this.ended ? undefined : this.runAgentTurn(input, latency)))
      .catch((err: unknown) => this.deps.log.error({ err }, 'agent turn failed'));
  }

  /** Lines the voice layer itself must say (when the brain cannot know, e.g. a failed transfer). */
  private enqueueAgentLines(lines: string[]): void {
    const brain: Brain = {
      async *respond() {
        for (const text of lines) yield { type: 'say', text };
      },
    };
    this.agentChain = this.agentChain
      .then(() => (this.ended ? undefined : this.runAgentTurn({ kind: 'no-input' }, undefined, brain)))
      .catch((err: unknown) => this.deps.log.error({ err }, 'agent turn failed'));
  }

  /** The conversation before `input`: the brain gets the current turn as input, not in the history. */
  private context(input: TurnInput): ConversationContext {
    const current = this.inputTurns.get(input);
    return {
      business: this.deps.business,
      channel: 'phone',
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
    input: TurnInput,
    latency?: LatencyMarks,
    brain: Brain = this.deps.brain,
  ): Promise<void> {
    const handle = new SpeechHandle(true);
    const turn: AgentTurn = { handle, latency, audible: false };
    this.current = turn;
    const signal = handle.abort.signal;
    const sentences = new AsyncQueue<string>();
    const after: BrainOutput[] = [];
    const startMs = this.elapsed();
    this.listenHint = undefined;

    const thinking = (async () => {
      let said = false;
      try {
        for await (const out of brain.respond(input, this.context(input), signal)) {
          if (signal.aborted) break;
          if (out.type === 'say') {
            said = true;
            latency?.mark('firstText', this.clock.now());
            sentences.push(out.text);
          } else if (out.type === 'listen') {
            this.listenHint = out;
          } else if (out.type === 'end-call' || out.type === 'transfer') {
            after.push(out);
          }
          if (out.type !== 'say' && out.type !== 'listen' && this.deps.callLog.onBrainOutput) {
            const o = out;
            this.persist(() => this.deps.callLog.onBrainOutput!(o));
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
    })();

    try {
      await speak(
        handle,
        sentences,
        { tts: this.deps.tts, playout: this.playout, now: () => this.clock.now() },
        {
          onFirstAudio: (at) => latency?.mark('firstAudio', at),
          onAudio: (pcm) => {
            turn.audible = true;
            this.recorder.addAgent(pcm, this.elapsed() + this.playout.bufferedMs());
          },
        },
      );
    } catch (err) {
      this.deps.log.error({ err }, 'agent speech failed');
      handle.markInterrupted(this.playout.heardPosition());
    }
    await thinking;
    const outcome = await handle.done;
    if (this.current === turn) this.current = undefined;
    if (outcome.text) {
      this.recordTurn({
        speaker: 'agent',
        text: outcome.text,
        startMs,
        endMs: this.elapsed(),
        interrupted: outcome.interrupted,
        ...(outcome.interrupted ? { heardText: outcome.heardText } : {}),
        ...(latency ? { latency: latency.value } : {}),
      });
    }
    if (latency) {
      this.latencies.push(latency.value);
      this.deps.onTurnLatency?.(latency.value);
    }
    if (outcome.interrupted) return;
    const ending = after.find((o) => o.type === 'end-call' || o.type === 'transfer');
    if (ending?.type === 'end-call') {
      this.persist(() => this.deps.callLog.appendEvent('agent-hangup', { reason: ending.reason }));
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
      // Twilio now runs the <Dial>: this stream is over. If it could not be done, keep the caller.
      if (moved) return;
      this.enqueueAgentLines([TRANSFER_FAILED_LINE]);
      return;
    }
    this.armNoInput();
  }

  private armNoInput(): void {
    if (!this.listener) return;
    this.clock.clearTimeout(this.noInputTimer);
    this.noInputTimer = this.clock.setTimeout(() => {
      if (!this.current && !this.ended) this.enqueueAgentTurn({ kind: 'no-input' });
    }, this.deps.turnTaking.noInputTimeoutMs);
  }

  private recordTurn(turn: SessionTurn): SessionTurn {
    this.turns.push(turn);
    this.persist(() => this.deps.callLog.appendTurn(turn));
    return turn;
  }

  private persist(write: () => Promise<void>): void {
    this.writes = this.writes
      .then(write)
      .catch((err: unknown) => this.deps.log.error({ err }, 'call log write failed'));
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
    if (turn && !turn.handle.isSettled) {
      const heard = this.playout.clear();
      this.recorder.truncateAgent(this.elapsed());
      turn.handle.markInterrupted(heard);
    }
    this.persist(() => this.deps.callLog.appendEvent('goodbye', { atMs: this.elapsed() }));
    this.enqueueAgentLines([text]);
    let timer: unknown;
    await Promise.race([
      this.agentChain,
      new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, maxMs))),
    ]);
    this.clock.clearTimeout(timer);
  }

  /** Never rejects: whatever fails while releasing the call, its summary and recording are written. */
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
    attempt('closing the listener', () => this.listener?.close());
    const turn = this.current;
    attempt('cutting the current turn', () => {
      if (turn && !turn.handle.isSettled) turn.handle.markInterrupted(this.playout.heardPosition());
    });
    attempt('closing the playout', () => this.playout.close());
    // The turn that was cut off records itself before the summary is written.
    await this.agentChain;
    const sent = this.latencies
      .map((l) => l.firstFrameSentMs)
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    const summary: CallSummary = {
      durationMs: this.elapsed(),
      turns: this.turns.length,
      callerTurns: this.turns.filter((t) => t.speaker === 'caller').length,
      agentTurns: this.turns.filter((t) => t.speaker === 'agent').length,
      interruptions: this.turns.filter((t) => t.interrupted).length,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      endReason: reason,
      ...(sent.length
        ? {
            latency: {
              turns: sent.length,
              firstFrameSentP50: sent[Math.floor((sent.length - 1) / 2)]!,
              firstFrameSentMax: sent.at(-1)!,
            },
          }
        : {}),
    };
    this.persist(() =>
      this.deps.callLog.finish({
        recording: this.recorder.channels(),
        sampleRate: this.recorder.sampleRate,
        summary,
      }),
    );
    await this.writes;
  }
}
