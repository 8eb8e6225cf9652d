/**
 * Realtime call bridge: (a) what the bridge adds per frame, in process (a Twilio media message in
 * to its append handed to the upstream socket; an upstream audio delta in to its frames queued),
 * p50/p99; (b) concurrent bridged calls: one process runs the media-stream handler and the
 * bridge (the real GA client), a second the simulated Twilio callers (20 ms frames in real time,
 * marks echoed as their audio plays), a third the local GA server (streaming answers back); N
 * steps up and the p99 outbound jitter at the callers (|gap - audio of the previous message|:
 * 20 ms per frame it carried, after the lead) is printed per N, with the largest N under 20 ms. Prints figures; never asserts.
 * Run: npx tsx bench/realtime-bridge.bench.ts [seconds per step, default 20] [N list, default 100,200,300,400,500]
 * Targets (issue 9): overhead p99 <= 2 ms; >= 300 calls with p99 jitter <= 20 ms on 2 cores.
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { noTools } from '../src/agent/index.js';
import { businessProfileSchema } from '../src/business/index.js';
import { createLogger } from '../src/http/logger.js';
import { Metrics } from '../src/http/metrics.js';
import { asBusinessId, type CallSid } from '../src/ids.js';
import type { OpenAiSettings } from '../src/providers/cloud-settings.js';
import {
  connectOpenAiRealtime,
  type RealtimeConnection,
  type RealtimeServerEvent,
} from '../src/providers/realtime/index.js';
import { parseServerFrame } from '../src/providers/realtime/openai-realtime.js';
import { silentLogger } from '../src/shared/index.js';
import type { StreamTokens } from '../src/telephony/twilio/index.js';
import { handleMediaStream } from '../src/telephony/twilio/media-stream.js';
import { parseInbound, TwilioFrameBuilder } from '../src/telephony/twilio/stream-protocol.js';
import { RealtimeSession, type MediaTransport } from '../src/voice/index.js';
import { startFakeRealtime, type FakeRealtime } from '../test/support/fake-openai-realtime.js';

const STEP_S = Number(process.argv[2] ?? 20);
const STEPS = (process.argv[3] ?? '100,200,300,400,500').split(',').map(Number);
const LEAD_MS = 240;
const FRAME_MS = 20;
const business = businessProfileSchema.parse({
  name: 'Acme Plumbing',
  trade: 'plumbing',
  timezone: 'America/New_York',
  hours: { weekly: { mon: [{ open: '00:00', close: '23:59' }] } },
  greeting: 'Thanks for calling Acme Plumbing, how can I help you today?',
});

const pct = (xs: ArrayLike<number>, p: number): number => {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
/** Largest value (a spread of 100k+ figures would overflow the stack). */
const maxOf = (xs: readonly number[]): number => xs.reduce((m, x) => (x > m ? x : m), -Infinity);
const f = (n: number, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function bridgeSession(
  transport: MediaTransport,
  connect: (signal: AbortSignal) => Promise<RealtimeConnection>,
  onEnd: () => void,
  counters: { switches: number },
): RealtimeSession {
  const lifetime = new AbortController();
  return new RealtimeSession({
    transport,
    hangup: onEnd,
    business,
    tools: noTools(),
    lifetime: lifetime.signal,
    events: {
      emit: (e) => {
        if (e.type === 'provider-switched') counters.switches++;
      },
    },
    log: silentLogger,
    connect,
    voice: 'marin',
    turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
    playoutLeadMs: LEAD_MS,
    // Under a heavy step an answer may come late; a switch is counted, not taken.
    stallMs: 5000,
  });
}

// ---- (a) overhead per frame, in process -------------------------------------------------------

async function overhead(fake: FakeRealtime): Promise<void> {
  const settings: OpenAiSettings = {
    apiKey: fake.apiKey,
    baseUrl: fake.baseUrl,
    realtimeModel: 'gpt-realtime',
    realtimeVoice: 'marin',
  };
  let queued = 0;
  const transport: MediaTransport = {
    sendMedia: () => void queued++,
    sendMark: () => {},
    sendClear: () => {},
  };
  // Time the upstream socket takes the append: the connection the bridge gets is wrapped.
  let appendedAt = 0;
  const connect = async (signal: AbortSignal) => {
    const conn = await connectOpenAiRealtime({ settings, signal, log: silentLogger });
    const append = conn.appendAudio.bind(conn);
    conn.appendAudio = (b64) => {
      append(b64);
      appendedAt = performance.now();
    };
    return conn;
  };
  const session = bridgeSession(transport, connect, () => {}, { switches: 0 });
  session.start();
  await new Promise((r) => setTimeout(r, 500));
  const builder = new TwilioFrameBuilder('AC' + '0'.repeat(32), 'CAbench', 'MZbench');
  const frame = new Uint8Array(160).fill(0xff);
  const inTimes: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const text = builder.media(frame, i * FRAME_MS);
    const t0 = performance.now();
    // What media-stream.ts does with a frame, then the bridge, up to the socket's send.
    const parsed = parseInbound(text);
    if (!parsed.ok || parsed.message.event !== 'media') throw new Error('bad frame');
    session.onAudio(parsed.message.payload, parsed.message.payloadBase64);
    inTimes.push(appendedAt - t0);
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  // Delta in -> frames queued: the frame as the socket delivers it, parsed, then the bridge's handler
  // (reached past `private` here so the socket's own hop is not in the figure; a bench only).
  const handler = session as unknown as { onServerEvent(e: RealtimeServerEvent): void };
  handler.onServerEvent({ type: 'response.created', response: { id: 'resp_b' } });
  const delta = Buffer.alloc(800, 0x9f).toString('base64'); // 100 ms, the fake's chunk
  const outTimes: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const text = JSON.stringify({
      type: 'response.output_audio.delta',
      event_id: `ev_${i}`,
      response_id: 'resp_b',
      item_id: `item_${Math.floor(i / 50)}`,
      output_index: 0,
      content_index: 0,
      delta,
    });
    const t0 = performance.now();
    const e = parseServerFrame(text);
    if (!e || e instanceof Error) throw new Error('bad delta');
    handler.onServerEvent(e);
    outTimes.push(performance.now() - t0);
    if (i % 20 === 19) {
      // Keep the playout short: what Twilio would have played by now.
      (session as unknown as { playout: { clear(): number } }).playout.clear();
      await new Promise((r) => setImmediate(r));
    }
  }
  await session.end('bench');
  console.log('\n(a) Bridge overhead per frame (in process, the real GA client and a local GA server)');
  console.log('  path                                           p50 ms   p99 ms   max ms');
  console.log(
    `  Twilio media in -> append sent (20 ms frame)   ${f(pct(inTimes, 50))}    ${f(pct(inTimes, 99))}    ${f(maxOf(inTimes))}`,
  );
  console.log(
    `  upstream delta in -> frames queued (100 ms)    ${f(pct(outTimes, 50))}    ${f(pct(outTimes, 99))}    ${f(maxOf(outTimes))}`,
  );
  console.log(`  (per 20 ms frame out: the delta figure / 5)     target: p99 <= 2 ms per frame`);
}

// ---- (b) concurrent calls ---------------------------------------------------------------------

interface StepResult {
  n: number;
  connected: number;
  framesOut: number;
  jitterP50: number;
  jitterP99: number;
  jitterMax: number;
  gapsOver60: number;
  /** The load process's own event-loop delay p99: above a few ms, its figures include its own lag. */
  loadLoopP99: number;
  /** The load process's CPU (callers and the GA server), % of one core. */
  loadCpuPct: number;
  upstreamCpuPct?: number;
  switches?: number;
  loopP99?: number;
  cpuPct?: number;
}

async function bridgeServer(
  settings: OpenAiSettings,
  counters: { switches: number },
): Promise<{ server: Server; url: string }> {
  const metrics = new Metrics();
  const log = createLogger({ level: 'silent' });
  // Every caller's token is its CallSid: the signed-token check is not what is measured.
  const tokens = {
    verify: async (token: string) => ({
      ok: true as const,
      claims: { callSid: token as CallSid, businessId: asBusinessId('b1') },
    }),
  } as unknown as StreamTokens;
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    handleMediaStream(socket, {
      tokens,
      claimCall: async () => ({ ok: true, from: null }),
      startCall: async (stream) => {
        const session = bridgeSession(
          stream.transport,
          (signal) => connectOpenAiRealtime({ settings, signal, log: silentLogger, connectTimeoutMs: 5000 }),
          stream.hangup,
          counters,
        );
        session.start();
        return {
          onAudio: (b, payload) => session.onAudio(b, payload),
          onDtmf: (d) => session.onDtmf(d),
          onMarkEcho: (n) => session.onMarkEcho(n),
          end: (r) => session.end(r),
        };
      },
      metrics,
      log,
      idleTimeoutMs: 30_000,
      startTimeoutMs: 5000,
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/media` };
}

async function main(): Promise<void> {
  // The GA server and the callers each in a process of their own: a lagging caller process
  // would show its own delay as the bridge's jitter.
  const self = fileURLToPath(import.meta.url);
  const upstreamChild = fork(self, ['--upstream'], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const child = fork(self, ['--callers'], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  // A load process that dies would leave a step waiting for ever: say so and stop.
  for (const c of [child, upstreamChild]) {
    c.on('exit', (code) => {
      if (code === 0) return;
      console.error(`bench: a load process exited (${code}); stopping`);
      process.exit(1);
    });
  }
  /** The GA server process's CPU time so far, ms. */
  const upstreamCpu = () =>
    new Promise<number>((resolve) => {
      const on = (m: { cpuMs?: number }) => {
        if (m.cpuMs === undefined) return;
        upstreamChild.off('message', on);
        resolve(m.cpuMs);
      };
      upstreamChild.on('message', on);
      upstreamChild.send({ cmd: 'cpu' });
    });
  const upstream = await new Promise<{ baseUrl: string; apiKey: string }>((resolve) => {
    upstreamChild.once('message', (m) => resolve(m as { baseUrl: string; apiKey: string }));
    upstreamChild.send({ cmd: 'upstream' });
  });
  const settings: OpenAiSettings = {
    apiKey: upstream.apiKey,
    baseUrl: upstream.baseUrl,
    realtimeModel: 'gpt-realtime',
    realtimeVoice: 'marin',
  };

  // (a) against an in-process fake: nothing else runs meanwhile.
  const local = await startFakeRealtime({ recordAudio: false });
  await overhead(local);
  await local.close();

  const counters = { switches: 0 };
  const { server, url } = await bridgeServer(settings, counters);
  console.log(
    `\n(b) Concurrent bridged calls: bridge in this process; callers and the GA server in two more; ${STEP_S} s per step`,
  );
  console.log(
    '  calls  connected  frames out  jitter p50  p99 ms  max ms  late>40ms  switches  loop p99 ms  bridge CPU',
  );
  const results: StepResult[] = [];
  for (const n of STEPS) {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    // The bridge's own figures cover the callers' measuring window only (not the ramp).
    let upstreamCpu0 = 0;
    const onPhase = (m: { phase?: string }) => {
      if (m.phase !== 'measuring') return;
      void upstreamCpu().then((c) => (upstreamCpu0 = c));
      counters.switches = 0;
      loop.enable();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    };
    child.on('message', onPhase);
    const r = await new Promise<StepResult>((resolve) => {
      const done = (m: { phase?: string }) => {
        if (m.phase) return;
        child.off('message', done);
        resolve(m as unknown as StepResult);
      };
      child.on('message', done);
      child.send({ cmd: 'run', n, url, seconds: STEP_S });
    });
    child.off('message', onPhase);
    const cpu = process.cpuUsage(cpu0);
    const upstreamMs = (await upstreamCpu()) - upstreamCpu0;
    loop.disable();
    r.switches = counters.switches;
    r.loopP99 = loop.percentile(99) / 1e6;
    const wall = performance.now() - t0;
    r.cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    r.upstreamCpuPct = (upstreamMs / wall) * 100;
    results.push(r);
    console.log(
      `  ${String(n).padStart(5)}  ${String(r.connected).padStart(9)}  ${String(r.framesOut).padStart(10)}  ${f(r.jitterP50, 2).padStart(10)}  ${f(r.jitterP99, 2).padStart(6)}  ${f(r.jitterMax, 1).padStart(6)}  ${String(r.gapsOver60).padStart(9)}  ${String(r.switches).padStart(8)}  ${f(r.loopP99, 1).padStart(11)}  ${f(r.cpuPct, 0).padStart(8)}%  ${f(r.loadLoopP99, 1).padStart(16)}  ${f(r.loadCpuPct, 0).padStart(10)}%  ${f(r.upstreamCpuPct ?? NaN, 0).padStart(12)}%  ${loadavg()[0]!.toFixed(1)}`,
    );
    // Let the calls' ends settle before the next step.
    await new Promise((res) => setTimeout(res, 2000));
  }
  const ok = results.filter((r) => r.connected === r.n && r.jitterP99 <= 20).map((r) => r.n);
  console.log(
    `\n  most concurrent calls with p99 jitter <= 20 ms: ${ok.length ? Math.max(...ok) : 'none'} (target >= 300)`,
  );
  child.send({ cmd: 'exit' });
  upstreamChild.send({ cmd: 'exit' });
  server.closeAllConnections();
  server.close();
  await Promise.all([
    new Promise((r) => child.once('exit', r)),
    new Promise((r) => upstreamChild.once('exit', r)),
  ]);
  process.exit(0);
}

// ---- the load process: the GA server and the simulated Twilio callers ---------------------------

async function upstreamProcess(): Promise<void> {
  // Never outlive the bench's main process.
  process.on('disconnect', () => process.exit(0));
  const fake = await startFakeRealtime({ recordAudio: false });
  // An answer of ~3.5 s to every caller turn.
  fake.reply = () => ({ say: 'Sure, a technician can come tomorrow morning. Does that work?' });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'upstream') process.send!({ baseUrl: fake.baseUrl, apiKey: fake.apiKey });
    else if (m.cmd === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ cpuMs: (c.user + c.system) / 1000 });
    } else if (m.cmd === 'exit') void fake.close().then(() => process.exit(0));
  });
}

function callersProcess(): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: { cmd: string; n: number; url: string; seconds: number }) => {
    if (m.cmd === 'run') void runStep(m.n, m.url, m.seconds).then((r) => process.send!(r));
    else if (m.cmd === 'exit') process.exit(0);
  });
}

/** A mu-law tone loud enough for the GA server's VAD, and silence. */
const TONE = (() => {
  const b = new Uint8Array(160);
  for (let i = 0; i < 160; i++) {
    const s = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000));
    b[i] = linearToMulaw(s);
  }
  return b;
})();
const SILENCE = new Uint8Array(160).fill(0xff);
const TONE_B64 = Buffer.from(TONE).toString('base64');
const SILENCE_B64 = Buffer.from(SILENCE).toString('base64');

/**
 * Twilio's media message for one caller, as TwilioFrameBuilder.media makes it, from a payload
 * encoded once (the load generator must cost far less than what it measures).
 */
function mediaFrame(c: Caller, payloadB64: string): string {
  c.seq++;
  return `{"event":"media","sequenceNumber":"${c.seq}","media":{"track":"inbound","chunk":"${c.tick + 1}","timestamp":"${c.tick * FRAME_MS}","payload":"${payloadB64}"},"streamSid":"${c.streamSid}"}`;
}

function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(32635, Math.abs(sample)) + BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  s = ~(sign | (exp << 4) | mant);
  return s & 0xff;
}

interface Caller {
  ws: WebSocket;
  builder: TwilioFrameBuilder;
  started: boolean;
  /** Caller speaks 600 ms every CYCLE frames from this offset. */
  offset: number;
  tick: number;
  seq: number;
  streamSid: string;
  lastFrameAt: number;
  /** Frames the last media message carried. */
  lastFrames: number;
  runFrames: number;
  /** Twilio's playback: when the audio queued so far ends; marks echo then. */
  playEnd: number;
  pendingMarks: Array<{ name: string; timer: NodeJS.Timeout }>;
}

const CYCLE = 400; // 8 s
/** Answers (~3.5 s) come after a 600 ms caller turn every 8 s: a longer silence is between answers. */
const NEW_ANSWER_GAP_MS = 1500;
const SPEAK_FRAMES = 30; // 600 ms

async function runStep(n: number, url: string, seconds: number): Promise<StepResult> {
  const jitter: number[] = [];
  let framesOut = 0;
  let gapsOver60 = 0;
  let connected = 0;
  const callers: Caller[] = [];
  const measuring = { on: false };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  for (let i = 0; i < n; i++) {
    const callSid = `CA${i.toString().padStart(32, '0')}`;
    const c: Caller = {
      ws: new WebSocket(url, { perMessageDeflate: false }),
      builder: new TwilioFrameBuilder(`AC${'0'.repeat(32)}`, callSid, `MZ${i.toString().padStart(32, '0')}`),
      started: false,
      offset: Math.floor(Math.random() * CYCLE),
      tick: 0,
      // connected and start went before (TwilioFrameBuilder counts start as 1).
      seq: 1,
      streamSid: `MZ${i.toString().padStart(32, '0')}`,
      lastFrameAt: 0,
      lastFrames: 1,
      runFrames: 0,
      playEnd: 0,
      pendingMarks: [],
    };
    c.ws.on('open', () => {
      c.ws.send(c.builder.connected());
      c.ws.send(c.builder.start({ token: callSid }));
      c.started = true;
      connected++;
    });
    c.ws.on('error', () => {});
    c.ws.on('message', (data) => {
      const now = performance.now();
      const bytes = data as Buffer;
      // Media is told by its first bytes: only marks and clears are parsed.
      if (bytes.toString('latin1', 0, 16) === '{"event":"media"') {
        // A message may carry several 20 ms frames: its audio length, from the payload's length.
        const at = bytes.indexOf('"payload":"') + 11;
        const end = bytes.indexOf(34, at); // the closing quote
        const b64 = end - at;
        const pad = bytes[end - 1] === 61 ? (bytes[end - 2] === 61 ? 2 : 1) : 0; // '='
        const frames = Math.max(1, Math.round(((b64 * 3) / 4 - pad) / 160));
        framesOut += frames;
        const gap = now - c.lastFrameAt;
        // Jitter: how far this message came from when the previous one's audio ran out of
        // schedule (20 ms per frame it carried). A new answer (answers are seconds apart here):
        // its first LEAD_MS go out at once by design (the lead). Any shorter gap counts, however
        // long: a stalled bridge must show.
        if (gap > NEW_ANSWER_GAP_MS) c.runFrames = 0;
        else if ((c.runFrames += c.lastFrames) > LEAD_MS / FRAME_MS + 1 && measuring.on) {
          jitter.push(Math.abs(gap - c.lastFrames * FRAME_MS));
          if (gap - c.lastFrames * FRAME_MS > 40) gapsOver60++;
        }
        c.lastFrameAt = now;
        c.lastFrames = frames;
        c.playEnd = Math.max(c.playEnd, now) + frames * FRAME_MS;
        return;
      }
      const m = JSON.parse(bytes.toString()) as { event: string; mark?: { name: string } };
      if (m.event === 'mark' && m.mark) {
        const name = m.mark.name;
        const timer = setTimeout(
          () => {
            c.pendingMarks = c.pendingMarks.filter((p) => p.name !== name);
            if (c.ws.readyState === WebSocket.OPEN) c.ws.send(c.builder.mark(name));
          },
          Math.max(0, c.playEnd - now),
        );
        c.pendingMarks.push({ name, timer });
      } else if (m.event === 'clear') {
        c.playEnd = now;
        for (const p of c.pendingMarks.splice(0)) {
          clearTimeout(p.timer);
          c.ws.send(c.builder.mark(p.name));
        }
      }
    });
    callers.push(c);
    // Calls arrive over 2 s, as a burst of real calls would.
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2000 / (n / 10)));
  }
  // Callers' frames are spread over the 20 ms (real streams are not in phase): PHASES tickers, each
  // sending its share of the callers' frames (a timer per caller would measure the load generator).
  const PHASES = 5;
  const start = performance.now();
  const tickers: NodeJS.Timeout[] = [];
  for (let p = 0; p < PHASES; p++) {
    let ticks = 0;
    const mine = callers.filter((_, i) => i % PHASES === p);
    const send = () => {
      // Catch up on late ticks so every caller sends 50 frames a second.
      const due = Math.floor((performance.now() - start) / FRAME_MS);
      for (; ticks < due; ticks++) {
        for (const c of mine) {
          if (!c.started || c.ws.readyState !== WebSocket.OPEN) continue;
          const speaking = (c.tick + c.offset) % CYCLE < SPEAK_FRAMES;
          c.ws.send(mediaFrame(c, speaking ? TONE_B64 : SILENCE_B64));
          c.tick++;
        }
      }
    };
    setTimeout(() => tickers.push(setInterval(send, FRAME_MS)), (p * FRAME_MS) / PHASES);
  }
  // Warm up past the greetings, then measure.
  await new Promise((r) => setTimeout(r, 4000));
  measuring.on = true;
  process.send!({ phase: 'measuring' });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const loadCpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
  measuring.on = false;
  for (const t of tickers) clearInterval(t);
  for (const c of callers) {
    for (const p of c.pendingMarks) clearTimeout(p.timer);
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(c.builder.stop());
    c.ws.close();
  }
  return {
    n,
    connected,
    framesOut,
    jitterP50: pct(jitter, 50),
    jitterP99: pct(jitter, 99),
    jitterMax: jitter.length ? maxOf(jitter) : NaN,
    gapsOver60,
    loadLoopP99: loop.percentile(99) / 1e6,
    loadCpuPct,
  };
}

if (process.argv.includes('--upstream')) void upstreamProcess();
else if (process.argv.includes('--callers')) callersProcess();
else void main();
