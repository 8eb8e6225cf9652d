import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentNotificationError, RetryableNotificationError } from '../../../src/notify/index.js';
import { twilioNotificationChannels } from '../../../src/telephony/twilio/notification-channels.js';
import { TwilioRestClient } from '../../../src/telephony/twilio/rest.js';
import { TwilioWhatsAppChannel } from '../../../src/telephony/twilio/whatsapp-channel.js';
import { FakeTwilioApi } from '../../notify/support/fake-twilio-api.js';
import { failureOf, note, signal } from '../../notify/support/outbound.js';

/**
 * Outbox rows of kind 'whatsapp' reach Twilio's Messages API exactly as it takes them
 * (PROTOCOLS.md 4.2): Body for free text; ContentSid + ContentVariables (a JSON string) and no
 * Body for a template; From the row's sender or the configured one.
 */

const SENDER = 'whatsapp:+14155238886';
const OTHER_SENDER = 'whatsapp:+14155230000';
const CONTACT = 'whatsapp:+15005550006';
const TEMPLATE = `HX${'ab'.repeat(16)}`;

const whatsappNote = (over: Parameters<typeof note>[0] = {}) =>
  note({
    kind: 'whatsapp',
    recipient: CONTACT,
    body: 'We will be there at 3pm.',
    cause: 'whatsapp-reply',
    ...over,
  });

describe('TwilioWhatsAppChannel against a local Twilio', () => {
  const api = new FakeTwilioApi();
  let client: TwilioRestClient;
  let channel: TwilioWhatsAppChannel;
  beforeAll(async () => {
    await api.start();
    client = new TwilioRestClient({
      accountSid: api.accountSid,
      authToken: api.authToken,
      baseUrl: api.baseUrl,
    });
    channel = new TwilioWhatsAppChannel({ client, from: SENDER });
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.requests.length = 0;
    api.faults.length = 0;
    api.messages.length = 0;
  });

  it('sends free text as To, From and Body and returns the Message SID', async () => {
    const sent = await channel.send(whatsappNote(), signal());
    expect(sent.providerId).toMatch(/^SM/);
    const r = api.requests[0]!;
    expect(r.path).toBe(`/2010-04-01/Accounts/${api.accountSid}/Messages.json`);
    expect(r.form).toEqual([
      ['To', CONTACT],
      ['From', SENDER],
      ['Body', 'We will be there at 3pm.'],
    ]);
  });

  it("sends from the row's own sender when its payload names one (the address the customer wrote to)", async () => {
    await channel.send(whatsappNote({ payload: { from: OTHER_SENDER } }), signal());
    expect(FakeTwilioApi.value(api.requests[0]!, 'From')).toBe(OTHER_SENDER);
  });

  it('sends a template as ContentSid and ContentVariables (a JSON string), with no Body', async () => {
    const payload = { contentSid: TEMPLATE, contentVariables: { '1': '12/1', '2': '3pm' } };
    await channel.send(whatsappNote({ body: 'Template …', payload }), signal());
    const r = api.requests[0]!;
    expect(r.form).toEqual([
      ['To', CONTACT],
      ['From', SENDER],
      ['ContentSid', TEMPLATE],
      ['ContentVariables', '{"1":"12/1","2":"3pm"}'],
    ]);
    expect(JSON.parse(FakeTwilioApi.value(r, 'ContentVariables')!)).toEqual({ '1': '12/1', '2': '3pm' });
  });

  it('cuts a body over 1600 characters to Twilio’s limit', async () => {
    await channel.send(whatsappNote({ body: 'x'.repeat(2000) }), signal());
    const body = FakeTwilioApi.value(api.requests[0]!, 'Body')!;
    expect(body).toHaveLength(1600);
    expect(body.endsWith('…')).toBe(true);
  });

  it('free text outside the 24-hour window (Twilio 63016) fails for good, its code kept', async () => {
    api.faults.push({
      status: 400,
      code: 63016,
      message: 'Failed to send freeform message because you are outside the allowed window.',
    });
    const err = await failureOf(channel.send(whatsappNote(), signal()));
    expect(err).toBeInstanceOf(PermanentNotificationError);
    expect(err.code).toBe('63016');
  });

  it('a rate limit is retryable', async () => {
    api.faults.push({ status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '2' });
    expect(await failureOf(channel.send(whatsappNote(), signal()))).toBeInstanceOf(
      RetryableNotificationError,
    );
  });

  it('without any sender, or with a payload that is not one, nothing is sent and it fails for good', async () => {
    const noSender = new TwilioWhatsAppChannel({ client });
    expect(await failureOf(noSender.send(whatsappNote(), signal()))).toBeInstanceOf(
      PermanentNotificationError,
    );
    expect(
      await failureOf(channel.send(whatsappNote({ payload: { contentSid: 'not-a-template' } }), signal())),
    ).toBeInstanceOf(PermanentNotificationError);
    expect(api.requests).toHaveLength(0);
  });

  it('findSent finds free text already at Twilio; a template is never claimed as sent', async () => {
    const since = new Date(Date.now() - 1000);
    const n = whatsappNote();
    const { providerId } = await channel.send(n, signal());
    expect(await channel.findSent(n, since, signal())).toEqual([{ providerId }]);
    expect(await channel.findSent(whatsappNote({ body: 'another text' }), since, signal())).toEqual([]);
    const template = whatsappNote({ payload: { contentSid: TEMPLATE } });
    await channel.send(template, signal());
    expect(await channel.findSent(template, since, signal())).toEqual([]);
  });

  it('is the whatsapp channel of the Twilio notification channels, sending from the configured sender', async () => {
    const channels = twilioNotificationChannels({
      client,
      from: '+15005550001',
      whatsappFrom: SENDER,
      publicUrl: 'https://sb.example.com',
    });
    expect(channels.whatsapp).toBeInstanceOf(TwilioWhatsAppChannel);
    await channels.whatsapp.send(whatsappNote(), signal());
    expect(FakeTwilioApi.value(api.requests[0]!, 'From')).toBe(SENDER);
  });
});
