import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerSessionsApi } from '../../../src/admin/sessions-api.js';
import { CallsRepo, SessionsRepo } from '../../../src/store/index.js';
import {
  OutboundCalls,
  registerOutboundCallRoutes,
  TwilioRestClient,
  type OutboundCallsDeps,
} from '../../../src/telephony/twilio/index.js';
import { API_KEY, bearer, startHarness, type Harness } from '../../admin/support/route-harness.js';
import { FakeTwilioApi } from '../../notify/support/fake-twilio-api.js';
import { silentLogger } from '../../store/drivers.js';

/**
 * POST /phone/call, /whatsapp/call and /phone/end/:callSid on a real server with the production
 * edge and access seam, Twilio's stand-in behind them, and GET /sessions beside them for the seed's
 * integration flow (placed -> live session -> ended -> 404).
 */

const PUBLIC_URL = 'https://voice.example.com';
const DEMO_NUMBER = '+15005550006'; // the demo business (A) owns it; B owns none
const FROM_NUMBER = '+13125550199';

describe('outbound call routes', () => {
  const twilio = new FakeTwilioApi();
  let h: Harness;
  let nowMs = Date.UTC(2026, 11, 7, 12);
  let deps: OutboundCallsDeps;

  beforeAll(async () => {
    await twilio.start();
    h = await startHarness({
      routes: (x) => {
        deps = {
          rest: new TwilioRestClient({
            accountSid: twilio.accountSid,
            authToken: twilio.authToken,
            baseUrl: twilio.baseUrl,
          }),
          calls: new CallsRepo(x.database.db),
          sessions: new SessionsRepo(x.database.db),
          publicUrl: PUBLIC_URL,
          fromNumber: FROM_NUMBER,
          whatsappFrom: undefined,
          callsPerMinute: 3,
          clock: { now: () => nowMs },
          log: silentLogger,
        };
        registerOutboundCallRoutes(x.server, {
          access: x.access,
          outbound: new OutboundCalls(deps),
          businesses: x.businesses,
        });
        registerSessionsApi(x.server, { access: x.access, sessions: new SessionsRepo(x.database.db) });
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await twilio.stop();
  });
  beforeEach(() => {
    nowMs += 60_000; // a fresh minute: every bucket full again
    twilio.requests.length = 0;
  });

  const post = (url: string, token: string | undefined, payload?: object) =>
    h.server.inject({
      method: 'POST',
      url,
      ...(token ? { headers: bearer(token) } : {}),
      ...(payload ? { payload } : {}),
    });
  const get = (url: string, token: string) => h.server.inject({ method: 'GET', url, headers: bearer(token) });
  const lastCallRequest = () => twilio.requests.filter((r) => r.path.endsWith('/Calls.json')).at(-1)!;

  it('POST /phone/call makes a Calls API request with the right To, From and callback URLs, and answers 201', async () => {
    const res = await post('/phone/call', h.tokens.ownerA, { to: '+14155550100' });
    expect(res.statusCode).toBe(201);
    const sid = twilio.calls.at(-1)!.sid;
    expect(res.json()).toEqual({ callSid: sid, status: 'queued', to: '+14155550100', from: DEMO_NUMBER });
    const r = lastCallRequest();
    expect(FakeTwilioApi.values(r, 'To')).toEqual(['+14155550100']);
    expect(FakeTwilioApi.values(r, 'From')).toEqual([DEMO_NUMBER]);
    expect(FakeTwilioApi.values(r, 'Url')).toEqual([`${PUBLIC_URL}/twilio/voice`]);
    expect(FakeTwilioApi.values(r, 'StatusCallback')).toEqual([`${PUBLIC_URL}/twilio/status`]);
    expect(FakeTwilioApi.values(r, 'StatusCallbackEvent')).toEqual([
      'initiated',
      'ringing',
      'answered',
      'completed',
    ]);
  });

  it('the seed flow: placed -> GET /sessions/phone-CA… live -> POST /phone/end/CA… -> 404', async () => {
    const placed = await post('/phone/call', h.tokens.ownerA, { to: '+14155550100' });
    const { callSid } = placed.json<{ callSid: string }>();

    const live = await get(`/sessions/phone-${callSid}`, h.tokens.ownerA);
    expect(live.statusCode).toBe(200);
    expect(live.json()).toMatchObject({
      id: `phone-${callSid}`,
      type: 'phone',
      callSid,
      status: 'queued',
      direction: 'outbound-api',
      businessId: h.a,
    });
    const list = (await get('/sessions', h.tokens.ownerA)).json<{
      byType: { phone: number };
      total: number;
    }>();
    expect(list.byType.phone).toBeGreaterThanOrEqual(1);

    const ended = await post(`/phone/end/${callSid}`, h.tokens.ownerA);
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toEqual({ callSid, status: 'canceled' });
    expect(FakeTwilioApi.values(twilio.requests.at(-1)!, 'Status')).toEqual(['canceled']);

    expect((await get(`/sessions/phone-${callSid}`, h.tokens.ownerA)).statusCode).toBe(404);
    expect((await post(`/phone/end/${callSid}`, h.tokens.ownerA)).statusCode).toBe(404);
  });

  it("POST /phone/end of another business's call answers 404 and reaches no Twilio", async () => {
    const { callSid } = (await post('/phone/call', h.tokens.ownerA, { to: '+14155550100' })).json<{
      callSid: string;
    }>();
    twilio.requests.length = 0;
    const res = await post(`/phone/end/${callSid}`, h.tokens.ownerB);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'No live call with this CallSid.' });
    expect(twilio.requests).toEqual([]);
    // The API key (every business) may end it.
    expect((await post(`/phone/end/${callSid}`, API_KEY)).statusCode).toBe(200);
  });

  it('POST /whatsapp/call calls whatsapp:+E164 from the business’s WhatsApp number, answered on /whatsapp/voice', async () => {
    const res = await post('/whatsapp/call', h.tokens.ownerA, { to: 'whatsapp:+14155550100' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ to: 'whatsapp:+14155550100', from: `whatsapp:${DEMO_NUMBER}` });
    expect(FakeTwilioApi.values(lastCallRequest(), 'Url')).toEqual([`${PUBLIC_URL}/whatsapp/voice`]);
    const { callSid } = res.json<{ callSid: string }>();
    expect((await get(`/sessions/whatsapp-${callSid}`, h.tokens.ownerA)).statusCode).toBe(200);
    expect((await get(`/sessions/phone-${callSid}`, h.tokens.ownerA)).statusCode).toBe(404);
  });

  it('agents may not place calls; no credentials answer 401', async () => {
    expect((await post('/phone/call', h.tokens.agentA, { to: '+14155550100' })).statusCode).toBe(403);
    expect((await post('/phone/call', undefined, { to: '+14155550100' })).statusCode).toBe(401);
    expect((await post('/phone/end/CA00000000000000000000000000000000', h.tokens.agentA)).statusCode).toBe(
      403,
    );
    expect(twilio.requests).toEqual([]);
  });

  it('the API key names the business when there are several; an owner cannot name another', async () => {
    const unnamed = await post('/phone/call', API_KEY, { to: '+14155550100' });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json()).toMatchObject({
      error: 'validation_failed',
      details: [{ path: 'body.businessId' }],
    });

    // B owns no number: it calls from TWILIO_FROM_NUMBER.
    const named = await post('/phone/call', API_KEY, { to: '+14155550100', businessId: h.b });
    expect(named.statusCode).toBe(201);
    expect(named.json()).toMatchObject({ from: FROM_NUMBER });

    expect(
      (await post('/phone/call', h.tokens.ownerA, { to: '+14155550100', businessId: h.b })).statusCode,
    ).toBe(404);
  });

  it('refusals: 400 not a number, 422 abroad, 429 with Retry-After past the rate', async () => {
    const bad = await post('/phone/call', h.tokens.ownerA, { to: 'call me' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'validation_failed', details: [{ path: 'body.to' }] });
    expect((await post('/phone/call', h.tokens.ownerA, { to: '+1415', extra: 1 })).statusCode).toBe(400);

    const abroad = await post('/phone/call', h.tokens.ownerA, { to: '+442079460000' });
    expect(abroad.statusCode).toBe(422);
    expect(abroad.json()).toMatchObject({ error: 'destination_not_allowed' });
    expect(twilio.requests).toEqual([]);

    for (let i = 0; i < 3; i++)
      expect((await post('/phone/call', h.tokens.ownerA, { to: '+14155550100' })).statusCode).toBe(201);
    const limited = await post('/phone/call', h.tokens.ownerA, { to: '+14155550100' });
    expect(limited.statusCode).toBe(429);
    // The minute began with the first call, at this same instant.
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.json()).toMatchObject({ error: 'too_many_requests' });
  });

  it('answers 503 telephony_not_configured when Twilio is not configured', async () => {
    const rest = deps.rest;
    deps.rest = undefined;
    try {
      const res = await post('/phone/call', h.tokens.ownerA, { to: '+14155550100' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        error: 'telephony_not_configured',
        message: 'Placing calls needs Twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.',
      });
    } finally {
      deps.rest = rest;
    }
  });
});
