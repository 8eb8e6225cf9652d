import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FLITE_VOICES,
  FliteTts,
  FliteWasm,
  normalizeForSpeech,
  type FliteVoice,
} from '../../../src/providers/tts/index.js';
import { parseFliteWav } from '../../../src/providers/tts/flite-wasi.js';

let wasm: FliteWasm;

beforeAll(async () => {
  wasm = await FliteWasm.load();
});

async function collect(iterable: AsyncIterable<Int16Array>): Promise<Int16Array[]> {
  const chunks: Int16Array[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

const live = (): AbortSignal => new AbortController().signal;

describe('FliteTts', () => {
  it('speaks "Thanks for calling Acme Plumbing." as 1.5-4 s of non-silent audio at its declared rate', async () => {
    const tts = new FliteTts(wasm);
    expect(tts.sampleRate).toBe(16000);
    const audio = concat(await collect(tts.synthesize('Thanks for calling Acme Plumbing.', live())));
    const seconds = audio.length / tts.sampleRate;
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(4);
    expect(rms(audio)).toBeGreaterThan(1000); // about -30 dBFS: speech, not silence or hiss
    expect(Math.max(...audio.map(Math.abs))).toBeGreaterThan(8000);
  });

  it.each(Object.entries(FLITE_VOICES))(
    'voice %s produces audio at its listed rate (%i Hz)',
    (voice, rate) => {
      const audio = wasm.synthesize('Hello there.', { voice: voice as FliteVoice });
      expect(audio.sampleRate).toBe(rate);
      expect(audio.samples.length / rate).toBeGreaterThan(0.5);
    },
  );

  it('declares 8 kHz for the kal voice and yields audio of the same length as at 16 kHz', async () => {
    const tts = new FliteTts(wasm, { voice: 'kal' });
    expect(tts.sampleRate).toBe(8000);
    const audio = concat(await collect(tts.synthesize('Thanks for calling Acme Plumbing.', live())));
    expect(audio.length / 8000).toBeGreaterThan(1.5);
    expect(audio.length / 8000).toBeLessThan(4);
  });

  it('yields chunks of the configured size', async () => {
    const tts = new FliteTts(wasm, { chunkMs: 20 });
    const chunks = await collect(tts.synthesize('Good morning.', live()));
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBe(320);
  });

  it('streams sentence by sentence: the first chunk leaves after one sentence is synthesized', async () => {
    const tts = new FliteTts(wasm);
    const spy = vi.spyOn(wasm, 'synthesize');
    try {
      const speech = tts.synthesize('Thanks for calling. We are open today. How can I help?', live());
      const chunks = speech[Symbol.asyncIterator]();
      const first = await chunks.next();
      expect(first.done).toBe(false);
      expect(spy).toHaveBeenCalledTimes(1);
      while (!(await chunks.next()).done);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('trims flite lead-in silence from the first sentence so speech starts at once', async () => {
    const tts = new FliteTts(wasm);
    const [first] = await collect(tts.synthesize('Hello.', live()));
    // flite itself pads ~250 ms; the provider keeps ~20 ms, so the first 100 ms chunk has speech.
    expect(rms(first ?? new Int16Array())).toBeGreaterThan(500);
  });

  it('stops mid-way when aborted: no chunk after the abort', async () => {
    const tts = new FliteTts(wasm, { chunkMs: 20 });
    const controller = new AbortController();
    const received: Int16Array[] = [];
    let afterAbort = 0;
    for await (const chunk of tts.synthesize(
      'Thanks for calling Acme Plumbing. A technician can visit tomorrow morning. Is there anything else?',
      controller.signal,
    )) {
      if (controller.signal.aborted) afterAbort++;
      received.push(chunk);
      if (received.length === 5) controller.abort();
    }
    expect(afterAbort).toBe(0);
    expect(received).toHaveLength(5);
  });

  it('an abort arriving from another event between sentences stops before the next sentence', async () => {
    const tts = new FliteTts(wasm);
    const spy = vi.spyOn(wasm, 'synthesize');
    try {
      const controller = new AbortController();
      // Queued before synthesis starts; lands when the provider yields the loop after sentence one.
      setImmediate(() => controller.abort());
      const chunks = await collect(
        tts.synthesize('First sentence here. Second sentence here. Third one.', controller.signal),
      );
      expect(spy).toHaveBeenCalledTimes(1);
      expect(chunks.length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('yields nothing when the signal is already aborted', async () => {
    const tts = new FliteTts(wasm);
    expect(await collect(tts.synthesize('Hello there.', AbortSignal.abort()))).toHaveLength(0);
  });

  it('yields nothing for text with nothing to say', async () => {
    const tts = new FliteTts(wasm);
    expect(await collect(tts.synthesize(' ... — ', live()))).toHaveLength(0);
  });

  it('speaks non-ASCII text (curly quotes, dashes, accents, emoji) without garbage', async () => {
    const tts = new FliteTts(wasm);
    const audio = concat(await collect(tts.synthesize('We’re open — café hours… 😀 see you!', live())));
    expect(audio.length / tts.sampleRate).toBeGreaterThan(1);
  });

  it('slows down with durationStretch', async () => {
    const normal = concat(await collect(new FliteTts(wasm).synthesize('Thank you for waiting.', live())));
    const slow = concat(
      await collect(
        new FliteTts(wasm, { durationStretch: 1.5 }).synthesize('Thank you for waiting.', live()),
      ),
    );
    expect(slow.length).toBeGreaterThan(normal.length * 1.3);
  });

  it('keeps concurrent utterances apart (one WASM instance per synthesis)', async () => {
    const tts = new FliteTts(wasm);
    const alone = concat(await collect(tts.synthesize('One two three. Four five six.', live())));
    const a = tts.synthesize('One two three. Four five six.', live())[Symbol.asyncIterator]();
    const b = tts.synthesize('Seven eight nine. Ten eleven.', live())[Symbol.asyncIterator]();
    const out: Int16Array[] = [];
    for (;;) {
      const [ra, rb] = [await a.next(), await b.next()];
      if (!ra.done) out.push(ra.value);
      if (ra.done && rb.done) break;
    }
    expect(concat(out)).toEqual(alone);
  });
});

describe('FliteWasm', () => {
  it('runs flite commands in memory: lists its voices', () => {
    const run = wasm.run(['-lv']);
    expect(run.exitCode).toBe(0);
    expect(run.output).toMatch(/Voices available: .*slt/);
  });

  it('refuses an unknown voice instead of letting flite fall back to its default', () => {
    expect(() => wasm.synthesize('Hello.', { voice: 'nonexistent' as FliteVoice })).toThrow(
      /unknown flite voice/,
    );
  });

  it('rejects output that is not mono PCM16 WAV', () => {
    expect(() => parseFliteWav(new TextEncoder().encode('not a wav file at all'))).toThrow(/not WAV/);
  });

  // flite's own reading of the normalised text (-pw prints the words it will say).
  it.each([
    ['Call us at +1 555 123 4567.', 'call us at five five five one two three four five six seven'],
    ['It costs $120.50.', 'it costs one hundred twenty dollars and fifty cents'],
    ['Open 9am-5pm Mon-Fri.', 'open nine _a m to five p m monday to friday'],
    ['We open at 10:30 am.', 'we open at ten thirty _a m'],
    ['Email bob@acme.com', 'email bob at acme dot com'],
  ])('flite says %j as "%s" after normalisation', (text, words) => {
    const run = wasm.run(['-voice', 'slt', '-pw', '-t', normalizeForSpeech(text), 'none']);
    expect(run.output.trim()).toBe(words);
  });
});
