/**
 * Audio hot-path throughput: mu-law codec and resampling, on one minute of audio.
 * Prints figures only; never asserts timings. Run: npx tsx bench/audio.bench.ts
 */
import { mulawToPcm, pcmToMulaw } from '../src/audio/mulaw.js';
import { Resampler, resample } from '../src/audio/resample.js';

const SECONDS = 60;

/** Speech-like test signal: a few drifting tones plus noise, deterministic. */
function testSignal(rate: number): Int16Array {
  const n = rate * SECONDS;
  const out = new Int16Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = (seed / 2 ** 32 - 0.5) * 2000;
    const t = i / rate;
    const v =
      6000 * Math.sin(2 * Math.PI * (220 + 30 * Math.sin(t)) * t) +
      3000 * Math.sin(2 * Math.PI * 1250 * t) +
      1500 * Math.sin(2 * Math.PI * 3100 * t) +
      noise;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}

/** Median wall time (ms) over `runs` after `warmup` runs. */
function time(fn: () => unknown, runs = 7, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

interface Row {
  op: string;
  ms: number;
  mbps?: number;
}
const rows: Row[] = [];

const pcm8k = testSignal(8000);
const mulaw8k = pcmToMulaw(pcm8k);
{
  const ms = time(() => pcmToMulaw(pcm8k));
  rows.push({ op: 'mu-law encode (8k PCM16 -> mu-law)', ms, mbps: mulaw8k.length / 1e6 / (ms / 1000) });
}
{
  const ms = time(() => mulawToPcm(mulaw8k));
  rows.push({ op: 'mu-law decode (mu-law -> 8k PCM16)', ms, mbps: mulaw8k.length / 1e6 / (ms / 1000) });
}
for (const [from, to] of [
  [16000, 8000],
  [24000, 8000],
  [48000, 8000],
  [22050, 8000],
  [8000, 16000],
] as const) {
  const input = { samples: testSignal(from), sampleRate: from };
  const ms = time(() => resample(input, to), 5, 2);
  rows.push({ op: `resample ${from} -> ${to}`, ms });
}

{
  // The live path: 20 ms chunks through one streaming Resampler, as TTS audio arrives.
  const input = testSignal(24000);
  const ms = time(
    () => {
      const r = new Resampler(24000, 8000);
      for (let at = 0; at < input.length; at += 480) r.push(input.subarray(at, at + 480));
      r.flush();
    },
    5,
    2,
  );
  rows.push({ op: 'resample 24000 -> 8000, 20 ms chunks', ms });
}

const header = ['operation (1 min of audio)', 'ms', 'x realtime', 'MB/s (mu-law bytes)'];
const table = rows.map((r) => [
  r.op,
  r.ms.toFixed(2),
  Math.round((SECONDS * 1000) / r.ms).toLocaleString('en-US'),
  r.mbps === undefined ? '' : r.mbps.toFixed(0),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
console.log(`node ${process.version}, ${SECONDS} s of audio per operation, median of runs`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));
