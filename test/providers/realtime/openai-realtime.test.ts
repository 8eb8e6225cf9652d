import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/providers/llm/http.js';
import {
  connectOpenAiRealtime,
  type RealtimeConnection,
  type RealtimeServerEvent,
  type RealtimeSessionConfig,
} from '../../../src/providers/realtime/index.js';
import { parseServerFrame, realtimeUrl } from '../../../src/providers/realtime/openai-realtime.js';
import type { OpenAiSettings } from '../../../src/providers/cloud-settings.js';
import type { Logger } from '../../../src/shared/index.js';
import {
  defaultReplier,
  mulawSilenceB64,
  mulawTone,
  startFakeRealtime,
  type FakeRealtime,
} from '../../support/fake-openai-realtime.js';

const KEY = 'sk-test-realtime-0123456789';
let fake: FakeRealtime;
const open: RealtimeConnection[] = [];

beforeAll(async () => {
  fake = await startFakeRealtime({ apiKey: KEY });
});
afterAll(async () => fake.close());
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  fake.reply = defaultReplier;
  fake.transcripts.length = 0;
  fake.controls.stallResponses = false;
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
    (obj: object, msg?: string): void =>
      void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function settings(over: Partial<OpenAiSettings> = {}): OpenAiSettings {
  return {
    apiKey: KEY,
    baseUrl: fake.baseUrl,
    realtimeModel: 'gpt-realtime',
    realtimeVoice: 'marin',
    ...over,
  };
}

async function connect(
  over: Partial<OpenAiSettings> = {},
  opts: { signal?: AbortSignal; connectTimeoutMs?: number; log?: Logger } = {},
): Promise<RealtimeConnection> {
  const conn = await connectOpenAiRealtime({
    settings: settings(over),
    signal: opts.signal ?? new AbortController().signal,
    log: opts.log ?? recorder(),
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
  });
  open.push(conn);
  return conn;
}

const CONFIG: RealtimeSessionConfig = {
  instructions: 'You are the receptionist of Ace Plumbing.',
  voice: 'marin',
  turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
  tools: [
    {
      name: 'record_lead',
      description: 'Write down a caller who wants service',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  ],
};

/** Reads a connection's events (the one iteration) and finds them by type as they come. */
function reader(conn: RealtimeConnection) {
  const seen: RealtimeServerEvent[] = [];
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const e of conn.events) {
        seen.push(e);
        wake?.();
      }
    } catch (err) {
      failure = err;
    }
    ended = true;
    wake?.();
  })();
  const waitFor = async (test: () => boolean, what: string, ms = 5000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (ended) throw new Error(`events ended before ${what} (${String(failure)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms; saw ${seen.map((e) => e.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(left, 50));
      });
    }
  };
  return {
    seen,
    types: () => seen.map((e) => e.type),
    /** The `n`-th event of this type (1 = first), waiting for it. */
    async next<T extends RealtimeServerEvent['type']>(
      type: T,
      n = 1,
    ): Promise<Extract<RealtimeServerEvent, { type: T }>> {
      const of = () => seen.filter((e): e is Extract<RealtimeServerEvent, { type: T }> => e.type === type);
      await waitFor(() => of().length >= n, `${type} #${n}`);
      return of()[n - 1]!;
    },
    /** Resolves with the error the iteration threw (or undefined when it ended cleanly). */
    async end(): Promise<unknown> {
      await waitFor(() => ended, 'the end of the events');
      return failure;
    },
  };
}

/** A Twilio-like stream of 20 ms frames: `speechMs` of tone, then `silenceMs` of silence. */
function utterance(conn: RealtimeConnection, speechMs: number, silenceMs: number): string[] {
  const frames: string[] = [];
  for (let t = 0; t < speechMs; t += 20) frames.push(mulawTone(20));
  for (let t = 0; t < silenceMs; t += 20) frames.push(mulawSilenceB64(20));
  for (const f of frames) conn.appendAudio(f);
  return frames;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('connecting (GA only)', () => {
  it('dials base URL + /realtime as ws: with ?model=, a Bearer key and no OpenAI-Beta header', async () => {
    expect(realtimeUrl(settings({ baseUrl: 'https://api.example.test/v1/' })).href).toBe(
      'wss://api.example.test/v1/realtime?model=gpt-realtime',
    );
    const conn = await connect();
    const r = reader(conn);
    const created = await r.next('session.created');
    const session = fake.sessions.at(-1)!;
    expect(created.session.id).toBe(session.id);
    expect(session.model).toBe('gpt-realtime');
    expect(session.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(session.headers['openai-beta']).toBeUndefined();
    expect(r.types()[0]).toBe('session.created');
  });

  it('sends session.update in the GA shape, which the server accepts and reports back', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    const updated = await r.next('session.updated');
    const session = fake.sessions.at(-1)!;
    expect(session.errorsSent).toEqual([]);
    expect(session.eventsOf('session.update')[0]).toEqual({
      type: 'session.update',
      session: {
        type: 'realtime',
        model: 'gpt-realtime',
        output_modalities: ['audio'],
        instructions: CONFIG.instructions,
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-mini-transcribe', language: 'en' },
            turn_detection: {
              type: 'server_vad',
              threshold: 0.5,
              prefix_padding_ms: 300,
              silence_duration_ms: 500,
              create_response: true,
              interrupt_response: false,
            },
          },
          output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
        },
        tools: [{ type: 'function', ...CONFIG.tools[0] }],
        tool_choice: 'auto',
      },
    });
    expect(updated.session).toMatchObject({
      audio: { output: { format: { type: 'audio/pcmu' }, voice: 'marin' } },
      tools: [{ name: 'record_lead' }],
    });
  });

  it('configures semantic VAD with the bridge keeping interruptions to itself', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession({
      ...CONFIG,
      turnDetection: { type: 'semantic_vad', eagerness: 'high' },
      transcriptionModel: 'gpt-4o-transcribe',
    });
    await r.next('session.updated');
    expect(fake.sessions.at(-1)!.config.audio.input).toMatchObject({
      turn_detection: {
        type: 'semantic_vad',
        eagerness: 'high',
        create_response: true,
        interrupt_response: false,
      },
      transcription: { model: 'gpt-4o-transcribe', language: 'en' },
    });
  });

  it('refuses a wrong key at the handshake: HTTP 401, not retryable, the key in no message or log', async () => {
    const log = recorder();
    const err = await rejection(connect({ apiKey: 'sk-wrong-key-987654321' }, { log }));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'http', status: 401, retryable: false, code: 'invalid_api_key' });
    expect(String((err as Error).message)).not.toContain('sk-wrong-key-987654321');
    expect(JSON.stringify(log.lines)).not.toContain('sk-wrong-key');
  });

  it('passes on a 429 as retryable with the server’s Retry-After', async () => {
    fake.controls.next({ kind: 'http', status: 429, retryAfterSeconds: 7 });
    const err = await rejection(connect());
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 7000 });
  });

  it.each([
    [403, false],
    [500, true],
    [503, true],
  ])('reports HTTP %i at the handshake (retryable: %s)', async (status, retryable) => {
    fake.controls.next({ kind: 'http', status });
    expect(await rejection(connect())).toMatchObject({ kind: 'http', status, retryable });
  });

  it('reports an error event then close 4000 before session.created as not retryable, with its code', async () => {
    fake.controls.next({ kind: 'silent' });
    const p = connect();
    const session = await fake.nextSession();
    session.sendError({
      code: 'beta_api_shape_disabled',
      message: 'The Realtime Beta API is no longer supported.',
    });
    session.closeWith(4000, 'beta_api_shape_disabled');
    const err = await rejection(p);
    expect(err).toMatchObject({ kind: 'network', retryable: false, code: 'beta_api_shape_disabled' });
    expect((err as Error).message).toMatch(/4000/);
  });

  it('gives up with a timeout when session.created does not come', async () => {
    fake.controls.next({ kind: 'silent' });
    const started = Date.now();
    const err = await rejection(connect({}, { connectTimeoutMs: 300 }));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(3000);
    // The socket it gave up on is closed.
    await fake.sessions.at(-1)!.closed;
  });

  it('reports a server that closes before session.created (close code in the error)', async () => {
    fake.controls.next({ kind: 'close', code: 1011, reason: 'overloaded' });
    const err = await rejection(connect());
    expect(err).toMatchObject({ kind: 'network', retryable: true });
    expect((err as Error).message).toMatch(/1011 overloaded/);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const gone = await startFakeRealtime();
    const baseUrl = gone.baseUrl;
    await gone.close();
    expect(await rejection(connect({ baseUrl }))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('rejects with the signal’s reason when aborted while connecting', async () => {
    fake.controls.next({ kind: 'silent' });
    const ac = new AbortController();
    const p = connect({}, { signal: ac.signal, connectTimeoutMs: 5000 });
    await fake.nextSession();
    ac.abort(new Error('caller hung up'));
    expect(await rejection(p)).toMatchObject({ message: 'caller hung up' });
    await fake.sessions.at(-1)!.closed;
  });

  it('refuses at once a signal already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('already gone'));
    expect(await rejection(connect({}, { signal: ac.signal }))).toMatchObject({ message: 'already gone' });
  });
});

describe('audio and turns', () => {
  it('passes Twilio’s base64 payloads through byte for byte', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    const sent = Array.from({ length: 25 }, () => randomBytes(160).toString('base64'));
    for (const p of sent) conn.appendAudio(p);
    const session = fake.sessions.at(-1)!;
    await expect.poll(() => session.appendCount).toBe(25);
    expect(session.appendedAudio).toEqual(sent);
    expect(session.inputAudio().equals(Buffer.concat(sent.map((p) => Buffer.from(p, 'base64'))))).toBe(true);
  });

  it('delivers a whole turn as parsed events: VAD, the caller’s transcript, the spoken answer in mu-law', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    fake.transcripts.push('my basement is flooding');
    fake.reply = (ctx) => ({ say: `Sorry to hear: ${ctx.transcript}` });
    utterance(conn, 600, 1000); // 1 s of silence after the speech

    const started = await r.next('input_audio_buffer.speech_started');
    expect(started.audio_start_ms).toBe(0); // speech from 0, the 300 ms prefix clamps at the start
    const stopped = await r.next('input_audio_buffer.speech_stopped');
    expect(stopped.item_id).toBe(started.item_id);
    expect(stopped.audio_end_ms).toBeGreaterThanOrEqual(1100); // speech end + 500 ms of silence
    expect((await r.next('input_audio_buffer.committed')).item_id).toBe(started.item_id);
    const completed = await r.next('conversation.item.input_audio_transcription.completed');
    expect(completed).toMatchObject({ item_id: started.item_id, transcript: 'my basement is flooding' });
    const deltas = r.seen.filter((e) => e.type === 'conversation.item.input_audio_transcription.delta');
    expect(deltas.map((d) => d.delta).join('')).toBe('my basement is flooding');

    const created = await r.next('response.created');
    const added = await r.next('response.output_item.added');
    expect(added.item).toMatchObject({ type: 'message', role: 'assistant' });
    const done = await r.next('response.done');
    expect(done.response).toMatchObject({ id: created.response.id, status: 'completed' });
    const audio = r.seen.filter((e) => e.type === 'response.output_audio.delta');
    expect(audio.length).toBeGreaterThan(1);
    const bytes = audio.reduce((n, a) => n + Buffer.from(a.delta, 'base64').length, 0);
    const text = 'Sorry to hear: my basement is flooding';
    expect(bytes).toBe(text.length * 60 * 8); // 60 ms a character, 8 mu-law bytes a ms
    expect((await r.next('response.output_audio_transcript.done')).transcript).toBe(text);
    expect(r.types()).toContain('response.output_audio.done');
    expect((await r.next('rate_limits.updated')).rate_limits.map((l) => l.name)).toEqual([
      'requests',
      'tokens',
    ]);
  });

  it('keeps the turn whole through pauses shorter than silence_duration_ms', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession({
      ...CONFIG,
      turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 100, silenceDurationMs: 800 },
    });
    await r.next('session.updated');
    for (let i = 0; i < 10; i++) conn.appendAudio(mulawSilenceB64(20)); // 200 ms of silence first
    utterance(conn, 400, 400); // a 400 ms pause: less than 800
    utterance(conn, 400, 1000);
    const stopped = await r.next('input_audio_buffer.speech_stopped');
    expect((await r.next('input_audio_buffer.speech_started')).audio_start_ms).toBe(100); // 200 - prefix 100
    expect(stopped.audio_end_ms).toBeGreaterThanOrEqual(200 + 400 + 400 + 400 + 800);
    expect(r.seen.filter((e) => e.type === 'input_audio_buffer.speech_started')).toHaveLength(1);
  });

  it('runs a tool call: arguments, the output sent back, then the answer about it', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    fake.reply = (ctx) =>
      ctx.toolOutputs.length === 0
        ? { tool: { name: 'record_lead', arguments: { name: 'Dana' } } }
        : { say: `Saved ${ctx.toolOutputs[0]!.output}` };
    conn.createResponse();
    const call = await r.next('response.function_call_arguments.done');
    expect(call).toMatchObject({ name: 'record_lead', arguments: '{"name":"Dana"}' });
    await r.next('response.done');
    conn.sendToolOutput(call.call_id, '{"ok":true}');
    conn.createResponse();
    await r.next('response.done', 2);
    expect((await r.next('response.output_audio_transcript.done')).transcript).toBe('Saved {"ok":true}');
    expect(fake.sessions.at(-1)!.toolOutputs).toEqual([
      { callId: call.call_id, name: 'record_lead', output: '{"ok":true}' },
    ]);
  });

  it('speaks a one-off greeting from response.create instructions', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    let asked: string | undefined;
    fake.reply = (ctx) => {
      asked = ctx.instructions;
      return { say: 'Ace Plumbing, how can I help?' };
    };
    conn.createResponse({ instructions: 'Greet the caller.' });
    await r.next('response.done');
    expect(asked).toBe('Greet the caller.');
    expect(fake.sessions.at(-1)!.eventsOf('response.create')[0]).toEqual({
      type: 'response.create',
      response: { instructions: 'Greet the caller.' },
    });
  });

  it('cancels a response and truncates what the caller did not hear', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    const long = 'This is a long answer that takes several seconds to say out loud.';
    fake.reply = () => ({ say: long });
    conn.createResponse();
    const first = await r.next('response.output_audio.delta', 3); // 300 ms produced
    conn.cancelResponse();
    conn.truncate(first.item_id, 250.4);
    const done = await r.next('response.done');
    expect(done.response).toMatchObject({
      status: 'cancelled',
      status_details: { reason: 'client_cancelled' },
    });
    const truncated = await r.next('conversation.item.truncated');
    expect(truncated).toMatchObject({ item_id: first.item_id, audio_end_ms: 250 });
    const session = fake.sessions.at(-1)!;
    expect(session.eventsOf('conversation.item.truncate')[0]).toMatchObject({
      content_index: 0,
      audio_end_ms: 250,
    });
    // 60 ms a character: the caller heard 4 characters; the rest produced so far is cut.
    expect(session.truncations).toHaveLength(1);
    const [cut] = session.truncations;
    expect(cut).toMatchObject({ itemId: first.item_id, audioEndMs: 250, heard: long.slice(0, 4) });
    expect(cut!.cut.length).toBeGreaterThan(0);
    expect(long.startsWith(cut!.heard + cut!.cut)).toBe(true);
  });

  it('delivers the server’s recoverable errors as events and the session goes on', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    conn.cancelResponse(); // nothing active
    expect((await r.next('error')).error.code).toBe('response_cancel_not_active');
    conn.sendToolOutput('call_nobody', 'x');
    expect((await r.next('error', 2)).error.param).toBe('item.call_id');

    fake.reply = () => ({ say: 'A fairly long answer to keep the response active.' });
    conn.createResponse();
    const delta = await r.next('response.output_audio.delta');
    conn.createResponse(); // one is active
    expect((await r.next('error', 3)).error.code).toBe('conversation_already_has_active_response');
    await r.next('response.done');
    conn.truncate(delta.item_id, 60_000); // more than was produced
    expect((await r.next('error', 4)).error.message).toMatch(
      /^Audio content of \d+ms is already shorter than 60000ms$/,
    );

    fake.controls.errorAll({ type: 'server_error', code: 'server_error', message: 'Something went wrong.' });
    expect((await r.next('error', 5)).error.type).toBe('server_error');
    conn.updateSession(CONFIG);
    await r.next('session.updated', 2);
  });

  it('carries history into a session as GA message items', async () => {
    const conn = await connect();
    const r = reader(conn);
    conn.addMessage('user', 'Is the water heater covered?');
    conn.addMessage('assistant', 'Yes, it is.');
    await r.next('conversation.item.done', 2);
    const items = r.seen.filter((e) => e.type === 'conversation.item.added').map((e) => e.item.role);
    expect(items).toEqual(['user', 'assistant']);
    expect(fake.sessions.at(-1)!.items.map((i) => [i.role, i.text])).toEqual([
      ['user', 'Is the water heater covered?'],
      ['assistant', 'Yes, it is.'],
    ]);
    expect(fake.sessions.at(-1)!.errorsSent).toEqual([]);
  });
});

describe('failures during a session', () => {
  it('throws a network ProviderError from the iteration when the socket is cut', async () => {
    const conn = await connect();
    const r = reader(conn);
    await r.next('session.created');
    fake.sessions.at(-1)!.destroy();
    const err = await r.end();
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'network', retryable: true, code: '1006' });
  });

  it('names the close code, reason and last error when the server closes', async () => {
    const conn = await connect();
    const r = reader(conn);
    await r.next('session.created');
    const session = fake.sessions.at(-1)!;
    session.sendError({
      type: 'invalid_request_error',
      code: 'session_expired',
      message: 'Your session hit the maximum duration of 60 minutes.',
    });
    session.closeWith(4001, 'expired');
    const err = await r.end();
    expect(err).toMatchObject({ kind: 'network', retryable: false, code: 'session_expired' });
    expect((err as Error).message).toMatch(/4001 expired.*session_expired/);
  });

  it('closes after a planned delay as a fault of the next connection', async () => {
    fake.controls.next({ kind: 'destroy', afterMs: 50 });
    const conn = await connect();
    expect(await reader(conn).end()).toMatchObject({ kind: 'network' });
  });

  it('turns a malformed frame of a known type into a protocol error, without crashing', async () => {
    const conn = await connect();
    const r = reader(conn);
    await r.next('session.created');
    const session = fake.sessions.at(-1)!;
    session.sendRaw('{"type":"some.future_event","x":1}'); // unknown: ignored
    session.sendRaw('{"type":"response.output_audio.delta","response_id":"r","item_id":"i","delta":5}');
    const err = await r.end();
    expect(err).toMatchObject({ kind: 'protocol', retryable: false });
    expect((err as Error).message).toMatch(/response\.output_audio\.delta.*delta/);
    expect(r.types()).toEqual(['session.created']);
    expect((await session.closed).code).toBe(1002);
  });

  it('rejects the connection when session.created itself is malformed', async () => {
    fake.controls.next({ kind: 'silent' });
    const p = connect();
    (await fake.nextSession()).sendRaw('{"type":"session.created","session":"nope"}');
    expect(await rejection(p)).toMatchObject({ kind: 'protocol' });
  });

  it('parses frames: not JSON, no type, unknown type, known type', () => {
    expect(parseServerFrame('not json')).toMatchObject({ kind: 'protocol' });
    expect(parseServerFrame('{"no":"type"}')).toMatchObject({ kind: 'protocol' });
    expect(parseServerFrame('{"type":"response.content_part.added"}')).toBeUndefined();
    expect(
      parseServerFrame('{"type":"input_audio_buffer.speech_started","audio_start_ms":5,"item_id":"a"}'),
    ).toEqual({
      type: 'input_audio_buffer.speech_started',
      audio_start_ms: 5,
      item_id: 'a',
    });
  });
});

describe('closing', () => {
  it('close() is idempotent, closes with 1000 and ends the iteration cleanly', async () => {
    const conn = await connect();
    const r = reader(conn);
    await r.next('session.created');
    conn.close();
    conn.close();
    expect(await r.end()).toBeUndefined();
    expect((await fake.sessions.at(-1)!.closed).code).toBe(1000);
    conn.appendAudio(mulawSilenceB64(20)); // dropped, no throw
  });

  it('closes when the signal aborts after connecting', async () => {
    const ac = new AbortController();
    const conn = await connect({}, { signal: ac.signal });
    const r = reader(conn);
    await r.next('session.created');
    ac.abort();
    expect(await r.end()).toBeUndefined();
    expect((await fake.sessions.at(-1)!.closed).code).toBe(1000);
  });

  it('never logs the key', async () => {
    const log = recorder();
    const conn = await connect({}, { log });
    const r = reader(conn);
    conn.updateSession(CONFIG);
    await r.next('session.updated');
    fake.sessions.at(-1)!.sendError({ code: 'x', message: `echoing ${KEY}` });
    await r.next('error');
    fake.sessions.at(-1)!.destroy();
    await r.end();
    expect(log.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.lines)).not.toContain(KEY);
  });
});
