/**
 * Band filling for phone audio: 8 kHz narrowband PCM to the 16 kHz full-band signal that
 * PocketSphinx's en-us model was trained on.
 *
 * Why: the model's mel filterbank spans 130-6800 Hz. Phone audio has nothing above 4 kHz, so
 * a clean upsample leaves the top filters near log(0), which swamps the cepstrum and wrecks
 * recognition. Doubling the samples and laying a faint noise floor over 4-8 kHz keeps those
 * filters at a steady, speech-independent level that cepstral mean normalisation removes.
 */

/** How the 8 kHz samples are doubled. */
export type UpsampleMode =
  /** Repeat each sample: cheap, leaves a mirror image of the speech band above 4 kHz. */
  | 'hold'
  /** Midpoint between neighbours: a weaker mirror image. */
  | 'linear'
  /** Windowed-sinc half-band interpolation: no image, nothing above 4 kHz. */
  | 'sinc';

export interface BandFillOptions {
  /** Default 'sinc'. */
  readonly upsample?: UpsampleMode;
  /** RMS of the added 4-8 kHz noise in PCM16 units; 0 adds none. Default 85 (30-250 measured alike). */
  readonly noiseRms?: number;
  /** Seed of the noise generator, so the same input always gives the same output. */
  readonly seed?: number;
}

export const BAND_FILL_DEFAULTS = { upsample: 'sinc', noiseRms: 85, seed: 0x5eed } as const;

/** Half the interpolator's taps (the lookahead, in 8 kHz samples) for 'sinc'. */
const SINC_HALF = 8;

/**
 * Coefficients c[j] for the midpoint between x[m] and x[m+1]: sum c[j] * (x[m-j] + x[m+1+j]).
 * A half-band windowed sinc (Blackman), normalised to unit gain at DC.
 */
function sincTaps(half: number): Float64Array {
  const c = new Float64Array(half);
  const span = 2 * half; // window spans odd offsets -(2h-1)..(2h-1) in 16 kHz samples
  let sum = 0;
  for (let j = 0; j < half; j++) {
    const n = 2 * j + 1; // distance in 16 kHz samples
    const sinc = Math.sin((Math.PI * n) / 2) / ((Math.PI * n) / 2);
    const t = (n + span) / (2 * span); // 0..1 across the window
    const w = 0.42 - 0.5 * Math.cos(2 * Math.PI * t) + 0.08 * Math.cos(4 * Math.PI * t);
    c[j] = sinc * w;
    sum += 2 * c[j]!;
  }
  for (let j = 0; j < half; j++) c[j] = c[j]! / sum;
  return c;
}

const TAPS: Record<UpsampleMode, Float64Array> = {
  hold: new Float64Array(0),
  linear: Float64Array.of(0.5),
  sinc: sincTaps(SINC_HALF),
};

/**
 * Streaming 2x interpolator over float samples. Keeps the last samples between pushes so
 * chunk boundaries do not change the output; lags by `lookahead` input samples until flush().
 */
class Upsampler2x {
  readonly #mode: UpsampleMode;
  readonly #taps: Float64Array;
  readonly #half: number;
  /** Input history: the `half` samples before the next output position, then pending ones. */
  #buf: Float64Array;
  #len: number;

  constructor(mode: UpsampleMode) {
    this.#mode = mode;
    this.#taps = TAPS[mode];
    this.#half = mode === 'hold' ? 0 : this.#taps.length;
    // Leading zeros stand for the silence before the stream.
    this.#buf = new Float64Array(64);
    this.#len = Math.max(0, this.#half - 1);
  }

  get lookahead(): number {
    return this.#half;
  }

  /** Appends input; returns every output pair that can now be computed. */
  push(x: ArrayLike<number>): Float64Array {
    this.#append(x);
    return this.#drain();
  }

  /** Pads the stream end with silence and returns the outputs that were held back. */
  flush(): Float64Array {
    this.#append(new Float64Array(this.#half));
    const out = this.#drain();
    this.#len = Math.max(0, this.#half - 1);
    this.#buf.fill(0, 0, this.#len);
    return out;
  }

  #append(x: ArrayLike<number>): void {
    if (this.#len + x.length > this.#buf.length) {
      const grown = new Float64Array(Math.max(this.#buf.length * 2, this.#len + x.length));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    for (let i = 0; i < x.length; i++) this.#buf[this.#len + i] = x[i]!;
    this.#len += x.length;
  }

  #drain(): Float64Array {
    const buf = this.#buf;
    const h = this.#half;
    if (this.#mode === 'hold') {
      const out = new Float64Array(2 * this.#len);
      for (let m = 0; m < this.#len; m++) out[2 * m] = out[2 * m + 1] = buf[m]!;
      this.#len = 0;
      return out;
    }
    // Output position m (x[m]) needs x[m-h+1 .. m+h]: first m is h-1, last is len-h-1.
    const first = h - 1;
    const count = this.#len - h - first;
    if (count <= 0) return new Float64Array(0);
    const out = new Float64Array(2 * count);
    const taps = this.#taps;
    for (let k = 0; k < count; k++) {
      const m = first + k;
      let mid = 0;
      for (let j = 0; j < h; j++) mid += taps[j]! * (buf[m - j]! + buf[m + 1 + j]!);
      out[2 * k] = buf[m]!;
      out[2 * k + 1] = mid;
    }
    // Keep the last 2h-1 samples: history for the next output position and the lookahead.
    const keep = this.#len - count;
    buf.copyWithin(0, count, this.#len);
    this.#len = keep;
    return out;
  }
}

/** xorshift32: small, seedable, and identical on every platform. */
function makeRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * Streaming band filler: push 8 kHz PCM16 chunks, get 16 kHz PCM16 chunks (twice as many
 * samples, less a short lookahead that flush() returns at the end of the stream).
 */
export class BandFill {
  static readonly inputRate = 8000;
  static readonly outputRate = 16000;

  readonly #speech: Upsampler2x;
  readonly #noise: Upsampler2x | undefined;
  readonly #noiseGain: number;
  readonly #random: () => number;
  /** Band-limited noise made but not yet mixed in. */
  #noiseQueue = new Float64Array(0);
  /** Parity of the next output sample, for the (-1)^n shift that moves 0-4 kHz to 4-8 kHz. */
  #phase = 0;

  constructor(options: BandFillOptions = {}) {
    const mode = options.upsample ?? BAND_FILL_DEFAULTS.upsample;
    const noiseRms = options.noiseRms ?? BAND_FILL_DEFAULTS.noiseRms;
    this.#speech = new Upsampler2x(mode);
    this.#random = makeRandom(options.seed ?? BAND_FILL_DEFAULTS.seed);
    // Noise is white noise low-passed by the half-band interpolator, then mirrored into
    // 4-8 kHz by flipping every other sample.
    this.#noise = noiseRms > 0 ? new Upsampler2x('sinc') : undefined;
    // Uniform noise in [-0.5, 0.5) has RMS 1/sqrt(12); interpolation keeps its power.
    this.#noiseGain = noiseRms * Math.sqrt(12);
  }

  push(samples: Int16Array): Int16Array {
    return this.#mix(this.#speech.push(samples));
  }

  /** End of stream: the samples held back for lookahead. The filler can then be reused. */
  flush(): Int16Array {
    return this.#mix(this.#speech.flush());
  }

  #takeNoise(n: number): Float64Array {
    const noise = this.#noise!;
    while (this.#noiseQueue.length < n) {
      const want = Math.max(160, (n - this.#noiseQueue.length) >> 1) + noise.lookahead;
      const white = new Float64Array(want);
      for (let i = 0; i < want; i++) white[i] = this.#random() - 0.5;
      const made = noise.push(white);
      const grown = new Float64Array(this.#noiseQueue.length + made.length);
      grown.set(this.#noiseQueue);
      grown.set(made, this.#noiseQueue.length);
      this.#noiseQueue = grown;
    }
    const taken = this.#noiseQueue.subarray(0, n);
    this.#noiseQueue = this.#noiseQueue.subarray(n);
    return taken;
  }

  #mix(speech: Float64Array): Int16Array {
    const out = new Int16Array(speech.length);
    const noise = this.#noise === undefined ? undefined : this.#takeNoise(speech.length);
    const gain = this.#noiseGain;
    for (let i = 0; i < speech.length; i++) {
      let v = speech[i]!;
      if (noise !== undefined) v += ((this.#phase + i) & 1 ? -gain : gain) * noise[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
    this.#phase = (this.#phase + speech.length) & 1;
    return out;
  }
}

/** One-shot band fill of a whole 8 kHz buffer (output has exactly twice the samples). */
export function bandFill(samples: Int16Array, options: BandFillOptions = {}): Int16Array {
  const filler = new BandFill(options);
  const head = filler.push(samples);
  const tail = filler.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
