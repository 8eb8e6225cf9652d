import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_TWIML_CHARS,
  TwilioApiError,
  TwilioNetworkError,
  TwilioRequestError,
  TwilioRestClient,
} from '../../../src/telephony/twilio/rest.js';
import { FakeTwilioApi } from '../../notify/support/fake-twilio-api.js';

const api = new FakeTwilioApi();
const client = (over: Partial<ConstructorParameters<typeof TwilioRestClient>[0]> = {}) =>
  new TwilioRestClient({
    accountSid: api.accountSid,
    authToken: api.authToken,
    baseUrl: api.baseUrl,
    ...over,
  });
const last = () => api.requests.at(-1)!;
const TWIML = '<Response><Say>Hi</Say></Response>';

beforeAll(async () => {
  await api.start();
});
afterAll(async () => {
  await api.stop();
});
beforeEach(() => {
  api.requests.length = 0;
  api.faults.length = 0;
  api.messages.length = 0;
  api.calls.length = 0;
  api.now = () => Date.now();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('Twilio REST client against a local Twilio', () => {
  it('creates a call with Basic auth, a form body and repeated StatusCallbackEvent keys', async () => {
    const call = await client().createCall({
      to: '+15005550006',
      from: '+15005550001',
      twiml: TWIML,
      statusCallback: 'https://sb.example.com/twilio/alert-status?e=1&s=0',
      statusCallbackEvent: ['answered', 'completed'],
      timeout: 25,
      machineDetection: 'Enable',
    });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.status).toBe('queued');
    const r = last();
    expect(r.method).toBe('POST');
    expect(r.path).toBe(`/2010-04-01/Accounts/${api.accountSid}/Calls.json`);
    expect(r.contentType).toBe('application/x-www-form-urlencoded');
    expect([r.user, r.password]).toEqual([api.accountSid, api.authToken]);
    expect(r.form).toEqual([
      ['To', '+15005550006'],
      ['From', '+15005550001'],
      ['Twiml', TWIML],
      ['StatusCallback', 'https://sb.example.com/twilio/alert-status?e=1&s=0'],
      ['StatusCallbackEvent', 'answered'],
      ['StatusCallbackEvent', 'completed'],
      ['Timeout', '25'],
      ['MachineDetection', 'Enable'],
    ]);
    // Exactly the curl shape of PROTOCOLS.md 3.5: plus signs and XML percent-encoded, keys repeated.
    expect(r.raw).toContain('To=%2B15005550006');
    expect(r.raw).toContain('StatusCallbackEvent=answered&StatusCallbackEvent=completed');
  });

  it('creates a call from a URL with its method', async () => {
    await client().createCall({
      to: '+15005550006',
      from: '+15005550001',
      url: 'https://x.test/t',
      method: 'GET',
    });
    expect(FakeTwilioApi.value(last(), 'Url')).toBe('https://x.test/t');
    expect(FakeTwilioApi.value(last(), 'Method')).toBe('GET');
    expect(FakeTwilioApi.value(last(), 'Twiml')).toBeUndefined();
  });

  it('refuses before sending: TwiML over 4000 characters, or both or neither of twiml and url', async () => {
    const long = `<Response><Say>${'a'.repeat(MAX_TWIML_CHARS)}</Say></Response>`;
    const c = client();
    await expect(c.createCall({ to: '+1', from: '+2', twiml: long })).rejects.toBeInstanceOf(
      TwilioRequestError,
    );
    await expect(c.createCall({ to: '+1', from: '+2' })).rejects.toMatchObject({ retryable: false });
    await expect(
      c.createCall({ to: '+1', from: '+2', twiml: TWIML, url: 'https://x' }),
    ).rejects.toBeInstanceOf(TwilioRequestError);
    await expect(c.updateCall('CA1', { twiml: long })).rejects.toBeInstanceOf(TwilioRequestError);
    expect(api.requests).toHaveLength(0);
  });

  it('updates a call: new TwiML, a redirect, or hang-up with Status=completed', async () => {
    const sid = `CA${'a'.repeat(32)}`;
    const c = client();
    await c.updateCall(sid, { twiml: '<Response><Dial>+15550001111</Dial></Response>' });
    expect(last().path).toBe(`/2010-04-01/Accounts/${api.accountSid}/Calls/${sid}.json`);
    expect(last().form).toEqual([['Twiml', '<Response><Dial>+15550001111</Dial></Response>']]);
    await c.updateCall(sid, { url: 'https://x.test/next', method: 'POST' });
    expect(last().form).toEqual([
      ['Url', 'https://x.test/next'],
      ['Method', 'POST'],
    ]);
    const ended = await c.updateCall(sid, { status: 'completed' });
    expect(last().form).toEqual([['Status', 'completed']]);
    expect(ended).toMatchObject({ sid, status: 'completed' });
  });

  it('sends an SMS and a WhatsApp message with whatsapp: addresses', async () => {
    const c = client();
    const sms = await c.sendMessage({
      to: '+15005550006',
      from: '+15005550001',
      body: 'Emergency: flooding',
      statusCallback: 'https://sb.example.com/twilio/message-status',
    });
    expect(sms.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(last().path).toBe(`/2010-04-01/Accounts/${api.accountSid}/Messages.json`);
    expect(last().form).toEqual([
      ['To', '+15005550006'],
      ['From', '+15005550001'],
      ['Body', 'Emergency: flooding'],
      ['StatusCallback', 'https://sb.example.com/twilio/message-status'],
    ]);
    await c.sendMessage({ to: 'whatsapp:+15005550006', from: 'whatsapp:+14155238886', body: 'Hi' });
    expect(last().raw).toContain('To=whatsapp%3A%2B15005550006');
    expect(FakeTwilioApi.value(last(), 'From')).toBe('whatsapp:+14155238886');
  });

  it('sends a content template without Body, with ContentVariables as a JSON string', async () => {
    await client().sendMessage({
      to: 'whatsapp:+15005550006',
      from: 'whatsapp:+14155238886',
      body: 'ignored',
      contentSid: 'HX0123',
      contentVariables: { '1': '12/1', '2': '3pm' },
    });
    expect(last().form).toEqual([
      ['To', 'whatsapp:+15005550006'],
      ['From', 'whatsapp:+14155238886'],
      ['ContentSid', 'HX0123'],
      ['ContentVariables', '{"1":"12/1","2":"3pm"}'],
    ]);
  });

  it('authenticates with an API key SID and secret while the URL names the account', async () => {
    const server = new FakeTwilioApi(api.accountSid, 'secret-of-key');
    await server.start();
    try {
      // The fake only knows account-SID users, so a key user is refused: the header carried the key.
      const c = new TwilioRestClient({
        accountSid: api.accountSid,
        apiKeySid: 'SK0123',
        authToken: 'secret-of-key',
        baseUrl: server.baseUrl,
      });
      await expect(c.sendMessage({ to: '+1', from: '+2', body: 'x' })).rejects.toMatchObject({ status: 401 });
      expect(server.requests[0]).toMatchObject({ user: 'SK0123', password: 'secret-of-key' });
      expect(server.requests[0]!.path).toContain(`/Accounts/${api.accountSid}/`);
    } finally {
      await server.stop();
    }
  });

  it("maps Twilio's error JSON to a typed error: 4xx permanent with code and more_info", async () => {
    api.faults.push({ status: 400, code: 21211, message: "The 'To' number +1 is not a valid phone number." });
    const err = await client()
      .sendMessage({ to: '+1', from: '+15005550001', body: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwilioApiError);
    expect(err).toMatchObject({
      retryable: false,
      status: 400,
      code: 21211,
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
    expect((err as Error).message).toContain('21211');
  });

  it('a wrong auth token is a permanent 401 (code 20003)', async () => {
    await expect(
      client({ authToken: 'wrong' }).createCall({ to: '+1', from: '+2', twiml: TWIML }),
    ).rejects.toMatchObject({ retryable: false, status: 401, code: 20003 });
  });

  it('429 is retryable and carries Retry-After; 5xx is retryable, even as an HTML page', async () => {
    api.faults.push({ status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '3' });
    await expect(client().createCall({ to: '+1', from: '+2', twiml: TWIML })).rejects.toMatchObject({
      retryable: true,
      status: 429,
      code: 20429,
      retryAfterMs: 3000,
    });
    api.faults.push({ status: 503, body: '<html>Service Unavailable</html>' });
    await expect(client().createCall({ to: '+1', from: '+2', twiml: TWIML })).rejects.toMatchObject({
      retryable: true,
      status: 503,
      code: undefined,
    });
  });

  it('a refused connection, a dropped socket and a timeout are retryable network errors', async () => {
    const gone = new FakeTwilioApi();
    await gone.start();
    const deadUrl = gone.baseUrl;
    await gone.stop();
    await expect(
      client({ baseUrl: deadUrl }).sendMessage({ to: '+1', from: '+2', body: 'x' }),
    ).rejects.toBeInstanceOf(TwilioNetworkError);

    api.faults.push({ destroy: true });
    await expect(client().sendMessage({ to: '+1', from: '+2', body: 'x' })).rejects.toMatchObject({
      name: 'TwilioNetworkError',
      retryable: true,
    });

    api.faults.push({ hang: true });
    const started = Date.now();
    await expect(
      client({ timeoutMs: 200 }).sendMessage({ to: '+1', from: '+2', body: 'x' }),
    ).rejects.toMatchObject({
      name: 'TwilioNetworkError',
      retryable: true,
      message: expect.stringContaining('timed out'),
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("the caller's abort is passed through as an abort, not as a Twilio failure", async () => {
    api.faults.push({ hang: true });
    const ac = new AbortController();
    const p = client().sendMessage({ to: '+1', from: '+2', body: 'x' }, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const err = await p.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(TwilioNetworkError);
    expect((err as Error).name).toBe('AbortError');
  });

  it('lists messages newest first, filtered by To and From, across pages by next_page_uri', async () => {
    const c = client();
    for (let i = 0; i < 5; i++) {
      await c.sendMessage({ to: '+15005550006', from: '+15005550001', body: `alert ${i}` });
    }
    await c.sendMessage({ to: '+15005550099', from: '+15005550001', body: 'someone else' });
    api.requests.length = 0;
    const found = await collect(
      c.listMessages({ to: '+15005550006', from: '+15005550001', pageSize: 2 }, { maxPages: 5 }),
    );
    expect(found.map((m) => m.body)).toEqual(['alert 4', 'alert 3', 'alert 2', 'alert 1', 'alert 0']);
    expect(found[0]!.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(found[0]!.date_created).toMatch(/GMT$/);
    // Three GETs: the first with the filters, the next ones following next_page_uri.
    expect(api.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
    const first = new URL(api.requests[0]!.path, 'http://x');
    expect(first.pathname).toBe(`/2010-04-01/Accounts/${api.accountSid}/Messages.json`);
    expect(Object.fromEntries(first.searchParams)).toEqual({
      To: '+15005550006',
      From: '+15005550001',
      PageSize: '2',
    });
    expect(new URL(api.requests[1]!.path, 'http://x').searchParams.get('Page')).toBe('1');
    expect(api.requests[0]!.user).toBe(api.accountSid);
    // maxPages bounds the walk.
    expect(await collect(c.listMessages({ to: '+15005550006', pageSize: 2 }, { maxPages: 1 }))).toHaveLength(
      2,
    );
  });

  it('sends date filters as Twilio names them: DateSent> / StartTime> with an ISO date-time, DateSent as a day', async () => {
    const c = client();
    api.now = () => Date.parse('2026-03-02T15:00:00Z');
    await c.sendMessage({ to: '+15005550006', from: '+15005550001', body: 'old' });
    api.now = () => Date.parse('2026-03-02T15:10:00Z');
    await c.sendMessage({ to: '+15005550006', from: '+15005550001', body: 'new' });
    api.requests.length = 0;
    const after = await collect(
      c.listMessages({ to: '+15005550006', dateSentAfter: new Date('2026-03-02T15:05:00.250Z') }),
    );
    expect(after.map((m) => m.body)).toEqual(['new']);
    expect(new URL(api.requests[0]!.path, 'http://x').searchParams.get('DateSent>')).toBe(
      '2026-03-02T15:05:00Z',
    );
    const day = await collect(c.listMessages({ dateSent: new Date('2026-03-02T23:00:00Z') }));
    expect(day).toHaveLength(2);
    expect(new URL(api.requests[1]!.path, 'http://x').searchParams.get('DateSent')).toBe('2026-03-02');

    await c.createCall({ to: '+15005550006', from: '+15005550001', twiml: TWIML });
    api.requests.length = 0;
    // A queued call has no start_time: a StartTime filter does not see it, a To/From list does.
    expect(
      await collect(c.listCalls({ to: '+15005550006', startTimeAfter: new Date('2026-03-02T00:00:00Z') })),
    ).toEqual([]);
    const calls = await collect(c.listCalls({ to: '+15005550006', from: '+15005550001' }));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ status: 'queued', start_time: null });
    const q = new URL(api.requests[0]!.path, 'http://x');
    expect(q.pathname).toBe(`/2010-04-01/Accounts/${api.accountSid}/Calls.json`);
    expect(q.searchParams.get('StartTime>')).toBe('2026-03-02T00:00:00Z');
  });

  it('a failing list is a typed error: 5xx retryable, 401 permanent', async () => {
    api.faults.push({ status: 503, code: 20503, message: 'Service Unavailable' });
    const err = await collect(client().listMessages({ to: '+15005550006' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwilioApiError);
    expect((err as TwilioApiError).retryable).toBe(true);
    const denied = await collect(client({ authToken: 'wrong' }).listCalls({})).catch((e: unknown) => e);
    expect((denied as TwilioApiError).status).toBe(401);
    expect((denied as TwilioApiError).retryable).toBe(false);
  });
});
