import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PHONE_NUMBER } from '../../../src/store/index.js';
import { signTwilioRequest } from '../../../src/telephony/twilio/index.js';
import { FakeTwilioApi } from '../../notify/support/fake-twilio-api.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

/**
 * A call we place, through the whole app: POST /phone/call reaches Twilio's Calls API (the stand-in),
 * Twilio's voice webhook for it (Direction=outbound-api, From = our number) is answered with the
 * media stream like any call, GET /sessions shows it, POST /phone/end ends it, and its session is
 * then gone (the seed's integration test).
 */

const TO = '+14155550100';

describe('an outbound call through the app', () => {
  const twilio = new FakeTwilioApi();
  let server: TestServer;

  beforeAll(async () => {
    await twilio.start();
    server = await startTestServer({
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_BASE_URL: twilio.baseUrl,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await twilio.stop();
  });

  const api = (method: 'GET' | 'POST', path: string, body?: object) =>
    fetch(`${server.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.app.apiKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('placed -> answered by the voice flow -> live session -> ended -> 404', async () => {
    // The only business (the demo), so the API key need not name it.
    const placed = await api('POST', '/phone/call', { to: TO });
    expect(placed.status).toBe(201);
    const { callSid, from } = (await placed.json()) as { callSid: string; from: string };
    expect(from).toBe(DEMO_PHONE_NUMBER);
    const create = twilio.requests.find((r) => r.path.endsWith('/Calls.json'))!;
    expect(FakeTwilioApi.values(create, 'To')).toEqual([TO]);
    expect(FakeTwilioApi.values(create, 'From')).toEqual([DEMO_PHONE_NUMBER]);
    expect(FakeTwilioApi.values(create, 'Url')).toEqual([`${server.baseUrl}/twilio/voice`]);
    expect(FakeTwilioApi.values(create, 'StatusCallback')).toEqual([`${server.baseUrl}/twilio/status`]);

    // The person answers: Twilio fetches the call's TwiML from the Url we gave.
    const url = `${server.baseUrl}/twilio/voice`;
    const params = {
      CallSid: callSid,
      AccountSid: twilio.accountSid,
      From: DEMO_PHONE_NUMBER,
      To: TO,
      CallStatus: 'in-progress',
      Direction: 'outbound-api',
      ApiVersion: '2010-04-01',
    };
    const voice = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(twilio.authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(voice.status).toBe(200);
    expect(await voice.text()).toMatch(/<Connect><Stream url="ws[^"]*"/);

    const live = await api('GET', `/sessions/phone-${callSid}`);
    expect(live.status).toBe(200);
    // Answered: the voice webhook's status is the call's now (it was queued when placed).
    expect(await live.json()).toMatchObject({
      callSid,
      type: 'phone',
      direction: 'outbound-api',
      status: 'in-progress',
    });
    const all = (await (await api('GET', '/sessions')).json()) as { byType: Record<string, number> };
    expect(all.byType).toMatchObject({ phone: 1, whatsapp: 0 });

    const ended = await api('POST', `/phone/end/${callSid}`);
    expect(ended.status).toBe(200);
    expect(twilio.requests.at(-1)!.path).toBe(
      `/2010-04-01/Accounts/${twilio.accountSid}/Calls/${callSid}.json`,
    );
    expect((await api('GET', `/sessions/phone-${callSid}`)).status).toBe(404);
  });
});
