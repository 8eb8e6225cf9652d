import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asBusinessId, type CallSid } from '../../../src/ids.js';
import {
  registerAssistDialStatus,
  type AssistDialStatusPorts,
} from '../../../src/telephony/twilio/assist-dial-status.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { twilioSignatureCheck } from '../../../src/telephony/twilio/webhook-request.js';
import { hex, voiceParams } from './stream-peer.js';

/**
 * POST /twilio/assist/dial-status on a bare server with the real signature check and fake ports:
 * what Twilio is told once the assisted <Dial> to the business's agent ends.
 */

const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const SECRET = 'stream-secret-of-at-least-thirty-two-chars';
const BUSINESS = asBusinessId('biz-1');
const MEDIA_WS = 'wss://sb.example.com/twilio/stream';
/** Twilio signs the public URL; the test server listens elsewhere, as behind a proxy. */
const PUBLIC_URL = 'https://sb.example.com';
const PATH = '/twilio/assist/dial-status';
const CALLER = '+15555550100';

type Unanswered = Parameters<AssistDialStatusPorts['recordAgentUnanswered']>[0];

/** The store, as the ports promise it: the calls it knows, `finished` once over or streamed. */
class FakePorts implements AssistDialStatusPorts {
  readonly calls = new Map<string, { finished: boolean; messageGreeting?: string }>();
  readonly unanswered: Unanswered[] = [];
  lookups = 0;
  failFind = false;
  failRecord = false;

  async findCall(callSid: CallSid) {
    this.lookups++;
    if (this.failFind) throw new Error('database unavailable');
    const c = this.calls.get(callSid);
    return c && { businessId: BUSINESS, ...c };
  }

  async recordAgentUnanswered(c: Unanswered) {
    if (this.failRecord) throw new Error('database unavailable');
    this.unanswered.push(c);
  }
}

let app: FastifyInstance;
let baseUrl: string;
let ports: FakePorts;
let accepting: boolean;
let metrics: Metrics;
let logged: string[];
const streamTokens = new StreamTokens(SECRET, 60);

beforeEach(async () => {
  ports = new FakePorts();
  accepting = true;
  metrics = new Metrics();
  logged = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => logged.push(line) } });
  app = Fastify();
  await app.register(formbody);
  registerAssistDialStatus(app, {
    ports,
    checkSignature: twilioSignatureCheck({
      verifier: twilioSignatureVerifier(AUTH_TOKEN),
      publicUrl: PUBLIC_URL,
      metrics,
      log,
    }),
    streamTokens,
    mediaStreamUrl: MEDIA_WS,
    streamStatusUrl: `${PUBLIC_URL}/twilio/stream-status`,
    publicUrl: PUBLIC_URL,
    metrics,
    log,
    acceptingCalls: () => accepting,
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => app.close());

/** A stored assisted call whose agent's phone is ringing. */
function ringingCall(): CallSid {
  const callSid = `CA${hex(16)}` as CallSid;
  ports.calls.set(callSid, { finished: false });
  return callSid;
}

/** The `<Dial action>` request: the voice parameters of the customer's leg plus the dial's outcome. */
const dialParams = (callSid: string, dialStatus: string, extra: Record<string, string> = {}) =>
  voiceParams(callSid, {
    CallStatus: 'in-progress',
    DialCallStatus: dialStatus,
    DialCallSid: `CA${hex(16)}`,
    DialCallDuration: '0',
    ...extra,
  });

async function post(
  params: Record<string, string>,
  opts: { authToken?: string; signed?: boolean; signedPath?: string } = {},
) {
  const signedUrl = `${PUBLIC_URL}${opts.signedPath ?? PATH}`;
  return fetch(`${baseUrl}${PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(opts.signed === false
        ? {}
        : { 'x-twilio-signature': signTwilioRequest(opts.authToken ?? AUTH_TOKEN, signedUrl, params) }),
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
/** Document order matters: Twilio runs the verbs one after the other. */
const orderedParser = new XMLParser({ preserveOrder: true });
interface Twiml {
  Stop?: { Stream: { '@name': string } };
  Connect?: {
    Stream: { '@url': string; '@statusCallback'?: string; Parameter: Array<Record<string, string>> };
  };
  Say?: string[];
  Hangup?: unknown;
}
async function twimlOf(res: Response): Promise<{ t: Twiml; verbs: string[] }> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/xml');
  const xml = await res.text();
  const ordered = orderedParser.parse(xml) as Array<Record<string, Array<Record<string, unknown>>>>;
  const response = ordered.find((n) => 'Response' in n)?.['Response'] ?? [];
  return {
    t: (parser.parse(xml) as { Response: Twiml }).Response,
    verbs: response.flatMap((n) => Object.keys(n)),
  };
}
const tokenOf = (s: { Parameter: Array<Record<string, string>> }) =>
  s.Parameter.find((p) => p['@name'] === 'token')?.['@value'] ?? '';
const rejected = () => metrics.registry.getSingleMetricAsString('switchboard_rejected_webhooks_total');

describe('POST /twilio/assist/dial-status', () => {
  it.each(['completed', 'answered'])(
    'hangs up once the agent has talked to the customer (DialCallStatus=%s), recording nothing',
    async (dialStatus) => {
      const callSid = ringingCall();
      const { verbs } = await twimlOf(
        await post(dialParams(callSid, dialStatus, { DialCallDuration: '93' })),
      );
      expect(verbs).toEqual(['Hangup']);
      expect(ports.unanswered).toEqual([]);
    },
  );

  it.each(['no-answer', 'busy', 'failed', 'canceled'] as const)(
    'when the agent does not pick up (DialCallStatus=%s), stops the assist stream and connects the AI receptionist',
    async (dialStatus) => {
      const callSid = ringingCall();
      const { t, verbs } = await twimlOf(await post(dialParams(callSid, dialStatus)));
      // The assist stream stops first (no one to coach), then the AI's media stream holds the call.
      expect(verbs).toEqual(['Stop', 'Connect']);
      expect(t.Stop?.Stream['@name']).toBe('switchboard-assist');
      expect(t.Connect?.Stream['@url']).toBe(MEDIA_WS);
      expect(t.Connect?.Stream['@statusCallback']).toBe(`${PUBLIC_URL}/twilio/stream-status`);
      expect(t.Say).toBeUndefined();
      expect(t.Hangup).toBeUndefined();
      // A fresh media-stream token for this call and its business, as /twilio/voice issues.
      expect(await streamTokens.verify(tokenOf(t.Connect!.Stream))).toEqual({
        ok: true,
        claims: { callSid, businessId: BUSINESS },
      });
      expect(ports.unanswered).toEqual([{ callSid, dialStatus, at: expect.any(Date) }]);
    },
  );

  it('answers a retry before the media stream connects with a stream again, not a dropped call', async () => {
    const callSid = ringingCall();
    await twimlOf(await post(dialParams(callSid, 'no-answer')));
    const again = await twimlOf(await post(dialParams(callSid, 'no-answer')));
    expect(again.verbs).toEqual(['Stop', 'Connect']);
    expect((await streamTokens.verify(tokenOf(again.t.Connect!.Stream))).ok).toBe(true);
  });

  it('gives a replay for a call that ended or already has its media stream no stream, only a goodbye', async () => {
    const callSid = ringingCall();
    ports.calls.set(callSid, { finished: true });
    const { t, verbs } = await twimlOf(await post(dialParams(callSid, 'no-answer')));
    expect(verbs).toEqual(['Say', 'Hangup']);
    expect(t.Say?.[0]).toMatch(/already been handled/);
    expect(ports.unanswered).toEqual([]);
    expect(await rejected()).toMatch(/route="assist-dial-status",reason="call-finished"\} 1/);
  });

  it('while the node shuts down, the caller hears the call-back line and the call is not handed over', async () => {
    const callSid = ringingCall();
    accepting = false;
    const { t, verbs } = await twimlOf(await post(dialParams(callSid, 'busy')));
    expect(verbs).toEqual(['Say', 'Hangup']);
    expect(t.Say?.[0]).toMatch(/call back/);
    expect(ports.unanswered).toEqual([]);
    expect(await rejected()).toMatch(/route="assist-dial-status",reason="shutting-down"\} 1/);
  });

  it('an unknown CallSid gets a spoken apology and a hang-up, never a 500', async () => {
    const { t, verbs } = await twimlOf(await post(dialParams(`CA${hex(16)}`, 'no-answer')));
    expect(verbs).toEqual(['Say', 'Hangup']);
    expect(t.Say?.[0]).toMatch(/couldn't connect your call/);
    expect(ports.unanswered).toEqual([]);
    expect(await rejected()).toMatch(/route="assist-dial-status",reason="unknown-call"\} 1/);
  });

  it('a store that cannot read the call gets the apology, never a 500', async () => {
    const callSid = ringingCall();
    ports.failFind = true;
    const { t, verbs } = await twimlOf(await post(dialParams(callSid, 'no-answer')));
    expect(verbs).toEqual(['Say', 'Hangup']);
    expect(t.Say?.[0]).toMatch(/couldn't connect your call/);
  });

  it('the AI still answers when the hand-over cannot be recorded', async () => {
    const callSid = ringingCall();
    ports.failRecord = true;
    const { t, verbs } = await twimlOf(await post(dialParams(callSid, 'no-answer')));
    expect(verbs).toEqual(['Stop', 'Connect']);
    expect((await streamTokens.verify(tokenOf(t.Connect!.Stream))).ok).toBe(true);
  });

  it('on a plan without the voice agent, the caller the agent missed is greeted and a message taken, no stream', async () => {
    const callSid = ringingCall();
    ports.calls.set(callSid, { finished: false, messageGreeting: 'Thanks for calling Acme Plumbing.' });
    const { t, verbs } = await twimlOf(await post(dialParams(callSid, 'no-answer')));
    expect(verbs).toEqual(['Gather', 'Redirect']);
    const gather = (t as unknown as { Gather: Record<string, unknown> }).Gather;
    expect(gather['@input']).toBe('speech');
    expect(gather['@action']).toContain(`${PUBLIC_URL}/twilio/message`);
    expect(JSON.stringify(gather)).toContain('Thanks for calling Acme Plumbing.');
    expect(ports.unanswered.map((u) => u.callSid)).toEqual([callSid]);
  });

  it('a customer who hung up while the agent’s phone rang gets no stream and no hand-over', async () => {
    const callSid = ringingCall();
    const { verbs } = await twimlOf(
      await post(dialParams(callSid, 'no-answer', { CallStatus: 'completed' })),
    );
    expect(verbs).toEqual(['Hangup']);
    expect(ports.unanswered).toEqual([]);
  });

  it('refuses an unsigned, wrongly signed or elsewhere-signed request with 403 and looks nothing up', async () => {
    const callSid = ringingCall();
    for (const res of [
      await post(dialParams(callSid, 'no-answer'), { signed: false }),
      await post(dialParams(callSid, 'no-answer'), { authToken: 'not-the-token' }),
      // A signature Twilio made for another of our URLs is not one for this route.
      await post(dialParams(callSid, 'no-answer'), { signedPath: '/twilio/assist/voice' }),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden', message: expect.stringMatching(/signature/) });
    }
    expect(ports.lookups).toBe(0);
    expect(ports.unanswered).toEqual([]);
    expect(await rejected()).toMatch(
      /route="assist-dial-status",reason="no-signature"\} 1[\s\S]*route="assist-dial-status",reason="bad-signature"\} 2/,
    );
  });

  it('refuses a missing or unknown DialCallStatus with 400 and looks nothing up', async () => {
    const callSid = ringingCall();
    const params = dialParams(callSid, 'no-answer');
    delete params['DialCallStatus'];
    for (const res of [await post(params), await post(dialParams(callSid, 'exploded'))]) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('validation_failed');
    }
    expect(ports.lookups).toBe(0);
  });

  it('never logs the caller’s number', async () => {
    const callSid = ringingCall();
    await twimlOf(await post(dialParams(callSid, 'no-answer')));
    await twimlOf(await post(dialParams(`CA${hex(16)}`, 'busy')));
    expect(logged.join('\n')).toContain(callSid);
    expect(logged.join('\n')).not.toContain(CALLER);
  });
});
