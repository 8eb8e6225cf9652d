import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asBusinessId, type CallSid, type E164 } from '../../../src/ids.js';
import { AssistTokens } from '../../../src/telephony/twilio/assist-token.js';
import {
  registerAssistWebhook,
  type AssistWebhookPorts,
} from '../../../src/telephony/twilio/assist-webhook.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { hex, voiceParams } from './stream-peer.js';

/**
 * POST /twilio/assist/voice on a bare server with the real signature check and fake ports: what
 * Twilio is told to do with a call the business answers itself.
 */

const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const SECRET = 'stream-secret-of-at-least-thirty-two-chars';
const BUSINESS = asBusinessId('biz-1');
const BUSINESS_NUMBER = '+15005550006';
const AGENT = '+15005550101' as E164;
const ASSIST_WS = 'wss://assist.example.com/assist/stream';
const MEDIA_WS = 'wss://sb.example.com/twilio/stream';
/** Twilio signs the public URL; the test server listens elsewhere, as behind a proxy. */
const PUBLIC_URL = 'https://sb.example.com';

type Recorded = Parameters<AssistWebhookPorts['recordInboundCall']>[0];

/** The store, as the port promises it: one row per CallSid, `finished` once the call is over. */
class FakePorts implements AssistWebhookPorts {
  agentNumber: E164 | undefined = AGENT;
  readonly recorded: Recorded[] = [];
  readonly rows = new Map<string, { answeredBy: 'human' | 'ai'; finished: boolean }>();
  readonly unanswered: Array<Parameters<AssistWebhookPorts['recordAgentUnanswered']>[0]> = [];

  async findBusinessByNumber(to: string) {
    return to === BUSINESS_NUMBER ? { id: BUSINESS, agentNumber: this.agentNumber } : undefined;
  }

  async recordInboundCall(call: Recorded) {
    this.recorded.push(call);
    const row = this.rows.get(call.callSid);
    if (row) return { state: row.finished ? ('finished' as const) : ('retry' as const) };
    this.rows.set(call.callSid, { answeredBy: call.answeredBy, finished: false });
    return { state: 'new' as const };
  }

  async findCall(callSid: CallSid) {
    const row = this.rows.get(callSid);
    return row && { businessId: BUSINESS, finished: row.finished };
  }

  async recordAgentUnanswered(c: Parameters<AssistWebhookPorts['recordAgentUnanswered']>[0]) {
    this.unanswered.push(c);
    this.rows.get(c.callSid)!.answeredBy = 'ai';
  }
}

let app: FastifyInstance;
let baseUrl: string;
let ports: FakePorts;
let accepting: boolean;
let metrics: Metrics;
const assistTokens = new AssistTokens(SECRET, 60);
const streamTokens = new StreamTokens(SECRET, 60);

beforeEach(async () => {
  ports = new FakePorts();
  accepting = true;
  metrics = new Metrics();
  app = Fastify();
  await app.register(formbody);
  registerAssistWebhook(app, {
    ports,
    verifier: twilioSignatureVerifier(AUTH_TOKEN),
    assistTokens,
    streamTokens,
    publicUrl: PUBLIC_URL,
    assistStreamUrl: ASSIST_WS,
    mediaStreamUrl: MEDIA_WS,
    metrics,
    log: createLogger({ level: 'silent' }),
    acceptingCalls: () => accepting,
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => app.close());

async function post(
  params: Record<string, string>,
  authToken = AUTH_TOKEN,
  signed = true,
  path = '/twilio/assist/voice',
) {
  const signedUrl = `${PUBLIC_URL}${path}`;
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signed ? { 'x-twilio-signature': signTwilioRequest(authToken, signedUrl, params) } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  isArray: (name) => ['Parameter', 'Say'].includes(name),
});
interface Twiml {
  Start?: { Stream: { '@url': string; '@track'?: string; Parameter: Array<Record<string, string>> } };
  Connect?: { Stream: { '@url': string; Parameter: Array<Record<string, string>> } };
  Stop?: { Stream: { '@name': string } };
  Dial?:
    | string
    | { '#text': string; '@callerId'?: string; '@action'?: string; '@method'?: string; '@timeout'?: string };
  Say?: string[];
  Hangup?: unknown;
}
async function twimlOf(res: Response): Promise<Twiml> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/xml');
  return (parser.parse(await res.text()) as { Response: Twiml }).Response;
}
const tokenOf = (s: { Parameter: Array<Record<string, string>> }) =>
  s.Parameter.find((p) => p['@name'] === 'token')?.['@value'] ?? '';

describe('POST /twilio/assist/voice', () => {
  it('rings the agent number with the business as caller ID while a two-track assist stream listens', async () => {
    const callSid = `CA${hex(16)}`;
    const t = await twimlOf(await post(voiceParams(callSid)));
    expect(t.Start?.Stream['@url']).toBe(ASSIST_WS);
    expect(t.Start?.Stream['@track']).toBe('both_tracks');
    expect(t.Dial).toEqual({
      '#text': AGENT,
      '@callerId': BUSINESS_NUMBER,
      // Without an action, a <Dial> the agent does not answer ends the customer's call.
      '@action': `${PUBLIC_URL}/twilio/assist/dial-status`,
      '@method': 'POST',
      '@timeout': '20',
    });
    expect(t.Connect).toBeUndefined();
    const verdict = await assistTokens.verify(tokenOf(t.Start!.Stream));
    expect(verdict).toEqual({ ok: true, claims: { callSid, businessId: BUSINESS, source: 'dial' } });
    expect(ports.recorded).toEqual([
      expect.objectContaining({
        callSid,
        businessId: BUSINESS,
        from: '+15555550100',
        to: BUSINESS_NUMBER,
        answeredBy: 'human',
        status: 'ringing',
        direction: 'inbound',
      }),
    ]);
  });

  it('a call the agent does not pick up goes to the AI receptionist at the dial’s action URL', async () => {
    const callSid = `CA${hex(16)}`;
    const rung = await twimlOf(await post(voiceParams(callSid)));
    const action = (rung.Dial as { '@action': string })['@action'];
    expect(action.startsWith(PUBLIC_URL)).toBe(true);
    const path = action.slice(PUBLIC_URL.length);
    const t = await twimlOf(
      await post(
        voiceParams(callSid, { CallStatus: 'in-progress', DialCallStatus: 'no-answer' }),
        AUTH_TOKEN,
        true,
        path,
      ),
    );
    expect(t.Stop?.Stream['@name']).toBe('switchboard-assist');
    expect(t.Connect?.Stream['@url']).toBe(MEDIA_WS);
    expect(await streamTokens.verify(tokenOf(t.Connect!.Stream))).toEqual({
      ok: true,
      claims: { callSid, businessId: BUSINESS },
    });
    expect(ports.unanswered).toEqual([{ callSid, dialStatus: 'no-answer', at: expect.any(Date) }]);
    expect(ports.rows.get(callSid)?.answeredBy).toBe('ai');
  });

  it('answers a Twilio retry with the same dial and records the call once', async () => {
    const callSid = `CA${hex(16)}`;
    const first = await twimlOf(await post(voiceParams(callSid)));
    const again = await twimlOf(await post(voiceParams(callSid)));
    expect(again.Dial).toEqual(first.Dial);
    expect((await assistTokens.verify(tokenOf(again.Start!.Stream))).ok).toBe(true);
    expect(ports.rows.size).toBe(1);
  });

  it('gives a replay for a finished call no stream, only a goodbye', async () => {
    const callSid = `CA${hex(16)}`;
    await post(voiceParams(callSid));
    ports.rows.get(callSid)!.finished = true;
    const t = await twimlOf(await post(voiceParams(callSid)));
    expect(t.Start).toBeUndefined();
    expect(t.Dial).toBeUndefined();
    expect(t.Say?.[0]).toMatch(/already been handled/);
  });

  it('with no agent number, the AI answers as on /twilio/voice (media-stream token), and the call is recorded as the AI’s', async () => {
    ports.agentNumber = undefined;
    const callSid = `CA${hex(16)}`;
    const t = await twimlOf(await post(voiceParams(callSid)));
    expect(t.Dial).toBeUndefined();
    expect(t.Start).toBeUndefined();
    expect(t.Connect?.Stream['@url']).toBe(MEDIA_WS);
    const token = tokenOf(t.Connect!.Stream);
    expect(await streamTokens.verify(token)).toEqual({ ok: true, claims: { callSid, businessId: BUSINESS } });
    // Not an assist token: the AI's stream cannot be opened as an assist stream.
    expect((await assistTokens.verify(token)).ok).toBe(false);
    expect(ports.recorded[0]?.answeredBy).toBe('ai');
  });

  it('never dials the number that was called (it would ring this webhook again): the AI answers', async () => {
    ports.agentNumber = BUSINESS_NUMBER as E164;
    const t = await twimlOf(await post(voiceParams(`CA${hex(16)}`)));
    expect(t.Dial).toBeUndefined();
    expect(t.Connect?.Stream['@url']).toBe(MEDIA_WS);
  });

  it('refuses an unsigned or wrongly signed request with 403 and records nothing', async () => {
    for (const res of [
      await post(voiceParams(`CA${hex(16)}`), AUTH_TOKEN, false),
      await post(voiceParams(`CA${hex(16)}`), 'not-the-token'),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden', message: expect.stringMatching(/signature/) });
    }
    expect(ports.recorded).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('switchboard_rejected_webhooks_total')).toMatch(
      /route="assist-voice",reason="no-signature"\} 1[\s\S]*route="assist-voice",reason="bad-signature"\} 1/,
    );
  });

  it('refuses bad parameters with 400 and records nothing', async () => {
    const res = await post(voiceParams(`CA${hex(16)}`, { CallStatus: 'exploded' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('validation_failed');
    expect(ports.recorded).toEqual([]);
  });

  it('a number no business owns gets the apology, and shutting down gets the call-back line, as /twilio/voice', async () => {
    const unknown = await twimlOf(await post(voiceParams(`CA${hex(16)}`, { To: '+15005550999' })));
    expect(unknown.Say?.[0]).toMatch(/isn't set up/);
    expect(unknown.Hangup).toBeDefined();
    accepting = false;
    const closing = await twimlOf(await post(voiceParams(`CA${hex(16)}`)));
    expect(closing.Say?.[0]).toMatch(/call back/);
    expect(closing.Dial).toBeUndefined();
    expect(ports.recorded).toEqual([]);
  });
});
