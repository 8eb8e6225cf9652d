import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { FRAME_MS } from '../../src/audio/index.js';
import { readTwiml } from '../../src/sim/twiml-reader.js';
import { inboundCallParams, postSigned, signedUpgradeHeaders } from '../../src/sim/twilio-requests.js';
import { DEMO_PHONE_NUMBER } from '../../src/store/index.js';
import { TwilioFrameBuilder } from '../../src/telephony/twilio/index.js';
import {
  emptyOutbound,
  mediaMessage,
  OutboundMeter,
  SILENCE_B64,
  TONE_B64,
  type OutboundFigures,
} from './twilio-media.js';

/**
 * Many Twilio callers in one process, for load benches: each call is Twilio's whole part (signed
 * voice webhook, the media stream the TwiML names with its token, a signed upgrade,
 * connected/start), then 20 ms frames in real time from a few shared tickers (a timer per caller
 * would measure the generator), speech as a tone for 600 ms every 8 s, marks echoed as their audio
 * plays.
 */

export interface CallerRun {
  n: number;
  baseUrl: string;
  authToken: string;
  /** What the callers send once started: a tone turn every 8 s in silence, silence only, or nothing. */
  media: 'speech' | 'silence' | 'none';
  /** The figures start this long after the last call started (past the greetings). */
  warmupMs: number;
  /** How long the figures are taken. */
  seconds: number;
  /** Called when the measuring window opens. */
  onMeasuring?: () => void | Promise<void>;
  /** Called when the window closes, before the calls hang up (the idle bench reads memory here). */
  onMeasured?: () => void | Promise<void>;
  leadMs?: number;
}

export interface CallerResult {
  placed: number;
  /** Calls whose stream opened and got `start` sent. */
  started: number;
  /** Calls refused at the webhook, the TwiML or the upgrade, by reason. */
  refused: Record<string, number>;
  /** Streams the server closed while they were being measured. */
  closedEarly: number;
  framesSent: number;
  out: OutboundFigures;
  /** The generator's own event-loop delay p99 and CPU % (of one core) in the window. */
  genLoopP99Ms: number;
  genCpuPct: number;
  setupMs: number;
}

const CYCLE_FRAMES = 400; // 8 s
const SPEAK_FRAMES = 30; // 600 ms
/** Answers come at least 1.5 s apart here: longer than that without audio starts a new answer. */
const NEW_ANSWER_GAP_MS = 1500;

interface Caller {
  ws: WebSocket;
  frames: TwilioFrameBuilder;
  streamSid: string;
  meter: OutboundMeter;
  offset: number;
  chunk: number;
  seq: number;
  open: boolean;
}

const hex = (n: number) => randomBytes(n).toString('hex');
/** A webhook or upgrade that takes longer is counted refused. */
const STEP_TIMEOUT_MS = 20_000;

/** The promise's value, or undefined once `ms` have passed. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]);
}

export async function runCallers(run: CallerRun): Promise<CallerResult> {
  const out = emptyOutbound();
  const refused: Record<string, number> = {};
  const refuse = (why: string) => (refused[why] = (refused[why] ?? 0) + 1);
  const measuring = { on: false };
  let closedEarly = 0;
  const callers: Caller[] = [];
  const accountSid = `AC${hex(16)}`;
  const t0 = performance.now();

  const place = async (i: number): Promise<void> => {
    const callSid = `CA${hex(16)}`;
    const streamSid = `MZ${hex(16)}`;
    const params = inboundCallParams({
      accountSid,
      callSid,
      from: `+1555${String(1_000_000 + i).slice(-7)}`,
      to: DEMO_PHONE_NUMBER,
    });
    let res: Response | undefined;
    try {
      res = await withTimeout(
        postSigned(run.authToken, `${run.baseUrl}/twilio/voice`, params),
        STEP_TIMEOUT_MS,
      );
    } catch {
      return void refuse('webhook unreachable');
    }
    if (res === undefined) return void refuse('webhook timeout');
    if (res.status !== 200) return void refuse(`webhook ${res.status}`);
    const twiml = readTwiml(await res.text());
    if (twiml.kind !== 'stream') return void refuse(`twiml ${twiml.kind}`);
    const ws = new WebSocket(twiml.url, {
      headers: signedUpgradeHeaders(run.authToken, twiml.url),
      perMessageDeflate: false,
    });
    const frames = new TwilioFrameBuilder(accountSid, callSid, streamSid);
    const c: Caller = {
      ws,
      frames,
      streamSid,
      meter: new OutboundMeter(ws, frames, out, {
        leadMs: run.leadMs ?? 240,
        newAnswerGapMs: NEW_ANSWER_GAP_MS,
        measuring: () => measuring.on,
      }),
      offset: Math.floor(Math.random() * CYCLE_FRAMES),
      chunk: 0,
      seq: 1,
      open: false,
    };
    ws.on('message', (data) => c.meter.onMessage(data as Buffer));
    ws.on('close', () => {
      if (c.open && measuring.on) closedEarly++;
      c.open = false;
    });
    const opened = await new Promise<boolean>((resolve) => {
      // A server too loaded to answer the upgrade must not hold the whole ramp.
      const timer = setTimeout(() => {
        refuse('upgrade timeout');
        ws.terminate();
        resolve(false);
      }, STEP_TIMEOUT_MS);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(true);
      });
      ws.once('error', () => resolve(false));
      ws.once('unexpected-response', (_req, r) => {
        refuse(`upgrade ${r.statusCode}`);
        resolve(false);
      });
    });
    if (!opened) return;
    ws.send(frames.connected());
    ws.send(frames.start(twiml.parameters));
    c.open = true;
    callers.push(c);
  };

  // Calls arrive 20 at a time (a burst of real calls; the webhook writes a row each).
  let nextIndex = 0;
  await Promise.all(
    Array.from({ length: Math.min(20, run.n) }, async () => {
      while (nextIndex < run.n) await place(nextIndex++);
    }),
  );
  const setupMs = performance.now() - t0;

  // Frames are spread over the 20 ms (real streams are not in phase): PHASES tickers.
  const PHASES = 5;
  const start = performance.now();
  const tickers: NodeJS.Timeout[] = [];
  let framesSent = 0;
  if (run.media !== 'none') {
    for (let p = 0; p < PHASES; p++) {
      const mine = callers.filter((_, i) => i % PHASES === p);
      let ticks = 0;
      const send = () => {
        // Late ticks catch up so every caller sends 50 frames a second.
        const due = Math.floor((performance.now() - start) / FRAME_MS);
        for (; ticks < due; ticks++) {
          for (const c of mine) {
            if (!c.open) continue;
            const speaking = run.media === 'speech' && (c.chunk + c.offset) % CYCLE_FRAMES < SPEAK_FRAMES;
            c.ws.send(mediaMessage(c.streamSid, ++c.seq, ++c.chunk, speaking ? TONE_B64 : SILENCE_B64));
            if (measuring.on) framesSent++;
          }
        }
      };
      setTimeout(() => tickers.push(setInterval(send, FRAME_MS)), (p * FRAME_MS) / PHASES);
    }
  }
  await new Promise((r) => setTimeout(r, run.warmupMs));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  measuring.on = true;
  await run.onMeasuring?.();
  loop.enable();
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, run.seconds * 1000));
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const genCpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - w0)) * 100;
  await run.onMeasured?.();
  measuring.on = false;
  for (const t of tickers) clearInterval(t);
  for (const c of callers) {
    c.meter.stop();
    if (c.open) c.ws.send(c.frames.stop());
    c.open = false;
    c.ws.close();
  }
  return {
    placed: run.n,
    started: callers.length,
    refused,
    closedEarly,
    framesSent,
    out,
    genLoopP99Ms: loop.percentile(99) / 1e6,
    genCpuPct,
    setupMs,
  };
}
