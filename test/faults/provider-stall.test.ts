import { afterEach, describe, expect, it } from 'vitest';
import { startFakeElevenLabs, type FakeElevenLabs } from '../support/fake-elevenlabs.js';
import { chunk, startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { cuedCaller } from './cued-caller.js';
import { LEAD_CALLER, LEAD_TURNS, placeLeadCall, storedCall, storedLead } from './lead-call.js';

/**
 * Cloud speech and the language model stalling mid-call (the request is accepted, then nothing
 * comes): the call goes on on flite and the rules brain, and the caller's lead is stored. The
 * parts are proven alone in test/providers/tts/tts-chain.test.ts and test/agent/llm-brain.test.ts;
 * here it is one whole call through the server. The recognizer's stall: recognizer-stall.test.ts.
 */
const VOICE = 'EXAVITQu4vr4xnSDxMaL';
let server: TestServer | undefined;
let eleven: FakeElevenLabs | undefined;
let model: FakeOpenAiServer | undefined;

afterEach(async () => {
  await server?.stop();
  await eleven?.close();
  await model?.close();
  server = eleven = model = undefined;
});

const switches = (events: Array<{ type: string; payload?: unknown }>) =>
  events.filter((e) => e.type === 'provider-switched').map((e) => e.payload);

describe('a call whose cloud providers stall', () => {
  it('ElevenLabs and the language model stall after the greeting: flite speaks, the rules answer, the lead is stored', async () => {
    eleven = await startFakeElevenLabs({ voices: [VOICE], msPerChar: 20 });
    model = await startFakeOpenAiServer();
    // Every request to the model: the stream opens, then nothing.
    model.defaultChat = () => ({
      kind: 'stream',
      parts: [{ data: chunk({ role: 'assistant', content: '' }) }, { stall: true }],
    });
    const caller = await cuedCaller();
    server = await startTestServer(
      {
        TTS_PROVIDERS: 'elevenlabs,flite',
        ELEVENLABS_API_KEY: eleven.apiKey,
        ELEVENLABS_BASE_URL: eleven.baseUrl,
        ELEVENLABS_VOICE_ID: VOICE,
        LLM_BASE_URL: model.baseUrl,
        LLM_MODEL: 'gpt-4o-mini',
        LLM_API_KEY: 'sk-test',
        LLM_FIRST_TOKEN_TIMEOUT_MS: '600',
        PROVIDER_STALL_MS: '800',
      },
      { stt: caller.stt },
    );
    // The greeting is ElevenLabs'; from then on it sends headers and no audio.
    const stall = (async () => {
      await eleven!.controls.waitForRequests(1);
      eleven!.controls.failAll({ kind: 'stall-after-headers' });
    })();
    const report = await placeLeadCall(server, caller.callerAudio);
    await stall;

    expect(report.closedBy).toBe('simulator');
    const call = storedCall(report);
    expect(call.status).toBe('completed');
    expect(switches(call.events as never)).toContainEqual(
      expect.objectContaining({ kind: 'tts', from: 'elevenlabs', to: 'flite' }),
    );
    // The model was asked, and every turn was answered anyway.
    expect(model.chatRequests().length).toBeGreaterThanOrEqual(1);
    expect(call.turns.filter((t) => t.speaker === 'caller').map((t) => t.text)).toEqual([...LEAD_TURNS]);
    expect(report.turns.every((t) => t.latencyMs !== undefined)).toBe(true);
    expect(await storedLead(server.app.database.db, report.callSid)).toMatchObject({
      name: 'Maria Lopez',
      need: 'My water heater is leaking',
      phone: LEAD_CALLER,
    });
  }, 120_000);
});
