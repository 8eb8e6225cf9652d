/**
 * Signal level and single-frequency power.
 *
 * dBFS here is RMS relative to full scale (32768): a full-scale square wave is 0 dBFS and a
 * full-scale sine about -3.01 dBFS. goertzelPower() uses the same scale, so
 * 10 * log10(goertzelPower(...)) is the level of that one component in the same dBFS.
 */

const FULL_SCALE = 32768;

/** Root mean square in sample units (0..32768); 0 for an empty buffer. */
export function rms(samples: Int16Array): number {
  const n = samples.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i] as number;
    sum += s * s;
  }
  return Math.sqrt(sum / n);
}

/** RMS level in dBFS; -Infinity for silence or an empty buffer. */
export function dbfs(samples: Int16Array): number {
  const r = rms(samples);
  return r === 0 ? -Infinity : 20 * Math.log10(r / FULL_SCALE);
}

/** Largest absolute sample value (0..32768). */
export function peak(samples: Int16Array): number {
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    const a = s < 0 ? -s : s;
    if (a > max) max = a;
  }
  return max;
}

/**
 * Mean power of the component at `freq` Hz (Goertzel, rectangular window), relative to full
 * scale: a full-scale sine at exactly `freq` gives 0.5, silence 0. Frequency resolution is about
 * sampleRate / samples.length, so use at least ~25 ms of audio to separate DTMF neighbours.
 */
export function goertzelPower(samples: Int16Array, sampleRate: number, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const magSq = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * magSq) / (n * n * FULL_SCALE * FULL_SCALE);
}

const DTMF_LOW = [697, 770, 852, 941] as const;
const DTMF_HIGH = [1209, 1336, 1477, 1633] as const;
const DTMF_KEYS = ['123A', '456B', '789C', '*0#D'] as const;

/** Loudest entry's index and power, and the runner-up's power. */
function strongest(samples: Int16Array, sampleRate: number, freqs: readonly number[]) {
  let best = -1;
  let bestPower = 0;
  let second = 0;
  freqs.forEach((f, i) => {
    const p = goertzelPower(samples, sampleRate, f);
    if (p > bestPower) {
      second = bestPower;
      bestPower = p;
      best = i;
    } else if (p > second) {
      second = p;
    }
  });
  return { best, bestPower, second };
}

/**
 * The DTMF key ('0'-'9', '*', '#', 'A'-'D') sounding throughout `samples`, or undefined.
 * Pass one block of 25-50 ms. Demands that the two tones carry most of the block's energy (so
 * speech and noise do not pass), that each beats its neighbours by 10 dB, and a twist (level
 * difference of the two tones) within 8 dB. Not a certified Q.24 receiver: a helper to keep key
 * presses from counting as speech and to recognise tones in tests.
 */
export function dtmfDigit(samples: Int16Array, sampleRate: number): string | undefined {
  const r = rms(samples) / FULL_SCALE;
  const total = r * r;
  if (total < 1e-6) return undefined; // below about -60 dBFS: nothing there
  const lo = strongest(samples, sampleRate, DTMF_LOW);
  const hi = strongest(samples, sampleRate, DTMF_HIGH);
  if (lo.best < 0 || hi.best < 0) return undefined;
  if (lo.bestPower + hi.bestPower < 0.6 * total) return undefined;
  if (lo.second * 10 > lo.bestPower || hi.second * 10 > hi.bestPower) return undefined;
  const twist = hi.bestPower / lo.bestPower;
  if (twist > 6.31 || twist < 1 / 6.31) return undefined; // 8 dB either way
  return DTMF_KEYS[lo.best]?.[hi.best];
}
