import { describe, expect, it } from 'vitest';
import type { Brain, ConversationContext, TurnInput } from '../../../src/agent/index.js';
import { businessProfileSchema } from '../../../src/business/profile.js';
import { ProviderError } from '../../../src/providers/llm/http.js';
import { CallSession } from '../../../src/voice/call-session.js';
import { DEFAULT_TURN_TAKING } from '../../../src/voice/turn-taking.js';
import { WordTts } from '../../support/voice-harness.js';
import { RealtimeHarness, SILENT_B64, SILENT_FRAME } from './support/realtime-harness.js';
import { spokenResponse } from './support/fake-connection.js';

/**
 * The Realtime call bridge, driven through an in-memory upstream and a fake Twilio leg on a fake
 * clock. Each test is named after the race or rule it pins down.
 */

const GREETING = 'Thanks for calling Acme Plumbing, how can I help?';

/** A greeted call whose greeting (`ms` of audio) has just started playing. */
async function greetedCall(ms = 2000, opts: ConstructorParameters<typeof RealtimeHarness>[0] = {}) {
  const h = new RealtimeHarness(opts);
  await h.open();
  await h.server(...spokenResponse('resp_g', 'item_g', GREETING, ms));
  return h;
}

describe('RealtimeSession: start', () => {
  it('configures the session, then has the business greeting spoken first, word for word', async () => {
    const h = new RealtimeHarness();
    await h.open();
    const types = h.conn.sent.map((s) => s.type);
    expect(types.slice(0, 2)).toEqual(['session.update', 'response.create']);
    const update = h.conn.of('session.update')[0]!.config;
    expect(update.turnDetection).toEqual({
      type: 'server_vad',
      threshold: 0.5,
      prefixPaddingMs: 300,
      silenceDurationMs: 500,
    });
    expect(update.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'search_knowledge',
        'save_lead',
        'raise_emergency',
        'transfer_to_human',
        'end_call',
      ]),
    );
    expect(h.conn.of('response.create')[0]!.instructions).toContain(`"${GREETING}"`);
    expect(h.events[0]!.type).toBe('call-started');
  });

  it('sends no caller audio up before session.updated (the input format is not set yet)', async () => {
    const h = new RealtimeHarness();
    h.session.start();
    h.session.onAudio(SILENT_FRAME, SILENT_B64);
    await h.server({ type: 'session.created', session: { id: 's' } });
    h.session.onAudio(SILENT_FRAME, SILENT_B64);
    expect(h.conn.of('append')).toEqual([]);
    await h.server({ type: 'session.updated', session: { id: 's' } });
    h.session.onAudio(SILENT_FRAME, SILENT_B64);
    expect(h.conn.of('append')).toHaveLength(1);
  });

  it("passes Twilio's base64 payload up unchanged (no decode, no re-encode)", async () => {
    const h = new RealtimeHarness();
    await h.open();
    const bytes = new Uint8Array(160).map((_, i) => (i * 7) & 0xff);
    const payload = Buffer.from(bytes).toString('base64');
    h.session.onAudio(bytes, payload);
    expect(h.conn.of('append').map((a) => a.audio)).toEqual([payload]);
  });
});

describe('RealtimeSession: agent audio', () => {
  it('plays the model mu-law as paced 20 ms frames with a mark per item, and ends the turn once its mark is heard', async () => {
    const h = await greetedCall(400);
    await h.run(1000);
    expect(h.wire.filter((w) => w.kind === 'media')).toHaveLength(20);
    expect(h.wire.some((w) => w.kind === 'mark')).toBe(true);
    const ended = h.ofType('agent-turn-ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.text).toBe(GREETING);
  });
});

describe('RealtimeSession: barge-in', () => {
  it('speech over the agent for 300 ms: clear to Twilio, cancel, truncate at the heard ms', async () => {
    const h = await greetedCall(3000);
    await h.run(800);
    await h.server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 500, item_id: 'u1' });
    await h.run(200);
    expect(h.clears()).toBe(0);
    expect(h.conn.of('response.cancel')).toEqual([]);
    await h.run(120);
    expect(h.clears()).toBe(1);
    expect(h.conn.of('response.cancel')).toHaveLength(1);
    const [t] = h.conn.of('truncate');
    expect(t!.itemId).toBe('item_g');
    // What the fake Twilio leg actually played of the item, within a frame or two.
    expect(Math.abs(t!.audioEndMs - h.framesPlayed * 20)).toBeLessThanOrEqual(40);
    const cut = h.ofType('agent-turn-interrupted')[0]!;
    expect(cut.reason).toBe('barge-in');
    expect(cut.heardText.length).toBeGreaterThan(0);
    expect(cut.heardText.length).toBeLessThan(GREETING.length);
    expect(GREETING.startsWith(cut.heardText)).toBe(true);
  });

  it('noise: speech that stops within 300 ms cuts nothing, and the greeting plays out', async () => {
    const h = await greetedCall(1000);
    await h.run(300);
    await h.server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 200, item_id: 'u1' });
    await h.run(200);
    await h.server({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 400, item_id: 'u1' });
    await h.run(1200);
    expect(h.clears()).toBe(0);
    expect(h.conn.of('response.cancel')).toEqual([]);
    expect(h.conn.of('truncate')).toEqual([]);
    expect(h.ofType('agent-turn-ended').map((e) => e.text)).toEqual([GREETING]);
  });

  it("the caller's words at 120 ms confirm the barge-in before 300 ms", async () => {
    const h = await greetedCall(3000);
    await h.run(600);
    await h.server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 400, item_id: 'u1' });
    await h.run(120);
    expect(h.clears()).toBe(0);
    await h.server({
      type: 'conversation.item.input_audio_transcription.delta',
      item_id: 'u1',
      delta: 'wait',
    });
    expect(h.clears()).toBe(1);
    expect(h.conn.of('truncate')).toHaveLength(1);
  });

  it('a short word whose transcript arrives after the speech stopped still cuts the agent', async () => {
    const h = await greetedCall(3000);
    await h.run(600);
    await h.server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 400, item_id: 'u1' });
    await h.run(200);
    await h.server({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 600, item_id: 'u1' });
    expect(h.clears()).toBe(0);
    await h.server({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: 'u1',
      transcript: 'Stop.',
    });
    expect(h.clears()).toBe(1);
  });

  it('truncate is never past the audio received for the item (all of it heard, more still coming)', async () => {
    const h = new RealtimeHarness();
    await h.open();
    const events = spokenResponse('resp_g', 'item_g', GREETING, 300);
    // The model is still producing: no output_audio.done, no response.done yet.
    await h.server(
      ...events.filter(
        (e) =>
          !['response.output_audio.done', 'response.done', 'response.output_audio_transcript.done'].includes(
            e.type,
          ),
      ),
    );
    await h.run(1000);
    await h.server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 900, item_id: 'u1' });
    await h.run(400);
    const [t] = h.conn.of('truncate');
    expect(t).toBeDefined();
    expect(t!.audioEndMs).toBeLessThanOrEqual(300);
    expect(t!.audioEndMs).toBeGreaterThanOrEqual(260);
    expect(h.conn.of('response.cancel')).toHaveLength(1);
  });

  it('late audio of a cancelled response is never played', async () => {
    const h = await greetedCall(3000);
    await h.run(600);
    await h.server({ type: 'input_audio_buffer.speech_started', audio_start_ms: 400, item_id: 'u1' });
    await h.run(400);
    const sent = h.wire.filter((w) => w.kind === 'media').length;
    await h.server(...spokenResponse('resp_g', 'item_g', GREETING, 1000).slice(3, 6));
    await h.run(400);
    expect(h.wire.filter((w) => w.kind === 'media').length).toBe(sent);
  });
});

describe('RealtimeSession: the caller, tools and emergencies', () => {
  it('stores both transcripts like any other call, with the turn latency voice to voice', async () => {
    const h = await greetedCall(400);
    await h.run(600);
    for (let i = 0; i < 40; i++) h.session.onAudio(SILENT_FRAME, SILENT_B64);
    await h.server(
      { type: 'input_audio_buffer.speech_started', audio_start_ms: 100, item_id: 'u1' },
      { type: 'input_audio_buffer.speech_stopped', audio_end_ms: 600, item_id: 'u1' },
      {
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: 'u1',
        transcript: 'Do you fix water heaters?',
      },
    );
    await h.run(100);
    await h.server(...spokenResponse('resp_2', 'item_2', 'Yes, we do.', 400));
    await h.run(800);
    await h.end();
    expect(h.store.turns.map((t) => [t.speaker, t.text])).toEqual([
      ['agent', GREETING],
      ['caller', 'Do you fix water heaters?'],
      ['agent', 'Yes, we do.'],
    ]);
    const latency = h.store.turns[2]!.latency!;
    expect(latency.sttFinalMs).toBeDefined();
    expect(latency.firstAudioMs).toBeGreaterThanOrEqual(latency.sttFinalMs!);
    expect(latency.firstFrameSentMs).toBeGreaterThanOrEqual(latency.firstAudioMs!);
    expect(h.events.at(-1)!.type).toBe('call-ended');
  });

  it('a tool call round trip: our code runs the tool, the output goes back, then response.create', async () => {
    const h = await greetedCall(200);
    await h.run(400);
    const before = h.conn.of('response.create').length;
    await h.server(
      { type: 'response.created', response: { id: 'resp_t', status: 'in_progress' } },
      {
        type: 'response.output_item.added',
        response_id: 'resp_t',
        item: { id: 'fc_1', type: 'function_call', name: 'save_lead', call_id: 'call_1' },
      },
      {
        type: 'response.function_call_arguments.done',
        response_id: 'resp_t',
        call_id: 'call_1',
        item_id: 'fc_1',
        name: 'save_lead',
        arguments: '{"name":"Ann Lee"}',
      },
      { type: 'response.done', response: { id: 'resp_t', status: 'completed', output: [] } },
    );
    await h.run(40);
    const [out] = h.conn.of('tool-output');
    expect(out!.callId).toBe('call_1');
    expect(JSON.parse(out!.output)).toMatchObject({ saved: ['name'] });
    expect(h.conn.of('response.create').length).toBe(before + 1);
    expect(h.conn.sent.indexOf(out!)).toBeLessThan(
      h.conn.sent.lastIndexOf(h.conn.of('response.create').at(-1)!),
    );
    expect(h.spy.leads[0]!.fields.name).toBe('Ann Lee');
    expect(h.ofType('lead')[0]!.fields).toEqual({ name: 'Ann Lee' });
  });

  it('the rules detector raises an emergency the model did not, and the model raising it later is not a second alert', async () => {
    const h = await greetedCall(200);
    await h.run(400);
    await h.server(
      { type: 'input_audio_buffer.speech_started', audio_start_ms: 100, item_id: 'u1' },
      { type: 'input_audio_buffer.speech_stopped', audio_end_ms: 1500, item_id: 'u1' },
      {
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: 'u1',
        transcript: 'My basement is flooding, water everywhere',
      },
    );
    await h.run(40);
    expect(h.spy.emergencies).toHaveLength(1);
    expect(h.spy.emergencies[0]!.category).toBe('flooding');
    expect(h.ofType('emergency')).toHaveLength(1);
    await h.server(
      { type: 'response.created', response: { id: 'resp_e' } },
      {
        type: 'response.function_call_arguments.done',
        response_id: 'resp_e',
        call_id: 'call_e',
        item_id: 'fc_e',
        name: 'raise_emergency',
        arguments: '{"category":"flooding","summary":"Basement flooding"}',
      },
    );
    await h.run(40);
    expect(h.spy.emergencies).toHaveLength(1);
    expect(JSON.parse(h.conn.of('tool-output')[0]!.output)).toMatchObject({ already_raised: true });
  });

  it('end_call: the agent hangs up only after its goodbye has played', async () => {
    const h = await greetedCall(200);
    await h.run(400);
    await h.server(
      { type: 'response.created', response: { id: 'resp_t' } },
      {
        type: 'response.function_call_arguments.done',
        response_id: 'resp_t',
        call_id: 'call_end',
        item_id: 'fc_1',
        name: 'end_call',
        arguments: '{"reason":"caller-goodbye"}',
      },
      { type: 'response.done', response: { id: 'resp_t', status: 'completed', output: [] } },
    );
    await h.run(40);
    await h.server(...spokenResponse('resp_bye', 'item_bye', 'Goodbye!', 600));
    await h.run(200);
    expect(h.hungUp).toBe(false);
    await h.run(1000);
    expect(h.hungUp).toBe(true);
    expect(h.ofType('agent-hangup')).toHaveLength(1);
  });
});

describe('RealtimeSession: failure falls back to the pipeline', () => {
  it('a stall after the caller finished: provider-switched, "One moment." and the pipeline answers with the history', async () => {
    const h = await greetedCall(200);
    await h.run(400);
    await h.server(
      { type: 'input_audio_buffer.speech_started', audio_start_ms: 100, item_id: 'u1' },
      { type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'u1' },
      {
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: 'u1',
        transcript: 'What are your hours?',
      },
    );
    await h.run(1400);
    expect(h.ofType('provider-switched')).toEqual([]);
    await h.run(200);
    const [sw] = h.ofType('provider-switched');
    expect(sw).toMatchObject({ kind: 'realtime', from: 'openai-realtime', to: 'pipeline' });
    expect(sw!.reason).toMatch(/stall/);
    const [handover] = h.handovers;
    expect(handover!.resume.next).toEqual({
      kind: 'answer',
      input: { kind: 'speech', text: 'What are your hours?' },
      say: 'One moment.',
    });
    expect(handover!.resume.turns.map((t) => t.text)).toEqual([GREETING, 'What are your hours?']);
    expect(h.conn.closed).toBe(true);
    // From now on the pipeline has the call.
    expect(h.takeoverCalls[0]).toBe('start');
    const appended = h.conn.of('append').length;
    h.takeoverCalls.length = 0;
    h.session.onAudio(SILENT_FRAME, SILENT_B64);
    h.session.onDtmf('5');
    expect(h.takeoverCalls).toEqual(['audio', 'dtmf 5']);
    expect(h.conn.of('append')).toHaveLength(appended);
    await h.end();
    expect(h.takeoverCalls.at(-1)).toBe('end stop');
    expect(h.ofType('call-ended')).toEqual([]);
  });

  it('an abrupt close while idle: the switch, no "One moment." (the caller is not waiting)', async () => {
    const h = await greetedCall(200);
    await h.run(600);
    h.conn.break(
      new ProviderError('OpenAI Realtime: the connection closed (1006)', {
        kind: 'network',
        retryable: true,
      }),
    );
    await h.run(20);
    const [sw] = h.ofType('provider-switched');
    expect(sw!.reason).toMatch(/closed: network/);
    expect(h.handovers[0]!.resume.next).toEqual({ kind: 'listen' });
  });

  it('a refused connect: the pipeline greets the caller itself', async () => {
    const h = new RealtimeHarness({
      connect: async () => {
        throw new ProviderError('OpenAI Realtime: handshake refused (401)', {
          kind: 'http',
          status: 401,
          retryable: false,
        });
      },
    });
    h.session.start();
    await h.run(20);
    expect(h.ofType('provider-switched')[0]!.reason).toMatch(/connect: .*401/);
    expect(h.handovers[0]!.resume.next).toEqual({ kind: 'greet' });
  });

  it('a fatal error event switches; a harmless one (cancel with nothing active) does not', async () => {
    const h = await greetedCall(200);
    await h.server({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'response_cancel_not_active',
        message: 'no active response',
      },
    });
    expect(h.ofType('provider-switched')).toEqual([]);
    await h.server({ type: 'error', error: { type: 'server_error', message: 'The server had an error' } });
    expect(h.ofType('provider-switched')).toHaveLength(1);
  });

  it('the connection dies mid-answer: the cut answer is stored with what was heard, and the caller is answered again', async () => {
    const h = await greetedCall(200);
    await h.run(400);
    await h.server(
      { type: 'input_audio_buffer.speech_started', audio_start_ms: 100, item_id: 'u1' },
      { type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'u1' },
      {
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: 'u1',
        transcript: 'Can someone come today?',
      },
      ...spokenResponse('resp_2', 'item_2', 'Yes, a technician can come this afternoon.', 3000),
    );
    await h.run(600);
    h.conn.break(
      new ProviderError('OpenAI Realtime: the connection closed (1006)', {
        kind: 'network',
        retryable: true,
      }),
    );
    await h.run(20);
    const cut = h.ofType('agent-turn-interrupted')[0]!;
    expect(cut.reason).toBe('failed');
    expect(cut.heardText.length).toBeGreaterThan(0);
    expect(h.clears()).toBe(1);
    expect(h.handovers[0]!.resume.next).toEqual({
      kind: 'answer',
      input: { kind: 'speech', text: 'Can someone come today?' },
      say: 'One moment.',
    });
  });

  it('a pipeline session takes over with the history: no second greeting, "One moment." then the answer', async () => {
    const seen: Array<{ turn: TurnInput; ctx: ConversationContext }> = [];
    const brain: Brain = {
      async *respond(turn, ctx) {
        seen.push({ turn, ctx });
        yield { type: 'say', text: 'We open at eight.' };
      },
    };
    const h: RealtimeHarness = new RealtimeHarness({
      takeOver: ({ resume }) =>
        new CallSession({
          transport: h.transport,
          hangup: () => undefined,
          tts: new WordTts(),
          brain,
          business: businessProfileSchema.parse({
            name: 'Acme Plumbing',
            timezone: 'America/New_York',
            hours: { weekly: {} },
          }),
          events: h.stream,
          log: { info: () => undefined, warn: () => undefined, error: () => undefined },
          turnTaking: DEFAULT_TURN_TAKING,
          playoutLeadMs: 100,
          clock: h.clock,
          resume,
        }),
    });
    await h.open();
    await h.server(...spokenResponse('resp_g', 'item_g', GREETING, 200));
    await h.run(400);
    await h.server(
      { type: 'input_audio_buffer.speech_started', audio_start_ms: 100, item_id: 'u1' },
      { type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'u1' },
      {
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: 'u1',
        transcript: 'When do you open?',
      },
    );
    await h.run(1600);
    expect(h.ofType('provider-switched')).toHaveLength(1);
    await h.run(3000);
    expect(seen.map((s) => s.turn)).toEqual([{ kind: 'speech', text: 'When do you open?' }]);
    // What the caller heard before the answer: the greeting, then the line said at the switch.
    expect(seen[0]!.ctx.transcript.map((t) => t.text)).toEqual([GREETING, 'One moment.']);
    await h.end();
    expect(h.store.turns.map((t) => [t.speaker, t.text])).toEqual([
      ['agent', GREETING],
      ['caller', 'When do you open?'],
      ['agent', 'One moment.'],
      ['agent', 'We open at eight.'],
    ]);
    expect(h.ofType('call-started')).toHaveLength(1);
    expect(h.ofType('call-ended')).toHaveLength(1);
    expect(h.events.at(-1)!.type).toBe('call-ended');
  });

  it('shutdown goodbye: what plays is cut, the goodbye is asked for once the cancelled answer is over, and it resolves once heard', async () => {
    const h = await greetedCall(3000);
    await h.run(400);
    let said = false;
    const goodbye = h.session
      .sayGoodbye('Sorry, we have to end the call. Goodbye.', 5000)
      .then(() => (said = true));
    await h.run(20);
    expect(h.clears()).toBe(1);
    // The greeting's response.done has come already: the goodbye is asked for at once.
    expect(h.conn.of('response.create').at(-1)!.instructions).toContain('Goodbye.');
    await h.server(
      ...spokenResponse('resp_bye', 'item_bye', 'Sorry, we have to end the call. Goodbye.', 600),
    );
    await h.run(300);
    expect(said).toBe(false);
    await h.run(800);
    await goodbye;
    expect(said).toBe(true);
    expect(h.ofType('goodbye')).toHaveLength(1);
  });
});
