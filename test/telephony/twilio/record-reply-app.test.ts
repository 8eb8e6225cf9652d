import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../../src/audio/index.js';
import {
  BusinessesRepo,
  ConversationsRepo,
  DEMO_BUSINESS_ID,
  DEMO_PHONE_NUMBER,
} from '../../../src/store/index.js';
import { signTwilioRequest } from '../../../src/telephony/twilio/index.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  callParams,
  FakeStt,
  RecordingServer,
  verbsOf,
} from './record-reply-harness.js';

/**
 * Record-and-reply on the real app: the demo business with media streams off is greeted and
 * recorded, and /process-voice fetches the recording from TWILIO_API_BASE_URL (served here),
 * answers with the conversation engine's reply and records again; Twilio's final status ends the
 * call's conversation.
 */
describe('record-and-reply on the app', () => {
  let server: TestServer;
  const recordings = new RecordingServer();

  beforeAll(async () => {
    await recordings.start();
    server = await startTestServer(
      {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_API_BASE_URL: recordings.baseUrl,
      },
      { stt: new FakeStt('what are your hours on saturday') },
    );
    const businesses = new BusinessesRepo(server.app.database.db);
    const demo = (await businesses.getById(DEMO_BUSINESS_ID))!;
    await businesses.update(demo.id, { settings: { ...demo.settings, voice: { mediaStreams: false } } });
  });
  afterAll(async () => {
    await server?.stop();
    await recordings.stop();
  });

  const post = (pathAndQuery: string, params: Record<string, string>) =>
    fetch(`${server.baseUrl}${pathAndQuery}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(
          server.app.twilioAuthToken,
          `${server.baseUrl}${pathAndQuery}`,
          params,
        ),
      },
      body: new URLSearchParams(params).toString(),
    });

  it('greets and records, then answers a recording and records again', async () => {
    const callSid = `CA${'d'.repeat(32)}`;
    const params = callParams(callSid, { To: DEMO_PHONE_NUMBER });
    const first = await verbsOf(await post('/twilio/voice', { ...params, CallStatus: 'ringing' }));
    expect(first.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(first[1]?.attrs['action']).toBe(`${server.baseUrl}/process-voice`);

    const tone = Int16Array.from({ length: 16000 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000)),
    );
    const url = recordings.add(writeWav({ sampleRate: 8000, channels: [tone] }));
    const second = await verbsOf(await post('/process-voice', { ...params, RecordingUrl: url }));
    expect(second.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(second[0]?.text).toMatch(/saturday/i);
    expect(recordings.requests).toHaveLength(1);

    const res = await fetch(`${server.baseUrl}/api/calls/${callSid}`, {
      headers: { authorization: `Bearer ${server.app.apiKey}` },
    });
    const { call } = (await res.json()) as { call: { turns: Array<{ speaker: string; text: string }> } };
    expect(call.turns.map((t) => t.speaker)).toEqual(['agent', 'caller', 'agent']);
    // DATA_DIR/tmp holds nothing once the turn is answered.
    expect(readdirSync(path.join(server.dataDir, 'tmp'))).toEqual([]);

    // The caller hangs up: Twilio's final status ends the conversation, which then takes no turn.
    const conversations = new ConversationsRepo(server.app.database.db);
    const key = { businessId: DEMO_BUSINESS_ID, channel: 'phone' as const, partyKey: callSid };
    expect(await conversations.findOpen(key)).toBeDefined();
    const status = await post('/twilio/status', {
      CallSid: callSid,
      CallStatus: 'completed',
      SequenceNumber: '3',
    });
    expect(status.status).toBe(204);
    expect(await conversations.findOpen(key)).toBeUndefined();
  });
});
