import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_BYTES, MULAW_SILENCE, pcmToMulaw } from '../../src/audio/index.js';
import { simulateAssistedCall, type AssistTurn } from '../../src/sim/assisted-call.js';
import { CallRefusedError } from '../../src/sim/errors.js';
import { parseInbound } from '../../src/telephony/twilio/stream-protocol.js';

/**
 * The assist simulator against a tiny fake Switchboard: it must follow the assist TwiML, sign
 * what Twilio signs, send both tracks every tick (the quiet one as silence), in either frame
 * shape, report each customer turn's voice end at its last voiced frame, and hang up with stop.
 */
const AUTH = 'test-auth-token-0123456789';

interface Seen {
  posts: Array<{ path: string; params: Record<string, string>; signed: boolean }>;
  upgrades: Array<{ signed: boolean; headers: IncomingMessage['headers'] }>;
  frames: Array<Record<string, unknown>>;
  closeCode?: number;
}

let server: Server;
let wss: WebSocketServer;
let base: string;
let seen: Seen;
/** What the fake's voice webhook answers; the stream URL is filled in. */
let twimlOf: (streamUrl: string) => string;

const assistTwiml = (url: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response><Start><Stream url="${url}" track="both_tracks">` +
  `<Parameter name="token" value="tok-123"/></Stream></Start>` +
  `<Dial callerId="+15005550006" action="${url.replace('ws', 'http').replace('/assist/stream', '/twilio/assist/dial-status')}" method="POST" timeout="20">+15551230000</Dial></Response>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const signed = twilio.validateRequest(
        AUTH,
        String(req.headers['x-twilio-signature'] ?? ''),
        base + req.url,
        params,
      );
      seen.posts.push({ path: req.url ?? '', params, signed });
      if (req.url === '/twilio/assist/voice' && params['To'] === '+403') {
        res.writeHead(403).end();
      } else if (req.url === '/twilio/assist/voice') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(twimlOf(base.replace('http', 'ws') + '/assist/stream'));
      } else {
        res.writeHead(204).end();
      }
    });
  });
  wss = new WebSocketServer({ server, path: '/assist/stream' });
  wss.on('connection', (ws, req) => {
    const url = base.replace('http', 'ws') + '/assist/stream';
    seen.upgrades.push({
      signed: twilio.validateRequest(AUTH, String(req.headers['x-twilio-signature'] ?? ''), url, {}),
      headers: req.headers,
    });
    ws.on('message', (d) => seen.frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    ws.on('close', (code) => (seen.closeCode = code));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  wss.close();
  await new Promise((r) => server.close(r));
});

const fresh = (): Seen => ({ posts: [], upgrades: [], frames: [] });
seen = fresh();
twimlOf = assistTwiml;
afterEach(() => {
  seen = fresh();
  twimlOf = assistTwiml;
});

/** `ms` of a loud tone then `padMs` of digital silence: the voice ends where the tone does. */
function voice(ms: number, padMs = 0): Uint8Array {
  const n = (ms * 8000) / 1000;
  const pcm = new Int16Array(n + (padMs * 8000) / 1000);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return pcmToMulaw(pcm);
}

const media = (f: Array<Record<string, unknown>>) => f.filter((m) => m['event'] === 'media');
const mediaOf = (m: Record<string, unknown>) => m['media'] as Record<string, string>;
const bytes = (m: Record<string, unknown>) => new Uint8Array(Buffer.from(mediaOf(m)['payload']!, 'base64'));
const deps = () => ({ baseUrl: base, authToken: AUTH, accountSid: 'AC' + 'a'.repeat(32) });
/** Waits until the fake has seen the final status callback (the simulator posts it last). */
const completed = () => seen.posts.find((p) => p.params['CallStatus'] === 'completed');

describe('simulateAssistedCall', () => {
  const turns: AssistTurn[] = [
    { speaker: 'customer', audio: voice(200, 100), text: 'how much' },
    { pause: 40 },
    { speaker: 'agent', audio: voice(100) },
  ];

  it('follows the assist TwiML: signed webhook, signed upgrade of its stream URL, start with both tracks and its token', async () => {
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns,
      leadMs: 0,
      tailMs: 0,
    });
    expect(report.answered).toBe('assist');
    expect(report.twiml).toMatchObject({
      kind: 'assist',
      stream: { track: 'both_tracks', parameters: { token: 'tok-123' } },
      dial: { number: '+15551230000', callerId: '+15005550006', timeoutSeconds: 20 },
    });
    const voicePost = seen.posts[0]!;
    expect(voicePost).toMatchObject({ path: '/twilio/assist/voice', signed: true });
    expect(voicePost.params).toMatchObject({
      From: '+15555550100',
      To: '+15005550006',
      CallSid: report.callSid,
    });
    expect(seen.upgrades).toHaveLength(1);
    expect(seen.upgrades[0]!.signed).toBe(true);
    expect(seen.frames[0]).toMatchObject({ event: 'connected' });
    expect(seen.frames[1]).toMatchObject({
      event: 'start',
      streamSid: report.streamSid,
      start: {
        callSid: report.callSid,
        tracks: ['inbound', 'outbound'],
        customParameters: { token: 'tok-123' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  });

  it('sends one frame per track every tick, the quiet side as mu-law silence, then stop and the signed completed callback', async () => {
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns,
      leadMs: 0,
      tailMs: 0,
    });
    // 300 ms customer clip + 40 ms pause + 100 ms agent clip = 22 ticks.
    expect(report.ticks).toBe(22);
    expect(report.framesSent).toEqual({ inbound: 22, outbound: 22 });
    const frames = media(seen.frames);
    expect(frames).toHaveLength(44);
    for (let k = 0; k < 22; k++) {
      const pair = frames.slice(2 * k, 2 * k + 2);
      expect(pair.map((m) => mediaOf(m)['track'])).toEqual(['inbound', 'outbound']);
      for (const m of pair) {
        expect(mediaOf(m)['timestamp']).toBe(String(k * 20));
        expect(bytes(m)).toHaveLength(FRAME_BYTES);
      }
    }
    const silent = (m: Record<string, unknown>) => bytes(m).every((b) => b === MULAW_SILENCE);
    const inbound = frames.filter((m) => mediaOf(m)['track'] === 'inbound');
    const outbound = frames.filter((m) => mediaOf(m)['track'] === 'outbound');
    // Customer speaks in ticks 0-9 (tone) and 10-14 (its clip's pad); the agent in ticks 17-21.
    expect(inbound.slice(0, 10).some(silent)).toBe(false);
    expect(outbound.slice(0, 17).every(silent)).toBe(true);
    expect(outbound.slice(17).some(silent)).toBe(false);
    expect(inbound.slice(15).every(silent)).toBe(true);
    expect(seen.frames.at(-1)).toMatchObject({ event: 'stop', stop: { callSid: report.callSid } });
    expect(report.closedBy).toBe('simulator');
    expect(completed()).toMatchObject({ path: '/twilio/status', signed: true });
    // Before it, the <Dial>'s action heard that the agent took the call and hung up.
    const dialEnd = seen.posts.findIndex((p) => p.path === '/twilio/assist/dial-status');
    expect(seen.posts[dialEnd]).toMatchObject({
      signed: true,
      params: { DialCallStatus: 'completed', CallSid: report.callSid },
    });
    expect(dialEnd).toBeLessThan(seen.posts.indexOf(completed()!));
    expect(report.dialActionStatus).toBe(204);
  });

  it("reports a customer turn's voice end at its last voiced frame, not the end of the clip's pad", async () => {
    const ends: number[] = [];
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns,
      leadMs: 100,
      tailMs: 0,
      onVoiceEnd: (v) => ends.push(v.streamMs),
    });
    expect(report.voiceEnds).toHaveLength(1);
    expect(report.voiceEnds[0]).toMatchObject({ turn: 0, text: 'how much', streamMs: 300 });
    expect(ends).toEqual([300]);
    expect(report.voiceEnds[0]!.perfMs).toBeGreaterThanOrEqual(report.startedAt!.perfMs);
    expect(report.voiceEnds[0]!.wallMs).toBeGreaterThanOrEqual(report.startedAt!.wallMs);
  });

  it('takes the voice end the script gives (e.g. read from the clean clip before a noisy line)', async () => {
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns: [{ speaker: 'customer', audio: voice(200, 100), voice: { startMs: 20, endMs: 100 } }],
      leadMs: 0,
      tailMs: 0,
    });
    expect(report.voiceEnds).toMatchObject([{ turn: 0, startStreamMs: 20, streamMs: 100 }]);
  });

  it("builds seed 000's media shape: top-level callSid and accountSid, ISO timestamps", async () => {
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns: [{ speaker: 'customer', audio: voice(40) }],
      leadMs: 0,
      tailMs: 0,
      frameShape: 'seed000',
    });
    const frames = media(seen.frames);
    expect(frames).toHaveLength(4);
    for (const [i, m] of frames.entries()) {
      expect(m).toMatchObject({ callSid: report.callSid, accountSid: 'AC' + 'a'.repeat(32) });
      const ts = mediaOf(m)['timestamp']!;
      expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(ts)).toBe(report.startedAt!.wallMs + Math.floor(i / 2) * 20);
      // The server's own parser reads it, tracks and all.
      expect(parseInbound(JSON.stringify(m))).toMatchObject({
        ok: true,
        message: { event: 'media', track: i % 2 === 0 ? 'inbound' : 'outbound' },
      });
    }
  });

  it('hangs up when aborted: stop sent at once, the rest of the script not played', async () => {
    const abort = new AbortController();
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns: [{ speaker: 'customer', audio: voice(40) }, { pause: 60_000 }],
      leadMs: 0,
      tailMs: 0,
      signal: abort.signal,
      onVoiceEnd: () => abort.abort(),
    });
    expect(report.closedBy).toBe('aborted');
    expect(report.ticks).toBeLessThan(100);
    expect(seen.frames.at(-1)).toMatchObject({ event: 'stop' });
    expect(completed()).toBeDefined();
  });

  it("drops the socket without stop when aborted with onAbort 'drop' (an abrupt loss)", async () => {
    const abort = new AbortController();
    const report = await simulateAssistedCall(deps(), {
      from: '+15555550100',
      to: '+15005550006',
      turns: [{ speaker: 'customer', audio: voice(40) }, { pause: 60_000 }],
      leadMs: 0,
      tailMs: 0,
      signal: abort.signal,
      onAbort: 'drop',
      onVoiceEnd: () => abort.abort(),
    });
    expect(report.closedBy).toBe('aborted');
    await expect.poll(() => seen.closeCode).toBe(1006);
    expect(seen.frames.some((m) => m['event'] === 'stop')).toBe(false);
  });

  it('does not stream when the TwiML is not the assist one (e.g. the AI answers: no agent number)', async () => {
    twimlOf = (url) => `<Response><Connect><Stream url="${url}"/></Connect></Response>`;
    const report = await simulateAssistedCall(deps(), { from: '+1', to: '+2', turns });
    expect(report.answered).toBe('connect-stream');
    expect(seen.upgrades).toHaveLength(0);
    expect(completed()).toBeDefined();
  });

  it('throws CallRefusedError when the webhook refuses the call', async () => {
    await expect(simulateAssistedCall(deps(), { from: '+1', to: '+403', turns })).rejects.toBeInstanceOf(
      CallRefusedError,
    );
  });
});
