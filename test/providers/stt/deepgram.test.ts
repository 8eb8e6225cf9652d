import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawToPcm, pcmToMulaw } from '../../../src/audio/index.js';
import type { DeepgramSettings } from '../../../src/providers/cloud-settings.js';
import { ProviderError } from '../../../src/providers/llm/http.js';
import { createDeepgramStt, type DeepgramSttOptions } from '../../../src/providers/stt/deepgram.js';
import type { SttEvent, SttStream } from '../../../src/providers/stt/stt.js';
import type { Logger } from '../../../src/shared/index.js';
import { startFakeDeepgram, type FakeDeepgram, type ListenSession } from '../../support/fake-deepgram.js';

let fake: FakeDeepgram;
beforeAll(async () => {
  fake = await startFakeDeepgram({ idleTimeoutMs: 10_000 });
});
afterAll(async () => fake.close());
afterEach(() => {
  expect(fake.errors).toEqual([]);
  fake.listen.transcripts.length = 0;
  fake.listen.faults.length = 0;
});

// ---- helpers -------------------------------------------------------------------------------------

const settings = (over: Partial<DeepgramSettings> = {}): DeepgramSettings => ({
  apiKey: fake.apiKey,
  baseUrl: fake.baseUrl,
  sttModel: 'nova-3',
  ttsModel: 'aura-2-thalia-en',
  ...over,
});

interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

function recorder(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function stt(over: Partial<DeepgramSttOptions> = {}) {
  const logger = recorder();
  const provider = createDeepgramStt({ settings: settings(), logger, ...over });
  return { provider, logger };
}

/** Reads a stream in the background: its events, how it ended. */
function read(stream: SttStream) {
  const events: SttEvent[] = [];
  const state: { done: boolean; error: unknown } = { done: false, error: undefined };
  const finished = (async () => {
    try {
      for await (const e of stream) events.push(e);
    } catch (err) {
      state.error = err;
    } finally {
      state.done = true;
    }
  })();
  return { events, state, finished };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Mu-law as Twilio would send it: a voice-loud 300 Hz tone. */
function speechBytes(ms: number): Uint8Array {
  const n = ms * 8;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000));
  return pcmToMulaw(pcm);
}

const silenceBytes = (ms: number) => new Uint8Array(ms * 8).fill(0xff);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Pushes mu-law as the listener does (decoded to PCM), in 20 ms frames. */
function pushMulaw(stream: SttStream, bytes: Uint8Array): void {
  for (let o = 0; o < bytes.length; o += 160) stream.push(mulawToPcm(bytes.subarray(o, o + 160)));
}

const types = (events: readonly SttEvent[]) => events.map((e) => e.type);
const lastSession = (): ListenSession => fake.listen.sessions[fake.listen.sessions.length - 1]!;

/** The session a stream just created (call it in the same tick as stream()). */
async function openSession(): Promise<ListenSession> {
  const before = fake.listen.sessions.length;
  await until(() => fake.listen.sessions.length > before, 'the session to open');
  return lastSession();
}

/** Until the adapter itself has the socket open (the fake sees the session a little earlier). */
const clientOpen = (logger: ReturnType<typeof recorder>) =>
  until(() => logger.lines.some((l) => l.msg === 'deepgram listen socket open'), 'the client side open');

function scripted(session: ListenSession, messages: unknown[]): void {
  for (const m of messages) session.sendRaw(typeof m === 'string' ? m : JSON.stringify(m));
}

const results = (
  transcript: string,
  f: { is_final: boolean; speech_final?: boolean; from_finalize?: boolean },
) => ({
  type: 'Results',
  channel_index: [0, 1],
  duration: 1,
  start: 0,
  is_final: f.is_final,
  speech_final: f.speech_final ?? false,
  from_finalize: f.from_finalize ?? false,
  channel: {
    alternatives: [
      { transcript, confidence: 0.9, words: [] },
      { transcript: `${transcript} too`, confidence: 0.4, words: [] },
    ],
  },
  metadata: { request_id: 'r-1', model_uuid: 'u', model_info: { name: 'nova-3', version: '1', arch: 'x' } },
});

async function failure(state: { done: boolean; error: unknown }): Promise<ProviderError> {
  await until(() => state.done, 'the stream to end');
  expect(state.error).toBeInstanceOf(ProviderError);
  return state.error as ProviderError;
}

// ---- the specification ---------------------------------------------------------------------------

describe('Deepgram live STT: a normal session', () => {
  it('is an engine-endpointing 8 kHz provider named deepgram', () => {
    const { provider } = stt();
    expect(provider.name).toBe('deepgram');
    expect(provider.sampleRate).toBe(8000);
    expect(provider.capabilities).toEqual({ turnEnd: 'engine', interimResults: true });
  });

  it('opens /v1/listen with the documented query and Token auth', async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const session = await openSession();
    expect(session.query).toEqual({
      model: 'nova-3',
      encoding: 'mulaw',
      sample_rate: '8000',
      channels: '1',
      interim_results: 'true',
      endpointing: '300',
      utterance_end_ms: '1000',
      vad_events: 'true',
      smart_format: 'true',
    });
    expect(session.headers.authorization).toBe(`Token ${fake.apiKey}`);
    stream.close();
    await session.closed;
  });

  it('turns speech into speech-started, interims, a final and one utterance-end, in order', async () => {
    fake.listen.transcripts.push('My basement is flooding.');
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    // Pushed at once, before the socket is even open: buffered, then sent on open.
    pushMulaw(stream, concat([silenceBytes(200), speechBytes(1500), silenceBytes(1600)]));
    await until(() => r.events.some((e) => e.type === 'utterance-end'), 'utterance-end');
    const session = lastSession();
    // Deepgram also sends UtteranceEnd after the speech_final: it must not end a second utterance.
    await until(() => session.sent.some((m) => m['type'] === 'UtteranceEnd'), 'UtteranceEnd from the fake');
    expect(session.sent.some((m) => m['type'] === 'Results' && m['speech_final'] === true)).toBe(true);
    stream.close();
    await r.finished;

    const seen = types(r.events);
    expect(seen[0]).toBe('speech-started');
    expect(seen.filter((t) => t === 'speech-started')).toHaveLength(1);
    expect(seen.filter((t) => t === 'interim').length).toBeGreaterThanOrEqual(2);
    expect(seen.slice(-2)).toEqual(['final', 'utterance-end']);
    expect(seen.filter((t) => t === 'utterance-end')).toHaveLength(1);
    const final = r.events.find((e) => e.type === 'final');
    expect(final).toEqual({
      type: 'final',
      track: 'inbound',
      text: 'My basement is flooding.',
      confidence: 0.97,
      alternatives: [{ text: 'My basement is flooding.', confidence: 0.97 }],
    });
    // Interims grow towards the final text and every event carries the track.
    const interims = r.events.filter((e) => e.type === 'interim');
    expect(interims.every((e) => 'My basement is flooding.'.startsWith(e.text))).toBe(true);
    expect(r.events.every((e) => e.track === 'inbound')).toBe(true);
    expect(r.state.error).toBeUndefined();
  });

  it("sends Twilio's mu-law bytes unchanged as binary frames (negative zero 0x7F arrives as 0xFF)", async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const every = new Uint8Array(256 * 20).map((_, i) => i % 256);
    const input = concat([speechBytes(400), every, silenceBytes(100)]);
    pushMulaw(stream, input);
    const session = await openSession();
    await until(() => session.audioBytes >= input.length, 'all audio');
    stream.close();
    await session.closed;
    expect(session.audioBytes).toBe(input.length);
    expect(session.binaryFrames).toBeGreaterThan(0);
    const expected = input.map((b) => (b === 0x7f ? 0xff : b));
    expect(Buffer.from(session.audio()).equals(Buffer.from(expected))).toBe(true);
    // Nothing but control messages went as text.
    expect(session.textFrames.map((t) => JSON.parse(t) as unknown)).toEqual([{ type: 'CloseStream' }]);
  });

  it('keeps at most maxBufferBytes of audio pushed before the socket opens, the newest', async () => {
    const { provider } = stt({ maxBufferBytes: 1600 });
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const input = concat([speechBytes(300), silenceBytes(200)]); // 4000 bytes, pushed before open
    pushMulaw(stream, input);
    const session = await openSession();
    await until(() => session.audioBytes >= 1600, 'the buffered audio');
    stream.close();
    await session.closed;
    expect(Buffer.from(session.audio()).equals(Buffer.from(input.subarray(input.length - 1600)))).toBe(true);
  });

  it("sends KeepAlive as a text frame while no audio goes, and so outlives Deepgram's idle timeout", async () => {
    const quick = await startFakeDeepgram({ idleTimeoutMs: 1500 });
    try {
      const provider = createDeepgramStt({
        settings: settings({ baseUrl: quick.baseUrl }),
        logger: recorder(),
        keepAliveMs: 300, // a KeepAlive may come up to 1.2 s late before the fake closes
      });
      const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
      const r = read(stream);
      await until(() => quick.listen.sessions.length === 1, 'the session');
      const session = quick.listen.sessions[0]!;
      await until(() => session.controls.filter((c) => c.type === 'KeepAlive').length >= 6, 'six KeepAlives');
      expect(session.open).toBe(true); // > 1500 ms without audio, still open
      expect(session.textFrames.slice(0, 6)).toEqual(Array(6).fill('{"type":"KeepAlive"}'));
      expect(session.binaryFrames).toBe(0);
      stream.close();
      await r.finished;
      expect(r.state.error).toBeUndefined();
    } finally {
      await quick.close();
    }
  });

  it('sends no KeepAlive while audio flows', async () => {
    const { provider } = stt({ keepAliveMs: 1000 });
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const session = await openSession();
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      pushMulaw(stream, silenceBytes(20));
      await new Promise((r) => setTimeout(r, 20));
    }
    stream.close();
    await session.closed;
    expect(session.controls.filter((c) => c.type === 'KeepAlive')).toEqual([]);
  });

  it('a pause inside a turn: Deepgram endpoints twice, each utterance with its own words', async () => {
    fake.listen.transcripts.push('Hi, I need a plumber. Can someone come today?');
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    pushMulaw(stream, concat([speechBytes(1000), silenceBytes(500), speechBytes(900), silenceBytes(1500)]));
    await until(() => r.events.filter((e) => e.type === 'utterance-end').length === 2, 'two utterance-ends');
    const session = lastSession();
    await until(() => session.sent.some((m) => m['type'] === 'UtteranceEnd'), 'UtteranceEnd');
    stream.close();
    await r.finished;
    const finals = r.events.filter((e) => e.type === 'final').map((e) => e.text);
    expect(finals).toEqual(['Hi, I need a plumber.', 'Can someone come today?']);
    expect(types(r.events).filter((t) => t !== 'interim')).toEqual([
      'speech-started',
      'final',
      'utterance-end',
      'speech-started',
      'final',
      'utterance-end',
    ]);
  });

  it('words the speech ran out before still come, as a last final before UtteranceEnd', async () => {
    fake.listen.transcripts.push('one two three four five six seven eight nine ten');
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    pushMulaw(stream, concat([speechBytes(500), silenceBytes(1500)]));
    await until(() => r.events.filter((e) => e.type === 'utterance-end').length === 2, 'two utterance-ends');
    stream.close();
    await r.finished;
    const finals = r.events.filter((e) => e.type === 'final').map((e) => e.text);
    expect(finals.join(' ')).toBe('one two three four five six seven eight nine ten');
    expect(finals.length).toBe(2);
  });

  it('flush() sends Finalize; what was heard comes as a final, then utterance-end', async () => {
    fake.listen.transcripts.push('I need a plumber today');
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    pushMulaw(stream, speechBytes(400)); // still speaking: no endpoint yet
    const session = await openSession();
    await until(() => session.audioBytes >= 3200, 'the audio');
    stream.flush();
    await until(() => r.events.some((e) => e.type === 'utterance-end'), 'utterance-end');
    expect(session.controls).toEqual([{ type: 'Finalize' }]);
    expect(session.sent.find((m) => m['from_finalize'] === true)).toBeDefined();
    expect(types(r.events).slice(-2)).toEqual(['final', 'utterance-end']);
    const final = r.events.find((e) => e.type === 'final') as Extract<SttEvent, { type: 'final' }>;
    expect(final.text).toBe('I need a plumber'); // 400 ms of speech: the words heard so far
    stream.close();
    await r.finished;
  });

  it('close() sends CloseStream, Deepgram closes 1000, and no event follows close()', async () => {
    fake.listen.transcripts.push('two words');
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    pushMulaw(stream, speechBytes(600));
    const session = await openSession();
    await until(() => r.events.some((e) => e.type === 'interim'), 'an interim');
    const before = r.events.length;
    stream.close();
    await r.finished;
    const closed = await session.closed;
    expect(closed.code).toBe(1000);
    expect(session.controls.at(-1)).toEqual({ type: 'CloseStream' });
    // Deepgram answered CloseStream with the final and Metadata; none of it reached the reader.
    expect(session.sent.some((m) => m['type'] === 'Results' && m['is_final'] === true)).toBe(true);
    expect(session.sent.at(-1)?.['type']).toBe('Metadata');
    expect(r.events.length).toBe(before);
    expect(r.state.error).toBeUndefined();
    stream.close(); // idempotent
  });

  it('close() on a session that no longer answers gives up after the grace period', async () => {
    fake.listen.faults.push({ kind: 'stall' });
    const { provider, logger } = stt({ closeGraceMs: 200 });
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    const session = await openSession();
    await clientOpen(logger);
    const t0 = Date.now();
    await provider.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    await r.finished;
    expect(session.controls).toEqual([{ type: 'CloseStream' }]);
    expect((await session.closed).code).toBe(1006); // no close frame from the fake: we cut it
  });

  it('an aborted signal closes the stream as close() does', async () => {
    const { provider, logger } = stt();
    const ac = new AbortController();
    const stream = provider.stream({ track: 'outbound', signal: ac.signal });
    const r = read(stream);
    const session = await openSession();
    await clientOpen(logger);
    ac.abort();
    await r.finished;
    expect(r.state.error).toBeUndefined();
    expect((await session.closed).code).toBe(1000);
    expect(session.controls).toEqual([{ type: 'CloseStream' }]);
  });

  it('provider close() closes every open stream', async () => {
    const { provider } = stt();
    const before = fake.listen.sessions.length;
    const a = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const b = provider.stream({ track: 'outbound', signal: new AbortController().signal });
    const ra = read(a);
    const rb = read(b);
    await until(() => fake.listen.sessions.length === before + 2, 'two sessions');
    const sessions = fake.listen.sessions.slice(before);
    await provider.close();
    await Promise.all([ra.finished, rb.finished]);
    for (const s of sessions) expect(s.open).toBe(false);
  });

  it('logs open and close at debug with the request id, and never the key', async () => {
    fake.listen.transcripts.push('hello there');
    const { provider, logger } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    pushMulaw(stream, concat([speechBytes(500), silenceBytes(400)]));
    const session = await openSession();
    await until(() => r.events.some((e) => e.type === 'utterance-end'), 'utterance-end');
    stream.close();
    await session.closed;
    await until(() => logger.lines.some((l) => l.msg?.includes('closed') === true), 'the close log line');
    const open = logger.lines.find((l) => l.msg === 'deepgram listen socket open');
    expect(open?.level).toBe('debug');
    expect(open?.obj).toMatchObject({ requestId: session.requestId });
    const closed = logger.lines.find((l) => l.msg === 'deepgram listen socket closed');
    expect(closed?.obj).toMatchObject({ requestId: session.requestId, code: 1000 });
    expect(JSON.stringify(logger.lines)).not.toContain(fake.apiKey);
  });
});

describe('Deepgram live STT: how results become events', () => {
  it('synthesizes speech-started, skips empty interims and finals, ends on UtteranceEnd after a final', async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    const session = await openSession();
    scripted(session, [
      results('', { is_final: false }), // silence
      results('I need', { is_final: false }),
      results('I need a', { is_final: false }),
      results('I need a quote', { is_final: true }), // final, not yet the end
      results('', { is_final: true }), // empty final: skipped
      { type: 'SomethingNew', x: 1 }, // unknown type: ignored
      { type: 'UtteranceEnd', channel: [0, 1], last_word_end: 1.2 },
      { type: 'UtteranceEnd', channel: [0, 1], last_word_end: 1.3 }, // no final since: ignored
    ]);
    await until(() => r.events.some((e) => e.type === 'utterance-end'), 'utterance-end');
    await new Promise((res) => setTimeout(res, 100));
    expect(r.events).toEqual([
      { type: 'speech-started', track: 'inbound' },
      { type: 'interim', track: 'inbound', text: 'I need', confidence: 0.9 },
      { type: 'interim', track: 'inbound', text: 'I need a', confidence: 0.9 },
      {
        type: 'final',
        track: 'inbound',
        text: 'I need a quote',
        confidence: 0.9,
        alternatives: [
          { text: 'I need a quote', confidence: 0.9 },
          { text: 'I need a quote too', confidence: 0.4 },
        ],
      },
      { type: 'utterance-end', track: 'inbound' },
    ]);
    stream.close();
    await r.finished;
  });

  it('SpeechStarted is the start; speech_final ends the utterance and a later UtteranceEnd adds nothing', async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    const session = await openSession();
    scripted(session, [
      { type: 'SpeechStarted', channel: [0, 1], timestamp: 0.5 },
      { type: 'SpeechStarted', channel: [0, 1], timestamp: 0.9 }, // same utterance
      results('Yes', { is_final: true, speech_final: true }),
      { type: 'UtteranceEnd', channel: [0, 1], last_word_end: 1.0 },
      results('and', { is_final: false }), // the next utterance: speech-started is synthesized
      results('and tomorrow', { is_final: true, speech_final: true }),
    ]);
    await until(() => r.events.filter((e) => e.type === 'utterance-end').length === 2, 'two utterance-ends');
    expect(types(r.events)).toEqual([
      'speech-started',
      'final',
      'utterance-end',
      'speech-started',
      'interim',
      'final',
      'utterance-end',
    ]);
    stream.close();
    await r.finished;
  });

  it('a Results message without "channel" is a protocol error', async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    const session = await openSession();
    scripted(session, [results('fine', { is_final: false }), { type: 'Results', is_final: true }]);
    const err = await failure(r.state);
    expect(err.kind).toBe('protocol');
    expect(err.message).toContain('Results');
    expect(types(r.events)).toEqual(['speech-started', 'interim']); // what came before is delivered
  });

  it("Deepgram's Error message fails the stream (kind api)", async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    const session = await openSession();
    scripted(session, [{ type: 'Error', variant: 'SchemaError', description: 'bad message' }]);
    const err = await failure(r.state);
    expect(err.kind).toBe('api');
    expect(err.message).toContain('bad message');
  });
});

describe('Deepgram live STT: failures make the iteration throw a ProviderError', () => {
  it('401 at the handshake: status 401, not retryable, the key nowhere in the message', async () => {
    const { provider, logger } = stt({ settings: settings({ apiKey: 'dg-wrong-key-123' }) });
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const err = await failure(r.state);
    expect(err).toMatchObject({ kind: 'http', status: 401, retryable: false, code: 'INVALID_AUTH' });
    expect(err.message).toContain('Invalid credentials');
    expect(err.message).not.toContain('dg-wrong-key-123');
    expect(JSON.stringify(logger.lines)).not.toContain('dg-wrong-key-123');
    expect(fake.listen.handshakes.at(-1)?.status).toBe(401);
  });

  it('429 at the handshake: retryable, with Retry-After in ms', async () => {
    fake.listen.faults.push({ kind: 'reject', status: 429, retryAfterS: 7 });
    const { provider } = stt();
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const err = await failure(r.state);
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 7000 });
  });

  it('5xx at the handshake: retryable', async () => {
    fake.listen.faults.push({ kind: 'reject', status: 503 });
    const { provider } = stt();
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    expect(await failure(r.state)).toMatchObject({ kind: 'http', status: 503, retryable: true });
  });

  it('a socket that does not open within connectTimeoutMs: kind timeout', async () => {
    fake.listen.faults.push({ kind: 'hang' });
    const { provider } = stt({ connectTimeoutMs: 300 });
    const t0 = Date.now();
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const err = await failure(r.state);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(err.message).toContain('300 ms');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a connection refused: kind network', async () => {
    const provider = createDeepgramStt({
      settings: settings({ baseUrl: 'http://127.0.0.1:9' }),
      logger: recorder(),
    });
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    expect(await failure(r.state)).toMatchObject({ kind: 'network', retryable: true });
  });

  it('the socket cut mid-utterance without a close frame: kind network, code 1006, after the events so far', async () => {
    fake.listen.transcripts.push('there is water everywhere');
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    pushMulaw(stream, speechBytes(700));
    const session = await openSession();
    await until(() => r.events.some((e) => e.type === 'interim'), 'an interim');
    session.kill();
    const err = await failure(r.state);
    expect(err).toMatchObject({ kind: 'network', retryable: true });
    expect(err.message).toContain('1006');
    expect(types(r.events)).toContain('speech-started');
    // Audio after the failure is dropped quietly; close() after it is harmless.
    stream.push(new Int16Array(160));
    stream.close();
  });

  it("Deepgram's NET-0001 close (no audio, no KeepAlive): kind network with code and reason", async () => {
    const quick = await startFakeDeepgram({ idleTimeoutMs: 300 });
    try {
      const provider = createDeepgramStt({
        settings: settings({ baseUrl: quick.baseUrl }),
        logger: recorder(),
        keepAliveMs: 60_000,
      });
      const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
      const err = await failure(r.state);
      expect(err.kind).toBe('network');
      expect(err.message).toContain('1011');
      expect(err.message).toContain('NET-0001');
    } finally {
      await quick.close();
    }
  });

  it('a close 1000 that we did not ask for (no CloseStream): kind network', async () => {
    const { provider } = stt();
    const stream = provider.stream({ track: 'inbound', signal: new AbortController().signal });
    const r = read(stream);
    const session = await openSession();
    session.closeWith(1000, '');
    const err = await failure(r.state);
    expect(err.kind).toBe('network');
    expect(err.message).toContain('1000');
  });

  it('a close fault on the next connection after some time: kind network with the reason', async () => {
    fake.listen.faults.push({ kind: 'close', code: 1011, reason: 'NET-0000: internal error', afterMs: 100 });
    const { provider } = stt();
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const err = await failure(r.state);
    expect(err.message).toContain('1011');
    expect(err.message).toContain('NET-0000');
  });

  it('a message that is not JSON: kind protocol', async () => {
    fake.listen.faults.push({ kind: 'malformed', afterMs: 50 });
    const { provider } = stt();
    const r = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const err = await failure(r.state);
    expect(err.kind).toBe('protocol');
    expect(err.message).toContain('not JSON');
  });

  it('killAllSessions() ends every open stream with a failure (Deepgram died mid-call)', async () => {
    const { provider } = stt();
    const before = fake.listen.sessions.length;
    const a = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const b = read(provider.stream({ track: 'outbound', signal: new AbortController().signal }));
    await until(() => fake.listen.sessions.length === before + 2, 'two sessions');
    fake.killAllSessions();
    expect((await failure(a.state)).kind).toBe('network');
    expect((await failure(b.state)).kind).toBe('network');
    expect(fake.openSessions()).toEqual([]);
  });
});

describe('the local Deepgram speaks /v1/listen as documented', () => {
  it('setDown(): new connections are cut (kind network); close() never hangs, whatever is pending', async () => {
    const other = await startFakeDeepgram();
    const provider = createDeepgramStt({
      settings: settings({ baseUrl: other.baseUrl }),
      logger: recorder(),
      connectTimeoutMs: 10_000, // the hanging handshake ends by close(), not by this
    });
    other.listen.faults.push({ kind: 'stall' }, { kind: 'hang' });
    other.speak.faults.push({ kind: 'hang' });
    const open = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    const hanging = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    await until(() => other.listen.handshakes.length === 2, 'two handshakes');
    const speak = fetch(`${other.baseUrl}/v1/speak?encoding=mulaw`, {
      method: 'POST',
      headers: { Authorization: `Token ${other.apiKey}`, 'Content-Type': 'application/json' },
      body: '{"text":"hi"}',
    }).catch((err: unknown) => err);
    await until(() => other.speak.requests.length === 1, 'the speak request');
    other.setDown(true);
    const refused = read(provider.stream({ track: 'inbound', signal: new AbortController().signal }));
    expect(await failure(refused.state)).toMatchObject({ kind: 'network' });
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await failure(open.state)).kind).toBe('network');
    expect((await failure(hanging.state)).kind).toBe('network');
    expect(await speak).toBeInstanceOf(Error);
  });

  const url = (q: string) => `${fake.baseUrl.replace('http:', 'ws:')}/v1/listen?${q}`;
  const auth = () => ({ headers: { Authorization: `Token ${fake.apiKey}` } });

  function refusal(ws: WebSocket): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => {});
    });
  }

  it('raw audio without encoding and sample_rate is refused with 400', async () => {
    const { status, body } = await refusal(new WebSocket(url('model=nova-3'), auth()));
    expect(status).toBe(400);
    expect(body).toContain('encoding');
  });

  it('no Token is refused with 401 and INVALID_AUTH', async () => {
    const { status, body } = await refusal(new WebSocket(url('encoding=mulaw&sample_rate=8000')));
    expect(status).toBe(401);
    expect(JSON.parse(body)).toMatchObject({ err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' });
  });

  it('a text frame that is not a control message is closed 1008 DATA-0000', async () => {
    const ws = new WebSocket(url('encoding=mulaw&sample_rate=8000'), auth());
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{"type":"Hello"}');
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toContain('DATA-0000');
  });

  it('CloseStream: Metadata with the request id, then close 1000', async () => {
    const ws = new WebSocket(url('encoding=mulaw&sample_rate=8000'), auth());
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, unknown>));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(silenceBytes(400));
    ws.send(JSON.stringify({ type: 'CloseStream' }));
    expect(await closed).toBe(1000);
    expect(messages.at(-1)).toMatchObject({
      type: 'Metadata',
      request_id: lastSession().requestId,
      duration: 0.4,
    });
  });
});
