import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { festivalCallerAudio } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimulationReport } from '../../src/sim/simulated-call.js';
import { startFakeDeepgram, type FakeDeepgram } from '../support/fake-deepgram.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../support/fake-elevenlabs.js';
import { startFakeOpenAiServer, textStream, type FakeOpenAiServer } from '../support/fake-openai-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A whole call on cloud speech, as configuration alone chooses it: Deepgram live recognition and
 * ElevenLabs speech, each a local server speaking the vendor's protocol, with PocketSphinx and
 * flite behind them. When a vendor dies mid-call the call goes on on the offline engine, and the
 * switch is a stored call event.
 */
const hasFestival = spawnSync('text2wave', ['--help']).status !== null;
const VOICE = 'EXAVITQu4vr4xnSDxMaL';

let server: TestServer | undefined;
let deepgram: FakeDeepgram | undefined;
let eleven: FakeElevenLabs | undefined;
let openai: FakeOpenAiServer | undefined;

afterEach(async () => {
  await server?.stop();
  await deepgram?.close();
  await eleven?.close();
  await openai?.close();
  server = deepgram = eleven = openai = undefined;
});

async function start(): Promise<TestServer> {
  deepgram = await startFakeDeepgram();
  eleven = await startFakeElevenLabs({ voices: [VOICE], msPerChar: 30 });
  server = await startTestServer({
    STT_PROVIDERS: 'deepgram,pocketsphinx',
    TTS_PROVIDERS: 'elevenlabs,flite',
    DEEPGRAM_API_KEY: deepgram.apiKey,
    DEEPGRAM_BASE_URL: deepgram.baseUrl,
    ELEVENLABS_API_KEY: eleven.apiKey,
    ELEVENLABS_BASE_URL: eleven.baseUrl,
    ELEVENLABS_VOICE_ID: VOICE,
  });
  return server;
}

/** The simulator as Twilio for this server, with a festival caller (another engine than the agent's). */
const callerOf = (s: TestServer) => ({
  baseUrl: s.baseUrl,
  authToken: s.app.twilioAuthToken,
  apiKey: s.app.apiKey,
  callerAudio: festivalCallerAudio('ked_diphone'),
});

const callerSays = (report: SimulationReport) =>
  (report.transcript ?? []).filter((t) => t.speaker === 'caller').map((t) => t.text);
const storedEvents = (report: SimulationReport) =>
  ((report.serverCall as { call?: { events?: Array<{ type: string; payload: Record<string, unknown> }> } })
    ?.call?.events ?? []) as Array<{ type: string; payload: Record<string, unknown> }>;

describe.skipIf(!hasFestival)(
  'a call on Deepgram and ElevenLabs (local servers), offline behind them',
  () => {
    it('is greeted and answered: the caller heard through Deepgram, the agent spoken by ElevenLabs', async () => {
      const s = await start();
      deepgram!.listen.transcripts.push('Are you open on Saturday?');
      const report = await simulateCall(
        parseCallScript({ turns: [{ say: 'Are you open on Saturday?' }], hangupAfterMs: 300 }),
        callerOf(s),
      );
      expect(report.protocolErrors).toEqual([]);
      expect(callerSays(report)).toEqual(['Are you open on Saturday?']);
      const agent = (report.transcript ?? []).filter((t) => t.speaker === 'agent').map((t) => t.text);
      expect(agent.length).toBeGreaterThanOrEqual(2);
      expect(agent.slice(1).join(' ')).toMatch(/saturday/i);
      // Each agent line was asked of ElevenLabs in telephone mu-law, with the configured voice and model.
      expect(eleven!.requests.length).toBeGreaterThanOrEqual(2);
      expect(
        eleven!.requests.every((r) => r.voiceId === VOICE && r.query['output_format'] === 'ulaw_8000'),
      ).toBe(true);
      // Deepgram got Twilio's mu-law bytes straight through.
      const session = deepgram!.listen.sessions[0]!;
      expect(session.query).toMatchObject({
        encoding: 'mulaw',
        sample_rate: '8000',
        interim_results: 'true',
      });
      expect(session.audioBytes).toBeGreaterThan(8000);
      expect(storedEvents(report).filter((e) => e.type === 'provider-switched')).toEqual([]);
      // The turn's latency names who did each stage.
      const latency = (
        report.serverCall as { call: { turns: Array<{ latency?: { providers?: unknown } }> } }
      ).call.turns.find((t) => t.latency?.providers)?.latency?.providers;
      expect(latency).toMatchObject({ stt: 'deepgram', tts: 'elevenlabs', llm: 'rules' });
    }, 120_000);

    it('when Deepgram dies mid-call, the call finishes on PocketSphinx with a provider-switched event', async () => {
      const s = await start();
      deepgram!.listen.transcripts.push('Are you open on Saturday?');
      // Deepgram dies once it has ended the first turn: every socket cut, no close frame.
      const answered = () =>
        deepgram?.listen.sessions.some((x) =>
          x.sent.some((m) => m['type'] === 'UtteranceEnd' || m['speech_final'] === true),
        );
      const killer = (async () => {
        while (deepgram && !answered()) await sleep(50);
        await sleep(300);
        deepgram?.killAllSessions();
      })();
      const report = await simulateCall(
        parseCallScript({
          turns: [{ say: 'Are you open on Saturday?' }, { say: 'My basement is flooding' }],
          hangupAfterMs: 500,
        }),
        callerOf(s),
      );
      await killer;
      expect(report.protocolErrors).toEqual([]);
      const switches = storedEvents(report).filter((e) => e.type === 'provider-switched');
      expect(switches).toHaveLength(1);
      expect(switches[0]!.payload).toMatchObject({ kind: 'stt', from: 'deepgram', to: 'pocketsphinx' });
      const said = callerSays(report);
      expect(said[0]).toBe('Are you open on Saturday?');
      // The second turn was heard offline, and the emergency it is was raised.
      expect(said.length).toBe(2);
      expect(said[1]).toMatch(/basement|flood/i);
      expect(storedEvents(report).some((e) => e.type === 'emergency')).toBe(true);
      expect(deepgram!.listen.sessions).toHaveLength(1);
    }, 120_000);

    it('when Deepgram dies while the caller is speaking, PocketSphinx hears that turn whole', async () => {
      const s = await start();
      deepgram!.listen.transcripts.push('Are you open on Saturday?');
      // The fake takes a turn's words when it hears its speech start: the caller is mid-sentence.
      const killer = (async () => {
        while (deepgram && deepgram.listen.transcripts.length > 0) await sleep(20);
        await sleep(200);
        deepgram?.killAllSessions();
      })();
      const report = await simulateCall(
        parseCallScript({ turns: [{ say: 'Are you open on Saturday?' }], hangupAfterMs: 300 }),
        callerOf(s),
      );
      await killer;
      const switches = storedEvents(report).filter((e) => e.type === 'provider-switched');
      expect(switches.map((e) => e.payload)).toEqual([
        expect.objectContaining({ kind: 'stt', from: 'deepgram', to: 'pocketsphinx' }),
      ]);
      // One caller turn, recognized offline from its first word (not only what followed the switch).
      const said = callerSays(report);
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/^are you open/i);
    }, 120_000);

    it('when ElevenLabs fails mid-call, flite says the rest, the sentence it failed on included', async () => {
      const s = await start();
      deepgram!.listen.transcripts.push('Are you open on Saturday?');
      // The greeting is spoken by ElevenLabs; from the answer on, it answers 500.
      const failer = (async () => {
        await eleven!.controls.waitForRequests(1);
        eleven!.controls.failAll({ kind: 'status', status: 500 });
      })();
      const report = await simulateCall(
        parseCallScript({ turns: [{ say: 'Are you open on Saturday?' }], hangupAfterMs: 300 }),
        callerOf(s),
      );
      await failer;
      const switches = storedEvents(report).filter((e) => e.type === 'provider-switched');
      expect(switches.map((e) => e.payload)).toEqual([
        expect.objectContaining({ kind: 'tts', from: 'elevenlabs', to: 'flite' }),
      ]);
      const agent = (report.transcript ?? []).filter((t) => t.speaker === 'agent').map((t) => t.text);
      expect(agent.slice(1).join(' ')).toMatch(/saturday/i);
      // The caller heard the answer: agent audio after their turn.
      expect(report.turns[0]?.latencyMs).toBeDefined();
    }, 120_000);

    it('on Deepgram both ways with the OpenAI brain (OPENAI_API_KEY alone): Aura speaks in telephone mu-law, the model answers', async () => {
      deepgram = await startFakeDeepgram();
      openai = await startFakeOpenAiServer({ apiKey: 'sk-test-chat' });
      openai.defaultChat = () => textStream(['Yes, we are open on Saturday ', 'from nine to one.']);
      server = await startTestServer({
        STT_PROVIDERS: 'deepgram,pocketsphinx',
        TTS_PROVIDERS: 'deepgram,flite',
        DEEPGRAM_API_KEY: deepgram.apiKey,
        DEEPGRAM_BASE_URL: deepgram.baseUrl,
        OPENAI_API_KEY: 'sk-test-chat',
        OPENAI_BASE_URL: openai.baseUrl,
      });
      deepgram.listen.transcripts.push('Are you open on Saturday?');
      const report = await simulateCall(
        parseCallScript({ turns: [{ say: 'Are you open on Saturday?' }], hangupAfterMs: 300 }),
        callerOf(server),
      );
      expect(report.protocolErrors).toEqual([]);
      const agent = (report.transcript ?? []).filter((t) => t.speaker === 'agent').map((t) => t.text);
      expect(agent.at(-1)).toBe('Yes, we are open on Saturday from nine to one.');
      // The model was asked with the OpenAI key, and Aura in raw 8 kHz mu-law.
      expect(openai.chatRequests()[0]?.headers.authorization).toBe('Bearer sk-test-chat');
      expect(deepgram.speak.requests.length).toBeGreaterThanOrEqual(2);
      expect(deepgram.speak.requests[0]!.query).toMatchObject({
        encoding: 'mulaw',
        sample_rate: '8000',
        container: 'none',
      });
      const latency = (
        report.serverCall as {
          call: { turns: Array<{ latency?: { providers?: unknown; llmFirstTokenMs?: number } }> };
        }
      ).call.turns.find((t) => t.latency?.providers)?.latency;
      expect(latency?.providers).toMatchObject({ stt: 'deepgram', tts: 'deepgram' });
      expect((latency?.providers as { llm: string }).llm).toMatch(/^openai-chat:/);
      expect(latency?.llmFirstTokenMs).toBeGreaterThanOrEqual(0);
      expect(storedEvents(report).filter((e) => e.type === 'provider-switched')).toEqual([]);
    }, 120_000);
  },
);
