import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mulawToPcm } from '../../../src/audio/index.js';
import { ProviderError } from '../../../src/providers/llm/http.js';
import {
  createElevenLabsTts,
  describeElevenLabsError,
  type ElevenLabsTtsOptions,
} from '../../../src/providers/tts/elevenlabs.js';
import type { Logger } from '../../../src/shared/index.js';
import {
  fakeElevenLabsAudio,
  startFakeElevenLabs,
  type FakeElevenLabs,
} from '../../support/fake-elevenlabs.js';

let fake: FakeElevenLabs;
beforeAll(async () => {
  fake = await startFakeElevenLabs({ voices: ['voice-test'] });
});
afterAll(async () => fake.close());
afterEach(() => {
  fake.controls.clear();
  fake.requests.length = 0;
});

/** A logger that keeps every line, to check what was (and was not) written. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (obj: object, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  return { lines, debug: rec, info: rec, warn: rec, error: rec };
}

function tts(extra: Partial<ElevenLabsTtsOptions> = {}, log = recordingLogger()) {
  return createElevenLabsTts({
    settings: {
      apiKey: fake.apiKey,
      baseUrl: fake.baseUrl,
      voiceId: 'voice-test',
      modelId: 'eleven_flash_v2_5',
    },
    logger: log,
    readTimeoutMs: 2000,
    ...extra,
  });
}

async function collect(
  it: AsyncIterable<Int16Array>,
): Promise<{ chunks: Int16Array[]; samples: Int16Array; error: unknown }> {
  const chunks: Int16Array[] = [];
  let error: unknown;
  try {
    for await (const c of it) chunks.push(c);
  } catch (err) {
    error = err;
  }
  const samples = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    samples.set(c, at);
    at += c.length;
  }
  return { chunks, samples, error };
}

const never = () => new AbortController().signal;

describe('ElevenLabs TTS adapter', () => {
  it('is named elevenlabs and yields 8 kHz PCM', () => {
    const t = tts();
    expect(t.name).toBe('elevenlabs');
    expect(t.sampleRate).toBe(8000);
  });

  it('POSTs the streaming endpoint for ulaw_8000 with xi-api-key and {text, model_id}', async () => {
    const { error } = await collect(tts().synthesize('Hello there.', never()));
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/text-to-speech/voice-test/stream');
    expect(req?.query.output_format).toBe('ulaw_8000');
    expect(req?.headers['xi-api-key']).toBe(fake.apiKey);
    expect(req?.headers['content-type']).toMatch(/^application\/json/);
    expect(req?.body).toMatchObject({ text: 'Hello there.', model_id: 'eleven_flash_v2_5' });
  });

  it('decodes the mu-law bytes as they come, without resampling', async () => {
    const text = 'Thanks for calling, how can I help?';
    const { samples, chunks } = await collect(tts().synthesize(text, never()));
    const want = mulawToPcm(fakeElevenLabsAudio(text));
    expect(samples.length).toBe(want.length);
    expect(Array.from(samples)).toEqual(Array.from(want));
    // 35 characters at 60 ms is 2.1 s = 16800 bytes, sent in 800-byte chunks.
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('yields the first chunk before the server has finished sending', async () => {
    const slow = await startFakeElevenLabs({ chunkDelayMs: 40 });
    try {
      const t = createElevenLabsTts({
        settings: { apiKey: slow.apiKey, baseUrl: slow.baseUrl, voiceId: 'voice-test', modelId: 'm' },
        logger: recordingLogger(),
      });
      const text = 'A sentence long enough to take a while to stream out.';
      const total = fakeElevenLabsAudio(text).length;
      for await (const chunk of t.synthesize(text, never())) {
        expect(chunk.length).toBeGreaterThan(0);
        expect(slow.requests[0]?.bytesSent).toBeLessThan(total);
        break;
      }
    } finally {
      await slow.close();
    }
  });

  it('makes no request for empty text', async () => {
    const { chunks, error } = await collect(tts().synthesize('   ', never()));
    expect(chunks).toEqual([]);
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(0);
  });

  describe('failures are ProviderError, each from one request (no retries: the chain fails over)', () => {
    it('401 with a wrong key: readable message and code, and the key appears nowhere', async () => {
      const secret = 'sk_wrong_0123456789abcdef';
      const log = recordingLogger();
      const t = createElevenLabsTts({
        settings: { apiKey: secret, baseUrl: fake.baseUrl, voiceId: 'voice-test', modelId: 'm' },
        logger: log,
      });
      const { error } = await collect(t.synthesize('Hello.', never()));
      expect(error).toBeInstanceOf(ProviderError);
      const e = error as ProviderError;
      expect(e.kind).toBe('http');
      expect(e.status).toBe(401);
      expect(e.retryable).toBe(false);
      expect(e.code).toBe('invalid_api_key');
      expect(e.message).toBe('ElevenLabs TTS (m): HTTP 401: Invalid API key');
      expect(fake.requests).toHaveLength(1);
      expect(JSON.stringify({ m: e.message, s: e.stack })).not.toContain(secret);
      expect(log.lines.join('\n')).not.toContain(secret);
    });

    it('429 carries Retry-After and is retryable, yet is asked only once', async () => {
      fake.controls.fail({ kind: 'status', status: 429, retryAfterS: 3 });
      const { error } = await collect(tts().synthesize('Hello.', never()));
      const e = error as ProviderError;
      expect(e).toBeInstanceOf(ProviderError);
      expect(e.status).toBe(429);
      expect(e.retryable).toBe(true);
      expect(e.retryAfterMs).toBe(3000);
      expect(e.code).toBe('too_many_concurrent_requests');
      expect(e.message).toContain('HTTP 429: Too many concurrent requests');
      expect(fake.requests).toHaveLength(1);
    });

    it('500 is retryable and asked only once', async () => {
      fake.controls.fail({ kind: 'status', status: 500 });
      const { error } = await collect(tts().synthesize('Hello.', never()));
      expect(error).toMatchObject({ kind: 'http', status: 500, retryable: true });
      expect(fake.requests).toHaveLength(1);
    });

    it('a 502 whose JSON body is cut short keeps its status', async () => {
      fake.controls.fail({ kind: 'gateway-error' });
      const { error } = await collect(tts().synthesize('Hello.', never()));
      expect(error).toMatchObject({ kind: 'http', status: 502, retryable: true });
      expect((error as Error).message).toBe(
        'ElevenLabs TTS (eleven_flash_v2_5): HTTP 502: {"detail":{"status":"bad_gat',
      );
    });

    it('an unknown voice id is a 404 naming the voice', async () => {
      const t = createElevenLabsTts({
        settings: { apiKey: fake.apiKey, baseUrl: fake.baseUrl, voiceId: 'no-such-voice', modelId: 'm' },
        logger: recordingLogger(),
      });
      const { error } = await collect(t.synthesize('Hello.', never()));
      expect(error).toMatchObject({ kind: 'http', status: 404, code: 'voice_not_found' });
      expect((error as Error).message).toContain('A voice for the voice_id no-such-voice was not found.');
    });

    it('no response headers within the read timeout: timeout, and the request is closed', async () => {
      fake.controls.fail({ kind: 'stall-before-headers' });
      const started = performance.now();
      const { error } = await collect(tts({ readTimeoutMs: 300 }).synthesize('Hello.', never()));
      expect(error).toMatchObject({ kind: 'timeout', retryable: true });
      expect(performance.now() - started).toBeLessThan(3000);
      expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
    });

    it('headers but no audio within the read timeout: timeout', async () => {
      fake.controls.fail({ kind: 'stall-after-headers' });
      const { error, chunks } = await collect(tts({ readTimeoutMs: 300 }).synthesize('Hello.', never()));
      expect(chunks).toEqual([]);
      expect(error).toMatchObject({ kind: 'timeout' });
      expect((error as Error).message).toContain('timed out after 300 ms');
      expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
    });

    it('a first byte slower than usual but inside the read timeout is fine', async () => {
      fake.controls.fail({ kind: 'slow-first-byte', ms: 200 });
      const { error, samples } = await collect(tts({ readTimeoutMs: 2000 }).synthesize('Hi.', never()));
      expect(error).toBeUndefined();
      expect(samples.length).toBe(fakeElevenLabsAudio('Hi.').length);
    });

    it('a connection cut mid-body: the audio so far, then a network error', async () => {
      fake.controls.fail({ kind: 'cut-mid-body', afterBytes: 1600 });
      const { error, samples } = await collect(tts().synthesize('A longer sentence to cut.', never()));
      expect(samples.length).toBe(1600);
      expect(error).toMatchObject({ kind: 'network', retryable: true });
    });

    it('a server that is not there: network error', async () => {
      const gone = await startFakeElevenLabs();
      const baseUrl = gone.baseUrl;
      await gone.close();
      const t = createElevenLabsTts({
        settings: { apiKey: 'k', baseUrl, voiceId: 'voice-test', modelId: 'm' },
        logger: recordingLogger(),
      });
      const { error } = await collect(t.synthesize('Hello.', never()));
      expect(error).toMatchObject({ kind: 'network' });
      expect((error as Error).message).toContain('ECONNREFUSED');
    });
  });

  describe('abort', () => {
    it('mid-stream: no more chunks, no error, and the connection is closed', async () => {
      const ac = new AbortController();
      const chunks: Int16Array[] = [];
      for await (const c of tts().synthesize('A sentence long enough for several chunks.', ac.signal)) {
        chunks.push(c);
        ac.abort();
      }
      expect(chunks).toHaveLength(1);
      expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
    });

    it('while waiting for headers: ends at once without error', async () => {
      fake.controls.fail({ kind: 'stall-before-headers' });
      const ac = new AbortController();
      const run = collect(tts({ readTimeoutMs: 10_000 }).synthesize('Hello.', ac.signal));
      await fake.controls.waitForRequests(1);
      const at = performance.now();
      ac.abort();
      const { error, chunks } = await run;
      expect(error).toBeUndefined();
      expect(chunks).toEqual([]);
      expect(performance.now() - at).toBeLessThan(1000);
      expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
    });

    it('an already aborted signal makes no request', async () => {
      const ac = new AbortController();
      ac.abort();
      const { chunks, error } = await collect(tts().synthesize('Hello.', ac.signal));
      expect(chunks).toEqual([]);
      expect(error).toBeUndefined();
      expect(fake.requests).toHaveLength(0);
    });

    it('close() ends requests in flight', async () => {
      fake.controls.fail({ kind: 'stall-after-headers' });
      const t = tts({ readTimeoutMs: 10_000 });
      const run = collect(t.synthesize('Hello.', never()));
      await fake.controls.waitForRequests(1);
      await t.close();
      const { error } = await run;
      expect(error).toBeInstanceOf(ProviderError);
      expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
    });
  });

  describe('error bodies', () => {
    it('reads {"detail":{"status","message"}}', () => {
      expect(
        describeElevenLabsError({ detail: { status: 'quota_exceeded', message: 'Out of credits.' } }),
      ).toEqual({ message: 'Out of credits.', code: 'quota_exceeded' });
    });

    it("reads FastAPI's validation list", () => {
      const body = {
        detail: [{ loc: ['body', 'text'], msg: 'field required', type: 'value_error.missing' }],
      };
      expect(describeElevenLabsError(body)).toEqual({
        message: 'body.text: field required',
        code: 'validation_error',
      });
    });

    it('reads JSON given as text, and keeps plain text as it is', () => {
      expect(describeElevenLabsError('{"detail":"Not Found"}')).toEqual({
        message: 'Not Found',
        code: undefined,
      });
      expect(describeElevenLabsError(' Bad gateway \n')).toEqual({ message: 'Bad gateway', code: undefined });
    });
  });
});

describe('fake ElevenLabs server', () => {
  it('answers MP3 when output_format is missing (the vendor default), so a wrong request shows', async () => {
    const res = await fetch(`${fake.baseUrl}/v1/text-to-speech/voice-test/stream`, {
      method: 'POST',
      headers: { 'xi-api-key': fake.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Hello.', model_id: 'm' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0x49, 0x44, 0x33]); // "ID3"
    expect(Array.from(bytes.subarray(10, 12))).toEqual([0xff, 0xfb]); // MPEG-1 Layer III sync
  });

  it('refuses a request without a key as needs_authorization', async () => {
    const res = await fetch(`${fake.baseUrl}/v1/text-to-speech/voice-test/stream?output_format=ulaw_8000`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Hello.' }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ detail: { status: 'needs_authorization' } });
  });

  it('audio length grows with the text, ~60 ms per character', () => {
    expect(fakeElevenLabsAudio('a'.repeat(10)).length).toBe(4800);
    expect(fakeElevenLabsAudio('a'.repeat(20)).length).toBe(9600);
  });
});
