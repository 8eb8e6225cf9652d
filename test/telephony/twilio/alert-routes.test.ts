import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  alertAckUrl,
  alertCallTwiml,
  announcementTwiml,
  registerAlertRoutes,
  type AckResult,
  type AlertPorts,
} from '../../../src/telephony/twilio/alert-routes.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';

const TOKEN = 'test-auth-token-0123456789';
const PUBLIC = 'https://sb.example.com';
const E = randomUUID();
const CALL = `CA${'b'.repeat(32)}`;

describe('alert acknowledgement routes', () => {
  let app: FastifyInstance;
  const acks: Array<Parameters<AlertPorts['acknowledge']>[0]> = [];
  const ended: Array<Parameters<AlertPorts['callEnded']>[0]> = [];
  let ackResult: AckResult = 'acknowledged';
  const ports: AlertPorts = {
    acknowledge: async (a) => {
      acks.push(a);
      return ackResult;
    },
    callEnded: async (a) => {
      ended.push(a);
    },
    message: async (id) => (id === E ? 'Emergency alert for Acme. Flooding.' : undefined),
  };

  beforeAll(async () => {
    app = Fastify();
    await app.register(formbody);
    registerAlertRoutes(app, {
      ports,
      verifier: twilioSignatureVerifier(TOKEN),
      publicUrl: PUBLIC,
      log: { info() {}, warn() {} },
    });
    await app.ready();
  });
  afterAll(() => app.close());
  beforeEach(() => {
    acks.length = 0;
    ended.length = 0;
    ackResult = 'acknowledged';
  });

  /** POSTs as Twilio does: form body, signature over the public URL with its query and every param. */
  const post = (pathWithQuery: string, params: Record<string, string>, sign = true) =>
    app.inject({
      method: 'POST',
      url: pathWithQuery,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(sign ? { 'x-twilio-signature': signTwilioRequest(TOKEN, PUBLIC + pathWithQuery, params) } : {}),
      },
      payload: new URLSearchParams(params).toString(),
    });

  it('pressing 1 acknowledges the alert and thanks the person', async () => {
    const res = await post(`/twilio/alert-ack?e=${E}&s=1`, {
      CallSid: CALL,
      Digits: '1',
      CallStatus: 'in-progress',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    expect(res.body).toContain('The alert is acknowledged');
    expect(res.body).toContain('<Hangup/>');
    expect(acks).toEqual([{ escalationId: E, step: 1, callSid: CALL }]);
  });

  it('another key says the alert again and gathers again, to the same absolute ack URL', async () => {
    const res = await post(`/twilio/alert-ack?e=${E}&s=0`, { CallSid: CALL, Digits: '7' });
    expect(acks).toHaveLength(0);
    expect(res.body).toBe(
      alertCallTwiml({ message: 'Emergency alert for Acme. Flooding.', ackUrl: alertAckUrl(PUBLIC, E, 0) }),
    );
    expect(res.body).toContain(`action="${PUBLIC}/twilio/alert-ack?e=${E}&amp;s=0"`);
  });

  it('an acknowledgement of an unknown alert is answered politely', async () => {
    ackResult = 'unknown';
    const res = await post(`/twilio/alert-ack?e=${randomUUID()}&s=0`, { CallSid: CALL, Digits: '1' });
    expect(res.body).toContain('no longer active');
  });

  it('refuses unsigned or wrongly signed requests with 403 and touches nothing', async () => {
    const unsigned = await post(`/twilio/alert-ack?e=${E}&s=0`, { CallSid: CALL, Digits: '1' }, false);
    expect(unsigned.statusCode).toBe(403);
    // Signed for a different step: the query is part of what Twilio signs.
    const forged = await app.inject({
      method: 'POST',
      url: `/twilio/alert-ack?e=${E}&s=3`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(TOKEN, `${PUBLIC}/twilio/alert-ack?e=${E}&s=0`, {
          CallSid: CALL,
          Digits: '1',
        }),
      },
      payload: `CallSid=${CALL}&Digits=1`,
    });
    expect(forged.statusCode).toBe(403);
    expect(acks).toHaveLength(0);
  });

  it('rejects a signed request without a valid escalation id or step', async () => {
    expect((await post(`/twilio/alert-ack?e=nope&s=0`, { CallSid: CALL, Digits: '1' })).statusCode).toBe(400);
    expect(
      (await post(`/twilio/alert-status?e=${E}&s=-1`, { CallSid: CALL, CallStatus: 'busy' })).statusCode,
    ).toBe(400);
  });

  it('reports terminal call statuses (no-answer, busy, completed) and ignores progress', async () => {
    for (const status of ['ringing', 'in-progress', 'no-answer', 'busy', 'completed']) {
      const res = await post(`/twilio/alert-status?e=${E}&s=2`, {
        CallSid: CALL,
        CallStatus: status,
        AccountSid: `AC${'1'.repeat(32)}`,
      });
      expect(res.statusCode).toBe(204);
    }
    expect(ended.map((e) => e.status)).toEqual(['no-answer', 'busy', 'completed']);
    expect(ended[0]).toEqual({ escalationId: E, step: 2, callSid: CALL, status: 'no-answer' });
  });

  it('keeps the alert TwiML under the 4000 characters Twilio accepts, however long the message', () => {
    const twiml = alertCallTwiml({ message: '<&>"'.repeat(2000), ackUrl: alertAckUrl(PUBLIC, E, 9) });
    expect(twiml.length).toBeLessThanOrEqual(3900);
    expect(twiml).toContain('&lt;&amp;&gt;');
    expect(twiml).toContain('Press 1 to acknowledge this alert.');
    const short = alertCallTwiml({ message: 'Flooding at 12 Elm St.', ackUrl: alertAckUrl(PUBLIC, E, 0) });
    expect(short).toContain('<Say>Flooding at 12 Elm St.</Say>');
    expect(announcementTwiml('x'.repeat(10_000)).length).toBeLessThanOrEqual(3900);
  });
});
