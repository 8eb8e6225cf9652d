import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  defaultReplier,
  mulawSilenceB64,
  mulawTone,
  startFakeRealtime,
  type FakeRealtime,
} from '../../support/fake-openai-realtime.js';

/**
 * The local Realtime server is the specification's stand-in in every realtime test, so it is
 * tested too: here with a bare WebSocket, speaking the GA protocol (PROTOCOLS.md 5, 5.5) by hand.
 */

const KEY = 'sk-fake-spec';
let fake: FakeRealtime;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  fake = await startFakeRealtime({ apiKey: KEY });
});
afterAll(async () => fake.close());
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
  fake.reply = defaultReplier;
  fake.transcripts.length = 0;
  fake.controls.stallResponses = false;
});

type Ev = { type: string; [k: string]: unknown };

function socketUrl(query = '?model=gpt-realtime'): string {
  return `${fake.baseUrl.replace(/^http/, 'ws')}/realtime${query}`;
}

async function dial(headers: Record<string, string> = {}, query?: string) {
  const ws = new WebSocket(socketUrl(query), { headers: { Authorization: `Bearer ${KEY}`, ...headers } });
  sockets.push(ws);
  const got: Ev[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d)) as Ev));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await once(ws, 'open');
  const of = (type: string) => got.filter((e) => e.type === type);
  return {
    ws,
    got,
    closed,
    of,
    send: (e: object) => ws.send(JSON.stringify(e)),
    /** The `n`-th event of a type, waiting for it. */
    next: async (type: string, n = 1): Promise<Ev> => {
      await expect.poll(() => of(type).length, { timeout: 5000 }).toBeGreaterThanOrEqual(n);
      return of(type)[n - 1]!;
    },
  };
}

/** What a bridge sends: mu-law both ways, transcription on, server VAD. */
const GA_SESSION = {
  type: 'realtime',
  output_modalities: ['audio'],
  instructions: 'Be brief.',
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
  tools: [{ type: 'function', name: 'lookup_order', description: 'Look up', parameters: { type: 'object' } }],
  tool_choice: 'auto',
};

async function gaSession(session: object = GA_SESSION) {
  const c = await dial();
  await c.next('session.created');
  c.send({ type: 'session.update', session });
  await c.next('session.updated');
  return c;
}

function speak(c: { send(e: object): void }, speechMs: number, silenceMs: number, amplitude = 0.3): void {
  for (let t = 0; t < speechMs; t += 20)
    c.send({ type: 'input_audio_buffer.append', audio: mulawTone(20, amplitude) });
  for (let t = 0; t < silenceMs; t += 20)
    c.send({ type: 'input_audio_buffer.append', audio: mulawSilenceB64(20) });
}

describe('handshake', () => {
  it('answers a wrong key with HTTP 401 and a JSON error', async () => {
    const ws = new WebSocket(socketUrl(), { headers: { Authorization: 'Bearer nope' } });
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(res.statusCode).toBe(401);
    let body = '';
    for await (const chunk of res) body += String(chunk);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'invalid_api_key' } });
    // A refused upgrade still reports its end as an 'error' event: heard here, not unhandled.
    ws.on('error', () => undefined);
    ws.terminate();
  });

  it('requires the model query parameter', async () => {
    const ws = new WebSocket(socketUrl(''), { headers: { Authorization: `Bearer ${KEY}` } });
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(400);
    ws.on('error', () => undefined);
    ws.terminate();
  });

  it('refuses the retired beta interface: error beta_api_shape_disabled, then close 4000', async () => {
    const c = await dial({ 'OpenAI-Beta': 'realtime=v1' });
    expect((await c.closed).code).toBe(4000);
    expect(c.got.map((e) => e.type)).toEqual(['error']);
    expect(c.got[0]).toMatchObject({
      error: { type: 'invalid_request_error', code: 'beta_api_shape_disabled' },
    });
  });

  it('starts with session.created (no conversation.created), in PCM 24 kHz until told otherwise', async () => {
    const c = await dial();
    const created = await c.next('session.created');
    expect(c.got[0]!.type).toBe('session.created');
    expect(created).toMatchObject({
      session: {
        type: 'realtime',
        model: 'gpt-realtime',
        audio: { output: { format: { type: 'audio/pcm', rate: 24000 } } },
      },
    });
    c.send({ type: 'session.update', session: GA_SESSION });
    await c.next('session.updated');
    expect(c.of('conversation.created')).toEqual([]);
  });
});

describe('session.update is validated as GA', () => {
  it('accepts the GA shape and answers with the full effective config', async () => {
    const c = await gaSession();
    expect(c.of('error')).toEqual([]);
    expect((await c.next('session.updated')).session).toMatchObject({
      instructions: 'Be brief.',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          turn_detection: { interrupt_response: false, create_response: true },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'marin', speed: 1 },
      },
      tool_choice: 'auto',
    });
  });

  it('refuses a preview-shaped update without session.type: missing_required_parameter', async () => {
    const c = await dial();
    c.send({
      type: 'session.update',
      event_id: 'evt_1',
      session: { turn_detection: { type: 'server_vad' }, input_audio_format: 'g711_ulaw', voice: 'alloy' },
    });
    expect(await c.next('error')).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'missing_required_parameter',
        param: 'session.type',
        event_id: 'evt_1',
      },
    });
    expect(c.of('session.updated')).toEqual([]);
  });

  it.each([
    ['input_audio_format', { input_audio_format: 'g711_ulaw' }, 'session.input_audio_format'],
    ['modalities', { modalities: ['text', 'audio'] }, 'session.modalities'],
    ['a top-level voice', { voice: 'alloy' }, 'session.voice'],
    ['temperature', { temperature: 0.8 }, 'session.temperature'],
    ['a beta turn_detection', { turn_detection: { type: 'server_vad' } }, 'session.turn_detection'],
    [
      'an unknown VAD field',
      { audio: { input: { turn_detection: { type: 'server_vad', eager: 1 } } } },
      'session.audio.input.turn_detection.eager',
    ],
  ])('refuses a preview field with type present (%s): unknown_parameter', async (_name, extra, param) => {
    const c = await dial();
    c.send({ type: 'session.update', session: { type: 'realtime', ...extra } });
    expect(await c.next('error')).toMatchObject({ error: { code: 'unknown_parameter', param } });
  });

  it('refuses a beta format name as an invalid value', async () => {
    const c = await dial();
    c.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'g711_ulaw' } } } },
    });
    expect(await c.next('error')).toMatchObject({ error: { code: 'invalid_value' } });
  });

  it('updates only the fields present', async () => {
    const c = await gaSession();
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Changed.' } });
    const updated = await c.next('session.updated', 2);
    expect(updated.session).toMatchObject({
      instructions: 'Changed.',
      audio: { output: { voice: 'marin' } },
    });
  });

  it('will not change the voice once the model has spoken', async () => {
    const c = await gaSession();
    c.send({ type: 'response.create' });
    await c.next('response.done');
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { output: { voice: 'cedar' } } } });
    expect(await c.next('error')).toMatchObject({ error: { code: 'cannot_update_voice' } });
  });
});

describe('audio in', () => {
  it('detects speech by energy, honouring the prefix padding and the silence duration', async () => {
    const c = await gaSession();
    for (let i = 0; i < 50; i++) c.send({ type: 'input_audio_buffer.append', audio: mulawSilenceB64(20) }); // 1 s
    speak(c, 500, 700);
    const started = await c.next('input_audio_buffer.speech_started');
    expect(started.audio_start_ms).toBe(1000 - 300);
    const stopped = await c.next('input_audio_buffer.speech_stopped');
    expect(stopped).toMatchObject({ audio_end_ms: 1500 + 500, item_id: started.item_id });
    const committed = await c.next('input_audio_buffer.committed');
    expect(committed.item_id).toBe(started.item_id);
    const order = c.got.map((e) => e.type);
    expect(order.indexOf('conversation.item.added')).toBeGreaterThan(
      order.indexOf('input_audio_buffer.committed'),
    );
  });

  it('ignores sound below the threshold', async () => {
    const c = await gaSession();
    speak(c, 600, 700, 0.003); // about -50 dBFS
    c.send({ type: 'input_audio_buffer.clear' });
    await c.next('input_audio_buffer.cleared');
    expect(c.of('input_audio_buffer.speech_started')).toEqual([]);
  });

  it('hears the same quiet sound when the threshold is low', async () => {
    const c = await gaSession({
      ...GA_SESSION,
      audio: {
        ...GA_SESSION.audio,
        input: { ...GA_SESSION.audio.input, turn_detection: { type: 'server_vad', threshold: 0.05 } },
      },
    });
    speak(c, 600, 700, 0.003);
    await c.next('input_audio_buffer.speech_stopped');
  });

  it('transcribes the caller only when audio.input.transcription is set', async () => {
    fake.transcripts.push('first', 'second');
    const on = await gaSession();
    speak(on, 300, 600);
    expect(await on.next('conversation.item.input_audio_transcription.completed')).toMatchObject({
      transcript: 'first',
    });

    const off = await gaSession({
      ...GA_SESSION,
      audio: { ...GA_SESSION.audio, input: { ...GA_SESSION.audio.input, transcription: null } },
    });
    speak(off, 300, 600);
    await off.next('response.done');
    expect(off.got.filter((e) => e.type.startsWith('conversation.item.input_audio_transcription'))).toEqual(
      [],
    );
    expect(fake.transcripts).toEqual(['second']);
  });

  it('commits by hand when turn detection is off, and refuses an empty buffer', async () => {
    const c = await gaSession({
      ...GA_SESSION,
      audio: { ...GA_SESSION.audio, input: { ...GA_SESSION.audio.input, turn_detection: null } },
    });
    c.send({ type: 'input_audio_buffer.commit' });
    expect(await c.next('error')).toMatchObject({ error: { code: 'input_audio_buffer_commit_empty' } });
    speak(c, 200, 0);
    c.send({ type: 'input_audio_buffer.commit' });
    await c.next('input_audio_buffer.committed');
    expect(c.of('input_audio_buffer.speech_started')).toEqual([]);
    expect(c.of('response.created')).toEqual([]); // no VAD: no automatic response
  });
});

describe('responses', () => {
  it('speaks in the output format: 24 kHz PCM16 when the bridge forgets audio/pcmu', async () => {
    const c = await gaSession({ type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } } } });
    fake.reply = () => ({ say: 'Hi there' });
    c.send({ type: 'response.create' });
    await c.next('response.done');
    const bytes = c
      .of('response.output_audio.delta')
      .reduce((n, e) => n + Buffer.from(String(e.delta), 'base64').length, 0);
    expect(bytes).toBe('Hi there'.length * 60 * 48); // 24 000 samples/s x 2 bytes
  });

  it('streams a say as the GA events, in order', async () => {
    const c = await gaSession();
    fake.reply = () => ({ say: 'Okay' });
    c.send({ type: 'response.create' });
    await c.next('response.done');
    const types = c.got.map((e) => e.type).filter((t) => t.startsWith('response.'));
    const firstDelta = types.indexOf('response.output_audio.delta');
    expect(types.slice(0, firstDelta)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-5)).toEqual([
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.done',
    ]);
    expect(await c.next('response.done')).toMatchObject({
      response: {
        status: 'completed',
        output: [{ type: 'message', role: 'assistant' }],
        usage: { output_tokens: 5 },
      },
    });
  });

  it('cancels on speech itself when interrupt_response is true (turn_detected)', async () => {
    const c = await gaSession({
      ...GA_SESSION,
      audio: {
        ...GA_SESSION.audio,
        input: {
          ...GA_SESSION.audio.input,
          turn_detection: { type: 'server_vad', interrupt_response: true },
        },
      },
    });
    fake.reply = () => ({ say: 'A long answer that the caller will talk over.' });
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta');
    speak(c, 200, 0);
    expect(await c.next('response.done')).toMatchObject({
      response: { status: 'cancelled', status_details: { reason: 'turn_detected' } },
    });
  });

  it('leaves the response alone on speech when interrupt_response is false', async () => {
    const c = await gaSession();
    fake.reply = () => ({ say: 'Short one.' });
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta');
    speak(c, 200, 0);
    expect(await c.next('response.done')).toMatchObject({ response: { status: 'completed' } });
  });

  it('calls only declared tools (an undeclared one gets a spoken answer instead)', async () => {
    const c = await gaSession();
    fake.reply = () => ({ tool: { name: 'not_declared', arguments: {} } });
    c.send({ type: 'response.create' });
    await c.next('response.done');
    expect(c.of('response.function_call_arguments.done')).toEqual([]);
    expect(c.of('response.output_audio.delta').length).toBeGreaterThan(0);
  });

  it('takes a function_call_output only for a known call_id, then answers about it', async () => {
    const c = await gaSession();
    fake.reply = (ctx) =>
      ctx.toolOutputs.length === 0
        ? { tool: { name: 'lookup_order', arguments: '{"id":"7"}' } }
        : defaultReplier(ctx);
    c.send({ type: 'response.create' });
    const done = await c.next('response.function_call_arguments.done');
    expect(done).toMatchObject({ name: 'lookup_order', arguments: '{"id":"7"}' });
    const deltas = c
      .of('response.function_call_arguments.delta')
      .map((e) => e.delta)
      .join('');
    expect(deltas).toBe('{"id":"7"}');
    await c.next('response.done');
    c.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_bogus', output: '{}' },
    });
    expect(await c.next('error')).toMatchObject({ error: { code: 'invalid_value', param: 'item.call_id' } });
    c.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: done.call_id, output: '{"status":"shipped"}' },
    });
    await c.next('conversation.item.done', 2); // the function_call, then its output
    c.send({ type: 'response.create' });
    expect(await c.next('response.output_audio_transcript.done', 1)).toMatchObject({
      transcript: 'Done: {"status":"shipped"}.',
    });
  });

  it('answers cancel with nothing active and a second response.create with their errors', async () => {
    const c = await gaSession();
    c.send({ type: 'response.cancel' });
    expect(await c.next('error')).toMatchObject({ error: { code: 'response_cancel_not_active' } });
    fake.reply = () => ({ say: 'Something long enough to still be going.' });
    c.send({ type: 'response.create' });
    c.send({ type: 'response.create' });
    expect(await c.next('error', 2)).toMatchObject({
      error: { code: 'conversation_already_has_active_response' },
    });
    c.send({ type: 'response.cancel' });
    expect(await c.next('response.done')).toMatchObject({
      response: { status: 'cancelled', status_details: { reason: 'client_cancelled' } },
    });
    expect(c.of('response.created')).toHaveLength(1);
  });

  it('truncates an assistant item, refusing to go past the audio produced', async () => {
    const c = await gaSession();
    fake.reply = () => ({ say: 'Twelve chars' }); // 720 ms
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    const itemId = (done.response as { output: { id: string }[] }).output[0]!.id;
    c.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 1000 });
    expect(await c.next('error')).toMatchObject({
      error: { code: 'invalid_value', message: 'Audio content of 720ms is already shorter than 1000ms' },
    });
    c.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 300 });
    expect(await c.next('conversation.item.truncated')).toMatchObject({ item_id: itemId, audio_end_ms: 300 });
    const session = fake.sessions.at(-1)!;
    expect(session.truncations).toEqual([{ itemId, audioEndMs: 300, heard: 'Twelv', cut: 'e chars' }]);
    expect(session.items.find((i) => i.id === itemId)!.text).toBe('Twelv');
  });

  it('never responds while responses are stalled, though it hears the caller', async () => {
    const c = await gaSession();
    fake.controls.stallResponses = true;
    speak(c, 300, 600);
    await c.next('input_audio_buffer.committed');
    c.send({ type: 'response.create' });
    c.send({ type: 'response.cancel' });
    expect(await c.next('error')).toMatchObject({ error: { code: 'response_cancel_not_active' } });
    expect(c.of('response.created')).toEqual([]);
  });
});

describe('items', () => {
  it('answers conversation.item.create with item.added then item.done, GA content names only', async () => {
    const c = await gaSession();
    c.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
    });
    await c.next('conversation.item.done');
    expect(c.got.slice(-2).map((e) => e.type)).toEqual(['conversation.item.added', 'conversation.item.done']);
    c.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'beta name' }] },
    });
    expect(await c.next('error')).toMatchObject({
      error: { code: 'invalid_value', param: 'item.content[0].type' },
    });
    expect(c.of('conversation.item.created')).toEqual([]);
  });
});

describe('faults and records', () => {
  it('records every client event, appends as sent', async () => {
    const c = await gaSession();
    const frames = [mulawTone(20), mulawSilenceB64(20)];
    for (const audio of frames) c.send({ type: 'input_audio_buffer.append', audio });
    c.ws.send(`{"type":"input_audio_buffer.append","audio":"${frames[0]}"}`); // the client's own shape
    const session = fake.sessions.at(-1)!;
    await expect.poll(() => session.appendCount).toBe(3);
    expect(session.appendedAudio).toEqual([...frames, frames[0]]);
    expect(session.clientEvents.map((e) => e.type)).toEqual(['session.update']);
  });

  it('sends errors and raw frames live to every open session', async () => {
    const a = await gaSession();
    const b = await gaSession();
    fake.controls.errorAll({ type: 'server_error', code: 'server_error', message: 'Oops.' });
    fake.controls.sendRawAll('{"type":"raw.frame"}');
    for (const c of [a, b]) {
      expect(await c.next('error')).toMatchObject({ error: { code: 'server_error' } });
      await c.next('raw.frame');
    }
  });

  it('closes or destroys every open session on demand', async () => {
    const a = await gaSession();
    fake.controls.closeAll(1011, 'going away');
    expect(await a.closed).toEqual({ code: 1011, reason: 'going away' });
    const b = await gaSession();
    fake.controls.destroyAll();
    expect((await b.closed).code).toBe(1006);
  });

  it('applies faults to the next connections in order', async () => {
    fake.controls.next({ kind: 'close', code: 4000, reason: 'bye', afterMs: 20 });
    fake.controls.next({ kind: 'silent' });
    const a = await dial();
    expect((await a.closed).code).toBe(4000);
    expect(a.got.map((e) => e.type)).toEqual(['session.created']);
    const b = await dial();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.got).toEqual([]);
    const c = await dial();
    await c.next('session.created');
  });
});
