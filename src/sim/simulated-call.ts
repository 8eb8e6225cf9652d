import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { FRAME_BYTES as FRAME, FRAME_MS as TICK_MS, MULAW_SILENCE as SILENCE } from '../audio/index.js';
import { mulawToPcm, pcmToMulaw } from '../audio/index.js';
import { parseOutbound, TwilioFrameBuilder } from '../telephony/twilio/index.js';
import { CallRefusedError } from './errors.js';
import type { CallScript } from './script.js';
import { followMessageTaking } from './message-call.js';
import { fetchStoredCall, type StoredTurnView } from './stored-call.js';
import { readTwiml } from './twiml-reader.js';
import { inboundCallParams, postSigned, signedUpgradeHeaders } from './twilio-requests.js';

/**
 * Plays Twilio's part of one inbound call against a running Switchboard, as Twilio would:
 * signed voice webhook, TwiML followed to the media stream, signed upgrade, connected/start,
 * caller audio as paced 20 ms mu-law frames, DTMF, mark echoes when the audio before them has
 * played, `clear` honoured, status callbacks, and both sides recorded.
 */

/** Caller audio for one turn: mu-law at 8 kHz, ready to frame. */
export type CallerAudio = Uint8Array;

export interface SimulatorDeps {
  /** Public origin of the server, e.g. http://localhost:3000 (what PUBLIC_URL says). */
  baseUrl: string;
  /** Twilio auth token the server checks signatures with. */
  authToken: string;
  /** Turns a `say` or `wav` turn into caller audio. */
  callerAudio(turn: { say?: string; wav?: string }): Promise<CallerAudio>;
  /** Optional admin API key: with it the report includes the server's transcript. */
  apiKey?: string;
  accountSid?: string;
}

export interface SimEvent {
  /** ms since the stream's `start` was sent. */
  t: number;
  type:
    | 'webhook'
    | 'stream-open'
    | 'start-sent'
    | 'agent-audio-start'
    | 'agent-audio-end'
    | 'mark-received'
    | 'mark-echoed'
    | 'clear-received'
    | 'caller-speech-start'
    | 'caller-speech-end'
    | 'dtmf-sent'
    | 'noise-start'
    | 'noise-end'
    | 'hangup'
    | 'stream-closed'
    | 'protocol-error';
  detail?: string;
}

export interface TurnReport {
  index: number;
  kind: 'say' | 'wav' | 'dtmf' | 'silence' | 'noise';
  text?: string;
  /** When the caller started and stopped (ms since start). */
  startMs: number;
  endMs: number;
  bargeIn: boolean;
  /** First agent audio frame after the caller's end of speech, ms after it. */
  latencyMs?: number;
  /** A clear arrived while or after the caller spoke: ms after the caller started. */
  clearAfterMs?: number;
}

export interface SimulationReport {
  callSid: string;
  streamSid: string;
  /** `message`: a <Gather input="speech"> (a plan without the voice agent) the simulator followed. */
  answered: 'stream' | 'say-hangup' | 'message' | 'other';
  twimlSay?: string[];
  /** ms from `start` sent to the first agent media frame received. */
  firstAudioMs?: number;
  /** ms from `start` sent to the first mark received. */
  firstMarkMs?: number;
  framesSent: number;
  framesReceived: number;
  /** Agent media messages whose payload was not whole 20 ms frames (a multiple of 160 bytes). */
  oddFrames: number;
  marksReceived: number;
  clearsReceived: number;
  protocolErrors: string[];
  turns: TurnReport[];
  events: SimEvent[];
  closedBy: 'simulator' | 'server' | 'timeout';
  /** The close code the server's side sent (1000 is a normal close; 1008 a refusal). */
  closeCode?: number;
  /** Stereo 8 kHz recording: left caller, right agent as played. */
  recording: { sampleRate: number; caller: Int16Array; agent: Int16Array };
  /** The server's stored call (GET /api/calls/:callSid), when an API key was given. */
  serverCall?: unknown;
  /** The conversation as the server stored it: what the agent said and what the caller heard of it. */
  transcript?: StoredTurnView[];
}

export interface SimulateOptions {
  /** Resolve when `start` has been answered this long without sending further turns (for tests). */
  signal?: AbortSignal;
  /** Send these raw text frames right after `start` (robustness tests). */
  injectAfterStart?: string[];
  /** Override the stream token parameter (to test refusal). */
  tamperToken?: boolean;
}

const hex = (n: number) => randomBytes(n).toString('hex');

export async function simulateCall(
  script: CallScript,
  deps: SimulatorDeps,
  opts: SimulateOptions = {},
): Promise<SimulationReport> {
  const accountSid = deps.accountSid ?? `AC${hex(16)}`;
  const callSid = `CA${hex(16)}`;
  const streamSid = `MZ${hex(16)}`;
  const base = deps.baseUrl.replace(/\/+$/, '');
  const events: SimEvent[] = [];
  let t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const event = (type: SimEvent['type'], detail?: string) =>
    events.push({ t: now(), type, ...(detail ? { detail } : {}) });

  // A path of the server, or an absolute URL a TwiML document gave (signed exactly as given).
  const post = (path: string, params: Record<string, string>) =>
    postSigned(deps.authToken, /^https?:\/\//.test(path) ? path : base + path, params);
  const callParams = inboundCallParams({ accountSid, callSid, from: script.from, to: script.to });
  const res = await post('/twilio/voice', callParams);
  event('webhook', String(res.status));
  if (res.status !== 200) throw new CallRefusedError('voice webhook', `${base}/twilio/voice`, res.status);
  const twiml = readTwiml(await res.text());
  const empty = (answered: SimulationReport['answered'], say?: string[]): SimulationReport => ({
    callSid,
    streamSid,
    answered,
    ...(say ? { twimlSay: say } : {}),
    framesSent: 0,
    framesReceived: 0,
    oddFrames: 0,
    marksReceived: 0,
    clearsReceived: 0,
    protocolErrors: [],
    turns: [],
    events,
    closedBy: 'simulator',
    recording: { sampleRate: 8000, caller: new Int16Array(0), agent: new Int16Array(0) },
  });
  if (twiml.kind === 'say-hangup') return empty('say-hangup', twiml.say);
  if (twiml.kind === 'gather') {
    const report = await followMessageTaking(twiml, { post, callParams, script, event });
    const done = { ...empty('message', report.say), turns: report.turns, closedBy: report.closedBy };
    if (deps.apiKey) Object.assign(done, await fetchStoredCall(base, deps.apiKey, callSid));
    return done;
  }
  if (twiml.kind !== 'stream') return empty('other');

  let statusSeq = 0;
  const postStatus = (status: string, extra: Record<string, string> = {}) =>
    post('/twilio/status', {
      ...callParams,
      CallStatus: status,
      SequenceNumber: String(statusSeq++),
      Timestamp: new Date().toUTCString(),
      CallbackSource: 'call-progress-events',
      ...extra,
    }).catch(() => undefined);
  await postStatus('in-progress');

  // The upgrade is signed over the stream URL exactly as the TwiML gave it, with no params.
  const ws = new WebSocket(twiml.url, {
    headers: signedUpgradeHeaders(deps.authToken, twiml.url),
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, r) =>
      reject(new CallRefusedError('stream upgrade', twiml.url, r.statusCode ?? 0)),
    );
  });
  event('stream-open');

  const frames = new TwilioFrameBuilder(accountSid, callSid, streamSid);
  const report: SimulationReport = { ...empty('stream'), closedBy: 'simulator' };

  // ---- what the caller "hears": a playback queue drained one frame per tick ----
  type Played = { kind: 'audio'; bytes: Uint8Array } | { kind: 'mark'; name: string };
  const playback: Played[] = [];
  const agentTrack: number[] = [];
  const callerTrack: number[] = [];
  let agentSpeaking = false;
  let lastAgentAudioAt = -Infinity;
  let agentAudioStartedAt = -Infinity;
  /** When agent audio began arriving after a quiet spell (receipt time, ms since start). */
  const audioBurstsAt: number[] = [];
  let serverClosed = false;

  ws.on('message', (data) => {
    const parsed = parseOutbound(data.toString());
    if (!parsed.ok) {
      report.protocolErrors.push(`unparseable message from server: ${parsed.error}`);
      event('protocol-error', parsed.error);
      return;
    }
    const m = parsed.message;
    if (m.streamSid !== streamSid) {
      report.protocolErrors.push(`message with streamSid ${m.streamSid}, expected ${streamSid}`);
      event('protocol-error', 'wrong streamSid');
      return;
    }
    if (m.event === 'media') {
      report.framesReceived += Math.max(1, Math.floor(m.payload.length / FRAME));
      // A payload may carry several 20 ms frames; Twilio buffers bytes and plays them in order.
      if (m.payload.length === 0 || m.payload.length % FRAME !== 0) report.oddFrames++;
      if (report.firstAudioMs === undefined) report.firstAudioMs = now();
      if (!playback.some((p) => p.kind === 'audio') && !agentSpeaking) audioBurstsAt.push(now());
      for (let i = 0; i < m.payload.length; i += FRAME)
        playback.push({ kind: 'audio', bytes: m.payload.subarray(i, i + FRAME) });
    } else if (m.event === 'mark') {
      report.marksReceived++;
      if (report.firstMarkMs === undefined) report.firstMarkMs = now();
      event('mark-received', m.name);
      playback.push({ kind: 'mark', name: m.name });
      // "or if there is no audio buffered": a mark with nothing before it echoes at once.
      drainMarks();
    } else {
      report.clearsReceived++;
      event('clear-received');
      // Twilio empties its buffer and echoes every pending mark.
      for (const item of playback.splice(0)) if (item.kind === 'mark') echoMark(item.name);
      if (agentSpeaking) {
        agentSpeaking = false;
        event('agent-audio-end', 'cleared');
      }
    }
  });
  ws.on('close', (code) => {
    report.closeCode = code;
    serverClosed = true;
    event('stream-closed');
  });
  ws.on('error', (err) => report.protocolErrors.push(`socket error: ${err.message}`));

  const send = (text: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
  };
  const echoMark = (name: string) => {
    send(frames.mark(name));
    event('mark-echoed', name);
  };
  const drainMarks = () => {
    while (playback[0]?.kind === 'mark') echoMark((playback.shift() as { name: string }).name);
  };

  send(frames.connected());
  const parameters = opts.tamperToken
    ? { ...twiml.parameters, token: 'x' + (twiml.parameters['token'] ?? '') }
    : twiml.parameters;
  t0 = performance.now();
  send(frames.start(parameters));
  event('start-sent');
  for (const raw of opts.injectAfterStart ?? []) send(raw);

  // ---- the caller's side: a queue of frames to send, one per tick ----
  let callerQueue: Uint8Array[] = [];
  let streamMs = 0;
  const tick = () => {
    // Play one frame of agent audio, as Twilio plays its buffer in real time.
    const head = playback.find((p) => p.kind === 'audio');
    if (head) {
      playback.splice(playback.indexOf(head), 1);
      if (!agentSpeaking) {
        agentSpeaking = true;
        agentAudioStartedAt = now();
        event('agent-audio-start');
      }
      lastAgentAudioAt = now();
      for (const s of mulawToPcm(head.bytes)) agentTrack.push(s);
    } else {
      for (let i = 0; i < FRAME; i++) agentTrack.push(0);
      if (agentSpeaking && now() - lastAgentAudioAt > 60) {
        agentSpeaking = false;
        event('agent-audio-end');
      }
    }
    drainMarks();
    // Send one frame of caller audio (silence when the caller is quiet), as Twilio does.
    const out = callerQueue.shift() ?? new Uint8Array(FRAME).fill(SILENCE);
    for (const s of mulawToPcm(out)) callerTrack.push(s);
    send(frames.media(out, streamMs));
    report.framesSent++;
    streamMs += TICK_MS;
  };

  // Drift-free pacing: frame k is due at start + k*20 ms.
  let stopped = false;
  const clockStart = performance.now();
  let k = 0;
  const pacer = new Promise<void>((resolve) => {
    const loop = () => {
      if (stopped || serverClosed) return resolve();
      // Late ticks catch up (as Twilio's own buffer would) instead of drifting.
      while (clockStart + k * TICK_MS <= performance.now()) {
        tick();
        k++;
      }
      setTimeout(loop, Math.max(0, clockStart + k * TICK_MS - performance.now()));
    };
    loop();
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const waitUntil = async (cond: () => boolean, timeoutMs: number) => {
    const end = performance.now() + timeoutMs;
    while (!cond() && !serverClosed && performance.now() < end) await sleep(10);
    return cond();
  };
  const agentQuiet = () =>
    !agentSpeaking && playback.length === 0 && now() - lastAgentAudioAt >= script.agentQuietMs;
  const deadline = performance.now() + script.maxDurationMs;
  const remaining = () => Math.max(0, deadline - performance.now());

  const playCaller = async (audio: Uint8Array) => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < audio.length; i += FRAME) {
      const f = new Uint8Array(FRAME).fill(SILENCE);
      f.set(audio.subarray(i, Math.min(audio.length, i + FRAME)));
      chunks.push(f);
    }
    callerQueue = chunks;
    await waitUntil(() => callerQueue.length === 0, remaining());
  };

  try {
    // The greeting first.
    await waitUntil(() => report.framesReceived > 0, Math.min(remaining(), 5000));
    await waitUntil(agentQuiet, remaining());

    for (const [index, turn] of script.turns.entries()) {
      if (serverClosed || remaining() === 0) break;
      const bargeIn = turn.bargeInAfterMs !== undefined;
      // Caller audio is made before the turn starts, so its timing is the audio's, not the synthesizer's.
      const spoken =
        turn.say !== undefined || turn.wav !== undefined
          ? await deps.callerAudio(turn.say !== undefined ? { say: turn.say } : { wav: turn.wav! })
          : undefined;
      if (bargeIn) {
        await waitUntil(() => agentSpeaking, remaining());
        await sleep(Math.max(0, agentAudioStartedAt + turn.bargeInAfterMs! - now()));
      } else if (index > 0) {
        await waitUntil(agentQuiet, remaining());
      }
      // Speech starts where the voice does, not where the clip's leading silence does.
      const startMs = now() + (spoken ? leadingSilenceMs(spoken) : 0);
      const clearsBefore = report.clearsReceived;
      let kind: TurnReport['kind'];
      let trailingMs = 0;
      if (turn.dtmf !== undefined) {
        kind = 'dtmf';
        for (const [i, key] of [...turn.dtmf].entries()) {
          if (i > 0) await sleep(200);
          send(frames.dtmf(key));
          event('dtmf-sent', key);
        }
      } else if (turn.silenceMs !== undefined) {
        kind = 'silence';
        // A quiet caller is still on the line; a server hang-up ends the wait.
        await waitUntil(() => false, turn.silenceMs);
      } else if (turn.noise !== undefined) {
        kind = 'noise';
        event('noise-start', turn.noise.kind);
        await playCaller(makeNoise(turn.noise));
        event('noise-end');
      } else {
        kind = turn.say !== undefined ? 'say' : 'wav';
        const audio = spoken!;
        event('caller-speech-start', turn.say);
        await playCaller(audio);
        // Speech ended where the voice stopped, not where the clip's trailing silence did.
        trailingMs = trailingSilenceMs(audio);
        event('caller-speech-end');
      }
      const endMs = now() - trailingMs;
      const turnReport: TurnReport = {
        index,
        kind,
        startMs,
        endMs,
        bargeIn,
        ...(turn.say ? { text: turn.say } : {}),
      };
      report.turns.push(turnReport);
      // Latency: first agent audio after the caller finished (or its clear, for a barge-in).
      const firstBurst = () => audioBurstsAt.find((t) => t >= endMs);
      if (await waitUntil(() => firstBurst() !== undefined, Math.min(remaining(), 15_000))) {
        turnReport.latencyMs = firstBurst()! - endMs;
      }
      if (report.clearsReceived > clearsBefore) {
        const clear = events.find((e) => e.type === 'clear-received' && e.t >= startMs);
        if (clear) turnReport.clearAfterMs = clear.t - startMs;
      }
    }
    await waitUntil(agentQuiet, remaining());
    if (!serverClosed) await sleep(script.hangupAfterMs);
    report.closedBy = serverClosed ? 'server' : remaining() === 0 ? 'timeout' : 'simulator';
  } finally {
    if (!serverClosed) {
      send(frames.stop());
      event('hangup');
    }
    stopped = true;
    await pacer;
    ws.close();
    await postStatus('completed', { CallDuration: String(Math.round(now() / 1000)) });
  }

  report.recording = {
    sampleRate: 8000,
    caller: Int16Array.from(callerTrack),
    agent: Int16Array.from(agentTrack),
  };
  // Give the server a moment to persist what the stream's end wrote.
  if (deps.apiKey) Object.assign(report, await fetchStoredCall(base, deps.apiKey, callSid));
  return report;
}

const VOICE_LEVEL = 500;

/** ms of near-silence at the end of a mu-law clip. */
function trailingSilenceMs(mulaw: Uint8Array): number {
  const pcm = mulawToPcm(mulaw);
  let i = pcm.length;
  while (i > 0 && Math.abs(pcm[i - 1]!) < VOICE_LEVEL) i--;
  return Math.round(((pcm.length - i) * 1000) / 8000);
}

/** ms of near-silence at the start of a mu-law clip. */
function leadingSilenceMs(mulaw: Uint8Array): number {
  const pcm = mulawToPcm(mulaw);
  let i = 0;
  while (i < pcm.length && Math.abs(pcm[i]!) < VOICE_LEVEL) i++;
  return Math.round((i * 1000) / 8000);
}

function makeNoise(n: {
  kind: 'white' | 'tone';
  durationMs: number;
  level: number;
  freq: number;
}): Uint8Array {
  const len = Math.round((n.durationMs / 1000) * 8000);
  const pcm = new Int16Array(len);
  for (let i = 0; i < len; i++) {
    const v = n.kind === 'white' ? Math.random() * 2 - 1 : Math.sin((2 * Math.PI * n.freq * i) / 8000);
    pcm[i] = Math.round(v * n.level * 32767);
  }
  return pcmToMulaw(pcm);
}
