import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BUSINESS_ID, DEMO_PHONE_NUMBER } from '../../../src/store/index.js';
import { signTwilioRequest } from '../../../src/telephony/twilio/signature.js';
import { FakeTwilioApi, type StoredResource } from '../../notify/support/fake-twilio-api.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

/**
 * WhatsApp on the real app, delivered live to a local Twilio: a signed message "my pipe burst"
 * raises an emergency and its reply leaves through the outbox as a Messages API request from the
 * address the customer wrote to; an unsigned one gets 403; the business sends free text inside
 * the 24-hour window, is refused outside it, and sends a template (ContentSid) from the
 * configured sender (TWILIO_WHATSAPP_NUMBER, the seed's name, given as +E164).
 */

const SANDBOX = '+14155238886';
const CONTACT = 'whatsapp:+14017122661';
const STRANGER = 'whatsapp:+14017122669';
const BUSINESS_ADDRESS = `whatsapp:${DEMO_PHONE_NUMBER}`;
const TEMPLATE = `HX${'0123456789abcdef'.repeat(2)}`;

const api = new FakeTwilioApi();
let server: TestServer;

beforeAll(async () => {
  await api.start();
  server = await startTestServer({
    TWILIO_ACCOUNT_SID: api.accountSid,
    TWILIO_AUTH_TOKEN: api.authToken,
    TWILIO_API_BASE_URL: api.baseUrl,
    TWILIO_FROM_NUMBER: '+15005550001',
    TWILIO_WHATSAPP_NUMBER: SANDBOX,
    NOTIFY_DELIVERY: 'live',
  });
});
afterAll(async () => {
  await server?.stop();
  await api.stop();
});

const postMessage = (params: Record<string, string>, signed = true) => {
  const url = `${server.baseUrl}/whatsapp/message`;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signed ? { 'x-twilio-signature': signTwilioRequest(api.authToken, url, params) } : {}),
    },
    body: new URLSearchParams(params),
  });
};

const message = (body: string) => ({
  MessageSid: `SM${randomBytes(16).toString('hex')}`,
  AccountSid: api.accountSid,
  From: CONTACT,
  To: BUSINESS_ADDRESS,
  Body: body,
  NumMedia: '0',
  ProfileName: 'Jane',
  WaId: '14017122661',
});

const send = (body: unknown) =>
  fetch(`${server.baseUrl}/whatsapp/send?businessId=${DEMO_BUSINESS_ID}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.app.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The messages the local Twilio has been asked to send to `to`, once there are at least `n`. */
async function messagesTo(to: string, n: number): Promise<StoredResource[]> {
  for (let i = 0; i < 200; i++) {
    const found = api.messages.filter((m) => m.to === to);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${n} messages to ${to}: ${api.messages.map((m) => m.to).join(', ')}`);
}

const field = (m: StoredResource, key: string) => m.form.find(([k]) => k === key)?.[1];

describe('WhatsApp on the app', () => {
  it('an unsigned message gets 403 and nothing is sent', async () => {
    const res = await postMessage(message('my pipe burst'), false);
    expect(res.status).toBe(403);
    expect(api.messages.filter((m) => m.to === CONTACT)).toEqual([]);
  });

  it('"my pipe burst" raises an emergency (channel whatsapp) and the reply leaves through the outbox', async () => {
    const res = await postMessage(message('my pipe burst'));
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<Response\/>$/);
    const [reply] = await messagesTo(CONTACT, 1);
    expect(field(reply!, 'From')).toBe(BUSINESS_ADDRESS);
    expect(field(reply!, 'Body')).toMatch(/on-call team/);

    const emergencies = (await (
      await fetch(`${server.baseUrl}/api/emergencies?businessId=${DEMO_BUSINESS_ID}`, {
        headers: { authorization: `Bearer ${server.app.apiKey}` },
      })
    ).json()) as { items: Array<{ channel?: string }> };
    expect(emergencies.items.map((e) => e.channel)).toEqual(['whatsapp']);
    // The owner's emergency SMS went out too.
    await messagesTo('+12125550147', 1);
  });

  it('the business sends free text inside the window, is refused outside it, and sends a template any time', async () => {
    const inside = await send({ to: CONTACT, message: 'Our plumber is on the way.' });
    expect(inside.status).toBe(202);
    const sent = await messagesTo(CONTACT, 2);
    const ours = sent.find((m) => field(m, 'Body') === 'Our plumber is on the way.');
    // From the address the contact wrote to: the same thread.
    expect(ours && field(ours, 'From')).toBe(BUSINESS_ADDRESS);

    const outside = await send({ to: STRANGER, message: 'Hello' });
    expect(outside.status).toBe(422);
    expect(((await outside.json()) as { error: string }).error).toBe('whatsapp_window_closed');

    const template = await send({ to: STRANGER, contentSid: TEMPLATE, contentVariables: { '1': '12/1' } });
    expect(template.status).toBe(202);
    const [t] = await messagesTo(STRANGER, 1);
    expect(t!.form).toEqual([
      ['To', STRANGER],
      ['From', `whatsapp:${SANDBOX}`],
      ['ContentSid', TEMPLATE],
      ['ContentVariables', '{"1":"12/1"}'],
    ]);
  });
});
