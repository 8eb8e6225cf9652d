/**
 * Load on the whole server: one Switchboard process (createApp, PGlite in a temp DATA_DIR, or
 * DATABASE_URL/REDIS_URL if set) and a forked load generator acting as Twilio (signed voice
 * webhook per call, the media stream with the TwiML's token, connected/start, 20 ms mu-law
 * frames in real time, marks echoed). Prints, per path: (relay) N calls bridged to the local GA
 * Realtime server (another process) for S seconds, each caller speaking 600 ms every 8 s:
 * outbound jitter p50/p99/max at the callers, late messages, dropped frames (frames each
 * finished answer lacked vs the answer's length), marks unechoed, server CPU % and per call,
 * RSS/heap per call, event-loop delay; (offline) N concurrent conversations on the default
 * offline pipeline, callers saying flite phrases with pauses, one call after another for S
 * seconds: reply latency (end of caller speech to first agent audio) p50/p95/max, CPU and memory
 * per call; (idle) N streams started in Realtime mode that then send no media at all: (RSS and
 * heap after - before, after GC) / N. Prints figures; never asserts.
 * Run: npx tsx bench/load.bench.ts [relay|offline|idle|all] [--seconds 60] [--relay-calls 500]
 *      [--offline-calls 15] [--idle-calls 500]
 * Targets (issue 14): relay >= 500 streams, p99 jitter <= 20 ms, no dropped frames; memory per
 * idle stream <= 100 KB; offline >= 15 conversations with p95 reply latency < 1.2 s, on 2 cores.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFakeRealtimeNode, type FakeRealtimeNode } from './support/fake-realtime-node.js';
import { runOfflineCallers, type OfflineResult } from './support/offline-callers.js';
import { startServerNode, type NodeStats, type ServerNode } from './support/server-node.js';
import { runCallers, type CallerResult, type CallerRun } from './support/twilio-callers.js';
import { fmt, maxOf, pct } from './support/twilio-media.js';

type Job =
  | { cmd: 'relay'; run: Omit<CallerRun, 'onMeasuring' | 'onMeasured'> }
  | { cmd: 'offline'; n: number; seconds: number; baseUrl: string; authToken: string };

// ---- the load generator (a child of this file) ---------------------------------------------------

async function generator(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  /** Tells the bench a phase began and waits for its answer (it reads the server meanwhile). */
  const phase = (name: string) =>
    new Promise<void>((resolve) => {
      const on = (m: { ack?: string }) => {
        if (m.ack !== name) return;
        process.off('message', on);
        resolve();
      };
      process.on('message', on);
      process.send!({ phase: name });
    });
  process.on('message', (m: Job | { ack: string }) => {
    if ('ack' in m) return;
    if (m.cmd === 'relay')
      void runCallers({
        ...m.run,
        onMeasuring: () => phase('measuring'),
        onMeasured: () => phase('measured'),
      }).then((r) => process.send!({ result: r }));
    else
      void runOfflineCallers({
        ...m,
        onMeasuring: () => phase('measuring'),
        onMeasured: () => phase('measured'),
      }).then((r) => process.send!({ result: r }));
  });
}

// ---- the bench -----------------------------------------------------------------------------------

interface Window {
  during?: NodeStats;
  measured?: NodeStats;
}

/** Runs one job in the generator; the server's figures are taken at its phases. */
async function drive<R>(
  gen: ChildProcess,
  node: ServerNode,
  job: Job,
  opts: { gcAtMeasured?: boolean } = {},
): Promise<{ result: R; w: Window }> {
  const w: Window = {};
  return new Promise((resolve) => {
    const on = (m: { phase?: string; result?: R }) => {
      if (m.phase === 'measuring') void node.reset().then(() => gen.send({ ack: 'measuring' }));
      else if (m.phase === 'measured')
        void (opts.gcAtMeasured ? node.gc() : Promise.resolve()).then(node.stats).then((s) => {
          w.measured = s;
          gen.send({ ack: 'measured' });
        });
      else if (m.result) {
        gen.off('message', on);
        resolve({ result: m.result, w });
      }
    };
    gen.on('message', on);
    gen.send(job);
  });
}

async function baseline(node: ServerNode): Promise<NodeStats> {
  await node.gc();
  return node.stats();
}

const mb = (x: number) => `${fmt(x, 1)} MB`;
const kbPer = (deltaMb: number, n: number) => `${fmt((deltaMb * 1024) / n, 0)} KB`;

async function relay(gen: ChildProcess, n: number, seconds: number): Promise<void> {
  const fake: FakeRealtimeNode = await startFakeRealtimeNode();
  const node = await startServerNode({
    VOICE_MODE: 'realtime',
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.baseUrl,
  });
  try {
    const before = await baseline(node);
    const fakeCpu0 = await fake.cpuMs();
    const t0 = performance.now();
    const { result: r, w } = await drive<CallerResult>(gen, node, {
      cmd: 'relay',
      run: { n, baseUrl: node.baseUrl, authToken: node.authToken, media: 'speech', warmupMs: 5000, seconds },
    });
    const fakeCpuPct = (((await fake.cpuMs()) - fakeCpu0) / (performance.now() - t0)) * 100;
    const s = w.measured!;
    const answers = r.out.answerFrames;
    const short = answers.filter((f) => f < fake.answerFrames);
    const missing = short.reduce((sum, f) => sum + (fake.answerFrames - f), 0);
    const calls = r.started;
    console.log(`\n(relay) ${n} calls bridged to the local GA Realtime server, ${seconds} s measured`);
    console.log(
      `  calls started ${calls}/${r.placed} in ${fmt(r.setupMs / 1000)} s${refusals(r)}; closed by the server while measured: ${r.closedEarly}`,
    );
    console.log(
      `  outbound jitter at the callers  p50 ${fmt(pct(r.out.jitter, 50), 2)} ms  p99 ${fmt(pct(r.out.jitter, 99), 2)} ms  max ${fmt(maxOf(r.out.jitter))} ms  (n=${r.out.jitter.length}); messages > 40 ms late: ${r.out.late}`,
    );
    console.log(
      `  frames: sent by callers ${r.framesSent}, agent frames received ${r.out.framesIn}; answers finished ${answers.length}, short of the answer's ${fake.answerFrames} frames: ${short.length} (${missing} frames dropped); clears ${r.out.clears}`,
    );
    console.log(
      `  marks received ${r.out.marksIn}, echoed ${r.out.marksEchoed}; unexpected messages ${r.out.oddMessages}`,
    );
    console.log(
      `  server  CPU ${fmt(s.cpuPct, 0)}% of a core (${fmt(s.cpuPct / calls, 2)}% per call)  RSS ${mb(s.rssMb)} (+${kbPer(s.rssMb - before.rssMb, calls)} per call)  heap ${mb(s.heapUsedMb)} (+${kbPer(s.heapUsedMb - before.heapUsedMb, calls)} per call)`,
    );
    console.log(
      `  server event-loop delay  p50 ${fmt(s.loopP50Ms)} ms  p99 ${fmt(s.loopP99Ms)} ms  max ${fmt(s.loopMaxMs)} ms; live calls ${s.liveCalls}; unhandled rejections ${s.unhandledRejections}`,
    );
    console.log(
      `  generator CPU ${fmt(r.genCpuPct, 0)}%, loop p99 ${fmt(r.genLoopP99Ms)} ms; GA server CPU ${fmt(fakeCpuPct, 0)}%; load average ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await node.stop();
    await fake.stop();
  }
}

async function idle(gen: ChildProcess, n: number): Promise<void> {
  const fake = await startFakeRealtimeNode();
  const node = await startServerNode({
    VOICE_MODE: 'realtime',
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.baseUrl,
  });
  try {
    // A call first, so what every call loads once (modules, pools, prepared statements) is in the baseline.
    await drive<CallerResult>(gen, node, {
      cmd: 'relay',
      run: {
        n: 1,
        baseUrl: node.baseUrl,
        authToken: node.authToken,
        media: 'none',
        warmupMs: 3000,
        seconds: 0,
      },
    });
    await new Promise((r) => setTimeout(r, 1000));
    const before = await baseline(node);
    const { result: r, w } = await drive<CallerResult>(
      gen,
      node,
      {
        cmd: 'relay',
        // The greeting (a 3.6 s answer) plays out in the warm-up; then the streams are silent.
        run: {
          n,
          baseUrl: node.baseUrl,
          authToken: node.authToken,
          media: 'none',
          warmupMs: 8000,
          seconds: 0,
        },
      },
      { gcAtMeasured: true },
    );
    const s = w.measured!;
    const calls = r.started;
    console.log(
      `\n(idle) ${n} streams started in Realtime mode, then no media at all (memory after GC, streams open)`,
    );
    console.log(
      `  streams started ${calls}/${r.placed}${refusals(r)}; live calls on the server ${s.liveCalls}`,
    );
    console.log(
      `  per idle stream: RSS +${kbPer(s.rssMb - before.rssMb, calls)}  heap +${kbPer(s.heapUsedMb - before.heapUsedMb, calls)}  outside the heap +${kbPer(s.externalMb - before.externalMb, calls)}  (RSS ${mb(before.rssMb)} -> ${mb(s.rssMb)}, heap ${mb(before.heapUsedMb)} -> ${mb(s.heapUsedMb)})`,
    );
  } finally {
    await node.stop();
    await fake.stop();
  }
}

async function offline(gen: ChildProcess, n: number, seconds: number): Promise<void> {
  const node = await startServerNode();
  try {
    const before = await baseline(node);
    const { result: r, w } = await drive<OfflineResult>(gen, node, {
      cmd: 'offline',
      n,
      seconds,
      baseUrl: node.baseUrl,
      authToken: node.authToken,
    });
    const s = w.measured ?? (await node.stats());
    console.log(`\n(offline) ${n} concurrent conversations on the offline pipeline, ${seconds} s`);
    console.log(
      `  calls ${r.calls} (failed ${r.failed}), caller turns ${r.turns}, answered ${r.latencies.length}`,
    );
    console.log(
      `  reply latency (end of caller speech -> first agent audio)  p50 ${fmt(pct(r.latencies, 50), 0)} ms  p95 ${fmt(pct(r.latencies, 95), 0)} ms  max ${fmt(maxOf(r.latencies), 0)} ms`,
    );
    console.log(
      `  server  CPU ${fmt(s.cpuPct, 0)}% of a core (${fmt(s.cpuPct / n, 1)}% per conversation)  RSS ${mb(s.rssMb)} (+${fmt((s.rssMb - before.rssMb) / n, 1)} MB per conversation)  heap ${mb(s.heapUsedMb)} (+${fmt((s.heapUsedMb - before.heapUsedMb) / n, 1)} MB per conversation)`,
    );
    console.log(
      `  server event-loop delay  p50 ${fmt(s.loopP50Ms)} ms  p99 ${fmt(s.loopP99Ms)} ms  max ${fmt(s.loopMaxMs)} ms; unhandled rejections ${s.unhandledRejections}; load average ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await node.stop();
  }
}

function refusals(r: CallerResult): string {
  const e = Object.entries(r.refused);
  return e.length ? ` (refused: ${e.map(([k, v]) => `${k} x${v}`).join(', ')})` : '';
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '60' },
      'relay-calls': { type: 'string', default: '500' },
      'offline-calls': { type: 'string', default: '15' },
      'idle-calls': { type: 'string', default: '500' },
    },
  });
  const which = positionals[0] ?? 'all';
  const seconds = Number(values.seconds);
  console.log(`load bench: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}`);
  const gen = fork(fileURLToPath(import.meta.url), ['--generator'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  gen.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`load bench: the generator exited (${code})`);
      process.exit(1);
    }
  });
  try {
    if (which === 'relay' || which === 'all') await relay(gen, Number(values['relay-calls']), seconds);
    if (which === 'idle' || which === 'all') await idle(gen, Number(values['idle-calls']));
    if (which === 'offline' || which === 'all') await offline(gen, Number(values['offline-calls']), seconds);
  } finally {
    gen.kill();
  }
  process.exit(0);
}

if (process.argv.includes('--generator')) void generator();
else await main();
