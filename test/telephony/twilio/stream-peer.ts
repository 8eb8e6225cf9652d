import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { signTwilioRequest } from '../../../src/telephony/twilio/signature.js';
import { parseOutbound, TwilioFrameBuilder } from '../../../src/telephony/twilio/stream-protocol.js';
import { readTwiml, type TwimlAction } from '../../../src/sim/twiml-reader.js';

/** Twilio's side of the wire, by hand: for tests that replay, race or stall what Twilio sends. */

export const hex = (n: number) => randomBytes(n).toString('hex');

export interface Twilio {
  baseUrl: string;
  authToken: string;
}

export async function postForm(tw: Twilio, path: string, params: Record<string, string>): Promise<Response> {
  const url = tw.baseUrl + path;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(tw.authToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
}

export function voiceParams(callSid: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: 'AC' + 'b'.repeat(32),
    CallSid: callSid,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: '+15555550100',
    To: '+15005550006',
    ...extra,
  };
}

/** Posts the voice webhook for a new call and reads the TwiML. */
export async function placeCall(
  tw: Twilio,
  callSid = `CA${hex(16)}`,
): Promise<{ callSid: string; twiml: TwimlAction }> {
  const res = await postForm(tw, '/twilio/voice', voiceParams(callSid));
  if (res.status !== 200) throw new Error(`voice webhook answered ${res.status}`);
  return { callSid, twiml: readTwiml(await res.text()) };
}

export interface StreamPeer {
  ws: WebSocket;
  frames: TwilioFrameBuilder;
  /** Raw text frames the server sent. */
  received: string[];
  mediaFrames(): number;
  closed: Promise<{ code: number; reason: string }>;
  start(parameters: Record<string, string>): void;
  /** 20 ms of mu-law silence, as Twilio sends while the caller is quiet. */
  silence(n: number): void;
  stop(): void;
}

/** A signed upgrade to the stream endpoint, ready to send connected/start. */
export async function openStream(tw: Twilio, callSid: string, path = '/twilio/stream'): Promise<StreamPeer> {
  const url = tw.baseUrl.replace(/^http/, 'ws') + path;
  const ws = new WebSocket(url, {
    headers: { 'x-twilio-signature': signTwilioRequest(tw.authToken, url, {}) },
  });
  const received: string[] = [];
  ws.on('message', (d) => received.push(d.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const frames = new TwilioFrameBuilder('AC' + 'b'.repeat(32), callSid, `MZ${hex(16)}`);
  let ms = 0;
  const send = (t: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(t);
  };
  return {
    ws,
    frames,
    received,
    mediaFrames: () =>
      received.filter((r) => {
        const p = parseOutbound(r);
        return p.ok && p.message.event === 'media';
      }).length,
    closed,
    start(parameters) {
      send(frames.connected());
      send(frames.start(parameters));
    },
    silence(n) {
      for (let i = 0; i < n; i++) {
        send(frames.media(new Uint8Array(160).fill(0xff), ms));
        ms += 20;
      }
    },
    stop() {
      send(frames.stop());
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}
