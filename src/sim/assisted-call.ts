import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { FRAME_BYTES as FRAME, FRAME_MS as TICK_MS, MULAW_SILENCE as SILENCE } from '../audio/index.js';
import { TwilioFrameBuilder } from '../telephony/twilio/index.js';
import { readAssistTwiml, type AssistTwiml } from './assist-twiml.js';
import { inboundCallParams, postSigned, signedUpgradeHeaders } from './twilio-requests.js';
import { CallRefusedError } from './errors.js';
import { voiceExtent } from './voice-extent.js';

/**
 * Plays Twilio's part of a call the business answers itself, with agent assist listening in:
 * the signed POST /twilio/assist/voice, its TwiML followed (`<Start><Stream track="both_tracks">`
 * with the token, then `<Dial>` to the agent), the signed upgrade of the stream URL, `connected`
 * and `start` (both tracks), then both sides of the conversation as Twilio sends them: every 20 ms
 * one frame per track (a side that is quiet sends mu-law silence), paced in real time, then `stop`,
 * the `<Dial>`'s action (the agent took the call: DialCallStatus 'completed') and the signed
 * 'completed' status callback. Nothing is expected back on a listen-only stream.
 *
 * The customer is Twilio's inbound track (the caller), the agent the outbound one (the person the
 * `<Dial>` rang). For each customer turn it reports when its voice ended on the wire — the frame
 * carrying the clip's last voiced audio was sent — as performance.now() and Date.now(), so a
 * listener on the agents' feed can measure voice end → suggestion.
 */

export type Speaker = 'customer' | 'agent';
/** Twilio's tracks: inbound = the caller (customer), outbound = the person dialled (agent). */
export type Track = 'inbound' | 'outbound';
/** Media frames as Twilio sends them, or in seed 000's shape (top-level callSid/accountSid, ISO timestamp). */
export type FrameShape = 'twilio' | 'seed000';

/**
 * One step of the two-track script: a side speaks (mu-law 8 kHz), or both are quiet a while.
 * `voice`: where the speech is in the clip (ms), when the caller knows it better than the clip's
 * energy does (e.g. the clean recording before a noisy line was added); default: from the energy.
 */
export type AssistTurn =
  | { speaker: Speaker; audio: Uint8Array; text?: string; voice?: { startMs: number; endMs: number } }
  | { pause: number };

export interface AssistedCallDeps {
  /** Public origin of the server (what PUBLIC_URL says), e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** The Twilio auth token the server checks signatures with. */
  authToken: string;
  accountSid?: string;
}

export interface AssistedCallOptions {
  /** The customer's number (From) and the business's number (To). */
  from: string;
  to: string;
  turns: readonly AssistTurn[];
  /** Media frames as Twilio sends them (default) or in seed 000's shape. */
  frameShape?: FrameShape;
  /** Default: a fresh random one. */
  callSid?: string;
  /** Quiet on both tracks before the first turn (default 200 ms). */
  leadMs?: number;
  /** Quiet on both tracks after the last turn before `stop`: the last words' end of turn needs it (default 1500 ms). */
  tailMs?: number;
  /** What a quiet track carries each tick (e.g. a phone line's hiss); default mu-law silence (0xFF). */
  silence?: (track: Track) => Uint8Array;
  /** Ends the call early: 'stop' hangs up as Twilio does (stop, then close), 'drop' cuts the socket. */
  signal?: AbortSignal;
  onAbort?: 'stop' | 'drop';
  /** Called as each customer turn's voice ends on the wire. */
  onVoiceEnd?: (v: VoiceEnd) => void;
  /** Extra headers on the stream upgrade (e.g. Authorization for a forwarder). */
  upgradeHeaders?: Record<string, string>;
}

/** Where one customer turn's voice ended, on the stream's clock and on this process's clocks. */
export interface VoiceEnd {
  /** Index of the turn in the script. */
  turn: number;
  text?: string;
  /** ms of stream audio (media timestamps) at the voice's end, and where the turn's voice started. */
  streamMs: number;
  startStreamMs: number;
  /** performance.now() and Date.now() when the frame with the last voiced audio was sent. */
  perfMs: number;
  wallMs: number;
}

export interface AssistedCallReport {
  callSid: string;
  streamSid: string;
  /** 'assist': the TwiML listened in and dialled; otherwise what it did instead (no stream played). */
  answered: 'assist' | 'connect-stream' | 'other';
  twiml: AssistTwiml;
  /** performance.now() and Date.now() when `start` was sent (stream time 0). */
  startedAt?: { perfMs: number; wallMs: number };
  ticks: number;
  framesSent: Record<Track, number>;
  voiceEnds: VoiceEnd[];
  /** Anything the server sent on the stream (a listen-only stream gets nothing but a refusal). */
  serverMessages: string[];
  closedBy: 'simulator' | 'server' | 'aborted';
  closeCode?: number;
  /** The HTTP status the `<Dial>`'s action answered when the call ended (when the TwiML had one). */
  dialActionStatus?: number;
  errors: string[];
}

const hex = (n: number) => randomBytes(n).toString('hex');
const silentFrame = () => new Uint8Array(FRAME).fill(SILENCE);

/** The call laid out tick by tick: each track's frame (undefined = quiet) and the customer's voice ends. */
interface Timeline {
  inbound: Array<Uint8Array | undefined>;
  outbound: Array<Uint8Array | undefined>;
  /** Tick index of the frame carrying a customer turn's last voiced audio → that turn. */
  voiceEnds: Map<number, { turn: number; text?: string; streamMs: number; startStreamMs: number }>;
}

/** Lays the script out on the 20 ms grid, both tracks the same length. */
export function layOut(turns: readonly AssistTurn[], leadMs: number, tailMs: number): Timeline {
  const t: Timeline = { inbound: [], outbound: [], voiceEnds: new Map() };
  const quiet = (ms: number) => {
    const n = Math.ceil(ms / TICK_MS);
    for (let i = 0; i < n; i++) {
      t.inbound.push(undefined);
      t.outbound.push(undefined);
    }
  };
  quiet(leadMs);
  for (const [index, turn] of turns.entries()) {
    if ('pause' in turn) {
      quiet(turn.pause);
      continue;
    }
    const at = t.inbound.length;
    const speaking = turn.speaker === 'customer' ? t.inbound : t.outbound;
    const other = turn.speaker === 'customer' ? t.outbound : t.inbound;
    for (let i = 0; i < turn.audio.length; i += FRAME) {
      const f = silentFrame();
      f.set(turn.audio.subarray(i, Math.min(turn.audio.length, i + FRAME)));
      speaking.push(f);
      other.push(undefined);
    }
    if (turn.speaker === 'customer') {
      const voice = turn.voice ?? voiceExtent(turn.audio);
      if (voice) {
        // The frame carrying the voice's last audio: when it is sent, the voice has ended on the wire.
        const lastFrame = Math.max(0, Math.ceil(voice.endMs / TICK_MS) - 1);
        t.voiceEnds.set(at + lastFrame, {
          turn: index,
          ...(turn.text !== undefined ? { text: turn.text } : {}),
          streamMs: at * TICK_MS + voice.endMs,
          startStreamMs: at * TICK_MS + voice.startMs,
        });
      }
    }
  }
  quiet(tailMs);
  return t;
}

export async function simulateAssistedCall(
  deps: AssistedCallDeps,
  opts: AssistedCallOptions,
): Promise<AssistedCallReport> {
  const accountSid = deps.accountSid ?? `AC${hex(16)}`;
  const callSid = opts.callSid ?? `CA${hex(16)}`;
  const streamSid = `MZ${hex(16)}`;
  const base = deps.baseUrl.replace(/\/+$/, '');

  const postTo = (url: string, params: Record<string, string>) => postSigned(deps.authToken, url, params);
  const post = (path: string, params: Record<string, string>) => postTo(base + path, params);
  const callParams = inboundCallParams({ accountSid, callSid, from: opts.from, to: opts.to });
  let statusSeq = 0;
  let t0 = performance.now();
  const postStatus = (status: string, extra: Record<string, string> = {}) =>
    post('/twilio/status', {
      ...callParams,
      CallStatus: status,
      SequenceNumber: String(statusSeq++),
      Timestamp: new Date().toUTCString(),
      CallbackSource: 'call-progress-events',
      ...extra,
    }).catch(() => undefined);

  const res = await post('/twilio/assist/voice', callParams);
  if (res.status !== 200)
    throw new CallRefusedError('voice webhook', `${base}/twilio/assist/voice`, res.status);
  const twiml = readAssistTwiml(await res.text());
  const report: AssistedCallReport = {
    callSid,
    streamSid,
    answered: twiml.kind,
    twiml,
    ticks: 0,
    framesSent: { inbound: 0, outbound: 0 },
    voiceEnds: [],
    serverMessages: [],
    closedBy: 'simulator',
    errors: [],
  };
  if (twiml.kind !== 'assist') {
    // Not listened in: this simulator plays only the assisted path. The call still ends.
    await postStatus('completed', { CallDuration: '0' });
    return report;
  }
  await postStatus('in-progress');

  // The upgrade is signed over the stream URL exactly as the TwiML gave it, with no params.
  const url = twiml.stream.url;
  const ws = new WebSocket(url, {
    headers: { ...signedUpgradeHeaders(deps.authToken, url), ...opts.upgradeHeaders },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, r) =>
        reject(new CallRefusedError('stream upgrade', url, r.statusCode ?? 0)),
      );
    });
  } catch (err) {
    await postStatus('completed', { CallDuration: '0' });
    throw err;
  }

  let socketClosed = false;
  const closed = new Promise<void>((resolve) =>
    ws.on('close', (code) => {
      report.closeCode = code;
      socketClosed = true;
      resolve();
    }),
  );
  ws.on('message', (data) => report.serverMessages.push(data.toString()));
  ws.on('error', (err) => report.errors.push(`socket error: ${err.message}`));
  const send = (text: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
  };

  const timeline = layOut(opts.turns, opts.leadMs ?? 200, opts.tailMs ?? 1500);
  const startedWall = Date.now();
  const frames = new TwilioFrameBuilder(accountSid, callSid, streamSid, {
    tracks: ['inbound', 'outbound'],
    seed000: opts.frameShape === 'seed000',
    startedAtMs: startedWall,
  });
  const quiet = opts.silence ?? silentFrame;
  send(frames.connected());
  t0 = performance.now();
  report.startedAt = { perfMs: t0, wallMs: startedWall };
  send(frames.start(twiml.stream.parameters));

  const tick = (k: number) => {
    const ts = k * TICK_MS;
    // Twilio sends both tracks every tick, the quiet side as silence.
    for (const track of ['inbound', 'outbound'] as const) {
      send(frames.media(timeline[track][k] ?? quiet(track), ts, track));
      report.framesSent[track]++;
    }
    report.ticks++;
    const end = timeline.voiceEnds.get(k);
    if (end) {
      const v: VoiceEnd = { ...end, perfMs: performance.now(), wallMs: Date.now() };
      report.voiceEnds.push(v);
      opts.onVoiceEnd?.(v);
    }
  };

  // Drift-free pacing: frame k is due at start + k*20 ms; late ticks catch up as Twilio's buffer would.
  const total = timeline.inbound.length;
  let k = 0;
  let aborted = opts.signal?.aborted ?? false;
  await new Promise<void>((resolve) => {
    const onAbort = () => {
      aborted = true;
      resolve();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const loop = () => {
      if (aborted || socketClosed || k >= total) {
        opts.signal?.removeEventListener('abort', onAbort);
        return resolve();
      }
      while (k < total && t0 + k * TICK_MS <= performance.now()) tick(k++);
      setTimeout(loop, Math.max(0, t0 + k * TICK_MS - performance.now()));
    };
    loop();
  });

  if (socketClosed) {
    report.closedBy = 'server';
  } else if (aborted && opts.onAbort === 'drop') {
    report.closedBy = 'aborted';
    ws.terminate();
  } else {
    report.closedBy = aborted ? 'aborted' : 'simulator';
    send(frames.stop());
    ws.close(1000);
  }
  // Wait for the close handshake, briefly: a server that never answers it is not the caller's problem.
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
  if (!socketClosed) ws.terminate();
  const seconds = String(Math.round((performance.now() - t0) / 1000));
  // The agent's leg ended (they spoke, then hung up): Twilio asks the <Dial>'s action what next.
  if (twiml.dial.action) {
    const dialEnd = await postTo(twiml.dial.action, {
      ...callParams,
      CallStatus: 'in-progress',
      DialCallStatus: 'completed',
      DialCallSid: `CA${hex(16)}`,
      DialCallDuration: seconds,
    }).catch((err: unknown) => {
      report.errors.push(`dial action: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    if (dialEnd) report.dialActionStatus = dialEnd.status;
  }
  await postStatus('completed', { CallDuration: seconds });
  return report;
}
