import { mulawToPcm } from '../audio/mulaw.js';
import type { TextToSpeech } from '../providers/tts/tts.js';
import { Playout, systemClock, type Clock, type MediaTransport } from './playout.js';
import { CallRecorder } from './recorder.js';
import { speak } from './speaker.js';
import { SpeechHandle } from './speech-handle.js';

/** A turn as the session stores it. Times are ms since the stream started. */
export interface SessionTurn {
  speaker: 'caller' | 'agent';
  text: string;
  startMs: number;
  endMs: number;
  interrupted: boolean;
  heardText?: string;
  latency?: Record<string, number>;
}

/** Where a session writes what happened; app.ts adapts the store to it. */
export interface CallLogPort {
  appendTurn(turn: SessionTurn): Promise<void>;
  appendEvent(type: string, payload: Record<string, unknown>): Promise<void>;
  /** The stream ended: recording (stereo, 8 kHz) and the call-level summary. */
  finish(result: { recording: [Int16Array, Int16Array]; sampleRate: number; summary: CallSummary }): Promise<void>;
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
}

export interface SessionLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CallSessionDeps {
  transport: MediaTransport;
  tts: TextToSpeech;
  callLog: CallLogPort;
  log: SessionLogger;
  greeting: string;
  playoutLeadMs: number;
  clock?: Clock;
}

/**
 * One phone call's voice session. Handles the call's events in order, owns its playout and
 * recording, and releases everything when the stream ends.
 */
export class CallSession {
  private readonly clock: Clock;
  private readonly playout: Playout;
  private readonly recorder = new CallRecorder();
  private readonly startedAt: number;
  private readonly turns: SessionTurn[] = [];
  /** Persistence happens in order, off the audio path; failures are logged, never thrown. */
  private writes: Promise<void> = Promise.resolve();
  private framesIn = 0;
  private framesOut = 0;
  private current: SpeechHandle | undefined;
  private ended = false;

  constructor(private readonly deps: CallSessionDeps) {
    this.clock = deps.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.playout = new Playout(deps.transport, {
      leadMs: deps.playoutLeadMs,
      clock: this.clock,
      events: { onFrameSent: () => this.framesOut++ },
    });
  }

  /** ms since the stream started. */
  private elapsed(): number {
    return Math.round(this.clock.now() - this.startedAt);
  }

  start(): void {
    void this.say(this.deps.greeting);
  }

  onAudio(mulaw: Uint8Array): void {
    this.framesIn++;
    this.recorder.addCaller(mulawToPcm(mulaw));
  }

  onDtmf(digit: string): void {
    this.persist(() => this.deps.callLog.appendEvent('dtmf', { digit, atMs: this.elapsed() }));
  }

  onMarkEcho(name: string): void {
    this.playout.onMarkEcho(name);
  }

  /** Speak one utterance and store it as an agent turn with what the caller heard. */
  private async say(text: string): Promise<void> {
    const handle = new SpeechHandle(true);
    this.current = handle;
    const startMs = this.elapsed();
    try {
      await speak(
        handle,
        [text],
        { tts: this.deps.tts, playout: this.playout, now: () => this.clock.now() },
        { onAudio: (pcm) => this.recorder.addAgent(pcm, this.elapsed() + this.playout.bufferedMs()) },
      );
    } catch (err) {
      this.deps.log.error({ err }, 'agent speech failed');
      handle.markInterrupted(this.playout.heardPosition());
    }
    const outcome = await handle.done;
    if (this.current === handle) this.current = undefined;
    this.turns.push({
      speaker: 'agent',
      text: outcome.text,
      startMs,
      endMs: this.elapsed(),
      interrupted: outcome.interrupted,
      ...(outcome.interrupted ? { heardText: outcome.heardText } : {}),
    });
    const turn = this.turns.at(-1)!;
    this.persist(() => this.deps.callLog.appendTurn(turn));
  }

  private persist(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((err: unknown) => this.deps.log.error({ err }, 'call log write failed'));
  }

  async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.current && !this.current.isSettled) this.current.markInterrupted(this.playout.heardPosition());
    this.playout.close();
    // Let the turn that was cut off record itself before the summary.
    await new Promise((r) => setImmediate(r));
    const summary: CallSummary = {
      durationMs: this.elapsed(),
      turns: this.turns.length,
      callerTurns: this.turns.filter((t) => t.speaker === 'caller').length,
      agentTurns: this.turns.filter((t) => t.speaker === 'agent').length,
      interruptions: this.turns.filter((t) => t.interrupted).length,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      endReason: reason,
    };
    this.persist(() =>
      this.deps.callLog.finish({ recording: this.recorder.channels(), sampleRate: this.recorder.sampleRate, summary }),
    );
    await this.writes;
  }
}
