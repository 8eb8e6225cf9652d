import { afterEach, describe, expect, it } from 'vitest';
import { Resampler, rms } from '../../../src/audio/index.js';
import { ProviderError } from '../../../src/providers/llm/http.js';
import { createElevenLabsTts } from '../../../src/providers/tts/elevenlabs.js';
import { FliteTts } from '../../../src/providers/tts/index.js';
import type { TextToSpeech } from '../../../src/providers/tts/tts.js';
import { TtsChain, type TtsSwitch } from '../../../src/providers/tts/tts-chain.js';
import { silentLogger } from '../../../src/shared/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import {
  fakeElevenLabsAudio,
  startFakeElevenLabs,
  type FakeElevenLabs,
} from '../../support/fake-elevenlabs.js';

/** A FakeClock that knows which of its timers are still pending (to show none leak). */
class CountingClock extends FakeClock {
  readonly pending = new Set<unknown>();
  override setTimeout(fn: () => void, ms: number): unknown {
    const id = super.setTimeout(() => {
      this.pending.delete(id);
      fn();
    }, ms);
    this.pending.add(id);
    return id;
  }
  override clearTimeout(handle: unknown): void {
    this.pending.delete(handle);
    super.clearTimeout(handle);
  }
}

type Script = (text: string, signal: AbortSignal) => AsyncIterable<Int16Array>;

/** A provider whose behaviour each test writes; it records every request and its signal. */
class ScriptedTts implements TextToSpeech {
  readonly calls: Array<{ text: string; signal: AbortSignal }> = [];
  constructor(
    readonly name: string,
    private readonly script: Script,
    readonly sampleRate = 8000,
  ) {}
  synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    this.calls.push({ text, signal });
    return this.script(text, signal);
  }
}

const chunk = (value: number, n = 160) => new Int16Array(n).fill(value);

/** Speaks `count` chunks filled with `value`, honouring the signal like a real engine. */
const speaks = (value: number, count = 3): Script =>
  async function* (_text, signal) {
    for (let i = 0; i < count; i++) {
      await Promise.resolve();
      if (signal.aborted) return;
      yield chunk(value);
    }
  };

/** Throws before any audio. */
const fails = (error: unknown): Script =>
  // eslint-disable-next-line require-yield
  async function* () {
    await Promise.resolve();
    throw error;
  };

/** Speaks `count` chunks, then throws. */
const speaksThenFails = (value: number, count: number, error: unknown): Script =>
  async function* () {
    for (let i = 0; i < count; i++) yield chunk(value);
    throw error;
  };

/** Sends nothing until its signal is aborted (a request stuck before the first byte). */
const hangs: Script =
  // eslint-disable-next-line require-yield
  async function* (_text, signal) {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  };

const http = (status: number, retryAfterMs?: number) =>
  new ProviderError(`ElevenLabs TTS: HTTP ${status}: secret body`, {
    kind: 'http',
    status,
    retryable: status === 429 || status >= 500,
    retryAfterMs,
  });

async function collect(
  it: AsyncIterable<Int16Array>,
): Promise<{ values: number[]; samples: number; error: unknown }> {
  const values: number[] = [];
  let samples = 0;
  let error: unknown;
  try {
    for await (const c of it) {
      values.push(c[0] as number);
      samples += c.length;
    }
  } catch (err) {
    error = err;
  }
  return { values, samples, error };
}

/** Lets pending promise callbacks and I/O run (the providers' awaits). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function chain(providers: TextToSpeech[], clock = new CountingClock(), stallMs = 1500) {
  const switches: TtsSwitch[] = [];
  const c = new TtsChain(providers, { stallMs, clock, onSwitch: (s) => switches.push(s), log: silentLogger });
  return { chain: c, switches, clock };
}

const never = () => new AbortController().signal;

describe('TtsChain hedging', () => {
  /** Speaks one chunk after `ms` of the fake clock (a provider that takes a while to start). */
  const speaksAfter = (clock: FakeClock, ms: number, value: number): Script =>
    async function* (_text, signal) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
      if (signal.aborted) return;
      yield chunk(value);
    };

  it('a stalled provider: the next one was started before the deadline, so the caller waits the stall time, not more', async () => {
    const clock = new CountingClock();
    const eleven = new ScriptedTts('elevenlabs', hangs);
    const backup = new ScriptedTts('flite', speaksAfter(clock, 300, 2));
    const { chain: c, switches } = chain([eleven, backup], clock);
    const got: number[] = [];
    const run = (async () => {
      for await (const _chunk of c.synthesize('Hello.', never())) got.push(clock.now());
    })();
    for (let t = 0; t < 2000; t += 10) {
      clock.advance(10);
      await settle();
    }
    await run;
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'stalled: no audio in 1500 ms' }]);
    // The backup's 300 ms start ran during the last 400 ms before the deadline.
    expect(backup.calls).toHaveLength(1);
    expect(got[0]).toBeGreaterThanOrEqual(1500);
    expect(got[0]).toBeLessThanOrEqual(1520);
    expect(clock.pending.size).toBe(0);
  });

  it('a provider that speaks after the hedge started: the hedge is cancelled and nothing of it is heard', async () => {
    const clock = new CountingClock();
    const eleven = new ScriptedTts('elevenlabs', speaksAfter(clock, 1300, 1));
    const backup = new ScriptedTts('flite', hangs);
    const { chain: c, switches } = chain([eleven, backup], clock);
    const values: number[] = [];
    const run = (async () => {
      for await (const x of c.synthesize('Hello.', never())) values.push(x[0] as number);
    })();
    for (let t = 0; t < 2000; t += 10) {
      clock.advance(10);
      await settle();
    }
    await run;
    expect(switches).toEqual([]);
    expect(values).toEqual([1]);
    expect(backup.calls).toHaveLength(1);
    expect(backup.calls[0]!.signal.aborted).toBe(true);
    expect(clock.pending.size).toBe(0);
  });
});

describe('TtsChain', () => {
  it('speaks at 8 kHz through the first provider while it works: no switch', async () => {
    const eleven = new ScriptedTts('elevenlabs', speaks(1));
    const flite = new ScriptedTts('flite', speaks(2), 16000);
    const { chain: c, switches, clock } = chain([eleven, flite]);
    expect(c.sampleRate).toBe(8000);
    expect(c.name).toBe('elevenlabs');
    const out = await collect(c.synthesize('Hello there.', never()));
    expect(out.error).toBeUndefined();
    expect(out.values).toEqual([1, 1, 1]);
    expect(switches).toEqual([]);
    expect(flite.calls).toHaveLength(0);
    expect(clock.pending.size).toBe(0);
  });

  it('401 before the first audio: switches, and the next provider says the same text', async () => {
    const eleven = new ScriptedTts('elevenlabs', fails(http(401)));
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches, clock } = chain([eleven, backup]);
    const out = await collect(c.synthesize('We open at nine.', never()));
    expect(out.error).toBeUndefined();
    expect(out.values).toEqual([2, 2, 2]);
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'error: HTTP 401' }]);
    expect(backup.calls.map((c) => c.text)).toEqual(['We open at nine.']);
    expect(c.name).toBe('flite');
    expect(c.current).toBe('flite');
    expect(clock.pending.size).toBe(0);
  });

  it('the reason is short: status only, never the error body', async () => {
    const { chain: c, switches } = chain([
      new ScriptedTts('elevenlabs', fails(http(429, 2000))),
      new ScriptedTts('flite', speaks(2)),
    ]);
    await collect(c.synthesize('Hello.', never()));
    expect(switches[0]?.reason).toBe('error: HTTP 429');
    expect(JSON.stringify(switches)).not.toContain('secret');
  });

  it('no first audio within stallMs: aborts that request and switches', async () => {
    const eleven = new ScriptedTts('elevenlabs', hangs);
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches, clock } = chain([eleven, backup]);
    const run = collect(c.synthesize('Hello.', never()));
    await settle();
    clock.advance(1499);
    await settle();
    expect(switches).toEqual([]);
    expect(eleven.calls[0]?.signal.aborted).toBe(false);
    clock.advance(1);
    const out = await run;
    expect(out.values).toEqual([2, 2, 2]);
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'stalled: no audio in 1500 ms' }]);
    expect(eleven.calls[0]?.signal.aborted).toBe(true);
    expect(clock.pending.size).toBe(0);
  });

  it('the stall timer counts from the start of the sentence, not from each empty chunk', async () => {
    const dribbles: Script = async function* (_t, signal) {
      while (!signal.aborted) {
        yield new Int16Array(0);
        await new Promise((r) => setImmediate(r));
      }
    };
    const eleven = new ScriptedTts('elevenlabs', dribbles);
    const { chain: c, switches, clock } = chain([eleven, new ScriptedTts('flite', speaks(2))]);
    const run = collect(c.synthesize('Hello.', never()));
    for (let i = 0; i < 15; i++) {
      clock.advance(100);
      await settle();
    }
    const out = await run;
    expect(out.values).toEqual([2, 2, 2]);
    expect(switches[0]?.reason).toBe('stalled: no audio in 1500 ms');
  });

  it('failing mid-sentence: switches and the next provider says the whole sentence again', async () => {
    const cut = new ProviderError('ElevenLabs TTS: connection failed (terminated)', {
      kind: 'network',
      retryable: true,
    });
    const eleven = new ScriptedTts('elevenlabs', speaksThenFails(1, 2, cut));
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches } = chain([eleven, backup]);
    const out = await collect(c.synthesize('Your booking is confirmed.', never()));
    expect(out.error).toBeUndefined();
    // What was heard of the sentence, then all of it from the next provider.
    expect(out.values).toEqual([1, 1, 2, 2, 2]);
    expect(backup.calls.map((x) => x.text)).toEqual(['Your booking is confirmed.']);
    expect(switches).toEqual([
      { from: 'elevenlabs', to: 'flite', reason: 'closed: connection cut mid-sentence' },
    ]);
  });

  it('the switch is sticky: later sentences of the call go straight to the next provider', async () => {
    const eleven = new ScriptedTts('elevenlabs', fails(http(500)));
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches } = chain([eleven, backup]);
    await collect(c.synthesize('One.', never()));
    await collect(c.synthesize('Two.', never()));
    await collect(c.synthesize('Three.', never()));
    expect(eleven.calls).toHaveLength(1);
    expect(backup.calls.map((x) => x.text)).toEqual(['One.', 'Two.', 'Three.']);
    expect(switches).toHaveLength(1);
  });

  it('sentences in flight together that both fail switch once', async () => {
    const eleven = new ScriptedTts('elevenlabs', fails(http(503)));
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches } = chain([eleven, backup]);
    const [a, b] = await Promise.all([
      collect(c.synthesize('One.', never())),
      collect(c.synthesize('Two.', never())),
    ]);
    expect(a.values).toEqual([2, 2, 2]);
    expect(b.values).toEqual([2, 2, 2]);
    expect(switches).toHaveLength(1);
  });

  it('moves along a chain of three, one switch per failing provider', async () => {
    const { chain: c, switches } = chain([
      new ScriptedTts('elevenlabs', fails(http(401))),
      new ScriptedTts('deepgram', fails(http(402))),
      new ScriptedTts('flite', speaks(3)),
    ]);
    const out = await collect(c.synthesize('Hello.', never()));
    expect(out.values).toEqual([3, 3, 3]);
    expect(switches.map((s) => `${s.from}->${s.to}`)).toEqual(['elevenlabs->deepgram', 'deepgram->flite']);
  });

  it('when the last provider fails too, its error propagates', async () => {
    const last = new Error('flite crashed');
    const { chain: c, switches } = chain([
      new ScriptedTts('elevenlabs', fails(http(401))),
      new ScriptedTts('flite', fails(last)),
    ]);
    const out = await collect(c.synthesize('Hello.', never()));
    expect(out.error).toBe(last);
    expect(switches).toHaveLength(1);
    expect(c.name).toBe('flite');
  });

  it('the last provider has no stall timer: it may take as long as it takes', async () => {
    let release!: () => void;
    const slow: Script = async function* () {
      await new Promise<void>((r) => (release = r));
      yield chunk(7);
    };
    const { chain: c, switches, clock } = chain([new ScriptedTts('flite', slow)]);
    const run = collect(c.synthesize('Hello.', never()));
    await settle();
    expect(clock.pending.size).toBe(0);
    clock.advance(60_000);
    release();
    const out = await run;
    expect(out.values).toEqual([7]);
    expect(switches).toEqual([]);
  });

  it('an abort while waiting for the first audio is not a failure: no switch, timers cleared', async () => {
    const eleven = new ScriptedTts('elevenlabs', hangs);
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches, clock } = chain([eleven, backup]);
    const ac = new AbortController();
    const run = collect(c.synthesize('Hello.', ac.signal));
    await settle();
    // The stall deadline, and the start of the hedge shortly before it.
    expect(clock.pending.size).toBe(2);
    clock.advance(700);
    ac.abort();
    const out = await run;
    expect(out).toEqual({ values: [], samples: 0, error: undefined });
    expect(switches).toEqual([]);
    expect(backup.calls).toHaveLength(0);
    expect(eleven.calls[0]?.signal.aborted).toBe(true);
    expect(clock.pending.size).toBe(0);
    expect(c.name).toBe('elevenlabs');
  });

  it('an abort ends the sentence at once even from a provider that ignores its signal', async () => {
    const deaf: Script = async function* () {
      await new Promise(() => {}); // never settles
      yield chunk(1);
    };
    const { chain: c, switches, clock } = chain([new ScriptedTts('flite', deaf)]);
    const ac = new AbortController();
    const run = collect(c.synthesize('Hello.', ac.signal));
    await settle();
    ac.abort();
    expect(await run).toEqual({ values: [], samples: 0, error: undefined });
    expect(switches).toEqual([]);
    expect(clock.pending.size).toBe(0);
  });

  it('an error raised because the caller aborted is not a failure either', async () => {
    const ac = new AbortController();
    const throwsOnAbort: Script = async function* (_t, signal) {
      yield chunk(1);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      throw new DOMException('aborted', 'AbortError');
    };
    const backup = new ScriptedTts('flite', speaks(2));
    const { chain: c, switches } = chain([new ScriptedTts('elevenlabs', throwsOnAbort), backup]);
    const values: number[] = [];
    for await (const x of c.synthesize('Hello.', ac.signal)) {
      values.push(x[0] as number);
      ac.abort();
    }
    expect(values).toEqual([1]);
    expect(switches).toEqual([]);
    expect(backup.calls).toHaveLength(0);
  });

  it('a caller that stops listening ends the provider request', async () => {
    const eleven = new ScriptedTts('elevenlabs', speaks(1, 10));
    const { chain: c, switches } = chain([eleven, new ScriptedTts('flite', speaks(2))]);
    for await (const _ of c.synthesize('Hello.', never())) break;
    expect(eleven.calls[0]?.signal.aborted).toBe(true);
    expect(switches).toEqual([]);
  });

  it('resamples a 16 kHz provider to 8 kHz, sample for sample as the resampler does', async () => {
    const tone = (n: number, from: number) =>
      Int16Array.from({ length: n }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 300 * (i + from)) / 16000)),
      );
    const parts = [tone(1600, 0), tone(1600, 1600), tone(800, 3200)];
    const flite16: Script = async function* () {
      for (const p of parts) yield p;
    };
    const { chain: c } = chain([
      new ScriptedTts('elevenlabs', fails(http(401))),
      new ScriptedTts('flite', flite16, 16000),
    ]);
    const got: Int16Array[] = [];
    for await (const x of c.synthesize('Hello.', never())) got.push(x);
    const out = Int16Array.from(got.flatMap((x) => Array.from(x)));
    expect(out.length).toBe(2000); // 4000 samples at 16 kHz = 250 ms = 2000 at 8 kHz
    const r = new Resampler(16000, 8000);
    const want = [...parts.map((p) => r.push(p)), r.flush()].flatMap((x) => Array.from(x));
    expect(Array.from(out)).toEqual(want);
  });

  it('an empty answer for words is a failure (except from the last provider)', async () => {
    const silent: Script = async function* () {};
    const { chain: c, switches } = chain([
      new ScriptedTts('elevenlabs', silent),
      new ScriptedTts('flite', silent),
    ]);
    const out = await collect(c.synthesize('Hello.', never()));
    expect(out).toEqual({ values: [], samples: 0, error: undefined });
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'closed: no audio' }]);
  });

  it('a switch listener that throws does not cost the sentence', async () => {
    const c = new TtsChain(
      [new ScriptedTts('elevenlabs', fails(http(401))), new ScriptedTts('flite', speaks(2))],
      {
        stallMs: 1500,
        clock: new FakeClock(),
        onSwitch: () => {
          throw new Error('listener broke');
        },
      },
    );
    expect((await collect(c.synthesize('Hello.', never()))).values).toEqual([2, 2, 2]);
  });

  it('refuses an empty chain and a stallMs that is not positive', () => {
    expect(() => new TtsChain([], { stallMs: 1500, onSwitch: () => {} })).toThrow(RangeError);
    expect(
      () => new TtsChain([new ScriptedTts('flite', speaks(1))], { stallMs: 0, onSwitch: () => {} }),
    ).toThrow(RangeError);
  });
});

describe('TtsChain over the real ElevenLabs adapter and the local ElevenLabs server', () => {
  let fake: FakeElevenLabs | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  /** The stand-in offline provider: 4 chunks of 160 samples at 16 kHz, 320 samples at 8 kHz. */
  const FLITE_SAMPLES_AT_8K = 320;

  async function setup(stallMs = 1500) {
    fake = await startFakeElevenLabs({ chunkDelayMs: 2 });
    const eleven = createElevenLabsTts({
      settings: {
        apiKey: fake.apiKey,
        baseUrl: fake.baseUrl,
        voiceId: 'voice-test',
        modelId: 'eleven_flash_v2_5',
      },
      logger: silentLogger,
      readTimeoutMs: 5000,
    });
    const flite = new ScriptedTts('flite', speaks(9, 4), 16000);
    const switches: TtsSwitch[] = [];
    const c = new TtsChain([eleven, flite], { stallMs, onSwitch: (s) => switches.push(s) });
    return { fake, eleven, flite, switches, chain: c };
  }

  it('the server dying mid-call: the next sentence goes to the next provider, and stays there', async () => {
    const { fake: server, flite, switches, chain: c } = await setup();
    const first = await collect(c.synthesize('Good morning.', never()));
    expect(first.samples).toBe(fakeElevenLabsAudio('Good morning.').length);
    await server.close();
    const second = await collect(c.synthesize('How can I help?', never()));
    expect(second.error).toBeUndefined();
    expect(second.samples).toBe(FLITE_SAMPLES_AT_8K);
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'closed: connection failed' }]);
    await collect(c.synthesize('Goodbye.', never()));
    expect(flite.calls.map((x) => x.text)).toEqual(['How can I help?', 'Goodbye.']);
    expect(server.requests).toHaveLength(1);
  });

  it('the connection cut mid-sentence: the sentence is said again by the next provider', async () => {
    const { fake: server, flite, switches, chain: c } = await setup();
    server.controls.fail({ kind: 'cut-mid-body', afterBytes: 1600 });
    const out = await collect(c.synthesize('Your plumber will call you back today.', never()));
    expect(out.error).toBeUndefined();
    expect(out.samples).toBe(1600 + FLITE_SAMPLES_AT_8K);
    expect(switches).toEqual([
      { from: 'elevenlabs', to: 'flite', reason: 'closed: connection cut mid-sentence' },
    ]);
    expect(flite.calls.map((x) => x.text)).toEqual(['Your plumber will call you back today.']);
  });

  it('429 from ElevenLabs: switches at once, without waiting for Retry-After', async () => {
    const { fake: server, flite, switches, chain: c } = await setup();
    server.controls.fail({ kind: 'status', status: 429, retryAfterS: 30 });
    const started = performance.now();
    const out = await collect(c.synthesize('Hello.', never()));
    expect(out.samples).toBe(FLITE_SAMPLES_AT_8K);
    expect(flite.calls.map((x) => x.text)).toEqual(['Hello.']);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(switches[0]?.reason).toBe('error: HTTP 429');
    expect(server.requests).toHaveLength(1);
  });

  it('a stalled request: switched after stallMs, and the ElevenLabs request is closed', async () => {
    const { fake: server, flite, switches, chain: c } = await setup(300);
    server.controls.fail({ kind: 'stall-after-headers' });
    const out = await collect(c.synthesize('Hello.', never()));
    expect(out.samples).toBe(FLITE_SAMPLES_AT_8K);
    expect(flite.calls.map((x) => x.text)).toEqual(['Hello.']);
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'stalled: no audio in 300 ms' }]);
    expect(await server.requests[0]?.closed).toEqual({ aborted: true });
  });

  it('with the real flite (16 kHz) behind it: a 401 is answered by flite, at 8 kHz', async () => {
    fake = await startFakeElevenLabs();
    const eleven = createElevenLabsTts({
      settings: { apiKey: 'sk_revoked', baseUrl: fake.baseUrl, voiceId: 'voice-test', modelId: 'm' },
      logger: silentLogger,
    });
    const flite = await FliteTts.load({ voice: 'slt' });
    expect(flite.sampleRate).toBe(16000);
    const switches: TtsSwitch[] = [];
    const c = new TtsChain([eleven, flite], { stallMs: 1500, onSwitch: (s) => switches.push(s) });
    const got: Int16Array[] = [];
    for await (const x of c.synthesize('We are open until six today.', never())) got.push(x);
    const pcm = Int16Array.from(got.flatMap((x) => Array.from(x)));
    expect(switches).toEqual([{ from: 'elevenlabs', to: 'flite', reason: 'error: HTTP 401' }]);
    // About two seconds of speech at 8 kHz, and not silence.
    expect(pcm.length).toBeGreaterThan(8000);
    expect(pcm.length).toBeLessThan(8000 * 5);
    expect(rms(pcm)).toBeGreaterThan(300);
  });
});
