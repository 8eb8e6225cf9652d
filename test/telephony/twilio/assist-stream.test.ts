import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asBusinessId, asCallSid, type BusinessId, type CallSid } from '../../../src/ids.js';
import {
  registerAssistStreamRoute,
  type AssistStreamRouteDeps,
} from '../../../src/telephony/twilio/assist-stream-route.js';
import type { AssistStreamCall, AssistStreamStart } from '../../../src/telephony/twilio/assist-stream.js';
import { AssistTokens } from '../../../src/telephony/twilio/assist-token.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { TwilioFrameBuilder } from '../../../src/telephony/twilio/stream-protocol.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { FakeClock } from '../../support/fake-clock.js';
import { hex, waitFor } from './stream-peer.js';

/**
 * WS /assist/stream on a bare server with fake ports: who may open it (Twilio with a signed
 * upgrade and an assist token, or a forwarder with the assist key), that a call is listened to
 * once, and that what a peer sends can never close the stream or stop its audio.
 */

const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const SECRET = 'stream-secret-of-at-least-thirty-two-chars';
const ASSIST_KEY = 'assist-key-0123456789abcdef';
const PUBLIC_URL = 'https://sb.example.com';
/** ASSIST_WS naming this server under another address. */
const ASSIST_WS = 'wss://assist.example.com/assist/stream';
const BUSINESS = asBusinessId('biz-1');
const START_TIMEOUT_MS = 5000;
const IDLE_TIMEOUT_MS = 10_000;
const REFUSED = { error: 'Connection failed', message: 'Call ID not found' };

const assistTokens = new AssistTokens(SECRET, 60);
const mediaTokens = new StreamTokens(SECRET, 60);

interface Session {
  start: AssistStreamStart;
  audio: Array<['inbound' | 'outbound', number[]]>;
  ends: string[];
}

let app: FastifyInstance;
let wsUrl: string;
let clock: FakeClock;
let metrics: Metrics;
/** Calls live in the fake store, and the ones whose assist stream is already taken. */
let live: Map<CallSid, { businessId: BusinessId; source: 'dial' | 'transfer' }>;
let claimed: Set<CallSid>;
let sessions: Session[];
let onAudioFault: ((n: number) => void) | undefined;
let endFault: (() => void) | undefined;

beforeEach(async () => {
  clock = new FakeClock();
  metrics = new Metrics();
  live = new Map();
  claimed = new Set();
  sessions = [];
  onAudioFault = undefined;
  endFault = undefined;
  const deps: AssistStreamRouteDeps = {
    verifier: twilioSignatureVerifier(AUTH_TOKEN),
    publicUrl: PUBLIC_URL,
    streamUrl: ASSIST_WS,
    isAssistKey: (s) => s === ASSIST_KEY,
    tokens: assistTokens,
    claimAssist: async ({ callSid, businessId }) => {
      const call = live.get(callSid);
      if (!call || call.businessId !== businessId) return { ok: false, reason: 'unknown-call' };
      if (claimed.has(callSid)) return { ok: false, reason: 'already-claimed' };
      claimed.add(callSid);
      return { ok: true };
    },
    businessOfLiveCall: async (callSid) => live.get(callSid),
    startAssist: async (start): Promise<AssistStreamCall> => {
      const s: Session = { start, audio: [], ends: [] };
      sessions.push(s);
      return {
        onAudio(track, mulaw) {
          s.audio.push([track, [...mulaw]]);
          onAudioFault?.(s.audio.length);
        },
        end(reason) {
          s.ends.push(reason);
          endFault?.();
          return Promise.resolve();
        },
      };
    },
    metrics,
    log: createLogger({ level: 'silent' }),
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    startTimeoutMs: START_TIMEOUT_MS,
    clock,
  };
  app = Fastify();
  await app.register(websocket);
  registerAssistStreamRoute(app, deps);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  wsUrl = `${address.replace(/^http/, 'ws')}/assist/stream`;
});
afterEach(async () => app.close());

function liveCall(source: 'dial' | 'transfer' = 'dial'): CallSid {
  const callSid = asCallSid(`CA${hex(16)}`);
  live.set(callSid, { businessId: BUSINESS, source });
  return callSid;
}

interface Peer {
  ws: WebSocket;
  received: string[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: string): void;
}

type Auth = 'twilio' | { signedOver: string } | { bearer: string };

/** Opens the stream as Twilio (signed over the public wss:// URL) or as a forwarder (bearer). */
async function open(auth: Auth): Promise<Peer> {
  const headers: Record<string, string> =
    auth === 'twilio'
      ? { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, 'wss://sb.example.com/assist/stream', {}) }
      : 'signedOver' in auth
        ? { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, auth.signedOver, {}) }
        : { authorization: `Bearer ${auth.bearer}` };
  const ws = new WebSocket(wsUrl, { headers });
  const received: string[] = [];
  ws.on('message', (d) => received.push(d.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, closed, send: (f) => ws.send(f) };
}

/** The HTTP status an upgrade is refused with. */
async function refusedUpgrade(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

const twoTracks = (callSid: CallSid, opts: { seed000?: boolean } = {}) =>
  new TwilioFrameBuilder('AC' + 'b'.repeat(32), callSid, `MZ${hex(16)}`, {
    tracks: ['inbound', 'outbound'],
    ...opts,
  });

async function metric(name: string): Promise<string> {
  return metrics.registry.getSingleMetricAsString(name);
}

describe('Twilio opens the assist stream with its token', () => {
  it('hands every frame to the session by track, in arrival order, and sends nothing back', async () => {
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const peer = await open('twilio');
    const f = twoTracks(callSid);
    peer.send(f.connected());
    peer.send(f.start({ token }));
    // Sent at once, before the start is checked: held, then delivered in order.
    const order: Array<'inbound' | 'outbound'> = ['inbound', 'outbound', 'outbound', 'inbound', 'outbound'];
    order.forEach((track, i) => peer.send(f.media(new Uint8Array([i, i]), i * 20, track)));
    await waitFor(() => (sessions[0]?.audio.length ?? 0) === order.length);
    const s = sessions[0]!;
    expect(s.start).toMatchObject({
      callSid,
      businessId: BUSINESS,
      streamSid: f.streamSid,
      tracks: ['inbound', 'outbound'],
      source: 'dial',
    });
    expect(s.audio).toEqual(order.map((track, i) => [track, [i, i]]));
    peer.send(f.stop());
    expect((await peer.closed).code).toBe(1000);
    await waitFor(() => s.ends.length > 0);
    expect(s.ends).toEqual(['stop']);
    expect(peer.received).toEqual([]);
  });

  it.each([
    ['a token that is no token', async () => 'not-a-token'],
    [
      'a media-stream token for the same call',
      async (c: CallSid) => mediaTokens.issue({ callSid: c, businessId: BUSINESS }),
    ],
    [
      'an assist token for another call',
      async () => assistTokens.issue({ callSid: liveCall(), businessId: BUSINESS, source: 'dial' }),
    ],
    ['no token at all', async () => undefined],
  ])('refuses %s with the one refusal, and listens to nothing', async (_name, tokenFor) => {
    const callSid = liveCall();
    const token = await tokenFor(callSid);
    const peer = await open('twilio');
    const f = twoTracks(callSid);
    peer.send(f.start(token === undefined ? {} : { token }));
    peer.send(f.media(new Uint8Array(160), 0));
    expect((await peer.closed).code).toBe(1008);
    expect(peer.received.map((r) => JSON.parse(r) as unknown)).toEqual([REFUSED]);
    expect(sessions).toEqual([]);
    expect(claimed.size).toBe(0);
  });

  it('a token opens one stream only: the second use is refused and the first goes on', async () => {
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const first = await open('twilio');
    const f1 = twoTracks(callSid);
    first.send(f1.start({ token }));
    first.send(f1.media(new Uint8Array([1]), 0));
    await waitFor(() => sessions[0]?.audio.length === 1);

    const replay = await open('twilio');
    const f2 = twoTracks(callSid);
    replay.send(f2.start({ token }));
    expect((await replay.closed).code).toBe(1008);
    expect(JSON.parse(replay.received[0] ?? '{}')).toEqual(REFUSED);
    expect(await metric('switchboard_rejected_webhooks_total')).toMatch(
      /route="assist-stream",reason="already-claimed"\} 1/,
    );

    first.send(f1.media(new Uint8Array([2]), 20, 'outbound'));
    await waitFor(() => sessions[0]?.audio.length === 2);
    expect(sessions).toHaveLength(1);
    expect(first.ws.readyState).toBe(WebSocket.OPEN);
    first.ws.close();
  });
});

describe('a forwarder with the assist key (seed 000 frames)', () => {
  it('needs no start: its first frame names the call, whose business the store knows; every frame is heard', async () => {
    const callSid = liveCall('transfer');
    const peer = await open({ bearer: ASSIST_KEY });
    const f = twoTracks(callSid, { seed000: true });
    peer.send(f.media(new Uint8Array([7]), 0, 'inbound'));
    peer.send(f.media(new Uint8Array([8]), 0, 'outbound'));
    peer.send(f.media(new Uint8Array([9]), 20, 'inbound'));
    await waitFor(() => sessions[0]?.audio.length === 3);
    expect(sessions[0]!.start).toMatchObject({
      callSid,
      businessId: BUSINESS,
      streamSid: f.streamSid,
      tracks: ['inbound', 'outbound'],
      source: 'transfer',
    });
    expect(sessions[0]!.audio).toEqual([
      ['inbound', [7]],
      ['outbound', [8]],
      ['inbound', [9]],
    ]);
    expect(claimed.has(callSid)).toBe(true);
    peer.ws.close();
    await waitFor(() => sessions[0]!.ends.length > 0);
    expect(sessions[0]!.ends).toEqual(['socket closed']);
  });

  it('is refused for a call that is not live, and for one already listened to', async () => {
    const unknown = await open({ bearer: ASSIST_KEY });
    unknown.send(twoTracks(asCallSid(`CA${hex(16)}`), { seed000: true }).media(new Uint8Array(160), 0));
    expect((await unknown.closed).code).toBe(1008);
    expect(JSON.parse(unknown.received[0] ?? '{}')).toEqual(REFUSED);

    const callSid = liveCall();
    claimed.add(callSid);
    const second = await open({ bearer: ASSIST_KEY });
    second.send(twoTracks(callSid, { seed000: true }).media(new Uint8Array(160), 0));
    expect((await second.closed).code).toBe(1008);
    expect(sessions).toEqual([]);
  });

  it('frames for another call on the same socket are ignored, not heard', async () => {
    const callSid = liveCall();
    const peer = await open({ bearer: ASSIST_KEY });
    const f = twoTracks(callSid, { seed000: true });
    const other = new TwilioFrameBuilder('AC1', `CA${hex(16)}`, f.streamSid, { seed000: true });
    peer.send(f.media(new Uint8Array([1]), 0));
    peer.send(other.media(new Uint8Array([2]), 0));
    peer.send(f.media(new Uint8Array([3]), 20));
    await waitFor(() => sessions[0]?.audio.length === 2);
    expect(sessions[0]!.audio.map(([, b]) => b[0])).toEqual([1, 3]);
    expect(await metric('switchboard_protocol_errors_total')).toMatch(/reason="wrong-call"\} 1/);
    peer.ws.close();
  });
});

describe('the upgrade', () => {
  it('is refused with 403 without a signature or key, with a wrong key, and with a forged signature', async () => {
    const signed = signTwilioRequest(AUTH_TOKEN, 'wss://sb.example.com/assist/stream', {});
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer not-the-key' },
      { authorization: `Basic ${ASSIST_KEY}` },
      { 'x-twilio-signature': signTwilioRequest('another-token', 'wss://sb.example.com/assist/stream', {}) },
      // Signed by Twilio, but for a URL that is not ours.
      {
        'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, 'wss://elsewhere.example.com/assist/stream', {}),
      },
      // A credential that is not the key is refused, even beside a good signature.
      { 'x-twilio-signature': signed, authorization: 'Bearer not-the-key' },
    ];
    for (const headers of cases) {
      const { status, body } = await refusedUpgrade(headers);
      expect(status).toBe(403);
      expect(JSON.parse(body)).toEqual({ error: 'forbidden', message: expect.any(String) });
    }
  });

  it('is accepted when signed over the configured assist stream URL, as our TwiML gave it', async () => {
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const peer = await open({ signedOver: ASSIST_WS });
    peer.send(twoTracks(callSid).start({ token }));
    await waitFor(() => sessions.length === 1);
    peer.ws.close();
  });

  it('a signed Twilio peer may not name a call without a token, as a forwarder may', async () => {
    const callSid = liveCall();
    const peer = await open('twilio');
    const f = twoTracks(callSid, { seed000: true });
    peer.send(f.media(new Uint8Array(160), 0));
    await waitFor(async () =>
      /reason="before-start"\} 1/.test(await metric('switchboard_protocol_errors_total')),
    );
    expect(sessions).toEqual([]);
    peer.ws.close();
  });
});

describe('what a peer sends never closes the stream', () => {
  it('malformed frames are counted and skipped; the audio around them is heard', async () => {
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const peer = await open('twilio');
    const f = twoTracks(callSid);
    peer.send(f.start({ token }));
    peer.send(f.media(new Uint8Array([1]), 0));
    for (const junk of ['{"event":', '[]', '{"event":"media","media":{}}', 'null', '{"event":"teleport"}'])
      peer.send(junk);
    peer.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    peer.send(f.media(new Uint8Array([2]), 20, 'outbound'));
    await waitFor(() => sessions[0]?.audio.length === 2);
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    expect(peer.received).toEqual([]);
    const errors = await metric('switchboard_protocol_errors_total');
    expect(errors).toMatch(/reason="malformed"\} 5/);
    expect(errors).toMatch(/reason="binary-frame"\} 1/);
    peer.ws.close();
  });

  it('a session that throws on a frame loses that frame only: the stream stays open and later frames arrive', async () => {
    onAudioFault = (n) => {
      if (n <= 2) throw new Error('assist session fault');
    };
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const peer = await open('twilio');
    const f = twoTracks(callSid);
    peer.send(f.start({ token }));
    for (let i = 0; i < 4; i++) peer.send(f.media(new Uint8Array([i]), i * 20));
    await waitFor(() => sessions[0]?.audio.length === 4);
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    expect(await metric('switchboard_protocol_errors_total')).toMatch(/reason="handler-error"\} 2/);
    peer.ws.close();
  });

  it('a session whose end throws is still closed cleanly, and the next stream is served', async () => {
    endFault = () => {
      throw new Error('assist session fault at the end');
    };
    for (let i = 0; i < 2; i++) {
      const callSid = liveCall();
      const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
      const peer = await open('twilio');
      const f = twoTracks(callSid);
      peer.send(f.start({ token }));
      await waitFor(() => sessions.length === i + 1);
      peer.send(f.stop());
      expect((await peer.closed).code).toBe(1000);
      expect(sessions[i]!.ends).toEqual(['stop']);
    }
  });

  it('stop ends the session once, though the socket then closes too', async () => {
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const peer = await open('twilio');
    const f = twoTracks(callSid);
    peer.send(f.start({ token }));
    peer.send(f.media(new Uint8Array([1]), 0));
    peer.send(f.stop());
    peer.send(f.stop());
    await peer.closed;
    await waitFor(() => sessions[0]?.ends.length === 1);
    // Anything after the end would have arrived by now: the close came after both stops.
    clock.advance(IDLE_TIMEOUT_MS * 2);
    expect(sessions[0]!.ends).toEqual(['stop']);
  });
});

describe('deadlines (fake clock)', () => {
  it('a connection that starts nothing within the start deadline is refused', async () => {
    const peer = await open({ bearer: ASSIST_KEY });
    peer.send('{"event":"connected","protocol":"Call","version":"1.0.0"}');
    // Frames with no call in them are no start.
    peer.send(twoTracks(liveCall()).media(new Uint8Array(160), 0));
    await waitFor(async () =>
      /reason="before-start"\} 1/.test(await metric('switchboard_protocol_errors_total')),
    );
    clock.advance(START_TIMEOUT_MS - 1);
    expect(await metric('switchboard_rejected_webhooks_total')).not.toMatch(/start-timeout/);
    clock.advance(1);
    expect((await peer.closed).code).toBe(1008);
    expect(JSON.parse(peer.received[0] ?? '{}')).toEqual({
      error: 'Connection failed',
      message: 'No start message received in time',
    });
  });

  it('a started stream stays open while frames come, and ends as idle once they stop', async () => {
    const callSid = liveCall();
    const token = await assistTokens.issue({ callSid, businessId: BUSINESS, source: 'dial' });
    const peer = await open('twilio');
    const f = twoTracks(callSid);
    peer.send(f.start({ token }));
    await waitFor(() => sessions.length === 1);
    clock.advance(START_TIMEOUT_MS + 1);
    clock.advance(IDLE_TIMEOUT_MS - START_TIMEOUT_MS - 2);
    peer.send(f.media(new Uint8Array([1]), 0));
    await waitFor(() => sessions[0]!.audio.length === 1);
    clock.advance(IDLE_TIMEOUT_MS - 1);
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    expect(sessions[0]!.ends).toEqual([]);
    clock.advance(1);
    expect((await peer.closed).code).toBe(1000);
    await waitFor(() => sessions[0]!.ends.length > 0);
    expect(sessions[0]!.ends).toEqual(['idle']);
  });
});
