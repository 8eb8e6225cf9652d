import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { registerVoiceWebhooks, type VoiceWebhookPorts } from '../../../src/telephony/twilio/webhooks.js';

/** POST /twilio/stream-status: which stream a callback is about, when our TwiML named it. */

const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const PUBLIC_URL = 'https://sb.example.com';

let app: FastifyInstance;
let baseUrl: string;
let recorded: Array<Parameters<VoiceWebhookPorts['recordStreamStatus']>[0]>;

beforeEach(async () => {
  recorded = [];
  app = Fastify();
  await app.register(formbody);
  registerVoiceWebhooks(app, {
    ports: {
      findBusinessByNumber: async () => undefined,
      recordInboundCall: async () => ({ state: 'new' }),
      recordStatus: async () => true,
      recordStreamStatus: async (s) => void recorded.push(s),
    },
    verifier: twilioSignatureVerifier(AUTH_TOKEN),
    tokens: new StreamTokens('stream-secret-of-at-least-thirty-two-chars', 60),
    publicUrl: PUBLIC_URL,
    streamUrl: 'wss://sb.example.com/twilio/stream',
    metrics: new Metrics(),
    log: createLogger({ level: 'silent' }),
    acceptingCalls: () => true,
  });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => app.close());

async function post(params: Record<string, string>) {
  return fetch(`${baseUrl}/twilio/stream-status`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}/twilio/stream-status`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
}

const base = {
  AccountSid: 'AC1',
  CallSid: 'CA1',
  StreamSid: 'MZ1',
  StreamEvent: 'stream-started',
  Timestamp: '2026-12-06T18:00:00Z',
};

describe('stream status callbacks', () => {
  it("carry the assist stream's name, so its events are told from the media stream's", async () => {
    expect((await post({ ...base, StreamName: 'switchboard-assist' })).status).toBe(204);
    expect(recorded).toEqual([
      {
        callSid: 'CA1',
        event: 'stream-started',
        name: 'switchboard-assist',
        at: new Date('2026-12-06T18:00:00Z'),
      },
    ]);
  });

  it('carry no name for a stream we did not name (Twilio then sends its StreamSid)', async () => {
    expect(
      (await post({ ...base, StreamName: 'MZ1', StreamEvent: 'stream-error', StreamError: 'x' })).status,
    ).toBe(204);
    expect(recorded).toEqual([
      { callSid: 'CA1', event: 'stream-error', error: 'x', at: new Date('2026-12-06T18:00:00Z') },
    ]);
  });
});
