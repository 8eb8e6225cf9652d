import { describe, expect, it } from 'vitest';
import { dbfs, dtmfDigit, goertzelPower, peak, rms } from '../../src/audio/level.js';
import { mulawToPcm, pcmToMulaw } from '../../src/audio/mulaw.js';
import { resample } from '../../src/audio/resample.js';
import { mix, noise, sine } from './signals.js';

const KEYS: Record<string, [number, number]> = {};
['123A', '456B', '789C', '*0#D'].forEach((row, r) =>
  [...row].forEach((key, c) => (KEYS[key] = [[697, 770, 852, 941][r]!, [1209, 1336, 1477, 1633][c]!])),
);

function dtmf(key: string, rate: number, ms: number, amplitude = 8000, twistDb = 0): Int16Array {
  const [lo, hi] = KEYS[key]!;
  const seconds = ms / 1000;
  return mix(
    sine(rate, lo, seconds, amplitude),
    sine(rate, hi, seconds, amplitude * 10 ** (twistDb / 20), 1),
  );
}

describe('levels', () => {
  it('measures RMS and dBFS: full-scale square 0 dBFS, full-scale sine -3.01 dBFS', () => {
    const square = Int16Array.from({ length: 800 }, (_, i) => (i % 20 < 10 ? 32767 : -32768));
    expect(dbfs(square)).toBeCloseTo(0, 3);
    expect(dbfs(sine(8000, 1000, 0.1, 32767))).toBeCloseTo(-3.01, 2);
    expect(rms(new Int16Array(10).fill(-300))).toBe(300);
    expect(dbfs(sine(8000, 440, 0.1, 3277))).toBeCloseTo(-23.01, 1);
  });

  it('reports silence as -Infinity dBFS and empty buffers as zero', () => {
    expect(dbfs(new Int16Array(160))).toBe(-Infinity);
    expect(dbfs(new Int16Array(0))).toBe(-Infinity);
    expect(rms(new Int16Array(0))).toBe(0);
    expect(peak(new Int16Array(0))).toBe(0);
  });

  it('finds the peak magnitude, including -32768', () => {
    expect(peak(Int16Array.from([3, -32768, 32767]))).toBe(32768);
    expect(peak(Int16Array.from([3, -9, 7]))).toBe(9);
  });
});

describe('goertzelPower', () => {
  it('gives the power of the component at the probed frequency on the dBFS scale', () => {
    const s = sine(8000, 1000, 0.1, 16384);
    expect(10 * Math.log10(goertzelPower(s, 8000, 1000))).toBeCloseTo(dbfs(s), 1);
    expect(goertzelPower(sine(8000, 697, 0.05, 32767), 8000, 697)).toBeCloseTo(0.5, 2);
  });

  it('separates a tone from one 200 Hz away by more than 30 dB over 100 ms', () => {
    const s = sine(16000, 1000, 0.1, 10000);
    const on = goertzelPower(s, 16000, 1000);
    const off = goertzelPower(s, 16000, 1200);
    expect(10 * Math.log10(on / off)).toBeGreaterThan(30);
  });

  it('measures one tone inside a mixture', () => {
    const s = mix(sine(8000, 700, 0.2, 4000), sine(8000, 1800, 0.2, 12000), noise(1600, 500));
    expect(10 * Math.log10(goertzelPower(s, 8000, 700))).toBeCloseTo(
      20 * Math.log10(4000 / 32768 / Math.SQRT2),
      0,
    );
    expect(goertzelPower(new Int16Array(0), 8000, 700)).toBe(0);
    expect(goertzelPower(new Int16Array(100), 8000, 700)).toBe(0);
  });
});

describe('dtmfDigit', () => {
  it('recognises all sixteen keys at 8 and 16 kHz', () => {
    for (const key of Object.keys(KEYS)) {
      expect(dtmfDigit(dtmf(key, 8000, 40), 8000), key).toBe(key);
      expect(dtmfDigit(dtmf(key, 16000, 30), 16000), key).toBe(key);
    }
  });

  it('recognises keys after a trip through mu-law, resampling and background noise', () => {
    for (const key of ['1', '5', '9', '0', '#', 'D']) {
      const at16k = mix(dtmf(key, 16000, 40, 6000), noise(640, 600, 11));
      const phone = mulawToPcm(pcmToMulaw(resample({ samples: at16k, sampleRate: 16000 }, 8000).samples));
      expect(dtmfDigit(phone, 8000), key).toBe(key);
    }
  });

  it('accepts 6 dB of twist and refuses 12 dB', () => {
    expect(dtmfDigit(dtmf('5', 8000, 40, 6000, 6), 8000)).toBe('5');
    expect(dtmfDigit(dtmf('5', 8000, 40, 6000, -6), 8000)).toBe('5');
    expect(dtmfDigit(dtmf('5', 8000, 40, 6000, 12), 8000)).toBeUndefined();
  });

  it('refuses silence, noise, single tones, two tones of one group and speech-like sound', () => {
    expect(dtmfDigit(new Int16Array(320), 8000)).toBeUndefined();
    expect(dtmfDigit(noise(320, 8000), 8000)).toBeUndefined();
    expect(dtmfDigit(sine(8000, 697, 0.04, 8000), 8000)).toBeUndefined();
    expect(dtmfDigit(sine(8000, 1336, 0.04, 8000), 8000)).toBeUndefined();
    expect(dtmfDigit(mix(sine(8000, 697, 0.04, 8000), sine(8000, 852, 0.04, 8000)), 8000)).toBeUndefined();
    // Voiced speech: a 140 Hz fundamental with harmonics through the DTMF band.
    const voiced = mix(
      ...Array.from({ length: 20 }, (_, h) => sine(8000, 140 * (h + 1), 0.04, 3000 / (h + 1))),
    );
    expect(dtmfDigit(voiced, 8000)).toBeUndefined();
    // A key under a louder sound (someone talking over it) is not claimed as a clean key press.
    expect(dtmfDigit(mix(dtmf('3', 8000, 40, 3000), sine(8000, 2500, 0.04, 8000)), 8000)).toBeUndefined();
    // A key buried in loud noise is not claimed either.
    expect(dtmfDigit(mix(dtmf('3', 8000, 40, 3000), noise(320, 12000, 5)), 8000)).toBeUndefined();
  });
});
