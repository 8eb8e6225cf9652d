import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRepo } from '../../../src/notify/index.js';
import { parseCallScript } from '../../../src/sim/script.js';
import { simulateCall, type SimulatorDeps } from '../../../src/sim/simulated-call.js';
import { BusinessesRepo, EmergenciesRepo, LeadsRepo } from '../../../src/store/index.js';
import { DEMO_BUSINESS_ID } from '../../../src/store/seed.js';
import { signTwilioRequest } from '../../../src/telephony/twilio/signature.js';
import {
  LEAVE_A_MESSAGE,
  MESSAGE_THANKS,
  NO_MESSAGE_GOODBYE,
} from '../../../src/telephony/twilio/message-taking-twiml.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

/**
 * The must-show of plans on the phone, end to end through the real server and the simulator: a
 * FREE business (no voice agent) still answers every call, greets, takes the message, raises the
 * emergency in it and tells the owner; the caller hears the goodbye. Unsigned messages get 403.
 */

let server: TestServer;
let sim: SimulatorDeps;

beforeAll(async () => {
  server = await startTestServer({}, { stt: null });
  await new BusinessesRepo(server.app.database.db).update(DEMO_BUSINESS_ID, { plan: 'FREE' });
  sim = {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    // Twilio listens and recognizes on a <Gather>: no caller audio is ever made.
    callerAudio: async () => {
      throw new Error('a message-taking call streams no audio');
    },
  };
});
afterAll(async () => server?.stop());

const call = (turns: Array<Record<string, unknown>>, from = '+15555550100') =>
  simulateCall(parseCallScript({ from, turns }), sim);

describe('a call to a FREE business (no voice agent)', () => {
  it('is greeted, the message becomes a lead and an emergency, the owner is told, and the caller hears goodbye', async () => {
    const words = 'my pipe burst in the basement, this is Dana at 555 0100';
    const report = await call([{ say: words }]);

    expect(report.answered).toBe('message');
    expect(report.closedBy).toBe('server');
    expect(report.twimlSay?.[0]).toContain('Acme Plumbing');
    expect(report.twimlSay?.[0]).toContain(LEAVE_A_MESSAGE);
    expect(report.twimlSay?.at(-1)).toBe(MESSAGE_THANKS);
    // The call's transcript, as the dashboard shows it, has the message.
    expect(report.transcript?.map((t) => [t.speaker, t.text])).toEqual([
      ['agent', expect.stringContaining(LEAVE_A_MESSAGE)],
      ['caller', words],
      ['agent', MESSAGE_THANKS],
    ]);

    const db = server.app.database.db;
    const leads = await new LeadsRepo(db).list(DEMO_BUSINESS_ID, { callSid: report.callSid });
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({ need: words, phone: '+15555550100', channel: 'phone' });
    const emergencies = await new EmergenciesRepo(db).list(DEMO_BUSINESS_ID, { callSid: report.callSid });
    expect(emergencies).toEqual([
      expect.objectContaining({ category: 'burst-pipe', callerId: '+15555550100' }),
    ]);

    const outbox = await new OutboxRepo(db).list({ callSid: report.callSid });
    const kinds = outbox.filter((n) => n.cause === 'emergency').map((n) => n.kind);
    expect(kinds).toEqual(expect.arrayContaining(['sms', 'email']));
    // Emergency voice calls are PRO only: the FREE plan's alert is SMS and email.
    expect(kinds).not.toContain('voice-call');

    const stored = (report.serverCall as { call: { events: Array<{ type: string }>; summary: unknown } })
      .call;
    expect(stored.events.map((e) => e.type)).toContain('message-taken');
    expect(stored.summary).toMatchObject({ outcome: 'message-taken' });
  });

  it('an ordinary message is a lead the owner is told of', async () => {
    const report = await call([{ say: 'Hi, this is Sam, could someone quote me a new water heater' }]);
    expect(report.twimlSay?.at(-1)).toBe(MESSAGE_THANKS);
    const outbox = await new OutboxRepo(server.app.database.db).list({ callSid: report.callSid });
    expect(outbox.map((n) => [n.cause, n.kind])).toEqual([['lead', 'email']]);
  });

  it('a caller who says nothing is asked again, then hears goodbye, and the owner learns of the missed call', async () => {
    const report = await call([{ silenceMs: 10 }, { silenceMs: 10 }], '+15555550177');
    expect(report.twimlSay?.at(-1)).toBe(NO_MESSAGE_GOODBYE);
    const leads = await new LeadsRepo(server.app.database.db).list(DEMO_BUSINESS_ID, {
      callSid: report.callSid,
    });
    expect(leads[0]).toMatchObject({ need: 'Missed call: no message left', phone: '+15555550177' });
    const outbox = await new OutboxRepo(server.app.database.db).list({ callSid: report.callSid });
    expect(outbox.map((n) => n.cause)).toEqual(['lead']);
  });

  it('refuses an unsigned POST /twilio/message with 403', async () => {
    const res = await fetch(`${server.baseUrl}/twilio/message?attempt=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        CallSid: 'CA' + 'f'.repeat(32),
        AccountSid: 'AC' + 'f'.repeat(32),
        From: '+15555550100',
        To: '+15005550006',
        SpeechResult: 'my basement is flooding',
      }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'forbidden' });
  });

  it('a PRO business is still answered by the voice agent on a media stream', async () => {
    const businesses = new BusinessesRepo(server.app.database.db);
    await businesses.update(DEMO_BUSINESS_ID, { plan: 'PRO' });
    try {
      const params = {
        CallSid: 'CA' + 'e'.repeat(32),
        AccountSid: 'AC1',
        From: '+15555550100',
        To: '+15005550006',
      };
      const url = `${server.baseUrl}/twilio/voice`;
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilioRequest(server.app.twilioAuthToken, url, params),
        },
        body: new URLSearchParams(params).toString(),
      });
      const xml = await res.text();
      expect(xml).toContain('<Connect><Stream');
      expect(xml).not.toContain('<Gather');
    } finally {
      await businesses.update(DEMO_BUSINESS_ID, { plan: 'FREE' });
    }
  });
});
