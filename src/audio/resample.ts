/**
 * Sample-rate conversion by any rational ratio L/M with a polyphase, Kaiser-windowed sinc FIR.
 *
 * The low-pass sits at the lower of the two Nyquist frequencies: flat (< 0.01 dB ripple) up to
 * 90% of it, at least STOPBAND_DB down from the Nyquist frequency on, so nothing aliases into the
 * telephone band on the way down and no images survive on the way up. Each polyphase branch is
 * normalised to a DC gain of exactly 1.
 *
 * Samples before the start and after the end of a stream count as silence. Output sample n sits
 * at input time n * from / to, so output is time-aligned with input (no added delay) and a
 * stream of n samples yields round(n * to / from) samples.
 */
import type { PcmAudio } from './pcm.js';

/** Design attenuation of the stopband, dB. */
export const STOPBAND_DB = 70;
/** Passband edge as a fraction of the lower Nyquist frequency; the stopband starts at 1.0. */
export const PASSBAND_FRACTION = 0.9;

/** Polyphase coefficient sets beyond this many are refused (ratios like 44100:44101). */
const MAX_PHASES = 4096;

interface FilterDesign {
  /** Interpolation factor (output rate / gcd). */
  readonly up: number;
  /** Decimation factor (input rate / gcd). */
  readonly down: number;
  /** Half the filter span in input samples: output at time t reads inputs (t-half, t+half]. */
  readonly half: number;
  /** Taps per phase (= 2 * half). */
  readonly taps: number;
  /** up * taps coefficients, phase-major. */
  readonly coeffs: Float64Array;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x < 50). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

function designFilter(from: number, to: number): FilterDesign {
  const g = gcd(from, to);
  const up = to / g;
  const down = from / g;
  if (up > MAX_PHASES) {
    throw new RangeError(`resample ${from} -> ${to} Hz needs ${up} filter phases (max ${MAX_PHASES})`);
  }
  const nyquist = Math.min(from, to) / 2;
  const passEdge = PASSBAND_FRACTION * nyquist;
  // Everything below in units of the input rate (cycles per input sample).
  const transition = (nyquist - passEdge) / from;
  const cutoff = (passEdge + nyquist) / from; // = 2 * centre frequency / from: sinc scale
  const beta = kaiserBeta(STOPBAND_DB);
  // Kaiser's length estimate for the given attenuation and transition width.
  const length = Math.ceil((STOPBAND_DB - 7.95) / (14.36 * transition)) + 1;
  const half = Math.max(1, Math.ceil(length / 2));
  const taps = 2 * half;
  const coeffs = new Float64Array(up * taps);
  const i0Beta = besselI0(beta);
  for (let p = 0; p < up; p++) {
    const frac = p / up;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      // Distance from the output instant to input sample j of this phase, in input samples.
      const tau = j - (half - 1) - frac;
      const x = cutoff * tau;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = tau / half;
      const w = r * r >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
      const c = cutoff * sinc * w;
      coeffs[p * taps + j] = c;
      sum += c;
    }
    for (let j = 0; j < taps; j++) coeffs[p * taps + j] = (coeffs[p * taps + j] as number) / sum;
  }
  return { up, down, half, taps, coeffs };
}

// A memo of pure filter tables (not shared state): designs are deterministic per rate pair and
// some cost tens of milliseconds, too much to repeat per call or per utterance.
const designCache = new Map<string, FilterDesign>();
const DESIGN_CACHE_MAX = 32;

function getDesign(from: number, to: number): FilterDesign {
  const key = `${from}:${to}`;
  let d = designCache.get(key);
  if (!d) {
    d = designFilter(from, to);
    if (designCache.size >= DESIGN_CACHE_MAX) {
      const oldest = designCache.keys().next().value;
      if (oldest !== undefined) designCache.delete(oldest);
    }
    designCache.set(key, d);
  }
  return d;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0 || rate > 1_000_000) {
    throw new RangeError(`${name} must be a positive integer sample rate in Hz, got ${rate}`);
  }
}

const EMPTY: Int16Array = new Int16Array(0);

/**
 * Streaming resampler: push() chunks of any size, flush() at the end of the stream. The
 * concatenated output equals resample() of the whole input, sample for sample. flush() also
 * resets the resampler so it can serve the next stream.
 */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly #d: FilterDesign | undefined; // undefined when rates are equal: pass-through
  readonly #stepInt: number;
  readonly #stepFrac: number;
  /**
   * Input history; buf[0] holds absolute input index #base (negative = leading silence).
   * Kept as doubles: the filter loop then skips an int-to-double conversion per tap (~25% faster).
   */
  #buf: Float64Array = new Float64Array(0);
  #len = 0;
  #base = 0;
  /** Total input samples pushed. */
  #inCount = 0;
  /** Next output index, and its position in the input: #pos + #phase / up. */
  #outCount = 0;
  #pos = 0;
  #phase = 0;

  constructor(fromRate: number, toRate: number) {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.#d = fromRate === toRate ? undefined : getDesign(fromRate, toRate);
    this.#stepInt = this.#d ? Math.floor(this.#d.down / this.#d.up) : 1;
    this.#stepFrac = this.#d ? this.#d.down % this.#d.up : 0;
    this.reset();
  }

  /** Input samples held back for look-ahead before the matching output can leave (its latency). */
  get latencyInputSamples(): number {
    return this.#d ? this.#d.half : 0;
  }

  /** Forget the stream so far (e.g. on barge-in). */
  reset(): void {
    const half = this.#d?.half ?? 1;
    if (this.#buf.length === 0) this.#buf = new Float64Array(Math.max(1024, 4 * half));
    // Leading silence so the first outputs see a full window.
    this.#buf.fill(0, 0, half - 1);
    this.#len = half - 1;
    this.#base = -(half - 1);
    this.#inCount = 0;
    this.#outCount = 0;
    this.#pos = 0;
    this.#phase = 0;
  }

  push(chunk: Int16Array): Int16Array {
    if (!this.#d) return chunk.slice();
    if (chunk.length === 0) return EMPTY;
    this.#append(chunk, chunk.length);
    this.#inCount += chunk.length;
    const d = this.#d;
    // Outputs whose whole window is in: pos + half < inCount, i.e. n*down < (inCount-half)*up.
    const avail = this.#inCount - d.half;
    const byWindow = avail > 0 ? Math.floor((avail * d.up + d.down - 1) / d.down) : 0;
    // Never run past the stream's final length, whatever comes next.
    const end = Math.min(byWindow, this.#finalLength());
    return this.#produce(end);
  }

  /** End of stream: the remaining outputs (trailing silence assumed), then reset. */
  flush(): Int16Array {
    if (!this.#d) return EMPTY;
    const end = this.#finalLength();
    let out = EMPTY;
    if (end > this.#outCount) {
      // Input position of the last output, plus the window's reach past it, padded with zeros.
      const lastPos = Math.floor(((end - 1) * this.#d.down) / this.#d.up);
      const need = lastPos + this.#d.half + 1 - (this.#base + this.#len);
      if (need > 0) this.#append(undefined, need);
      out = this.#produce(end);
    }
    this.reset();
    return out;
  }

  /** round(inCount * to / from) in integers. */
  #finalLength(): number {
    const d = this.#d as FilterDesign;
    return Math.floor((2 * this.#inCount * d.up + d.down) / (2 * d.down));
  }

  /** Append samples (or zeros when src is undefined), dropping history no output still needs. */
  #append(src: Int16Array | undefined, count: number): void {
    const d = this.#d as FilterDesign;
    const keepFrom = this.#pos - d.half + 1; // first input the next output reads
    const drop = Math.min(Math.max(0, keepFrom - this.#base), this.#len);
    const kept = this.#len - drop;
    if (kept + count > this.#buf.length) {
      const next = new Float64Array(Math.max(2 * this.#buf.length, kept + count));
      next.set(this.#buf.subarray(drop, this.#len));
      this.#buf = next;
    } else if (drop > 0) {
      this.#buf.copyWithin(0, drop, this.#len);
    }
    this.#base += drop;
    this.#len = kept;
    if (src) this.#buf.set(src, this.#len);
    else this.#buf.fill(0, this.#len, this.#len + count);
    this.#len += count;
  }

  #produce(end: number): Int16Array {
    const count = end - this.#outCount;
    if (count <= 0) return EMPTY;
    const d = this.#d as FilterDesign;
    const out = new Int16Array(count);
    const { coeffs, taps, up, half } = d;
    const buf = this.#buf;
    const stepInt = this.#stepInt;
    const stepFrac = this.#stepFrac;
    let pos = this.#pos;
    let phase = this.#phase;
    const offset = 1 - half - this.#base;
    if (up === 1) {
      this.#produceFolded(out, pos + offset, stepInt);
      this.#pos = pos + count * stepInt;
      this.#outCount = end;
      return out;
    }
    for (let n = 0; n < count; n++) {
      const x0 = pos + offset;
      const c0 = phase * taps;
      // Four independent sums keep the multiply-adds pipelined; taps is always even.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let j = 0;
      for (; j + 3 < taps; j += 4) {
        a0 += (coeffs[c0 + j] as number) * (buf[x0 + j] as number);
        a1 += (coeffs[c0 + j + 1] as number) * (buf[x0 + j + 1] as number);
        a2 += (coeffs[c0 + j + 2] as number) * (buf[x0 + j + 2] as number);
        a3 += (coeffs[c0 + j + 3] as number) * (buf[x0 + j + 3] as number);
      }
      for (; j < taps; j++) a0 += (coeffs[c0 + j] as number) * (buf[x0 + j] as number);
      const v = Math.round(a0 + a1 + (a2 + a3));
      out[n] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      pos += stepInt;
      phase += stepFrac;
      if (phase >= up) {
        phase -= up;
        pos += 1;
      }
    }
    this.#pos = pos;
    this.#phase = phase;
    this.#outCount = end;
    return out;
  }

  /**
   * Integer decimation: one phase, whose taps are symmetric about tap half-1 (the last tap is
   * the window's zero), so pairs of inputs share a multiply.
   */
  #produceFolded(out: Int16Array, firstX: number, step: number): void {
    const { coeffs, half } = this.#d as FilterDesign;
    const buf = this.#buf;
    const m = half - 1;
    const centre = coeffs[m] as number;
    let x0 = firstX;
    for (let n = 0; n < out.length; n++) {
      const xm = x0 + m;
      let a0 = centre * (buf[xm] as number);
      let a1 = 0;
      let j = 0;
      for (; j + 1 < m; j += 2) {
        a0 += (coeffs[j] as number) * ((buf[x0 + j] as number) + (buf[xm + m - j] as number));
        a1 += (coeffs[j + 1] as number) * ((buf[x0 + j + 1] as number) + (buf[xm + m - j - 1] as number));
      }
      for (; j < m; j++)
        a0 += (coeffs[j] as number) * ((buf[x0 + j] as number) + (buf[xm + m - j] as number));
      const v = Math.round(a0 + a1);
      out[n] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      x0 += step;
    }
  }
}

/** Input block size for one-shot conversion: bounds the working buffer and stays cache-friendly. */
const ONE_SHOT_BLOCK = 16384;

/** Convert a whole buffer to another rate. Returns the input itself when the rates are equal. */
export function resample(pcm: PcmAudio, toRate: number): PcmAudio {
  checkRate('toRate', toRate);
  if (pcm.sampleRate === toRate) return pcm;
  const r = new Resampler(pcm.sampleRate, toRate);
  const input = pcm.samples;
  // Blocks give the same samples as one push (streaming is exact), with a small working buffer.
  const parts: Int16Array[] = [];
  for (let at = 0; at < input.length; at += ONE_SHOT_BLOCK) {
    parts.push(r.push(input.subarray(at, at + ONE_SHOT_BLOCK)));
  }
  parts.push(r.flush());
  if (parts.length === 1) return { samples: parts[0] as Int16Array, sampleRate: toRate };
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, sampleRate: toRate };
}
