/**
 * Event-loop lag caused by offline TTS: N simulated calls, each pacing 20 ms frames on the event
 * loop and speaking a 3-sentence reply every few seconds, with flite run in-process (FliteTts)
 * versus in worker threads (WorkerFliteTts). Prints a table; never asserts timings.
 * Run: npx tsx bench/tts-jitter.bench.ts [seconds per run, default 12]
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FliteTts, FliteWasm, createWorkerFliteTts, type TextToSpeech } from '../src/providers/tts/index.js';

const CALLS = [1, 5, 10, 20];
const RUN_MS = Number(process.argv[2] ?? 12) * 1000;
const WARMUP_MS = 1000;
/** Each call speaks a reply every REPLY_EVERY_MS ± 25%, starting at a random moment. */
const REPLY_EVERY_MS = 4000;
const FRAME_MS = 20;
const REPLIES = [
  'Thanks for calling Acme Plumbing. A technician can come tomorrow between 8 and 10am. Would that work for you?',
  'I have your callback number as 555 123 4567. Someone will call you back within the hour. Is there anything else?',
  'We are open Monday to Friday from 8am to 6pm. On Saturdays we open from 9am to noon. How can I help you today?',
  'I am sorry to hear about the leak. Please turn off the main water valve if you can. I am alerting our on-call technician now.',
];

interface Result {
  loop: { p50: number; p99: number; max: number };
  frameLateP99: number;
  frameLateMax: number;
  firstAudioP50: number;
  firstAudioP99: number;
  replies: number;
}

const pct = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/** One call's playout clock: a 20 ms timer on an absolute schedule; records how late each tick is. */
function pace(stop: AbortSignal, lateness: number[], measuring: () => boolean): void {
  const start = performance.now();
  let frame = 0;
  const tick = (): void => {
    if (stop.aborted) return;
    const due = start + frame * FRAME_MS;
    const now = performance.now();
    if (frame > 0 && measuring()) lateness.push(now - due);
    // Catch up like a playout does: skip to the next frame that is still due.
    frame = Math.max(frame + 1, Math.floor((now - start) / FRAME_MS) + 1);
    setTimeout(tick, Math.max(0, start + frame * FRAME_MS - performance.now()));
  };
  tick();
}

async function talk(
  tts: TextToSpeech,
  call: number,
  stop: AbortSignal,
  firstAudio: number[],
  measuring: () => boolean,
): Promise<number> {
  let replies = 0;
  await sleep(Math.random() * REPLY_EVERY_MS, undefined, { signal: stop }).catch(() => undefined);
  while (!stop.aborted) {
    const t0 = performance.now();
    let first = true;
    for await (const _chunk of tts.synthesize(REPLIES[(call + replies) % REPLIES.length]!, stop)) {
      if (first && measuring()) firstAudio.push(performance.now() - t0);
      first = false;
    }
    replies++;
    const gap = REPLY_EVERY_MS * (0.75 + Math.random() * 0.5);
    await sleep(gap, undefined, { signal: stop }).catch(() => undefined);
  }
  return replies;
}

async function run(tts: TextToSpeech, calls: number): Promise<Result> {
  // One controller per call, as in the server (a shared one would collect an abort listener per call).
  const stops = Array.from({ length: calls }, () => new AbortController());
  const lateness: number[] = [];
  const firstAudio: number[] = [];
  let measuring = false;
  const isMeasuring = (): boolean => measuring;
  for (const stop of stops) pace(stop.signal, lateness, isMeasuring);
  const talking = stops.map((stop, c) => talk(tts, c, stop.signal, firstAudio, isMeasuring));
  await sleep(WARMUP_MS);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  measuring = true;
  await sleep(RUN_MS);
  measuring = false;
  histogram.disable();
  for (const stop of stops) stop.abort();
  const replies = (await Promise.all(talking)).reduce((n, r) => n + r, 0);
  const ms = (ns: number): number => ns / 1e6;
  return {
    loop: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
    frameLateP99: pct(lateness, 99),
    frameLateMax: Math.max(...lateness),
    firstAudioP50: pct(firstAudio, 50),
    firstAudioP99: pct(firstAudio, 99),
    replies,
  };
}

const wasm = await FliteWasm.load();
const inProcess = new FliteTts(wasm);
let t0 = performance.now();
const inWorkers = await createWorkerFliteTts();
const poolStartMs = performance.now() - t0;
const poolSize = inWorkers.pool.stats().workers;
// Warm both: the first runs of freshly compiled WASM are slower until V8 tiers it up.
for (const tts of [inProcess, inWorkers]) {
  for (const reply of REPLIES) for await (const _ of tts.synthesize(reply, new AbortController().signal));
}

console.log(
  `TTS event-loop jitter: flite "slt" 16 kHz, 3-sentence replies every ~${REPLY_EVERY_MS / 1000} s per call, ` +
    `${RUN_MS / 1000} s measured per row; ${availableParallelism()} cores; ` +
    `pool of ${poolSize} worker(s), started in ${poolStartMs.toFixed(0)} ms`,
);
console.log(
  'mode        calls | loop delay p50   p99    max (ms) | frame late p99   max (ms) | first audio p50   p99 (ms) | replies',
);
for (const calls of CALLS) {
  for (const [mode, tts] of [
    ['in-process', inProcess],
    ['workers', inWorkers],
  ] as const) {
    t0 = performance.now();
    const r = await run(tts, calls);
    const f = (x: number, w = 6): string => x.toFixed(1).padStart(w);
    console.log(
      `${mode.padEnd(11)} ${String(calls).padStart(5)} |      ${f(r.loop.p50)} ${f(r.loop.p99)} ${f(r.loop.max)}      |` +
        `        ${f(r.frameLateP99)} ${f(r.frameLateMax)}      |         ${f(r.firstAudioP50)} ${f(r.firstAudioP99)}      | ${String(r.replies).padStart(7)}`,
    );
  }
}
await inWorkers.close();
