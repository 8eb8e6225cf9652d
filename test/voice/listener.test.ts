import { describe, expect, it } from 'vitest';
import type { SpeechStream, SpeechToText, Transcript } from '../../src/providers/stt/stt.js';
import { SpeechDetector } from '../../src/providers/vad/speech-detector.js';
import { Listener, SPEECH_PAD_MS, type ListenerEvent } from '../../src/voice/listener.js';
import { DEFAULT_TURN_TAKING } from '../../src/voice/turn-taking.js';
import { FakeClock } from '../support/fake-clock.js';
import { EnergyVad } from '../support/voice-harness.js';

const FRAME = 160; // 20 ms at 8 kHz
const SOFT = 300; // a soft onset: audible, below what the VAD calls speech
const LOUD = 8000;

/** Speech only where the signal is loud, as Silero is only sure once a vowel is under way. */
const loudnessVad = () => new EnergyVad(0.1);

/** Keeps every sample the recognizer was given. */
class RecordingStt implements SpeechToText {
  readonly name = 'recording';
  readonly sampleRate = 8000;
  readonly heard: number[] = [];
  start(): SpeechStream {
    return {
      push: (s) => void this.heard.push(...s),
      partial: () => '',
      finish: async (): Promise<Transcript> => ({ text: 'yes' }),
      close: () => undefined,
    };
  }
}

describe('Listener', () => {
  it('gives the recognizer the soft onset before the VAD start of speech', async () => {
    const stt = new RecordingStt();
    const events: ListenerEvent[] = [];
    const clock = new FakeClock();
    const listener = new Listener({
      detector: new SpeechDetector(loudnessVad(), { minSpeechMs: 160, minSilenceMs: 500 }),
      stt,
      config: DEFAULT_TURN_TAKING,
      clock,
      onEvent: (e) => events.push(e),
      onError: (err) => {
        throw err;
      },
    });
    // 1 s of silence, 200 ms of soft onset, 400 ms of loud speech, 1 s of silence.
    const level = (ms: number) => (ms < 1000 ? 0 : ms < 1200 ? SOFT : ms < 1600 ? LOUD : 0);
    for (let ms = 0; ms < 2600; ms += 20) {
      listener.push(new Int16Array(FRAME).fill(level(ms)));
      clock.advance(20);
      await new Promise((r) => setImmediate(r));
    }
    const start = events.find((e) => e.type === 'speech-start');
    expect(start).toBeDefined();
    expect(events.some((e) => e.type === 'utterance' && e.text === 'yes')).toBe(true);
    // The VAD only called it speech once loud; the recognizer still got the whole soft onset.
    expect((start as { atMs: number }).atMs).toBeGreaterThanOrEqual(1150);
    const soft = stt.heard.filter((s) => s === SOFT).length;
    expect(soft).toBe(200 * 8);
    // ...and at most SPEECH_PAD_MS of what came before the VAD start, not the whole pre-roll buffer.
    expect(stt.heard.length).toBeLessThanOrEqual(
      ((2600 - (start as { atMs: number }).atMs + SPEECH_PAD_MS + 20) * 8000) / 1000,
    );
  });
});

describe('Listener faults', () => {
  /** A recognizer that breaks the way a crashed native binding or a lost connection does. */
  class BrokenStt implements SpeechToText {
    readonly name = 'broken';
    readonly sampleRate = 8000;
    constructor(private readonly breaks: 'start' | 'push' | 'finish') {}
    start(): SpeechStream {
      if (this.breaks === 'start') throw new Error('recognizer could not start');
      return {
        push: () => {
          if (this.breaks === 'push') throw new Error('recognizer push failed');
        },
        partial: () => '',
        finish: async (): Promise<Transcript> => {
          throw new Error('recognizer finish failed');
        },
        close: () => undefined,
      };
    }
  }

  it.each(['start', 'push', 'finish'] as const)(
    'a recognizer failing on %s is reported through onError, never as an unhandled rejection',
    async (breaks) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const errors: unknown[] = [];
        const clock = new FakeClock();
        const listener = new Listener({
          detector: new SpeechDetector(loudnessVad(), { minSpeechMs: 160, minSilenceMs: 300 }),
          stt: new BrokenStt(breaks),
          config: DEFAULT_TURN_TAKING,
          clock,
          onEvent: () => undefined,
          onError: (err) => errors.push(err),
        });
        const level = (ms: number) => (ms >= 200 && ms < 800 ? LOUD : 0);
        for (let ms = 0; ms < 1600; ms += 20) {
          try {
            listener.push(new Int16Array(FRAME).fill(level(ms)));
          } catch {
            // push() may throw synchronously to its caller (the stream dispatcher catches it).
          }
          clock.advance(20);
          await new Promise((r) => setImmediate(r));
        }
        await new Promise((r) => setTimeout(r, 20));
        expect(unhandled).toEqual([]);
        expect(errors.length).toBeGreaterThan(0);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    },
  );

  it('an event handler that throws is reported through onError, and listening goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const errors: unknown[] = [];
      const events: string[] = [];
      const clock = new FakeClock();
      const listener = new Listener({
        detector: new SpeechDetector(loudnessVad(), { minSpeechMs: 160, minSilenceMs: 300 }),
        stt: new RecordingStt(),
        config: DEFAULT_TURN_TAKING,
        clock,
        onEvent: (e) => {
          events.push(e.type);
          if (e.type === 'speech-start') throw new Error('handler bug');
        },
        onError: (err) => errors.push(err),
      });
      const level = (ms: number) => (ms >= 200 && ms < 800 ? LOUD : 0);
      for (let ms = 0; ms < 1600; ms += 20) {
        listener.push(new Int16Array(FRAME).fill(level(ms)));
        clock.advance(20);
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(events).toContain('utterance');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
