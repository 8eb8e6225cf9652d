import { afterEach, describe, expect, it } from 'vitest';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import { DEMO_BUSINESS_ID } from '../../src/store/index.js';
import { startFakeDeepgram, type FakeDeepgram } from '../support/fake-deepgram.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { LEAD_CALLER, LEAD_TURNS, placeLeadCall, storedCall, storedLead } from './lead-call.js';

/**
 * Deepgram stalling mid-call (it takes the caller's audio and answers nothing): after
 * PROVIDER_STALL_MS the turn is heard by PocketSphinx, the call goes on, and the caller's lead is
 * stored. The listener's part alone: test/voice/listener.test.ts.
 */
let server: TestServer | undefined;
let deepgram: FakeDeepgram | undefined;

afterEach(async () => {
  await server?.stop();
  await deepgram?.close();
  server = deepgram = undefined;
});

const switches = (events: Array<{ type: string; payload?: unknown }>) =>
  events.filter((e) => e.type === 'provider-switched').map((e) => e.payload);

describe('a call whose recognizer stalls', () => {
  it('Deepgram stops answering on the second turn: PocketSphinx hears it, the lead is stored', async () => {
    deepgram = await startFakeDeepgram();
    deepgram.listen.transcripts.push(LEAD_TURNS[0]);
    server = await startTestServer({
      STT_PROVIDERS: 'deepgram,pocketsphinx',
      DEEPGRAM_API_KEY: deepgram.apiKey,
      DEEPGRAM_BASE_URL: deepgram.baseUrl,
      PROVIDER_STALL_MS: '800',
    });
    // Once the first turn's lead is written, Deepgram takes audio and says nothing more.
    const sub = await server.app.bus.subscribe({ businessId: DEMO_BUSINESS_ID }, (e) => {
      if (e.type === 'lead') for (const s of deepgram!.listen.sessions) s.stall();
    });
    const voice = callerAudioSource(await createFliteTts({ voice: 'rms' }));
    const report = await placeLeadCall(server, voice);
    await sub.unsubscribe();

    expect(report.closedBy).toBe('simulator');
    const call = storedCall(report);
    expect(call.status).toBe('completed');
    expect(switches(call.events as never)).toEqual([
      expect.objectContaining({ kind: 'stt', from: 'deepgram', to: 'pocketsphinx' }),
    ]);
    const said = call.turns.filter((t) => t.speaker === 'caller').map((t) => t.text);
    expect(said[0]).toBe(LEAD_TURNS[0]);
    expect(said[1]).toMatch(/^yes\b/i);
    expect(await storedLead(server.app.database.db, report.callSid)).toMatchObject({
      name: 'Maria Lopez',
      need: 'My water heater is leaking',
      phone: LEAD_CALLER,
    });
  }, 120_000);
});
