import { describe, expect, it } from 'vitest';
import { EventChannel } from '../../src/providers/stt/event-channel.js';
import type {
  SpeechToText,
  SttCapabilities,
  SttEvent,
  SttStream,
  SttStreamOptions,
} from '../../src/providers/stt/stt.js';
import { SpeechDetector } from '../../src/providers/vad/speech-detector.js';
import {
  Listener,
  SPEECH_PAD_MS,
  type ListenerEvent,
  type RecognizerSwitch,
} from '../../src/voice/listener.js';
import { DEFAULT_TURN_TAKING } from '../../src/voice/turn-taking.js';
import { ScriptedStt } from '../providers/stt/support/scripted-stt.js';
import { FakeClock } from '../support/fake-clock.js';
import { EnergyVad } from '../support/voice-harness.js';

const FRAME = 160; // 20 ms at 8 kHz
const SOFT = 300; // a soft onset: audible, below what the VAD calls speech
const LOUD = 8000;

/** Speech only where the signal is loud, as Silero is only sure once a vowel is under way. */
const loudnessVad = () => new EnergyVad(0.1);

function makeListener(
  stt: SpeechToText | SpeechToText[],
  opts: { minSilenceMs?: number; stallMs?: number; onEvent?: (e: ListenerEvent) => void } = {},
) {
  const events: ListenerEvent[] = [];
  const errors: unknown[] = [];
  const switches: RecognizerSwitch[] = [];
  const clock = new FakeClock();
  const listener = new Listener({
    ...(opts.stallMs !== undefined ? { stallMs: opts.stallMs } : {}),
    onSwitch: (sw) => switches.push(sw),
    detector: new SpeechDetector(loudnessVad(), { minSpeechMs: 160, minSilenceMs: opts.minSilenceMs ?? 300 }),
    stt,
    config: DEFAULT_TURN_TAKING,
    clock,
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
    onError: (err) => errors.push(err),
  });
  /** Feeds `ms` of audio at the level `level(t)` gives for each frame's stream time. */
  const play = async (fromMs: number, toMs: number, level: (ms: number) => number) => {
    for (let ms = fromMs; ms < toMs; ms += 20) {
      try {
        listener.push(new Int16Array(FRAME).fill(level(ms)));
      } catch {
        // push() may throw synchronously to its caller (the stream dispatcher catches it).
      }
      clock.advance(20);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
  };
  return { listener, events, errors, switches, clock, play };
}

const types = (events: ListenerEvent[]) => events.map((e) => e.type).filter((t) => t !== 'speech-progress');

describe('Listener', () => {
  it('gives the recognizer the soft onset before the VAD start of speech', async () => {
    const stt = new ScriptedStt(['yes']);
    const { events, errors, play } = makeListener(stt, { minSilenceMs: 500 });
    // 1 s of silence, 200 ms of soft onset, 400 ms of loud speech, 1 s of silence.
    await play(0, 2600, (ms) => (ms < 1000 ? 0 : ms < 1200 ? SOFT : ms < 1600 ? LOUD : 0));
    expect(errors).toEqual([]);
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

  it('one recognizer stream serves every turn of the call, each turn its own transcript in order', async () => {
    const stt = new ScriptedStt(['my sink is leaking', 'at twelve main street']);
    const { events, errors, play } = makeListener(stt);
    const speaking = (ms: number) => (ms >= 200 && ms < 800) || (ms >= 1800 && ms < 2600);
    await play(0, 3600, (ms) => (speaking(ms) ? LOUD : 0));
    expect(errors).toEqual([]);
    expect(stt.streams).toHaveLength(1);
    expect(stt.started).toHaveLength(2);
    expect(events.filter((e) => e.type === 'utterance').map((e) => (e as { text: string }).text)).toEqual([
      'my sink is leaking',
      'at twelve main street',
    ]);
    // Per turn: start, the recognizer's words so far, where the speech ended, then the result.
    expect(types(events)).toEqual([
      'speech-start',
      'interim',
      'speech-end',
      'utterance',
      'speech-start',
      'interim',
      'speech-end',
      'utterance',
    ]);
    const ends = events.filter((e) => e.type === 'speech-end') as Array<{ atMs: number; durationMs: number }>;
    expect(ends[0]!.atMs).toBeGreaterThanOrEqual(800);
    expect(ends[0]!.atMs).toBeLessThan(1000);
    expect(ends[0]!.durationMs).toBeGreaterThan(400);
  });

  it('the recognizer hears nothing between turns (VAD-driven providers are fed speech only)', async () => {
    const stt = new ScriptedStt(['hello']);
    const { play } = makeListener(stt);
    await play(0, 4000, (ms) => (ms >= 2000 && ms < 2600 ? LOUD : 0));
    // 600 ms of speech, the pad before it and the silence window after it; not 4 s of audio.
    expect(stt.heard.length / 8).toBeLessThan(600 + SPEECH_PAD_MS + 400);
    expect(stt.heard.length / 8).toBeGreaterThanOrEqual(600);
  });

  it('speech progress carries the interim words, so barge-in and the unfinished-phrase hold can use them', async () => {
    const stt = new ScriptedStt(['my address is'], () => 0, 800);
    const { events, play } = makeListener(stt);
    await play(0, 1200, (ms) => (ms >= 200 && ms < 1000 ? LOUD : 0));
    const progress = events.filter((e) => e.type === 'speech-progress') as Array<{ partial: string }>;
    expect(progress.at(-1)?.partial).toBe('my address');
  });
});

/** A recognizer that ends turns itself (as Deepgram's speech_final / UtteranceEnd do). */
class EndpointingStt implements SpeechToText {
  readonly name = 'endpointing';
  readonly sampleRate = 8000;
  readonly capabilities: SttCapabilities = { turnEnd: 'engine', interimResults: true };
  samples = 0;
  flushes = 0;
  out: EventChannel<SttEvent> | undefined;
  stream(options: SttStreamOptions): SttStream {
    const out = new EventChannel<SttEvent>();
    this.out = out;
    options.signal.addEventListener('abort', () => out.discard(), { once: true });
    return {
      track: options.track,
      push: (s) => void (this.samples += s.length),
      flush: () => void this.flushes++,
      close: () => out.discard(),
      expect: () => undefined,
      [Symbol.asyncIterator]: () => out[Symbol.asyncIterator](),
    };
  }
  /** The connection is lost, as a socket closing with 1011 is. */
  fail(): void {
    this.out!.fail(new Error('connection closed (1011 NET-0001)'));
  }
  /** Words for the utterance under way, without ending it. */
  final(text: string): void {
    this.out!.push({ type: 'final', track: 'inbound', text, alternatives: [{ text }] });
  }
  /** The engine decides the utterance is over. */
  endpoint(text: string): void {
    this.out!.push({ type: 'final', track: 'inbound', text, alternatives: [{ text }] });
    this.out!.push({ type: 'utterance-end', track: 'inbound' });
  }
  async close(): Promise<void> {}
}

describe('Listener with a recognizer that endpoints itself', () => {
  it('ends the turn at the engine utterance end, not at the VAD silence, and feeds it every frame', async () => {
    const stt = new EndpointingStt();
    const { events, errors, play } = makeListener(stt);
    await play(0, 2000, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
    // The VAD heard the speech end long ago; only the engine ends the turn.
    expect(types(events)).toEqual(['speech-start']);
    expect(stt.flushes).toBe(0);
    expect(stt.samples).toBe(2000 * 8);
    stt.endpoint('what are your hours');
    await play(2000, 2040, () => 0);
    expect(errors).toEqual([]);
    expect(types(events)).toEqual(['speech-start', 'speech-end', 'utterance']);
    const end = events.find((e) => e.type === 'speech-end') as { atMs: number };
    // Where the VAD heard the speech stop, not when the engine said so.
    expect(end.atMs).toBeGreaterThanOrEqual(800);
    expect(end.atMs).toBeLessThan(1000);
    expect(events.at(-1)).toMatchObject({ type: 'utterance', text: 'what are your hours' });
  });
});

describe("Listener failover along the call's recognizers", () => {
  const utterances = (events: ListenerEvent[]) =>
    events.filter((e) => e.type === 'utterance').map((e) => (e as { text: string }).text);
  const speech = (ms: number) => (ms >= 200 && ms < 800 ? LOUD : 0);

  it('a cloud recognizer that dies mid-utterance hands the turn to the next, which hears it whole', async () => {
    const cloud = new EndpointingStt();
    const offline = new ScriptedStt(['my basement is flooding']);
    const { events, errors, switches, play } = makeListener([cloud, offline]);
    await play(0, 500, speech);
    cloud.fail();
    await play(500, 2000, speech);
    expect(errors).toEqual([]);
    expect(switches).toEqual([
      {
        from: 'endpointing',
        to: 'scripted',
        reason: 'error: connection closed (1011 NET-0001)',
        callerWaiting: false,
      },
    ]);
    expect(utterances(events)).toEqual(['my basement is flooding']);
    // The new recognizer got the turn from just before its start, not only what came after the switch.
    expect(offline.heard.length / 8).toBeGreaterThanOrEqual(600);
    // One turn, as if nothing had happened (the new recognizer's words so far included).
    expect(types(events)).toEqual(['speech-start', 'interim', 'speech-end', 'utterance']);
  });

  it('a recognizer with no result stallMs after the caller stopped is replaced, and the turn is not lost', async () => {
    const cloud = new EndpointingStt(); // hears every frame, never answers
    const offline = new ScriptedStt(['are you open on saturday']);
    const { events, switches, play } = makeListener([cloud, offline], { stallMs: 1000 });
    await play(0, 1500, speech);
    expect(switches).toEqual([]);
    await play(1500, 3000, () => 0);
    expect(switches).toHaveLength(1);
    expect(switches[0]).toMatchObject({
      reason: 'stalled: no result 1000 ms after the caller stopped',
      // The turn was over: the caller is waiting (the session says "One moment.").
      callerWaiting: true,
    });
    expect(utterances(events)).toEqual(['are you open on saturday']);
    const end = events.find((e) => e.type === 'speech-end') as { atMs: number };
    // The turn still ends where the caller stopped, not at the switch.
    expect(end.atMs).toBeGreaterThanOrEqual(800);
    expect(end.atMs).toBeLessThan(1000);
  });

  it('the stall is counted from where the caller stopped, not from when the silence window ended', async () => {
    const cloud = new EndpointingStt();
    const offline = new ScriptedStt(['hello']);
    const switchedAt: number[] = [];
    const { switches, play, clock } = makeListener([cloud, offline], { stallMs: 1000, minSilenceMs: 300 });
    // Speech ends at 800 ms; the VAD says so ~300 ms later; the switch is due at 800 + 1000.
    for (let ms = 0; ms < 2600; ms += 20) {
      await play(ms, ms + 20, speech);
      if (switches.length > 0 && switchedAt.length === 0) switchedAt.push(clock.now());
    }
    expect(switchedAt[0]).toBeGreaterThanOrEqual(1780);
    expect(switchedAt[0]).toBeLessThanOrEqual(1900);
  });

  it('stays on the new recognizer for the rest of the call', async () => {
    const cloud = new EndpointingStt();
    const offline = new ScriptedStt(['first', 'second']);
    const { events, switches, play } = makeListener([cloud, offline]);
    await play(0, 500, speech);
    cloud.fail();
    await play(500, 2000, speech);
    await play(2000, 4000, (ms) => (ms >= 2200 && ms < 2800 ? LOUD : 0));
    expect(switches).toHaveLength(1);
    expect(utterances(events)).toEqual(['first', 'second']);
  });

  it('an engine that gave words but never ended the turn: the turn ends with its words at the stall time', async () => {
    const cloud = new EndpointingStt();
    const offline = new ScriptedStt(['never used']);
    const { events, switches, play } = makeListener([cloud, offline], { stallMs: 1000 });
    await play(0, 900, speech);
    cloud.final('my sink is leaking');
    await play(900, 3000, () => 0);
    expect(switches).toEqual([]);
    expect(utterances(events)).toEqual(['my sink is leaking']);
  });

  it('the last recognizer is never timed out: it is the one that always answers', async () => {
    const only = new EndpointingStt();
    const { events, errors, switches, play } = makeListener([only], { stallMs: 300 });
    await play(0, 3000, speech);
    expect(switches).toEqual([]);
    expect(errors).toEqual([]);
    only.endpoint('late but heard');
    await play(3000, 3040, () => 0);
    expect(utterances(events)).toEqual(['late but heard']);
  });

  it('the last recognizer failing is reported, and a new stream is not opened on every frame', async () => {
    let opened = 0;
    const only = new EndpointingStt();
    const counting: SpeechToText = {
      name: only.name,
      sampleRate: 8000,
      capabilities: only.capabilities,
      stream: (o) => (opened++, only.stream(o)),
      close: async () => undefined,
    };
    const { errors, switches, play } = makeListener([counting]);
    await play(0, 200, () => 0);
    only.fail();
    await play(200, 800, () => 0);
    expect(switches).toEqual([]);
    expect(errors).toHaveLength(1);
    // One reopen attempt a second at most, not one per 20 ms frame.
    expect(opened).toBe(1);
    await play(800, 1400, () => 0);
    expect(opened).toBe(2);
  });
});

describe('Listener faults', () => {
  /** A recognizer that breaks the way a crashed native binding or a lost connection does. */
  class BrokenStt implements SpeechToText {
    readonly name = 'broken';
    readonly sampleRate = 8000;
    readonly capabilities: SttCapabilities = { turnEnd: 'vad', interimResults: false };
    constructor(private readonly breaks: 'stream' | 'push' | 'flush') {}
    stream(options: SttStreamOptions): SttStream {
      if (this.breaks === 'stream') throw new Error('recognizer could not start');
      const out = new EventChannel<SttEvent>();
      return {
        track: options.track,
        push: () => {
          if (this.breaks === 'push') throw new Error('recognizer push failed');
        },
        flush: () => out.fail(new Error('recognizer flush failed')),
        close: () => out.discard(),
        expect: () => undefined,
        [Symbol.asyncIterator]: () => out[Symbol.asyncIterator](),
      };
    }
    async close(): Promise<void> {}
  }

  it.each(['stream', 'push', 'flush'] as const)(
    'a recognizer failing on %s is reported through onError, never as an unhandled rejection',
    async (breaks) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const { errors, play } = makeListener(new BrokenStt(breaks));
        await play(0, 1600, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
        await new Promise((r) => setTimeout(r, 20));
        expect(unhandled).toEqual([]);
        expect(errors.length).toBeGreaterThan(0);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    },
  );

  it('after its recognizer stream fails, the next turn opens a fresh one and is heard', async () => {
    const stt = new ScriptedStt(['lost words', 'hello again']);
    const open = stt.stream.bind(stt);
    let opened = 0;
    stt.stream = (options) => {
      const s = open(options);
      if (++opened > 1) return s;
      // The first stream dies mid-turn, as a crashed decoder or a dropped connection does.
      return {
        track: s.track,
        push: (pcm) => {
          s.push(pcm);
          throw new Error('connection lost');
        },
        flush: () => s.flush(),
        expect: (next) => s.expect(next),
        close: () => s.close(),
        [Symbol.asyncIterator]: () => s[Symbol.asyncIterator](),
      };
    };
    const { events, errors, play } = makeListener(stt);
    const speaking = (ms: number) => (ms >= 200 && ms < 800) || (ms >= 1800 && ms < 2600);
    await play(0, 3600, (ms) => (speaking(ms) ? LOUD : 0));
    expect(errors).toHaveLength(1);
    expect(opened).toBe(2);
    const utterances = events.filter((e) => e.type === 'utterance') as Array<{ text: string }>;
    expect(utterances.map((u) => u.text)).toEqual(['hello again']);
  });

  it('an event handler that throws is reported through onError, and listening goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { events, errors, play } = makeListener(new ScriptedStt(['yes']), {
        onEvent: (e) => {
          if (e.type === 'speech-start') throw new Error('handler bug');
        },
      });
      await play(0, 1600, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(events.map((e) => e.type)).toContain('utterance');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Listener expectations (what the caller is likely to say next)', () => {
  const speech = (ms: number) => (ms >= 200 && ms < 800 ? LOUD : 0);
  const expectedOf = (stt: ScriptedStt, i = 0) =>
    (stt.streams[i] as unknown as { expected: string[] }).expected;

  it('an expectation set before the stream opens is given to it before its first audio', async () => {
    const stt = new ScriptedStt(['john smith']);
    const heardAtExpect: number[] = [];
    const open = stt.stream.bind(stt);
    stt.stream = (o) => {
      const s = open(o);
      const expect = s.expect.bind(s);
      s.expect = (next) => (heardAtExpect.push(stt.heard.length), expect(next));
      return s;
    };
    const { listener, play } = makeListener(stt);
    listener.expect('name');
    await play(0, 1600, speech);
    expect(expectedOf(stt)).toEqual(['name']);
    expect(heardAtExpect).toEqual([0]);
    expect(listener.expected).toBe('name');
  });

  it('an expectation set while the stream is open goes to it at once; the same one again is not repeated', async () => {
    const stt = new ScriptedStt(['hello', '555 1234']);
    const { listener, play } = makeListener(stt);
    await play(0, 1600, speech);
    listener.expect('phone');
    listener.expect('phone');
    await play(1600, 3200, (ms) => speech(ms - 1600));
    expect(expectedOf(stt)).toEqual(['open', 'phone']);
  });

  it('a new stream after failover gets the current expectation', async () => {
    const cloud = new EndpointingStt();
    const offline = new ScriptedStt(['five five five']);
    const { listener, switches, play } = makeListener([cloud, offline]);
    listener.expect('phone');
    await play(0, 500, speech);
    cloud.fail();
    await play(500, 2000, speech);
    expect(switches).toHaveLength(1);
    expect(expectedOf(offline)).toEqual(['phone']);
  });

  it("the stream is opened with the business's vocabulary", async () => {
    const stt = new ScriptedStt(['hello']);
    const seen: Array<string | undefined> = [];
    const open = stt.stream.bind(stt);
    stt.stream = (o) => (seen.push(o.vocabulary), open(o));
    const listener = new Listener({
      detector: new SpeechDetector(loudnessVad(), { minSpeechMs: 160, minSilenceMs: 300 }),
      stt,
      config: DEFAULT_TURN_TAKING,
      clock: new FakeClock(),
      onEvent: () => undefined,
      onError: () => undefined,
      vocabulary: 'b-acme',
    });
    for (let i = 0; i < 40; i++) {
      listener.push(new Int16Array(FRAME).fill(LOUD));
      await new Promise((r) => setImmediate(r));
    }
    expect(seen).toEqual(['b-acme']);
  });
});

describe('Listener alternatives', () => {
  it("a final's other readings come with the utterance: distinct, not empty, never the text itself", async () => {
    const stt = new EndpointingStt();
    const { events, play } = makeListener(stt);
    await play(0, 1000, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
    const alternatives = [
      'water leaking',
      'Water  leaking',
      '',
      'water leaking',
      'what are leaking',
      'water leaking',
    ];
    stt.out!.push({
      type: 'final',
      track: 'inbound',
      text: 'water leaking',
      alternatives: alternatives.map((text) => ({ text })),
    });
    stt.out!.push({ type: 'utterance-end', track: 'inbound' });
    await play(1000, 1040, () => 0);
    expect(events.at(-1)).toMatchObject({
      type: 'utterance',
      text: 'water leaking',
      alternatives: ['what are leaking'],
    });
  });

  it('an utterance finalised in pieces: each piece read otherwise, with the other pieces as heard', async () => {
    const stt = new EndpointingStt();
    const { events, play } = makeListener(stt);
    await play(0, 1000, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
    stt.out!.push({
      type: 'final',
      track: 'inbound',
      text: 'my basement',
      alternatives: [{ text: 'my basement' }, { text: 'my base meant' }],
    });
    stt.out!.push({
      type: 'final',
      track: 'inbound',
      text: 'is flooded',
      alternatives: [{ text: 'is flooded' }, { text: 'is flooding' }],
    });
    stt.out!.push({ type: 'utterance-end', track: 'inbound' });
    await play(1000, 1040, () => 0);
    expect(events.at(-1)).toMatchObject({
      text: 'my basement is flooded',
      alternatives: ['my base meant is flooded', 'my basement is flooding'],
    });
  });

  it('an utterance with no other reading has no alternatives', async () => {
    const stt = new ScriptedStt(['hello']);
    const { events, play } = makeListener(stt);
    await play(0, 1600, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
    const u = events.find((e) => e.type === 'utterance');
    expect(u).toBeDefined();
    expect(u).not.toHaveProperty('alternatives');
  });
});

describe('Listener drain (the caller hung up)', () => {
  it('ends the turn under way where the audio ends, without the silence window, and resolves with its result', async () => {
    const stt = new ScriptedStt(['my number is five five five']);
    const { listener, events, play } = makeListener(stt, { minSilenceMs: 500 });
    await play(0, 900, (ms) => (ms >= 200 ? LOUD : 0)); // still speaking when the line drops
    expect(events.some((e) => e.type === 'utterance')).toBe(false);
    await listener.drain(3000);
    expect(types(events)).toEqual(['speech-start', 'interim', 'speech-end', 'utterance']);
    expect(events.at(-1)).toMatchObject({ type: 'utterance', text: 'my number is five five five' });
    expect(events.find((e) => e.type === 'speech-end')).toMatchObject({ atMs: 900 });
  });

  it('judges whether the words go on on the final, not on an interim that lags the speech', async () => {
    // The interim ("my address") looks unfinished; the final does not: answered at the silence window.
    const stt = new ScriptedStt(['my address is twelve main street'], () => 0, 800);
    const { events, play } = makeListener(stt, { minSilenceMs: 300 });
    await play(0, 1300, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0));
    expect(events.filter((e) => e.type === 'interim').at(-1)).toMatchObject({ text: 'my address' });
    expect(events.at(-1)).toMatchObject({ type: 'utterance', text: 'my address is twelve main street' });
  });

  it('an unfinished phrase and the rest said after a pause are one utterance', async () => {
    const stt = new ScriptedStt(['my number is', 'five five five']);
    const { events, play } = makeListener(stt, { minSilenceMs: 300 });
    await play(0, 2800, (ms) => ((ms >= 200 && ms < 800) || (ms >= 1300 && ms < 1900) ? LOUD : 0));
    const utterances = events.filter((e) => e.type === 'utterance');
    expect(utterances).toHaveLength(1);
    expect(utterances[0]).toMatchObject({ text: 'my number is five five five' });
    expect(utterances[0]!.startMs).toBeLessThan(300);
  });

  it('a turn held open for unfinished words ends at its last speech', async () => {
    const stt = new ScriptedStt(['my address is']);
    const { listener, events, play } = makeListener(stt, { minSilenceMs: 300 });
    await play(0, 1400, (ms) => (ms >= 200 && ms < 800 ? LOUD : 0)); // held: "my address is" ...
    expect(events.some((e) => e.type === 'utterance')).toBe(false);
    await listener.drain(3000);
    expect(events.at(-1)).toMatchObject({ type: 'utterance', text: 'my address is' });
  });

  it('with a recognizer that endpoints itself, asks it to finish now', async () => {
    const stt = new EndpointingStt();
    const { listener, events, play } = makeListener(stt);
    await play(0, 900, (ms) => (ms >= 200 ? LOUD : 0));
    const draining = listener.drain(3000);
    await new Promise((r) => setImmediate(r));
    expect(stt.flushes).toBe(1);
    stt.endpoint('gas smell in the kitchen');
    await draining;
    expect(events.at(-1)).toMatchObject({ type: 'utterance', text: 'gas smell in the kitchen' });
  });

  it('gives up after its limit when the recognizer never answers', async () => {
    const stt = new EndpointingStt();
    const { listener, clock, play } = makeListener(stt);
    await play(0, 900, (ms) => (ms >= 200 ? LOUD : 0));
    let done = false;
    const draining = listener.drain(3000).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    clock.advance(2900);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    clock.advance(100);
    await draining;
    expect(done).toBe(true);
  });

  it('with nothing under way, resolves at once', async () => {
    const stt = new ScriptedStt([]);
    const { listener, play } = makeListener(stt);
    await play(0, 500, () => 0);
    await expect(listener.drain(3000)).resolves.toBeUndefined();
  });
});
