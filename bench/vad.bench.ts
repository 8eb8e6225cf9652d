/**
 * Silero VAD v5 cost on this machine: per-window inference, CPU per second of audio, memory per
 * stream, and whether running it on the main event loop disturbs 20 ms frame pacing at 10-100
 * concurrent calls. Prints figures only. Run: npx tsx bench/vad.bench.ts
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SileroVadModel, type SileroSampleRate } from '../src/providers/vad/silero.js';
import { SpeechDetector } from '../src/providers/vad/speech-detector.js';

const pct = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const f = (n: number, d = 3) => n.toFixed(d);
const mb = (bytes: number) => f(bytes / 1024 / 1024, 1);

/** Speech-like signal plus noise, so the network is not fed a trivial input. */
function testAudio(samples: number, rate: number): Float32Array {
  const out = new Float32Array(samples);
  let seed = 12345;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const t = i / rate;
    const voiced = Math.sin(2 * Math.PI * 130 * t) + 0.5 * Math.sin(2 * Math.PI * 260 * t);
    out[i] = 0.2 * voiced * (0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t)) + 0.02 * (seed / 0x7fffffff - 0.5);
  }
  return out;
}

async function windowLatency(model: SileroVadModel, rate: SileroSampleRate, windows: number) {
  const vad = model.createStream(rate);
  const audio = testAudio(vad.windowSamples * windows, rate);
  for (let i = 0; i < 200; i++) await vad.process(audio.subarray(0, vad.windowSamples)); // warm up
  vad.reset();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < windows; i++) {
    const w = audio.subarray(i * vad.windowSamples, (i + 1) * vad.windowSamples);
    const s = performance.now();
    await vad.process(w);
    times.push(performance.now() - s);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const audioSec = (windows * vad.windowSamples) / rate;
  const cpuSecPerAudioSec = (cpu.user + cpu.system) / 1e6 / audioSec;
  return {
    p50: pct(times, 0.5),
    p99: pct(times, 0.99),
    max: times.at(-1) ?? NaN,
    xRealtime: (audioSec * 1000) / wallMs,
    cpuSecPerAudioSec,
    windowMs: (vad.windowSamples * 1000) / rate,
  };
}

async function memoryPerStream(model: SileroVadModel, n: number) {
  // Expose V8's gc() without a command-line flag so `npx tsx` gives steady figures.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await settle();
  const before = process.memoryUsage();
  const streams = Array.from({ length: n }, () => new SpeechDetector(model.createStream(8000)));
  // Touch every stream once so lazily created native tensors are counted.
  const frame = new Int16Array(256);
  for (const s of streams) await s.push(frame);
  await settle();
  const after = process.memoryUsage();
  return {
    heapPerStream:
      (after.heapUsed +
        after.external +
        after.arrayBuffers -
        before.heapUsed -
        before.external -
        before.arrayBuffers) /
      n,
    rssPerStream: (after.rss - before.rss) / n,
    exact: gc !== undefined,
    keep: streams.length,
  };
}

/**
 * N calls, each receiving a 20 ms frame (160 samples at 8 kHz) on its own timer at a random phase,
 * as Twilio media does, plus one outgoing 20 ms pacer whose tick lateness we record.
 */
async function pacing(model: SileroVadModel | undefined, calls: number, seconds: number) {
  const detectors = model
    ? Array.from({ length: calls }, () => new SpeechDetector(model.createStream(8000), { minSpeechMs: 300 }))
    : [];
  const frame = Int16Array.from(testAudio(160, 8000), (v) => Math.round(v * 32767));
  const timers: NodeJS.Timeout[] = [];
  let frames = 0;
  for (let c = 0; c < calls; c++) {
    const d = detectors[c];
    setTimeout(() => {
      timers.push(
        setInterval(() => {
          frames++;
          if (d) void d.push(frame);
        }, 20),
      );
    }, Math.random() * 20);
  }
  const late: number[] = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let tick = 0;
    const step = () => {
      tick++;
      const due = start + tick * 20;
      const now = performance.now();
      late.push(Math.max(0, now - due));
      if (now - start >= seconds * 1000) return resolve();
      setTimeout(step, Math.max(0, due + 20 - performance.now()));
    };
    setTimeout(step, 20);
  });
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  for (const t of timers) clearInterval(t);
  late.sort((a, b) => a - b);
  return {
    pacerLateP50: pct(late, 0.5),
    pacerLateP99: pct(late, 0.99),
    pacerLateMax: late.at(-1) ?? NaN,
    loopDelayP99: h.percentile(99) / 1e6,
    loopDelayMax: h.max / 1e6,
    eventLoopUtilization: elu.utilization,
    cpuPercent: ((cpu.user + cpu.system) / 1e3 / (seconds * 1000)) * 100,
    framesPerSec: frames / seconds,
  };
}

async function main() {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = await SileroVadModel.load();
  const loadMs = performance.now() - t0;
  const modelRss = process.memoryUsage().rss - rss0;
  console.log(`Silero VAD v5.1.2, onnxruntime-node CPU, 1 intra-op thread, Node ${process.version}`);
  console.log(
    `load: ${f(loadMs, 0)} ms (incl. SHA-256 check), RSS +${mb(modelRss)} MB for the shared session\n`,
  );

  const mem = await memoryPerStream(model, 1000);
  console.log(
    `Memory per stream (SpeechDetector + SileroVad at 8 kHz, 1000 streams): ` +
      `JS heap+external ${f(mem.heapPerStream / 1024, 1)} KiB, RSS ${f(mem.rssPerStream / 1024, 1)} KiB` +
      (mem.exact ? '' : ' (no gc(): figures are rough)'),
  );
  console.log('');

  console.log('Per window, one stream, sequential (await process()):');
  let cpuPerStream8k = NaN;
  for (const rate of [8000, 16000] as const) {
    const r = await windowLatency(model, rate, 5000);
    if (rate === 8000) cpuPerStream8k = r.cpuSecPerAudioSec;
    const per20 = (r.p50 * 20) / r.windowMs;
    console.log(
      `  ${rate} Hz, ${f(r.windowMs, 0)} ms window: p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, max ${f(r.max, 2)} ms; ` +
        `${f(per20)} ms per 20 ms of audio; ${f(r.xRealtime, 0)}x realtime; ` +
        `CPU ${f(r.cpuSecPerAudioSec * 1000, 2)} ms per s of audio (${f(r.cpuSecPerAudioSec * 100, 2)}% of a core per stream); ` +
        `max streams per core at 50% load: ${Math.floor(0.5 / r.cpuSecPerAudioSec)}`,
    );
  }

  for (const threads of [2]) {
    const m2 = await SileroVadModel.load({ intraOpNumThreads: threads });
    const r = await windowLatency(m2, 8000, 3000);
    console.log(
      `  8000 Hz with ${threads} intra-op threads: p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, ` +
        `CPU ${f(r.cpuSecPerAudioSec * 1000, 2)} ms per s of audio`,
    );
    await m2.close();
  }

  console.log(
    `\nProjected main-thread share of one core for VAD alone at 8 kHz: ` +
      [10, 50, 100, 500].map((n) => `${n} calls ${f(n * cpuPerStream8k * 100, 1)}%`).join(', '),
  );
  console.log(
    '\nMain-thread pacing: N calls at 20 ms frames, random phase; an outgoing 20 ms pacer measured.',
  );
  console.log('Runs alternate without/with VAD, twice, since other load on the machine moves these figures.');
  console.log('  calls  VAD  pacer-late p50/p99/max ms  loop-delay p99/max ms  ELU    CPU%');
  for (const calls of [10, 20, 50, 100, 200]) {
    for (const withVad of [false, true, false, true]) {
      const r = await pacing(withVad ? model : undefined, calls, 5);
      console.log(
        `  ${String(calls).padStart(5)}  ${withVad ? 'yes' : 'no '}  ` +
          `${f(r.pacerLateP50, 2)}/${f(r.pacerLateP99, 2)}/${f(r.pacerLateMax, 2)}`.padEnd(27) +
          `${f(r.loopDelayP99, 2)}/${f(r.loopDelayMax, 2)}`.padEnd(22) +
          `${f(r.eventLoopUtilization, 2)}   ${f(r.cpuPercent, 1)}`,
      );
    }
  }
  await model.close();
}

await main();
