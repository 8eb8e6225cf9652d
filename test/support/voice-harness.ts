import type { Brain, BrainOutput, ConversationContext, TurnInput } from '../../src/agent/brain.js';
import { pcmToMulaw } from '../../src/audio/mulaw.js';
import { businessProfileSchema } from '../../src/business/profile.js';
import type { SpeechToText } from '../../src/providers/stt/stt.js';
import type { TextToSpeech } from '../../src/providers/tts/tts.js';
import { SpeechDetector } from '../../src/providers/vad/speech-detector.js';
import type { VoiceActivityDetector } from '../../src/providers/vad/vad.js';
import { asBusinessId, asCallSid } from '../../src/ids.js';
import { CallEventStream } from '../../src/voice/call-event-stream.js';
import { CallLog, type CallLogStore, type LoggedTurn } from '../../src/voice/call-log.js';
import { CallSession, type CallRecording, type SessionTurn } from '../../src/voice/call-session.js';
import type { CallEvent } from '../../src/voice/events.js';
import type { MediaTransport } from '../../src/voice/playout.js';
import { DEFAULT_TURN_TAKING, type TurnTakingConfig } from '../../src/voice/turn-taking.js';
import { ScriptedStt } from '../providers/stt/support/scripted-stt.js';
import { FakeClock } from './fake-clock.js';

/**
 * A whole call session on a scripted timeline, faster than real time: fake clock, an energy
 * VAD under the real SpeechDetector, a scripted recognizer and brain, a TTS that speaks 100 ms
 * per word, and a fake Twilio leg that plays agent audio in real (fake) time, echoes marks as
 * their audio finishes and honours `clear` by echoing every pending mark.
 */

const FRAME = 160;

/** Loud windows count as speech, quieter ones as silence: enough to drive the real detector. */
export class EnergyVad implements VoiceActivityDetector {
  readonly name = 'energy';
  readonly sampleRate = 8000;
  readonly windowSamples = 256;
  /** @param rmsThreshold RMS (full scale = 1) above which a window is speech. */
  constructor(private readonly rmsThreshold = 0.05) {}
  async process(w: Float32Array): Promise<number> {
    let sum = 0;
    for (const s of w) sum += s * s;
    return Math.sqrt(sum / w.length) > this.rmsThreshold ? 0.95 : 0.02;
  }
  reset(): void {}
  async close(): Promise<void> {}
}

/** 100 ms of a 440 Hz tone per word, in 40 ms chunks. */
export class WordTts implements TextToSpeech {
  readonly name = 'words';
  readonly sampleRate = 8000;
  async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    const words = text.split(/\s+/).filter(Boolean).length;
    const total = words * 800;
    for (let i = 0; i < total; i += 320) {
      if (signal.aborted) return;
      const n = Math.min(320, total - i);
      const c = new Int16Array(n);
      for (let k = 0; k < n; k++) c[k] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * (i + k)) / 8000));
      yield c;
    }
  }
}

export type BrainScript = (
  turn: TurnInput,
  ctx: ConversationContext,
) => BrainOutput[] | Promise<BrainOutput[]>;

class ScriptedBrain implements Brain {
  readonly inputs: TurnInput[] = [];
  constructor(
    private readonly script: BrainScript,
    private readonly delay: () => Promise<void>,
  ) {}
  async *respond(turn: TurnInput, ctx: ConversationContext, signal: AbortSignal): AsyncIterable<BrainOutput> {
    this.inputs.push(turn);
    await this.delay();
    for (const o of await this.script(turn, ctx)) {
      if (signal.aborted) return;
      yield o;
    }
  }
}

/** The calls repository's part in a call log, in memory. */
export class MemoryCallLogStore implements CallLogStore {
  readonly turns: LoggedTurn[] = [];
  readonly events: Array<{ type: string; payload: Record<string, unknown> }> = [];
  recording: string | undefined;
  summary: Record<string, unknown> | undefined;
  ended: { reason: string; transferred: boolean } | undefined;
  async appendTurn(_sid: string, t: LoggedTurn) {
    this.turns.push(t);
  }
  async appendEvent(_sid: string, type: string, payload: Record<string, unknown>) {
    this.events.push({ type, payload });
  }
  async setRecording(_sid: string, path: string) {
    this.recording = path;
  }
  async setSummary(_sid: string, summary: Record<string, unknown>) {
    this.summary = summary;
  }
  async endCall(_sid: string, end: { reason: string; transferred: boolean }) {
    this.ended = { reason: end.reason, transferred: end.transferred };
  }
}

type Sent = { kind: 'media' } | { kind: 'mark'; name: string } | { kind: 'clear' };

export interface HarnessOptions {
  brain: BrainScript;
  transcripts?: string[];
  turnTaking?: Partial<TurnTakingConfig>;
  leadMs?: number;
  /** Fake ms the brain thinks before answering. */
  brainDelayMs?: number;
  /** Recognizers the call tries before the scripted one (failover order), and their stall time. */
  sttBefore?: SpeechToText[];
  stallMs?: number;
  /**
   * Audio the scripted recognizer hears before its first words for an utterance (the first two
   * words of the text). Default 2400 samples (300 ms, reached at once with the onset pad);
   * Infinity: no words until the final, as PocketSphinx often is on a short sound.
   */
  interimAfterSamples?: number;
  /** The recognizer's other readings, per scripted text, given with that text's final. */
  alternatives?: Record<string, string[]>;
  /** Words so far the recognizer gives for a scripted text instead of its first two words. */
  interimFor?: Record<string, string>;
  /** The business id whose vocabulary the recognizer's stream is opened with. */
  vocabulary?: string;
}

export class VoiceHarness {
  readonly clock = new FakeClock();
  readonly session: CallSession;
  readonly brain: ScriptedBrain;
  readonly stt: ScriptedStt;
  /** The call's event stream: every event the session emitted, in order, in `events`. */
  readonly stream = new CallEventStream(asCallSid('CAtest'), asBusinessId('b-test'), {
    onListenerError: (err) => {
      throw err;
    },
  });
  readonly events: CallEvent[] = [];
  /** The call log, written from the events as in production, into `store`. */
  readonly callLog: CallLog;
  readonly store = new MemoryCallLogStore();
  /** Recordings the session asked to keep. */
  readonly recordings: CallRecording[] = [];
  /** What the server sent, in order, with the fake time. */
  readonly wire: Array<Sent & { at: number }> = [];
  hungUp = false;
  /** What the fake Twilio account answers to a transfer. */
  transferResult: (to: string | undefined, summary: string) => Promise<boolean> = async () => false;
  private readonly playback: Sent[] = [];
  private callerQueue: Uint8Array[] = [];
  framesPlayed = 0;

  constructor(opts: HarnessOptions) {
    this.stt = new ScriptedStt(opts.transcripts ?? [], () => this.clock.now(), opts.interimAfterSamples);
    // A copy of the texts: the scripted recognizer takes them off its array as it goes.
    if (opts.alternatives || opts.interimFor)
      rewriteEvents(this.stt, opts.alternatives ?? {}, opts.interimFor ?? {}, [...(opts.transcripts ?? [])]);
    const delayMs = opts.brainDelayMs ?? 50;
    this.brain = new ScriptedBrain(opts.brain, () => new Promise((r) => this.clock.setTimeout(r, delayMs)));
    const transport: MediaTransport = {
      sendMedia: () => {
        this.wire.push({ kind: 'media', at: this.clock.now() });
        this.playback.push({ kind: 'media' });
      },
      sendMark: (name) => {
        this.wire.push({ kind: 'mark', name, at: this.clock.now() });
        this.playback.push({ kind: 'mark', name });
        this.echoLeadingMarks();
      },
      sendClear: () => {
        this.wire.push({ kind: 'clear', at: this.clock.now() });
        const pending = this.playback.splice(0);
        for (const p of pending) if (p.kind === 'mark') queueMicrotask(() => this.session.onMarkEcho(p.name));
      },
    };
    this.callLog = new CallLog({ store: this.store, streamSid: 'MZtest', log: { error: () => undefined } });
    this.stream.subscribe((e) => this.events.push(e));
    this.stream.subscribe(this.callLog.listener);
    const turnTaking = { ...DEFAULT_TURN_TAKING, ...opts.turnTaking };
    this.session = new CallSession({
      transport,
      hangup: () => (this.hungUp = true),
      transfer: (to, summary) => this.transferResult(to, summary),
      tts: new WordTts(),
      brain: this.brain,
      business: businessProfileSchema.parse({
        name: 'Acme Plumbing',
        timezone: 'America/New_York',
        hours: { weekly: { mon: [{ open: '08:00', close: '18:00' }] } },
      }),
      listening: {
        stt: [...(opts.sttBefore ?? []), this.stt],
        ...(opts.stallMs !== undefined ? { stallMs: opts.stallMs } : {}),
        ...(opts.vocabulary !== undefined ? { vocabulary: opts.vocabulary } : {}),
        detector: new SpeechDetector(new EnergyVad(), {
          minSpeechMs: turnTaking.minTurnSpeechMs,
          minSilenceMs: turnTaking.endOfTurnSilenceMs,
        }),
      },
      turnTaking,
      events: this.stream,
      saveRecording: async (r) => {
        this.recordings.push(r);
        return 'recordings/CAtest.wav';
      },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      playoutLeadMs: opts.leadMs ?? 100,
      clock: this.clock,
    });
  }

  /** The turns as the call log stored them (offsets since the stream started). */
  get turns(): SessionTurn[] {
    return this.store.turns.map((t) => ({
      speaker: t.speaker,
      text: t.text,
      startMs: t.startOffsetMs,
      endMs: t.endOffsetMs,
      interrupted: t.interrupted,
      ...(t.heardText !== null ? { heardText: t.heardText } : {}),
      ...(t.latency ? { latency: t.latency } : {}),
    }));
  }

  /** The call's end has been written (summary, recording, end). */
  get finished(): boolean {
    return this.store.ended !== undefined;
  }

  /**
   * Ends the session and waits for the call log to be written. Time runs meanwhile (the caller's
   * last words may still be decoded and acted on), with no more audio from the caller.
   */
  async end(reason: string): Promise<void> {
    let done = false;
    const ending = this.session.end(reason).finally(() => (done = true));
    for (let i = 0; i < 2000 && !done; i++) {
      await flush();
      if (!done) this.clock.advance(20);
    }
    await ending;
    await this.callLog.flushed();
  }

  private echoLeadingMarks(): void {
    while (this.playback[0]?.kind === 'mark') {
      const m = this.playback.shift() as { name: string };
      this.session.onMarkEcho(m.name);
    }
  }

  /** True while agent audio is waiting to be played at the caller's end. */
  get agentAudible(): boolean {
    return this.playback.some((p) => p.kind === 'media');
  }

  clears(): number[] {
    return this.wire.filter((w) => w.kind === 'clear').map((w) => w.at);
  }

  mediaSent(): number {
    return this.wire.filter((w) => w.kind === 'media').length;
  }

  /** Queue caller audio: `ms` of loud speech-like sound. */
  callerSpeaks(ms: number): void {
    for (let i = 0; i < ms / 20; i++) this.callerQueue.push(loudFrame(i));
  }

  /** Queue `ms` of silence from the caller (a pause within what they say). */
  callerSilent(ms: number): void {
    for (let i = 0; i < ms / 20; i++) this.callerQueue.push(SILENT_FRAME);
  }

  callerTone(ms: number, freqs: number[], amplitude = 8000): void {
    for (let i = 0; i < ms / 20; i++) {
      const pcm = new Int16Array(FRAME);
      for (let k = 0; k < FRAME; k++) {
        const t = (i * FRAME + k) / 8000;
        pcm[k] = Math.round(
          freqs.reduce((a, f) => a + (amplitude / freqs.length) * Math.sin(2 * Math.PI * f * t), 0),
        );
      }
      this.callerQueue.push(pcmToMulaw(pcm));
    }
  }

  /** Runs the call forward `ms` of fake time in 20 ms ticks, like Twilio would. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) {
      this.clock.advance(20);
      // Twilio plays one 20 ms frame per tick and echoes marks that follow played audio.
      const i = this.playback.findIndex((p) => p.kind === 'media');
      if (i === 0) {
        this.playback.shift();
        this.framesPlayed++;
      }
      this.echoLeadingMarks();
      this.session.onAudio(this.callerQueue.shift() ?? SILENT_FRAME);
      await flush();
    }
  }

  /** Runs until `cond` holds (or `maxMs` passes); returns the fake time it took. */
  async runUntil(cond: () => boolean, maxMs = 10_000): Promise<number> {
    const start = this.clock.now();
    while (!cond() && this.clock.now() - start < maxMs) await this.run(20);
    return this.clock.now() - start;
  }
}

/**
 * Each final of a scripted text carries `alternatives[text]` as the recognizer's other readings;
 * the words so far of an utterance are `interimFor[text]` where given (the texts come in order).
 */
function rewriteEvents(
  stt: ScriptedStt,
  alternatives: Record<string, string[]>,
  interimFor: Record<string, string>,
  transcripts: readonly string[],
): void {
  const open = stt.stream.bind(stt);
  let utterance = 0;
  stt.stream = (options) => {
    const s = open(options);
    return {
      track: s.track,
      push: (pcm) => s.push(pcm),
      flush: () => s.flush(),
      expect: (next) => s.expect(next),
      close: () => s.close(),
      async *[Symbol.asyncIterator]() {
        for await (const e of s) {
          if (e.type === 'interim') {
            const instead = interimFor[transcripts[utterance] ?? ''];
            yield instead !== undefined ? { ...e, text: instead } : e;
          } else if (e.type === 'final') {
            utterance++;
            const others = (alternatives[e.text] ?? []).map((text) => ({ text }));
            yield { ...e, alternatives: [{ text: e.text }, ...others] };
          } else yield e;
        }
      },
    };
  };
}

const SILENT_FRAME = new Uint8Array(FRAME).fill(0xff);

function loudFrame(i: number): Uint8Array {
  const pcm = new Int16Array(FRAME);
  for (let k = 0; k < FRAME; k++)
    pcm[k] = Math.round(9000 * Math.sin((2 * Math.PI * 220 * (i * FRAME + k)) / 8000));
  return pcmToMulaw(pcm);
}

/** Lets promise chains (detector, brain, speaker) settle between ticks. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
