import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentNotificationError, RetryableNotificationError } from '../../../src/notify/index.js';
import {
  TwilioRestClient,
  TwilioSmsChannel,
  TwilioVoiceChannel,
} from '../../../src/telephony/twilio/index.js';
import { FakeTwilioApi } from '../../notify/support/fake-twilio-api.js';
import { failureOf, note, signal } from '../../notify/support/outbound.js';

describe('Twilio SMS and voice channels against a local Twilio', () => {
  const api = new FakeTwilioApi();
  let client: TwilioRestClient;
  beforeAll(async () => {
    await api.start();
    client = new TwilioRestClient({
      accountSid: api.accountSid,
      authToken: api.authToken,
      baseUrl: api.baseUrl,
    });
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.requests.length = 0;
    api.faults.length = 0;
  });

  it('sends an SMS and returns the Message SID; WhatsApp recipients go from the WhatsApp sender', async () => {
    const ch = new TwilioSmsChannel({ client, from: '+15005550001', whatsappFrom: 'whatsapp:+14155238886' });
    const { providerId } = await ch.send(note(), signal());
    expect(providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(api.requests[0]!.form).toEqual([
      ['To', '+15005550006'],
      ['From', '+15005550001'],
      ['Body', 'EMERGENCY (flooding) at Acme Plumbing'],
    ]);
    await ch.send(note({ recipient: 'whatsapp:+15005550006' }), signal());
    expect(FakeTwilioApi.value(api.requests[1]!, 'From')).toBe('whatsapp:+14155238886');
    const noWa = new TwilioSmsChannel({ client, from: '+15005550001' });
    expect(await failureOf(noWa.send(note({ recipient: 'whatsapp:+15005550006' }), signal()))).toBeInstanceOf(
      PermanentNotificationError,
    );
  });

  it("maps Twilio's refusals: 21211 is permanent, 429 retryable with its Retry-After", async () => {
    const ch = new TwilioSmsChannel({ client, from: '+15005550001' });
    api.faults.push({ status: 400, code: 21211, message: "Invalid 'To' Phone Number" });
    const permanent = await failureOf(ch.send(note(), signal()));
    expect(permanent).toBeInstanceOf(PermanentNotificationError);
    expect(permanent.code).toBe('21211');
    api.faults.push({ status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '2' });
    const retry = await failureOf(ch.send(note(), signal()));
    expect(retry).toBeInstanceOf(RetryableNotificationError);
    expect(retry.retryAfterMs).toBe(2000);
    api.faults.push({ status: 502, body: 'Bad gateway' });
    expect((await failureOf(ch.send(note(), signal()))).code).toBe('http-502');
  });

  it('places an alert call whose TwiML says the alert and gathers 1 digit to an absolute ack URL', async () => {
    const ch = new TwilioVoiceChannel({ client, from: '+15005550001', publicUrl: 'https://sb.example.com' });
    const escalationId = randomUUID();
    const { providerId } = await ch.send(
      note({
        kind: 'voice-call',
        body: 'Emergency alert for Acme. Flooding.',
        payload: { escalationId, step: 2 },
      }),
      signal(),
    );
    expect(providerId).toMatch(/^CA[0-9a-f]{32}$/);
    const r = api.requests[0]!;
    expect(FakeTwilioApi.value(r, 'To')).toBe('+15005550006');
    expect(FakeTwilioApi.value(r, 'Timeout')).toBe('30');
    expect(FakeTwilioApi.value(r, 'StatusCallback')).toBe(
      `https://sb.example.com/twilio/alert-status?e=${escalationId}&s=2`,
    );
    expect(FakeTwilioApi.values(r, 'StatusCallbackEvent')).toEqual(['answered', 'completed']);
    const twiml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      FakeTwilioApi.value(r, 'Twiml')!,
    ) as {
      Response: { Gather: Array<{ numDigits: string; action: string; Say: string[] }>; Hangup: string };
    };
    const gathers = twiml.Response.Gather;
    expect(gathers).toHaveLength(2);
    expect(gathers[0]).toMatchObject({
      numDigits: '1',
      action: `https://sb.example.com/twilio/alert-ack?e=${escalationId}&s=2`,
    });
    expect(gathers[0]!.Say).toEqual([
      'Emergency alert for Acme. Flooding.',
      'Press 1 to acknowledge this alert.',
    ]);
    expect(twiml.Response).toHaveProperty('Hangup');
  });

  it('a voice notification outside an escalation just says the message', async () => {
    const ch = new TwilioVoiceChannel({ client, from: '+15005550001', publicUrl: 'https://sb.example.com' });
    await ch.send(note({ kind: 'voice-call', body: 'New booking tomorrow at 10.' }), signal());
    const twiml = FakeTwilioApi.value(api.requests[0]!, 'Twiml')!;
    expect(twiml).not.toContain('<Gather');
    expect(twiml).toContain('<Say>New booking tomorrow at 10.</Say>');
    expect(FakeTwilioApi.value(api.requests[0]!, 'StatusCallback')).toBeUndefined();
  });
});
