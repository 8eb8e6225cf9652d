import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TWILIO_CALL_STATUSES } from '../../../src/telephony/twilio/webhooks.js';
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
