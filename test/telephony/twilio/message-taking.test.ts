import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noTools, type AgentTools, type EmergencyReport, type LeadUpdate } from '../../../src/agent/index.js';
import { profileFromStored, type Plan } from '../../../src/business/index.js';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asBusinessId, type CallSid } from '../../../src/ids.js';
import type { Business, CallsRepo } from '../../../src/store/index.js';
import type { BrainRequest } from '../../../src/telephony/twilio/call-controller.js';
import { greetingForMessage, registerMessageRoute } from '../../../src/telephony/twilio/message-taking.js';
import {
  ASK_AGAIN,
  LEAVE_A_MESSAGE,
  MESSAGE_THANKS,
  NO_MESSAGE_GOODBYE,
  NO_MESSAGE_NO_NUMBER_GOODBYE,
} from '../../../src/telephony/twilio/message-taking-twiml.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { registerVoiceWebhooks } from '../../../src/telephony/twilio/webhooks.js';
import { readTwiml } from '../../../src/sim/twiml-reader.js';

/**
 * A call to a business whose plan has no voice agent (FREE, BASIC): /twilio/voice greets and
 * gathers one spoken message; /twilio/message stores it as the call's lead, raises an emergency
 * in it, tells the owner, and says goodbye. Nothing said twice: a missed-call lead and a goodbye.
 */

const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const PUBLIC_URL = 'https://sb.example.com';
const NUMBER = '+15005550006';
// A Wednesday at 15:00 in New York: open.
const OPEN_NOW = new Date('2026-12-02T20:00:00Z');

function business(plan: Plan, overrides: Partial<Business> = {}): Business {
  return {
    id: asBusinessId('00000000-0000-4000-8000-00000000b001'),
    name: 'Acme Plumbing',
    trade: 'plumbing',
    greeting: 'Acme Plumbing, how can I help? For emergencies, press 1.',
    afterHoursGreeting: null,
    timezone: 'America/New_York',
    hours: { weekly: { wed: [{ open: '08:00', close: '18:00' }] }, holidays: [] },
    plan,
    settings: {},
    phoneNumbers: [NUMBER as Business['phoneNumbers'][number]],
    createdAt: OPEN_NOW,
    updatedAt: OPEN_NOW,
    ...overrides,
  } as Business;
}

let app: FastifyInstance;
let baseUrl: string;
let current: Business;
let leads: LeadUpdate[];
let emergencies: EmergencyReport[];
let toolRequests: BrainRequest[];
let turns: Array<{ callSid: CallSid; speaker: string; text: string }>;
let events: Array<{ callSid: CallSid; type: string; payload: Record<string, unknown> }>;
let summaries: Array<Record<string, unknown>>;
let logLines: string[];
let failLead: boolean;

const calls = {
  get: async (callSid: CallSid) =>
    ({ events: events.filter((e) => e.callSid === callSid).map((e) => ({ type: e.type })) }) as Awaited<
      ReturnType<CallsRepo['get']>
    >,
  appendTurn: async (callSid: CallSid, t: { speaker: string; text: string }) => {
    turns.push({ callSid, speaker: t.speaker, text: t.text });
    return undefined;
  },
  appendEvent: async (callSid: CallSid, type: string, payload: Record<string, unknown> = {}) => {
    events.push({ callSid, type, payload });
    return true;
  },
  setSummary: async (_callSid: CallSid, part: Record<string, unknown>) => {
    summaries.push(part);
    return true;
  },
} as unknown as Pick<CallsRepo, 'get' | 'appendTurn' | 'appendEvent' | 'setSummary'>;

beforeEach(async () => {
  current = business('FREE');
  leads = [];
  emergencies = [];
  toolRequests = [];
  turns = [];
  events = [];
  summaries = [];
  logLines = [];
  failLead = false;
  const log = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const tools = (): AgentTools => ({
    ...noTools(),
    saveLead: async (lead) => {
      if (failLead) throw new Error('database down');
      leads.push(lead);
    },
    raiseEmergency: async (report) => void emergencies.push(report),
  });
  app = Fastify();
  await app.register(formbody);
  const common = {
    verifier: twilioSignatureVerifier(AUTH_TOKEN),
    publicUrl: PUBLIC_URL,
    metrics: new Metrics(),
    log,
  };
  registerVoiceWebhooks(app, {
    ...common,
    ports: {
      findBusinessByNumber: async () => current,
      recordInboundCall: async () => ({ state: 'new' }),
      recordStatus: async () => true,
      recordStreamStatus: async () => {},
    },
    tokens: new StreamTokens('stream-secret-of-at-least-thirty-two-chars', 60),
    streamUrl: 'wss://sb.example.com/twilio/stream',
    acceptingCalls: () => true,
  });
  registerMessageRoute(app, {
    ...common,
    findBusinessByNumber: async (to) => (to === NUMBER ? current : undefined),
    calls,
    toolsFor: (req) => {
      toolRequests.push(req);
      return tools();
    },
    now: () => OPEN_NOW,
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => app.close());

const callParams = {
  AccountSid: 'AC1',
  CallSid: 'CA00000000000000000000000000000001',
  From: '+15555550100',
  To: NUMBER,
  CallStatus: 'in-progress',
  Direction: 'inbound',
};

async function post(pathAndQuery: string, params: Record<string, string>, signed = true) {
  return fetch(`${baseUrl}${pathAndQuery}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signed
        ? { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}${pathAndQuery}`, params) }
        : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
}

describe('POST /twilio/voice for a plan without the voice agent', () => {
  it.each(['FREE', 'BASIC'] as const)(
    '%s: greets, asks for a message and gathers speech to /twilio/message (no media stream)',
    async (plan) => {
      current = business(plan);
      const res = await post('/twilio/voice', { ...callParams, CallStatus: 'ringing' });
      expect(res.status).toBe(200);
      const xml = await res.text();
      expect(xml).not.toContain('<Connect>');
      expect(xml).toContain(
        `<Gather input="speech" action="${PUBLIC_URL}/twilio/message?attempt=1" method="POST" speechTimeout="auto" timeout="6" language="en-US">`,
      );
      const twiml = readTwiml(xml);
      expect(twiml).toMatchObject({ kind: 'gather', redirect: `${PUBLIC_URL}/twilio/message?attempt=1` });
      const said = twiml.kind === 'gather' ? twiml.say.join(' ') : '';
      expect(said).toContain('Acme Plumbing');
      expect(said).toContain(LEAVE_A_MESSAGE);
      // Nobody answers keys here: the greeting's "press 1" is not offered.
      expect(said).not.toMatch(/press 1/i);
    },
  );

  it('PRO: the voice agent answers on a media stream as before', async () => {
    current = business('PRO');
    const xml = await (await post('/twilio/voice', { ...callParams, CallStatus: 'ringing' })).text();
    expect(xml).toContain('<Connect><Stream');
    expect(xml).not.toContain('<Gather');
  });
});

describe('greetingForMessage', () => {
  const profile = (p: Partial<Business>) => profileFromStored(business('FREE', p)).profile;

  it('keeps the greeting and leaves out the keypad line', () => {
    expect(greetingForMessage(profile({}), OPEN_NOW)).toBe('Acme Plumbing, how can I help?');
  });

  it('uses the after-hours greeting out of hours, without its "press 1" clause', () => {
    const midnight = new Date('2026-12-03T05:00:00Z');
    expect(
      greetingForMessage(
        profile({ afterHoursGreeting: "Acme Plumbing. We're closed, but for emergencies press 1." }),
        midnight,
      ),
    ).toBe("Acme Plumbing. We're closed.");
  });
});

describe('POST /twilio/message', () => {
  it('refuses an unsigned request with 403 in the one error shape, and stores nothing', async () => {
    const res = await post('/twilio/message?attempt=1', { ...callParams, SpeechResult: 'hello' }, false);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'forbidden' });
    expect(leads).toEqual([]);
    expect(toolRequests).toEqual([]);
  });

  it('refuses a request signed for another URL (the attempt is part of what is signed)', async () => {
    const params = { ...callParams, SpeechResult: 'hello' };
    const res = await fetch(`${baseUrl}/twilio/message?attempt=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}/twilio/message?attempt=1`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(403);
  });

  it('stores a message as the call lead, tells the owner through the lead path, and says goodbye', async () => {
    const words = 'Hi, this is Sam, my kitchen sink drips, please call me back';
    const res = await post('/twilio/message?attempt=1', {
      ...callParams,
      SpeechResult: words,
      Confidence: '0.87',
    });
    expect(res.status).toBe(200);
    expect(readTwiml(await res.text())).toEqual({ kind: 'say-hangup', say: [MESSAGE_THANKS] });
    // complete: true is what makes the store tools notify the owner of the lead.
    expect(leads).toEqual([
      expect.objectContaining({ fields: { need: words, phone: '+15555550100' }, complete: true }),
    ]);
    expect(leads[0]!.transcript.map((t) => t.speaker)).toEqual(['agent', 'caller']);
    expect(emergencies).toEqual([]);
    expect(toolRequests[0]).toMatchObject({ callSid: callParams.CallSid, callerId: '+15555550100' });
    expect(turns.map((t) => [t.speaker, t.text])).toEqual([
      ['agent', `Acme Plumbing, how can I help? ${LEAVE_A_MESSAGE}`],
      ['caller', words],
      ['agent', MESSAGE_THANKS],
    ]);
    expect(events.map((e) => e.type)).toEqual(['message-taken', 'lead']);
    expect(events[0]!.payload).toEqual({ attempt: 1, confidence: 0.87, emergency: false });
    expect(summaries).toEqual([{ outcome: 'message-taken', answeredWith: 'message' }]);
  });

  it('raises an emergency in a message, and keeps the lead without announcing it twice', async () => {
    const words = 'my pipe burst in the basement, this is Dana at 555 0100';
    const res = await post('/twilio/message?attempt=1', { ...callParams, SpeechResult: words });
    expect(readTwiml(await res.text())).toEqual({ kind: 'say-hangup', say: [MESSAGE_THANKS] });
    expect(emergencies).toEqual([
      expect.objectContaining({
        category: 'burst-pipe',
        callerId: '+15555550100',
        summary: expect.stringContaining(words),
      }),
    ]);
    expect(leads).toEqual([
      expect.objectContaining({
        fields: { need: words, phone: '+15555550100', urgency: 'urgent' },
        complete: false,
      }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['message-taken', 'emergency', 'lead']);
    expect(events[1]!.payload).toEqual({ category: 'burst-pipe' });
  });

  it('asks once more when nothing was said, then says goodbye and tells the owner of a missed call', async () => {
    const first = readTwiml(await (await post('/twilio/message?attempt=1', callParams)).text());
    expect(first).toMatchObject({
      kind: 'gather',
      action: `${PUBLIC_URL}/twilio/message?attempt=2`,
      redirect: `${PUBLIC_URL}/twilio/message?attempt=2`,
      say: [ASK_AGAIN],
    });
    expect(leads).toEqual([]);

    const second = readTwiml(await (await post('/twilio/message?attempt=2', callParams)).text());
    expect(second).toEqual({ kind: 'say-hangup', say: [NO_MESSAGE_GOODBYE] });
    expect(leads).toEqual([
      expect.objectContaining({
        fields: { need: 'Missed call: no message left', phone: '+15555550100' },
        complete: true,
      }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['message-missed', 'lead']);
    expect(summaries).toEqual([{ outcome: 'no-message', answeredWith: 'message' }]);
  });

  it('a withheld number: still a missed-call lead, and the caller is asked to call again', async () => {
    const res = await post('/twilio/message?attempt=2', { ...callParams, From: 'anonymous' });
    expect(readTwiml(await res.text())).toEqual({ kind: 'say-hangup', say: [NO_MESSAGE_NO_NUMBER_GOODBYE] });
    expect(leads[0]!.fields).toEqual({ need: 'Missed call from a withheld number: no message left' });
  });

  it('an attempt number it never gave counts as the last: the caller is never asked forever', async () => {
    const res = await post('/twilio/message?attempt=99', callParams);
    expect(readTwiml(await res.text())).toEqual({ kind: 'say-hangup', say: [NO_MESSAGE_GOODBYE] });
  });

  it("takes a message once: Twilio's retry of the same webhook stores nothing more", async () => {
    const params = { ...callParams, SpeechResult: 'please call me about a leaking tap' };
    await post('/twilio/message?attempt=1', params);
    const retry = await post('/twilio/message?attempt=1', params);
    expect(readTwiml(await retry.text())).toEqual({ kind: 'say-hangup', say: [MESSAGE_THANKS] });
    expect(leads).toHaveLength(1);
    expect(events.filter((e) => e.type === 'message-taken')).toHaveLength(1);
  });

  it('still thanks the caller when the lead cannot be stored (the failure goes to the log)', async () => {
    failLead = true;
    const res = await post('/twilio/message?attempt=1', { ...callParams, SpeechResult: 'call me back' });
    expect(res.status).toBe(200);
    expect(readTwiml(await res.text())).toEqual({ kind: 'say-hangup', say: [MESSAGE_THANKS] });
    expect(logLines.join('\n')).toContain('storing the message as a lead failed');
  });

  it('writes nothing the caller said to the log', async () => {
    const words = 'my pipe burst in the basement, this is Dana at 555 0100';
    await post('/twilio/message?attempt=1', { ...callParams, SpeechResult: words });
    const logged = logLines.join('\n');
    expect(logged).toContain('message taken');
    for (const secret of ['Dana', 'basement', '555 0100', '5555550100']) expect(logged).not.toContain(secret);
  });

  it('says goodbye to a message for a number no business owns, storing nothing', async () => {
    const res = await post('/twilio/message?attempt=1', {
      ...callParams,
      To: '+15005550999',
      SpeechResult: 'hi',
    });
    expect(readTwiml(await res.text())).toMatchObject({ kind: 'say-hangup' });
    expect(toolRequests).toEqual([]);
  });
});
