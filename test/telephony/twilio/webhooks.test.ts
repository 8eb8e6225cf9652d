import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { readTwiml } from '../../../src/sim/twiml-reader.js';
import type { Business } from '../../../src/store/index.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { registerVoiceWebhooks, TWILIO_CALL_STATUSES } from '../../../src/telephony/twilio/webhooks.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { hex, placeCall, postForm, voiceParams, type Twilio } from './stream-peer.js';

/** Twilio's status values are a closed set: anything else is refused with 400 and stored nowhere. */
let server: TestServer;
let tw: Twilio;

beforeAll(async () => {
  server = await startTestServer({}, { stt: null });
  tw = { baseUrl: server.baseUrl, authToken: server.app.twilioAuthToken };
});
afterAll(async () => server?.stop());

async function storedCall(callSid: string) {
  const res = await fetch(`${server.baseUrl}/api/calls/${callSid}`, {
    headers: { authorization: `Bearer ${server.app.apiKey}` },
  });
  if (res.status === 404) return undefined;
  return ((await res.json()) as { call: { status: string; statusHistory: Array<{ status: string }> } }).call;
}

describe('Twilio call status values', () => {
  it('a status callback with a status Twilio does not send gets 400 in the error shape and stores nothing', async () => {
    const { callSid } = await placeCall(tw);
    const before = await storedCall(callSid);
    for (const bad of ['exploded', 'COMPLETED', 'completed ', '', 'in_progress', 'x'.repeat(10_000)]) {
      const res = await postForm(tw, '/twilio/status', {
        ...voiceParams(callSid),
        CallStatus: bad,
        SequenceNumber: '3',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('validation_failed');
      expect(body.message).toMatch(/CallStatus/);
      expect(JSON.stringify(body).length).toBeLessThan(1000);
    }
    expect(await storedCall(callSid)).toEqual(before);
  });

  it('a voice webhook with an unknown CallStatus gets 400 and creates no call', async () => {
    const callSid = `CA${hex(16)}`;
    const res = await postForm(tw, '/twilio/voice', voiceParams(callSid, { CallStatus: 'hacked' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('validation_failed');
    expect(await storedCall(callSid)).toBeUndefined();
  });

  it('every documented status is accepted and stored', async () => {
    const { callSid } = await placeCall(tw);
    for (const [i, status] of TWILIO_CALL_STATUSES.entries()) {
      const res = await postForm(tw, '/twilio/status', {
        ...voiceParams(callSid),
        CallStatus: status,
        SequenceNumber: String(i + 1),
      });
      expect(res.status).toBe(204);
    }
    const call = await storedCall(callSid);
    expect(call?.statusHistory.map((s) => s.status)).toEqual(
      expect.arrayContaining([...TWILIO_CALL_STATUSES]),
    );
  });
});

describe('Twilio routes refuse forged requests in the one error shape', () => {
  const forged: Twilio = {
    get baseUrl() {
      return server.baseUrl;
    },
    authToken: 'not-the-token',
  };

  it.each(['/twilio/voice', '/twilio/status', '/twilio/alert-ack?e=x&s=1', '/twilio/alert-status?e=x&s=1'])(
    '%s with a wrong signature gets 403 {error, message} and stores nothing',
    async (path) => {
      const callSid = `CA${hex(16)}`;
      const res = await postForm(forged, path, voiceParams(callSid));
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({ error: 'forbidden', message: expect.stringMatching(/signature/) });
      expect(await storedCall(callSid)).toBeUndefined();
    },
  );

  it('an unsigned media stream upgrade gets 403 in the same shape', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/twilio/stream`);
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      ws.on('open', () => reject(new Error('an unsigned upgrade was accepted')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
    expect(JSON.parse(body)).toEqual({ error: 'forbidden', message: expect.stringMatching(/signature/) });
  });
});

describe('MAX_CONCURRENT_CALLS at the voice webhook', () => {
  const AUTH_TOKEN = 'twilio-auth-token-for-capacity';
  let app: FastifyInstance;
  const PUBLIC_URL = 'https://sb.example.com';
  let baseUrl = '';
  let live = 0;
  let max = 2;
  const endReasons: Array<[string, string]> = [];
  const metrics = new Metrics();
  const business = {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'Acme Plumbing',
    plan: 'PRO',
    settings: {},
    phoneNumbers: ['+15005550006'],
  } as unknown as Business;

  beforeAll(async () => {
    app = Fastify();
    await app.register(formbody);
    registerVoiceWebhooks(app, {
      ports: {
        findBusinessByNumber: async () => business,
        recordInboundCall: async () => ({ state: 'new' }),
        recordStatus: async () => true,
        recordStreamStatus: async () => undefined,
        recordEndReason: async (sid, reason) => void endReasons.push([sid, reason]),
      },
      verifier: twilioSignatureVerifier(AUTH_TOKEN),
      tokens: new StreamTokens('stream-secret-of-at-least-thirty-two-chars', 60),
      publicUrl: PUBLIC_URL,
      streamUrl: 'wss://sb.example.com/twilio/stream',
      metrics,
      log: createLogger({ level: 'silent' }),
      acceptingCalls: () => true,
      capacity: {
        live: () => live,
        get max() {
          return max;
        },
      },
    });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => app?.close());

  /** Signed over the public URL, as Twilio signs it, and sent to the server's own address. */
  const answer = async (callSid: string) => {
    const params = voiceParams(callSid);
    const res = await fetch(`${baseUrl}/twilio/voice`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}/twilio/voice`, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    const text = await res.text();
    if (!text.startsWith('<')) throw new Error(text);
    return readTwiml(text);
  };

  it('below the limit a call is streamed as usual', async () => {
    live = 1;
    expect((await answer(`CA${hex(16)}`)).kind).toBe('stream');
    expect(endReasons).toEqual([]);
  });

  it('at the limit the caller hears the business thank them and ask them to call back, the line hangs up, and the call records why', async () => {
    live = 2;
    const callSid = `CA${hex(16)}`;
    expect(await answer(callSid)).toEqual({
      kind: 'say-hangup',
      say: [
        'Thanks for calling Acme Plumbing. All our lines are busy right now; please call back in a few minutes. Goodbye.',
      ],
    });
    expect(endReasons).toEqual([[callSid, 'over-capacity']]);
    const refused = await metrics.refusedCalls.get();
    expect(refused.values).toEqual([
      expect.objectContaining({ labels: { reason: 'over-capacity', at: 'webhook' }, value: 1 }),
    ]);
  });

  it('0 means no limit', async () => {
    max = 0;
    live = 500;
    expect((await answer(`CA${hex(16)}`)).kind).toBe('stream');
    max = 2;
  });
});
