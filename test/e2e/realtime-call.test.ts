import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { espeakCallerAudio } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimEvent, type SimulationReport } from '../../src/sim/simulated-call.js';
import { BusinessesRepo } from '../../src/store/index.js';
import { mulawTone, startFakeRealtime, type FakeRealtime } from '../support/fake-openai-realtime.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A whole call on VOICE_MODE=realtime: the server bridges the simulated Twilio call to a local
 * server speaking the OpenAI Realtime GA protocol. The caller is greeted, answered and talks over
 * the answer (Twilio gets `clear`, the upstream a cancel and a truncate at what the caller heard),
 * and both sides are stored. When the upstream dies mid-call, the pipeline finishes the call and
 * the switch is a stored call event.
 */
const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const GREETING_RE = /"([^"]+)"/;
const LONG_ANSWER =
  'We are open Monday to Friday from eight in the morning to six in the evening, and on Saturday from nine to one, and we are closed on Sunday.';

let server: TestServer | undefined;
let fake: FakeRealtime | undefined;

afterEach(async () => {
  await server?.stop();
  await fake?.close();
  server = fake = undefined;
});

async function start(voiceMode: 'realtime' | 'pipeline' = 'realtime'): Promise<TestServer> {
  // 30 ms of audio per character: the demo business's greeting takes about 5 s.
  fake = await startFakeRealtime({ msPerChar: 30 });
  // A model that does as it is told: the greeting word for word, a long answer, a short one.
  fake.reply = (ctx) => {
    if (ctx.instructions !== undefined) return { say: GREETING_RE.exec(ctx.instructions)?.[1] ?? 'Hello.' };
    if (/hours/i.test(ctx.transcript)) return { say: LONG_ANSWER };
    return { say: 'Yes, we fix water heaters.' };
  };
  server = await startTestServer({
    VOICE_MODE: voiceMode,
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.baseUrl,
  });
  return server;
}

/** Caller audio the local GA server's energy VAD hears: espeak when installed, else a tone. */
const callerAudio = hasEspeak
  ? espeakCallerAudio('en-us+m3', 160)
  : async (turn: { say?: string }) =>
      new Uint8Array(Buffer.from(mulawTone(Math.max(600, (turn.say ?? '').length * 50)), 'base64'));

const storedEvents = (report: SimulationReport) =>
  ((report.serverCall as { call?: { events?: Array<{ type: string; payload: Record<string, unknown> }> } })
    ?.call?.events ?? []) as Array<{ type: string; payload: Record<string, unknown> }>;

describe('a call on the OpenAI Realtime API (local GA server)', () => {
  it('is greeted, answered and interrupted (clear, cancel, truncate at the heard ms), with both transcripts stored', async () => {
    const s = await start();
    fake!.transcripts.push('What are your hours?', 'Do you fix water heaters?');
    const report = await simulateCall(
      parseCallScript({
        turns: [{ say: 'What are your hours?' }, { say: 'Do you fix water heaters?', bargeInAfterMs: 1500 }],
        hangupAfterMs: 300,
      }),
      { baseUrl: s.baseUrl, authToken: s.app.twilioAuthToken, apiKey: s.app.apiKey, callerAudio },
    );
    expect(report.protocolErrors).toEqual([]);
    expect(report.oddFrames).toBe(0);
    const session = fake!.sessions[0]!;
    // GA only, mu-law both ways, and the caller's audio went up exactly as Twilio sent it.
    const update = session.eventsOf('session.update')[0] as unknown as {
      session: { audio: { input: { format: unknown } } };
    };
    expect(update.session.audio.input.format).toEqual({ type: 'audio/pcmu' });
    expect(session.inputAudio().length).toBeGreaterThan(0);
    expect(session.inputAudio().length % 160).toBe(0);

    // Greeted first, word for word (the business's greeting as the demo business has it).
    const first = session.eventsOf('response.create')[0] as { response?: { instructions?: string } };
    const greeting = GREETING_RE.exec(first.response?.instructions ?? '')?.[1];
    expect(greeting).toBeTruthy();

    // Interrupted: clear to Twilio, cancel and truncate upstream, at what the caller heard.
    const barge = report.turns[1]!;
    expect(barge.bargeIn).toBe(true);
    expect(barge.clearAfterMs).toBeDefined();
    expect(session.eventsOf('response.cancel').length).toBeGreaterThanOrEqual(1);
    const [truncate] = session.eventsOf('conversation.item.truncate') as unknown as Array<{
      audio_end_ms: number;
    }>;
    expect(truncate).toBeDefined();
    const clear = report.events.find((e) => e.type === 'clear-received')!;
    const playedFrom = report.events
      .filter((e: SimEvent) => e.type === 'agent-audio-start' && e.t <= clear.t)
      .at(-1)!;
    // The caller heard the answer from its first played frame to the clear: within a frame or
    // two (and the simulator's own 20 ms tick), generous on a shared machine.
    expect(Math.abs(truncate!.audio_end_ms - (clear.t - playedFrom.t))).toBeLessThanOrEqual(60);

    // Both sides stored, the cut answer with what was heard of it.
    const t = report.transcript ?? [];
    expect(t.filter((x) => x.speaker === 'caller').map((x) => x.text)).toEqual([
      'What are your hours?',
      'Do you fix water heaters?',
    ]);
    const agent = t.filter((x) => x.speaker === 'agent');
    expect(agent[0]!.text).toBe(greeting);
    const cut = agent.find((x) => x.interrupted)!;
    expect(cut.text).toBe(LONG_ANSWER);
    expect(cut.heardText!.length).toBeGreaterThan(0);
    expect(cut.heardText!.length).toBeLessThan(cut.text.length);
    expect(cut.text.startsWith(cut.heardText!)).toBe(true);
    expect(agent.at(-1)!.text).toBe('Yes, we fix water heaters.');
    // Turn latency stored with the call, voice to voice, named after the provider.
    const stored = (
      report.serverCall as { call: { turns: Array<{ latency: Record<string, unknown> | null }> } }
    ).call.turns;
    const latency = stored.map((x) => x.latency).find((l) => l && l['firstFrameSentMs'] !== undefined);
    expect(latency).toMatchObject({ providers: { stt: 'openai-realtime', tts: 'openai-realtime' } });
    expect(storedEvents(report).some((e) => e.type === 'provider-switched')).toBe(false);
  }, 90_000);

  it.skipIf(!hasEspeak)(
    'the upstream dies mid-call: the pipeline finishes the call, and the switch is stored',
    async () => {
      const s = await start();
      fake!.transcripts.push('Hello?');
      // The session's connection is cut (no close frame) 7 s after it opened: after the greeting,
      // while the caller is quiet.
      fake!.controls.next({ kind: 'destroy', afterMs: 7000 });
      const report = await simulateCall(
        parseCallScript({
          turns: [{ silenceMs: 3000 }, { say: 'What are your hours?' }],
          hangupAfterMs: 300,
        }),
        { baseUrl: s.baseUrl, authToken: s.app.twilioAuthToken, apiKey: s.app.apiKey, callerAudio },
      );
      expect(report.protocolErrors).toEqual([]);
      const switched = storedEvents(report).find((e) => e.type === 'provider-switched');
      expect(switched?.payload).toMatchObject({ kind: 'realtime', from: 'openai-realtime', to: 'pipeline' });
      // After the switch the offline pipeline heard the caller and answered.
      const t = report.transcript ?? [];
      expect(t.filter((x) => x.speaker === 'caller').length).toBeGreaterThanOrEqual(1);
      const agent = t.filter((x) => x.speaker === 'agent');
      expect(agent.length).toBeGreaterThanOrEqual(2);
      // Greeted once, by the Realtime model: the pipeline does not greet again.
      expect(agent.filter((x) => x.text === agent[0]!.text)).toHaveLength(1);
      expect(report.turns[1]!.latencyMs).toBeDefined();
      // One call, one end: the summary is the pipeline's, counting the turns from before the switch.
      const summary = (report.serverCall as { call: { summary: { agentTurns: number } | null } }).call
        .summary;
      expect(summary?.agentTurns).toBeGreaterThanOrEqual(2);
    },
    90_000,
  );

  it("a business's own voice settings choose Realtime (and semantic_vad) where VOICE_MODE is pipeline", async () => {
    const s = await start('pipeline');
    const repo = new BusinessesRepo(s.app.database.db);
    const [business] = await repo.list();
    await repo.update(business!.id, {
      settings: {
        ...business!.settings,
        voice: { mode: 'realtime', turnDetection: { type: 'semantic_vad', eagerness: 'high' } },
      },
    });
    const report = await simulateCall(parseCallScript({ turns: [], hangupAfterMs: 300 }), {
      baseUrl: s.baseUrl,
      authToken: s.app.twilioAuthToken,
      apiKey: s.app.apiKey,
      callerAudio,
    });
    expect(report.framesReceived).toBeGreaterThan(0);
    const update = fake!.sessions[0]!.eventsOf('session.update')[0] as unknown as {
      session: { audio: { input: { turn_detection: unknown } } };
    };
    expect(update.session.audio.input.turn_detection).toMatchObject({
      type: 'semantic_vad',
      eagerness: 'high',
    });
    const agent = (report.transcript ?? []).filter((x) => x.speaker === 'agent');
    expect(agent).toHaveLength(1);
  }, 60_000);
});
