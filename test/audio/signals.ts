/** Synthetic test signals for the audio tests (not a test file itself). */

/** A sine of `amplitude` (sample units) at `freq` Hz, `seconds` long. */
export function sine(rate: number, freq: number, seconds: number, amplitude = 10000, phase = 0): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase));
  return out;
}

/** Deterministic white noise, uniform in [-amplitude, amplitude]. */
export function noise(n: number, amplitude: number, seed = 1): Int16Array {
  const out = new Int16Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.round((s / 2 ** 32 - 0.5) * 2 * amplitude);
  }
  return out;
}

/** Sample-wise sum, saturating to int16. */
export function mix(...signals: Int16Array[]): Int16Array {
  const n = Math.max(...signals.map((s) => s.length));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const s of signals) v += s[i] ?? 0;
    out[i] = Math.max(-32768, Math.min(32767, v));
  }
  return out;
}

/** The middle part of a buffer, away from start-up and tail effects. */
export function middle(s: Int16Array, fraction = 0.6): Int16Array {
  const skip = Math.floor((s.length * (1 - fraction)) / 2);
  return s.subarray(skip, s.length - skip);
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
