import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { asCallSid, type CallSid } from '../../../src/ids.js';
import {
  BusinessesRepo,
  CallsRepo,
  SessionsRepo,
  type Business,
  type CallStatus,
} from '../../../src/store/index.js';
import {
  OutboundCalls,
  RetryLaterError,
  TwilioRestClient,
  type OutboundCallsDeps,
} from '../../../src/telephony/twilio/index.js';
import { MemoryRateCounter } from '../../../src/store/rate/index.js';
import { FakeTwilioApi, type RecordedRequest } from '../../notify/support/fake-twilio-api.js';
import { drivers, silentLogger, useDatabase } from '../../store/drivers.js';

/**
 * OutboundCalls against the Twilio stand-in and a real database: what reaches Twilio's Calls API
 * (PROTOCOLS.md 3.5, 3.2), where a business may call, the per-business rate, how Twilio's refusals
 * read, and ending a call.
 */

const PUBLIC_URL = 'https://voice.example.com';
const OWN = '+14155550123'; // San Francisco: the business's own number, country US

describe('OutboundCalls: calls we place through the Calls API', () => {
  const store = useDatabase(drivers[0]!);
  const twilio = new FakeTwilioApi();
  let businesses: BusinessesRepo;
  let acme: Business;
  let other: Business;
  let numberless: Business;
  let nowMs = Date.UTC(2026, 11, 7, 12);

  beforeAll(async () => {
    await twilio.start();
    businesses = new BusinessesRepo(store.database.db);
    acme = await businesses.create({ name: 'Acme', greeting: 'Hi', phoneNumbers: [OWN] });
    other = await businesses.create({ name: 'Other', greeting: 'Hello', phoneNumbers: ['+12025550111'] });
    numberless = await businesses.create({ name: 'No Number', greeting: 'Hey' });
  });
  afterAll(async () => twilio.stop());
  beforeEach(() => {
    twilio.requests.length = 0;
    twilio.faults.length = 0;
  });

  const rest = () =>
    new TwilioRestClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      baseUrl: twilio.baseUrl,
    });
  const service = (over: Partial<OutboundCallsDeps> = {}) =>
    new OutboundCalls({
      rest: rest(),
      calls: new CallsRepo(store.database.db),
      sessions: new SessionsRepo(store.database.db),
      publicUrl: `${PUBLIC_URL}/`,
      fromNumber: '+13125550199',
      whatsappFrom: 'whatsapp:+13125550198',
      callsPerMinute: 1000,
      clock: { now: () => nowMs },
      log: silentLogger,
      ...over,
    });
  const calls = () => new CallsRepo(store.database.db);
  const sessions = () => new SessionsRepo(store.database.db);
  const only = (): RecordedRequest => {
    expect(twilio.requests).toHaveLength(1);
    return twilio.requests[0]!;
  };
  const v = FakeTwilioApi.values;

  it('creates the call at Twilio: To, From, Url, Method, StatusCallback with repeated events, Basic auth', async () => {
    const placed = await service().place({ business: acme, to: '+1 (415) 555-0100', channel: 'phone' });

    const r = only();
    expect(r.method).toBe('POST');
    expect(r.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Calls.json`);
    expect(r.contentType).toBe('application/x-www-form-urlencoded');
    expect([r.user, r.password]).toEqual([twilio.accountSid, twilio.authToken]);
    expect(v(r, 'To')).toEqual(['+14155550100']);
    expect(v(r, 'From')).toEqual([OWN]);
    expect(v(r, 'Url')).toEqual([`${PUBLIC_URL}/twilio/voice`]);
    expect(v(r, 'Method')).toEqual(['POST']);
    expect(v(r, 'StatusCallback')).toEqual([`${PUBLIC_URL}/twilio/status`]);
    expect(v(r, 'StatusCallbackMethod')).toEqual(['POST']);
    // Repeated keys, one event each (PROTOCOLS.md 3.2), not a comma list.
    expect(v(r, 'StatusCallbackEvent')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(r.raw).toContain('StatusCallbackEvent=initiated&StatusCallbackEvent=ringing');
    expect(v(r, 'Twiml')).toEqual([]);

    const sid = twilio.calls.at(-1)!.sid;
    expect(placed).toEqual({
      callSid: sid,
      status: 'queued',
      to: '+14155550100',
      from: OWN,
      channel: 'phone',
      display: '+1 415-555-0100',
    });
  });

  it('records the call at once: a live outbound-api session, and its stream talks to the person called', async () => {
    const placed = await service().place({ business: acme, to: '+14155550100', channel: 'phone' });
    const call = await calls().get(placed.callSid);
    expect(call).toMatchObject({
      businessId: acme.id,
      direction: 'outbound-api',
      channel: 'phone',
      status: 'queued',
      fromNumber: OWN,
      toNumber: '+14155550100',
      endedAt: null,
    });
    expect(await sessions().find(placed.callSid, acme.id)).toMatchObject({
      status: 'queued',
      channel: 'phone',
    });
    // The agent's caller is the person we called (To), not our own number (From).
    const claim = await calls().claimStream({
      callSid: placed.callSid,
      businessId: acme.id,
      streamSid: 'MZ0123',
      nodeId: 'n1',
    });
    expect(claim).toEqual({ ok: true, fromNumber: OWN, partyNumber: '+14155550100', channel: 'phone' });
  });

  it("an inbound call's stream still talks to its caller (From)", async () => {
    const sid = asCallSid(`CA${'1'.repeat(32)}`);
    await calls().createInbound({ callSid: sid, businessId: acme.id, from: '+14155550177', to: OWN });
    expect(
      await calls().claimStream({ callSid: sid, businessId: acme.id, streamSid: 'MZ1', nodeId: 'n1' }),
    ).toEqual({ ok: true, fromNumber: '+14155550177', partyNumber: '+14155550177', channel: 'phone' });
  });

  it('a business without a number calls from TWILIO_FROM_NUMBER, in that number’s country', async () => {
    await service().place({ business: numberless, to: '+12025550123', channel: 'phone' });
    expect(v(only(), 'From')).toEqual(['+13125550199']);
    await expect(
      service({ fromNumber: undefined, whatsappFrom: undefined }).place({
        business: numberless,
        to: '+12025550123',
        channel: 'phone',
      }),
    ).rejects.toMatchObject({ statusCode: 422, code: 'destination_not_allowed' });
  });

  it('a WhatsApp call goes from whatsapp:<own number> to whatsapp:+E164 and is answered on /whatsapp/voice', async () => {
    const placed = await service().place({
      business: acme,
      to: 'whatsapp:+14155550100',
      channel: 'whatsapp',
    });
    const r = only();
    expect(v(r, 'To')).toEqual(['whatsapp:+14155550100']);
    expect(v(r, 'From')).toEqual([`whatsapp:${OWN}`]);
    expect(v(r, 'Url')).toEqual([`${PUBLIC_URL}/whatsapp/voice`]);
    expect(v(r, 'StatusCallback')).toEqual([`${PUBLIC_URL}/twilio/status`]);
    expect(placed).toMatchObject({
      to: 'whatsapp:+14155550100',
      from: `whatsapp:${OWN}`,
      channel: 'whatsapp',
    });
    expect(await sessions().find(placed.callSid)).toMatchObject({ channel: 'whatsapp' });

    await service().place({ business: numberless, to: 'whatsapp:+14155550100', channel: 'whatsapp' });
    expect(v(twilio.requests[1]!, 'From')).toEqual(['whatsapp:+13125550198']);
  });

  it('refuses what is not a phone number with 400, before Twilio hears of it', async () => {
    for (const to of ['hello', '4155550100', '+1415', '+1 415 555 0100 0000 000', 'whatsapp:+14155550100']) {
      await expect(service().place({ business: acme, to, channel: 'phone' })).rejects.toMatchObject({
        statusCode: 400,
        code: 'validation_failed',
        details: [{ path: 'body.to' }],
      });
    }
    expect(twilio.requests).toEqual([]);
  });

  it('by default calls only numbers in the business’s own country (within +1, Jamaica is not the US)', async () => {
    for (const to of ['+442079460000', '+18765550100', '+14165550123']) {
      const p = service().place({ business: acme, to, channel: 'phone' });
      await expect(p).rejects.toMatchObject({ statusCode: 422, code: 'destination_not_allowed' });
      await expect(p).rejects.toThrow(/own country \(US\)/);
    }
    expect(twilio.requests).toEqual([]);
    // A +1 number libphonenumber cannot place (555) shares our calling code: it counts as ours.
    await service().place({ business: acme, to: '+15551234567', channel: 'phone' });
    expect(twilio.requests).toHaveLength(1);
  });

  it('settings outbound.allowedPrefixes narrow the list; a prefix abroad does not widen it', async () => {
    const narrow = { ...acme, settings: { outbound: { allowedPrefixes: ['+1415', '+44'] } } };
    await service().place({ business: narrow, to: '+14155550100', channel: 'phone' });
    for (const to of ['+12025550123', '+442079460000']) {
      await expect(service().place({ business: narrow, to, channel: 'phone' })).rejects.toMatchObject({
        statusCode: 422,
        code: 'destination_not_allowed',
      });
    }
    const none = { ...acme, settings: { outbound: { allowedPrefixes: [] } } };
    await expect(service().place({ business: none, to: '+14155550100', channel: 'phone' })).rejects.toThrow(
      'The business allows no outbound calls.',
    );
    // A typo in the settings closes the door rather than opening it.
    const typo = { ...acme, settings: { outbound: { allowedPrefixes: '+1415' } } };
    await expect(service().place({ business: typo, to: '+14155550100', channel: 'phone' })).rejects.toThrow(
      /outbound settings are not valid \(outbound\.allowedPrefixes\)/,
    );
    expect(twilio.requests).toHaveLength(1);
  });

  it('limits calls per business per minute, with the wait to retry', async () => {
    const limited = service({ callsPerMinute: 2 });
    await limited.place({ business: acme, to: '+14155550100', channel: 'phone' });
    nowMs += 20_000;
    await limited.place({ business: acme, to: '+14155550101', channel: 'phone' });
    const refused = limited.place({ business: acme, to: '+14155550102', channel: 'phone' });
    await expect(refused).rejects.toBeInstanceOf(RetryLaterError);
    // The minute began with the first call: 40 s of it are left.
    await expect(refused).rejects.toMatchObject({
      statusCode: 429,
      code: 'too_many_requests',
      retryAfterSec: 40,
    });
    // Another business has its own count.
    await limited.place({ business: other, to: '+12025550123', channel: 'phone' });
    expect(twilio.requests).toHaveLength(3);
    nowMs += 40_000; // a new minute
    await limited.place({ business: acme, to: '+14155550102', channel: 'phone' });
    await limited.place({ business: acme, to: '+14155550103', channel: 'phone' });
    await expect(
      limited.place({ business: acme, to: '+14155550104', channel: 'phone' }),
    ).rejects.toMatchObject({
      statusCode: 429,
    });
  });

  it('counts in the counter it is given: two nodes sharing one count the business together', async () => {
    const shared = new MemoryRateCounter({ now: () => nowMs });
    const nodeA = service({ callsPerMinute: 2, rateCounter: shared });
    const nodeB = service({ callsPerMinute: 2, rateCounter: shared });
    await nodeA.place({ business: acme, to: '+14155550100', channel: 'phone' });
    await nodeB.place({ business: acme, to: '+14155550101', channel: 'phone' });
    await expect(nodeA.place({ business: acme, to: '+14155550102', channel: 'phone' })).rejects.toMatchObject(
      {
        statusCode: 429,
      },
    );
    expect(twilio.requests).toHaveLength(2);
  });

  it('answers 503 telephony_not_configured without Twilio credentials', async () => {
    const none = service({ rest: undefined });
    expect(none.configured).toBe(false);
    await expect(none.place({ business: acme, to: '+14155550100', channel: 'phone' })).rejects.toMatchObject({
      statusCode: 503,
      code: 'telephony_not_configured',
    });
    // Ending: the tenant check comes first (another business's call is unknown whatever the setup).
    const live = await service().place({ business: other, to: '+12025550123', channel: 'phone' });
    await expect(none.end(live.callSid, acme.id)).rejects.toMatchObject({ statusCode: 404 });
    await expect(none.end(live.callSid, other.id)).rejects.toMatchObject({
      statusCode: 503,
      code: 'telephony_not_configured',
    });
  });

  it("maps Twilio's refusals to clear answers that carry no credentials, and records no call", async () => {
    const cases: Array<[FakeTwilioApi['faults'][number], object, RegExp]> = [
      [
        { status: 400, code: 21215, message: 'Account not authorized to call +14155550100' },
        { statusCode: 422, code: 'call_refused' },
        /geographic permissions.*21215/,
      ],
      [
        { status: 401, code: 20003, message: 'Authenticate' },
        { statusCode: 502, code: 'telephony_auth_failed' },
        /credentials/,
      ],
      [
        { status: 500, code: 20500, message: 'Internal' },
        { statusCode: 502, code: 'telephony_unavailable' },
        /try again/,
      ],
      [
        { status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '7' },
        { statusCode: 503, code: 'telephony_busy', retryAfterSec: 7 },
        /7 s/,
      ],
    ];
    const before = twilio.calls.length;
    for (const [fault, answer, message] of cases) {
      twilio.faults.push(fault);
      const p = service().place({ business: acme, to: '+14155550100', channel: 'phone' });
      await expect(p).rejects.toMatchObject(answer);
      const err = (await p.catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(twilio.accountSid);
      expect(err.message).not.toContain(twilio.authToken);
    }
    expect(twilio.calls.length).toBe(before);
  });

  it('ends a ringing call with canceled and an answered one with completed; the session is then gone', async () => {
    const s = service();
    const ringing = await s.place({ business: acme, to: '+14155550100', channel: 'phone' });
    twilio.requests.length = 0;
    expect(await s.end(ringing.callSid, acme.id)).toEqual({ callSid: ringing.callSid, status: 'canceled' });
    const r = only();
    expect(r.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Calls/${ringing.callSid}.json`);
    expect(r.form).toEqual([['Status', 'canceled']]);
    expect(await sessions().find(ringing.callSid)).toBeUndefined();
    expect(await calls().get(ringing.callSid)).toMatchObject({
      status: 'canceled',
      endReason: 'ended-by-api',
    });

    const answered = await s.place({ business: acme, to: '+14155550100', channel: 'phone' });
    await calls().recordStatus({
      callSid: answered.callSid,
      status: 'in-progress',
      source: 'status-callback',
      sequenceNumber: 2,
      occurredAt: new Date(),
    });
    twilio.requests.length = 0;
    expect(await s.end(answered.callSid, undefined)).toMatchObject({ status: 'completed' });
    expect(only().form).toEqual([['Status', 'completed']]);
    expect(await sessions().find(answered.callSid)).toBeUndefined();
  });

  it("answers 404 for another business's call, an ended one or an unknown one, without asking Twilio", async () => {
    const s = service();
    const theirs = await s.place({ business: other, to: '+12025550123', channel: 'phone' });
    twilio.requests.length = 0;
    await expect(s.end(theirs.callSid, acme.id)).rejects.toMatchObject({
      statusCode: 404,
      code: 'not_found',
    });
    await expect(s.end(asCallSid(`CA${'3'.repeat(32)}`), undefined)).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(twilio.requests).toEqual([]);
    await s.end(theirs.callSid, other.id);
    await expect(s.end(theirs.callSid, other.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('hangs up with completed when a call it thought ringing had already been answered', async () => {
    const sent: string[] = [];
    const scripted = {
      createCall: async () => ({ sid: `CA${'4'.repeat(32)}`, status: 'ringing' }),
      updateCall: async (_sid: string, p: { status?: string }) => {
        sent.push(p.status ?? '');
        return { sid: `CA${'4'.repeat(32)}`, status: p.status === 'canceled' ? 'in-progress' : 'completed' };
      },
    } as unknown as OutboundCallsDeps['rest'];
    const s = service({ rest: scripted });
    const placed = await s.place({ business: acme, to: '+14155550100', channel: 'phone' });
    expect(placed.status).toBe<CallStatus>('ringing');
    expect(await s.end(placed.callSid as CallSid, acme.id)).toMatchObject({ status: 'completed' });
    expect(sent).toEqual(['canceled', 'completed']);
  });
});
