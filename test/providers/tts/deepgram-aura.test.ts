import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dbfs, readWav } from '../../../src/audio/index.js';
import type { DeepgramSettings } from '../../../src/providers/cloud-settings.js';
import { ProviderError } from '../../../src/providers/llm/http.js';
import { createDeepgramTts, type DeepgramTtsOptions } from '../../../src/providers/tts/deepgram-aura.js';
import { silentLogger } from '../../../src/shared/index.js';
import { startFakeDeepgram, type FakeDeepgram } from '../../support/fake-deepgram.js';

let fake: FakeDeepgram;
beforeAll(async () => {
  // 20 ms between 100 ms chunks: a reply takes long enough that streaming can be seen.
  fake = await startFakeDeepgram({ speakChunkDelayMs: 20 });
});
afterAll(async () => fake.close());
afterEach(() => {
  expect(fake.errors).toEqual([]);
  fake.speak.faults.length = 0;
});

const settings = (over: Partial<DeepgramSettings> = {}): DeepgramSettings => ({
  apiKey: fake.apiKey,
  baseUrl: fake.baseUrl,
  sttModel: 'nova-3',
  ttsModel: 'aura-2-thalia-en',
  ...over,
});

const tts = (over: Partial<DeepgramTtsOptions> = {}) =>
  createDeepgramTts({ settings: settings(), logger: silentLogger, ...over });

const never = () => new AbortController().signal;

async function collect(
  chunks: AsyncIterable<Int16Array>,
  onChunk?: (c: Int16Array) => void,
): Promise<{ chunks: Int16Array[]; error: unknown }> {
  const out: Int16Array[] = [];
  try {
    for await (const c of chunks) {
      out.push(c);
      onChunk?.(c);
    }
  } catch (error) {
    return { chunks: out, error };
  }
  return { chunks: out, error: undefined };
}

const samples = (cs: readonly Int16Array[]) => cs.reduce((n, c) => n + c.length, 0);
const lastRequest = () => fake.speak.requests[fake.speak.requests.length - 1]!;

function join(cs: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(samples(cs));
  let o = 0;
  for (const c of cs) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

const SENTENCE = 'Thanks for calling, a plumber will call you back within the hour.';

describe('Deepgram Aura TTS', () => {
  it('is an 8 kHz synthesizer named deepgram', () => {
    const t = tts();
    expect(t.name).toBe('deepgram');
    expect(t.sampleRate).toBe(8000);
  });

  it('POSTs {text} to /v1/speak asking for raw 8 kHz mu-law (container=none), with Token auth', async () => {
    const { error } = await collect(tts().synthesize('Hello there.', never()));
    expect(error).toBeUndefined();
    const req = lastRequest();
    expect(req.query).toEqual({
      model: 'aura-2-thalia-en',
      encoding: 'mulaw',
      sample_rate: '8000',
      container: 'none',
    });
    expect(req.headers.authorization).toBe(`Token ${fake.apiKey}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ text: 'Hello there.' });
    expect(req.status).toBe(200);
  });

  it('decodes the body to PCM16 as it streams: every byte a sample, the first chunk before the last byte is sent', async () => {
    let sentAtFirstChunk: number | undefined;
    const { chunks, error } = await collect(tts().synthesize(SENTENCE, never()), () => {
      sentAtFirstChunk ??= lastRequest().bytesSent;
    });
    expect(error).toBeUndefined();
    const req = lastRequest();
    expect(req.bytesSent).toBe(SENTENCE.length * 60 * 8); // ~60 ms per character at 8 kHz
    expect(samples(chunks)).toBe(req.bytesSent);
    expect(chunks.length).toBeGreaterThan(1);
    expect(sentAtFirstChunk).toBeLessThan(req.bytesSent);
    // The fake's tone (amplitude 8000) decodes to a level near -15 dBFS: mu-law was decoded, not
    // taken as PCM bytes.
    const level = dbfs(join(chunks));
    expect(level).toBeGreaterThan(-20);
    expect(level).toBeLessThan(-10);
  });

  it('yields nothing and sends nothing for empty text or an already aborted signal', async () => {
    const before = fake.speak.requests.length;
    expect((await collect(tts().synthesize('   ', never()))).chunks).toEqual([]);
    const ac = new AbortController();
    ac.abort();
    expect((await collect(tts().synthesize('Hello.', ac.signal))).chunks).toEqual([]);
    expect(fake.speak.requests.length).toBe(before);
  });

  it('401: ProviderError http 401, not retryable, the key nowhere in the message', async () => {
    const t = createDeepgramTts({ settings: settings({ apiKey: 'dg-wrong-key-456' }), logger: silentLogger });
    const { chunks, error } = await collect(t.synthesize('Hello.', never()));
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'http', status: 401, retryable: false, code: 'INVALID_AUTH' });
    expect((error as Error).message).toContain('Invalid credentials.');
    expect((error as Error).message).not.toContain('dg-wrong-key-456');
  });

  it('429: retryable with Retry-After in ms', async () => {
    fake.speak.faults.push({ kind: 'reject', status: 429, retryAfterS: 3 });
    const { error } = await collect(tts().synthesize('Hello.', never()));
    expect(error).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 3000 });
  });

  it('5xx: retryable', async () => {
    fake.speak.faults.push({ kind: 'reject', status: 502, body: 'Bad Gateway' });
    const { error } = await collect(tts().synthesize('Hello.', never()));
    expect(error).toMatchObject({ kind: 'http', status: 502, retryable: true });
    expect((error as Error).message).toContain('Bad Gateway');
  });

  it('a body that stops arriving: the chunks so far, then ProviderError timeout after readTimeoutMs', async () => {
    fake.speak.faults.push({ kind: 'stall', afterBytes: 1600 });
    const t0 = Date.now();
    const { chunks, error } = await collect(tts({ readTimeoutMs: 1000 }).synthesize(SENTENCE, never()));
    expect(samples(chunks)).toBe(1600);
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect((error as Error).message).toContain('1000 ms');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await lastRequest().closed).aborted).toBe(true); // the request was given up
  });

  it('response headers that never come: ProviderError timeout', async () => {
    fake.speak.faults.push({ kind: 'hang' });
    const { chunks, error } = await collect(tts({ readTimeoutMs: 300 }).synthesize('Hello.', never()));
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('a body cut mid-way: the chunks so far, then ProviderError network', async () => {
    fake.speak.faults.push({ kind: 'cut', afterBytes: 2400 });
    const { chunks, error } = await collect(tts().synthesize(SENTENCE, never()));
    expect(samples(chunks)).toBeLessThanOrEqual(2400);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });

  it('audio in a WAV container is refused (kind protocol): its header would play as a click', async () => {
    fake.speak.faults.push({ kind: 'wav' });
    const { chunks, error } = await collect(tts().synthesize('Hello.', never()));
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ kind: 'protocol', retryable: false });
  });

  it('an abort mid-stream stops the request: no more chunks, the server sees the client leave', async () => {
    const ac = new AbortController();
    const { chunks, error } = await collect(tts().synthesize(SENTENCE, ac.signal), () => ac.abort());
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(1);
    const req = lastRequest();
    expect((await req.closed).aborted).toBe(true);
    expect(req.bytesSent).toBeLessThan(SENTENCE.length * 60 * 8);
  });

  it('close() cancels what is in flight', async () => {
    const t = tts();
    const { chunks, error } = await collect(t.synthesize(SENTENCE, never()), () => void t.close());
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(1);
    expect((await lastRequest().closed).aborted).toBe(true);
  });
});

describe('the local Deepgram speaks /v1/speak as documented', () => {
  const post = (query: string, body: unknown = { text: 'Hi there' }) =>
    fetch(`${fake.baseUrl}/v1/speak${query}`, {
      method: 'POST',
      headers: { Authorization: `Token ${fake.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('without encoding or container answers the REST default: a WAV of 24 kHz linear16', async () => {
    const res = await post('?model=aura-2-thalia-en');
    expect(res.status).toBe(200);
    const wav = readWav(new Uint8Array(await res.arrayBuffer()));
    expect(wav.sampleRate).toBe(24000);
    expect(wav.channels[0]!.length).toBe(8 * 60 * 24); // 8 characters, 60 ms each
  });

  it('mulaw without container=none still comes in a WAV container (the audible click)', async () => {
    const res = await post('?encoding=mulaw&sample_rate=8000');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 4)).toString('ascii')).toBe('RIFF');
  });

  it('a body without text is refused with 400', async () => {
    const res = await post('?encoding=mulaw&sample_rate=8000&container=none', { words: 'x' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ err_code: 'INVALID_JSON' });
  });
});
