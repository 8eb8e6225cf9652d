import twilio from 'twilio';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall } from '../../src/sim/simulated-call.js';
import { TwilioFrameBuilder } from '../../src/telephony/twilio/stream-protocol.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The foundation's promise, end to end through a real server: a call placed exactly as Twilio
 * would place it is answered with a media stream that carries the business greeting.
 */
let server: TestServer;
let sim: Parameters<typeof simulateCall>[1];

beforeAll(async () => {
  server = await startTestServer({}, { stt: null });
  sim = {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    callerAudio: callerAudioSource(await createFliteTts({ voice: 'rms' })),
  };
});
afterAll(async () => server?.stop());

const voiceParams = {
  CallSid: 'CA' + 'a'.repeat(32),
  AccountSid: 'AC' + 'b'.repeat(32),
  From: '+15555550100',
  To: '+15005550006',
  CallStatus: 'ringing',
  Direction: 'inbound',
};

async function postVoice(params: Record<string, string>, signature?: string) {
  const url = `${server.baseUrl}/twilio/voice`;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature !== undefined ? { 'x-twilio-signature': signature } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
}

describe('POST /twilio/voice', () => {
  it('answers a signed call to the demo number with <Connect><Stream> and a token parameter', async () => {
    const sig = twilio.getExpectedTwilioSignature(
      server.app.twilioAuthToken,
      `${server.baseUrl}/twilio/voice`,
      voiceParams,
    );
    const res = await postVoice(voiceParams, sig);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    const xml = await res.text();
    expect(xml).toMatch(/<Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/twilio\/stream"/);
    expect(xml).toMatch(/<Parameter name="token" value="[^"]{20,}"\/>/);
  });

  it('refuses an unsigned request with 403 and stores nothing', async () => {
    const params = { ...voiceParams, CallSid: 'CA' + 'c'.repeat(32) };
    const res = await postVoice(params);
    expect(res.status).toBe(403);
    const stored = await fetch(`${server.baseUrl}/api/calls/${params.CallSid}`, {
      headers: { authorization: `Bearer ${server.app.apiKey}` },
    });
    expect(stored.status).toBe(404);
  });

  it('refuses a request signed with another token', async () => {
    const sig = twilio.getExpectedTwilioSignature(
      'not-the-token-at-all',
      `${server.baseUrl}/twilio/voice`,
      voiceParams,
    );
    expect((await postVoice(voiceParams, sig)).status).toBe(403);
  });

  it('apologises and hangs up on a number no business owns', async () => {
    const params = { ...voiceParams, CallSid: 'CA' + 'd'.repeat(32), To: '+15550009999' };
    const sig = twilio.getExpectedTwilioSignature(
      server.app.twilioAuthToken,
      `${server.baseUrl}/twilio/voice`,
      params,
    );
    const res = await postVoice(params, sig);
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain('<Say>');
    expect(xml).toContain('<Hangup/>');
  });
});

describe('a simulated call', () => {
  it('receives the greeting as 20 ms frames with the right streamSid, then a mark, within 1.5 s of start', async () => {
    const report = await simulateCall(parseCallScript({ turns: [], hangupAfterMs: 200 }), sim);
    expect(report.answered).toBe('stream');
    expect(report.protocolErrors).toEqual([]);
    expect(report.framesReceived).toBeGreaterThan(50); // over a second of greeting
    expect(report.oddFrames).toBe(0);
    expect(report.firstAudioMs).toBeLessThan(1500);
    expect(report.firstMarkMs).toBeLessThan(1500);
    expect(report.marksReceived).toBeGreaterThanOrEqual(1);
    // The greeting is audible: the agent channel of the recording is not silence.
    const peak = report.recording.agent.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(3000);
  });

  it('is stored with its status history, greeting turn and recording, and shown by GET /api/calls/:callSid', async () => {
    const report = await simulateCall(parseCallScript({ turns: [], hangupAfterMs: 200 }), sim);
    // The recording file is written by a job after the call's end: its path follows shortly.
    const until = Date.now() + 5000;
    for (;;) {
      const r = await fetch(`${server.baseUrl}/api/calls/${report.callSid}`, {
        headers: { authorization: `Bearer ${server.app.apiKey}` },
      });
      const body = (await r.json()) as { call?: { recordingPath?: string | null } };
      if (body.call?.recordingPath || Date.now() > until) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const res = await fetch(`${server.baseUrl}/api/calls/${report.callSid}`, {
      headers: { authorization: `Bearer ${server.app.apiKey}` },
    });
    expect(res.status).toBe(200);
    const { call } = (await res.json()) as {
      call: Record<string, unknown> & {
        statusHistory: Array<{ status: string }>;
        turns: Array<{ speaker: string; text: string }>;
        events: Array<{ type: string }>;
      };
    };
    expect(call['callSid']).toBe(report.callSid);
    expect(call.statusHistory.map((s) => s.status)).toEqual(
      expect.arrayContaining(['ringing', 'in-progress', 'completed']),
    );
    expect(call['status']).toBe('completed');
    expect(call.turns[0]).toMatchObject({ speaker: 'agent' });
    expect(call.turns[0]?.text).toContain('Acme Plumbing');
    expect(call['recordingPath']).toMatch(/recordings\/CA[0-9a-f]{32}\.wav$/);
    expect(call.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['stream-started', 'stream-stopped']),
    );
  });

  it('needs the API key to read calls', async () => {
    expect((await fetch(`${server.baseUrl}/api/calls`)).status).toBe(401);
    expect(
      (
        await fetch(`${server.baseUrl}/api/calls`, {
          headers: { authorization: 'Bearer wrong-key-wrong-key' },
        })
      ).status,
    ).toBe(401);
  });

  it('survives garbage frames: the call stays up and still gets its greeting', async () => {
    const garbage = [
      'not json',
      '{"event":"media"}',
      '{"event":"warp"}',
      '[]',
      '{"event":"media","sequenceNumber":"2","streamSid":"MZx","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"@@@"}}',
    ];
    const report = await simulateCall(parseCallScript({ turns: [], hangupAfterMs: 200 }), sim, {
      injectAfterStart: garbage,
    });
    expect(report.closedBy).toBe('simulator');
    expect(report.framesReceived).toBeGreaterThan(50);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_protocol_errors_total\{reason="malformed"\} [1-9]/);
  });

  it('refuses a stream whose token does not belong to the call with the error JSON, then closes', async () => {
    await expect(
      simulateCall(parseCallScript({ turns: [] }), sim, { tamperToken: true }),
    ).resolves.toMatchObject({
      framesReceived: 0,
      closedBy: 'server',
      protocolErrors: [expect.stringContaining('unparseable')],
    });
  });
});

describe('the media stream endpoint', () => {
  const streamUrl = () => server.baseUrl.replace('http', 'ws') + '/twilio/stream';

  it('refuses an unsigned upgrade with 403', async () => {
    const ws = new WebSocket(streamUrl());
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(403);
  });

  it('answers an unknown call with {"error":"Connection failed","message":"Call ID not found"} and closes', async () => {
    const url = streamUrl();
    const ws = new WebSocket(url, {
      headers: {
        'x-twilio-signature': twilio.getExpectedTwilioSignature(server.app.twilioAuthToken, url, {}),
      },
    });
    await new Promise((r) => ws.once('open', r));
    const b = new TwilioFrameBuilder('AC1', 'CA' + 'e'.repeat(32), 'MZ1');
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(d.toString()));
    ws.send(b.connected());
    ws.send(b.start({ token: 'made-up' }));
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    expect(JSON.parse(messages[0] ?? '{}')).toEqual({
      error: 'Connection failed',
      message: 'Call ID not found',
    });
    expect(code).toBe(1008);
  });
});

describe('GET /health and /metrics', () => {
  it('reports status, memory, sessions and WebSocket connections', async () => {
    const body = (await (await fetch(`${server.baseUrl}/health?connections=true`)).json()) as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({
      status: 'healthy',
      sessions: { activeVoiceSessions: 0, totalActiveSessions: expect.any(Number) },
      webSocket: { activeConnections: 0, totalMessages: expect.any(Number), connections: [] },
      redis: { connected: false, reconnectAttempts: 0, configured: false },
      database: { status: 'embedded' },
    });
    expect(body['memory']).toMatchObject({ heapUsed: expect.any(Number), rss: expect.any(Number) });
  });

  it('exports Prometheus metrics for calls, frames, protocol errors and rejected webhooks', async () => {
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    for (const name of [
      'switchboard_active_calls',
      'switchboard_media_frames_in_total',
      'switchboard_media_frames_out_total',
      'switchboard_rejected_webhooks_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/switchboard_rejected_webhooks_total\{route="voice",reason="no-signature"\} [1-9]/);
  });
});
