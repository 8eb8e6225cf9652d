import { describe, expect, it } from 'vitest';
import { goertzelPower, rms } from '../../src/audio/level.js';
import { Resampler, resample } from '../../src/audio/resample.js';
import { concat, middle, noise, sine } from './signals.js';

const db = (ratio: number) => 20 * Math.log10(ratio);

/** Gain in dB that a tone at `freq` sees going from `from` to `to`, measured away from the ends. */
function toneGainDb(from: number, to: number, freq: number, amplitude = 20000): number {
  const input = sine(from, freq, 0.5, amplitude, 0.3);
  const out = resample({ samples: input, sampleRate: from }, to).samples;
  return db(rms(middle(out)) / rms(middle(input)));
}

function chunked(r: Resampler, input: Int16Array, sizes: number[]): Int16Array {
  const parts: Int16Array[] = [];
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const size = sizes[i % sizes.length]!;
    parts.push(r.push(input.subarray(at, at + size)));
    at += size;
  }
  parts.push(r.flush());
  return concat(parts);
}

const PAIRS: Array<[number, number]> = [
  [48000, 8000],
  [24000, 8000],
  [16000, 8000],
  [22050, 8000],
  [44100, 16000],
  [8000, 16000],
  [8000, 24000],
  [8000, 48000],
  [16000, 24000],
  [44100, 48000],
];

describe('resample', () => {
  it('keeps a 1 kHz tone within 0.5 dB from 48 kHz to 8 kHz', () => {
    expect(Math.abs(toneGainDb(48000, 8000, 1000))).toBeLessThan(0.5);
  });

  it('keeps the telephone band (300-3400 Hz) flat within 0.1 dB for every rate pair', () => {
    for (const [from, to] of PAIRS) {
      for (const f of [300, 1000, 2000, 3400]) {
        expect(Math.abs(toneGainDb(from, to, f)), `${from}->${to} at ${f} Hz`).toBeLessThan(0.1);
      }
    }
  });

  it('attenuates a 5 kHz tone by at least 50 dB from 16 kHz to 8 kHz', () => {
    expect(toneGainDb(16000, 8000, 5000)).toBeLessThan(-50);
  });

  it('holds the 60 dB stopband from the new Nyquist frequency up when going down', () => {
    for (const [from, to] of [
      [16000, 8000],
      [24000, 8000],
      [48000, 8000],
      [22050, 8000],
    ] as const) {
      for (const f of [4050, 4500, 6000, 7700, 9000, 11000]) {
        if (f >= from / 2) continue;
        expect(toneGainDb(from, to, f), `${from}->${to} at ${f} Hz`).toBeLessThan(-60);
      }
    }
  });

  it('leaves no image above 60 dB below the tone when going up', () => {
    for (const to of [16000, 24000, 48000]) {
      const input = sine(8000, 1000, 0.5, 20000, 0.3);
      const out = middle(resample({ samples: input, sampleRate: 8000 }, to).samples);
      const tone = goertzelPower(out, to, 1000);
      // Zero-stuffing images of 1 kHz at 8 kHz land at 8k +- 1k, 16k +- 1k, ...
      for (let image = 7000; image < to / 2; image += 8000) {
        for (const f of [image, image + 2000]) {
          if (f >= to / 2) continue;
          const rel = 10 * Math.log10(goertzelPower(out, to, f) / tone);
          expect(rel, `8000->${to}: image at ${f} Hz`).toBeLessThan(-60);
        }
      }
    }
  });

  it('produces round(n * to / from) samples', () => {
    for (const [from, to] of PAIRS) {
      for (const n of [0, 1, 2, 3, 5, 159, 160, 161, 441, 1000, 4410, 22049]) {
        const out = resample({ samples: noise(n, 1000), sampleRate: from }, to);
        expect(out.sampleRate).toBe(to);
        expect(out.samples.length, `${from}->${to}, n=${n}`).toBe(Math.round((n * to) / from));
      }
    }
  });

  it('passes DC with gain exactly 1', () => {
    for (const [from, to] of PAIRS) {
      const input = new Int16Array(from / 10).fill(12345);
      const out = middle(resample({ samples: input, sampleRate: from }, to).samples, 0.5);
      for (const v of out) expect(Math.abs(v - 12345), `${from}->${to}`).toBeLessThanOrEqual(1);
    }
  });

  it('adds no delay: a tone comes out in phase with the same tone sampled at the new rate', () => {
    for (const [from, to] of PAIRS) {
      const out = resample({ samples: sine(from, 700, 0.5, 20000, 0.3), sampleRate: from }, to);
      const expected = sine(to, 700, 0.5, 20000, 0.3);
      const a = middle(out.samples);
      const b = middle(expected);
      let errSq = 0;
      for (let i = 0; i < a.length; i++) errSq += (a[i]! - b[i]!) ** 2;
      // A 1-sample shift at the output rate would leave an error above -30 dB relative to the tone.
      expect(db(Math.sqrt(errSq / a.length) / rms(b)), `${from}->${to}`).toBeLessThan(-60);
    }
  });

  it('saturates instead of wrapping when the filter overshoots full scale', () => {
    const n = 16000 / 5;
    const square = new Int16Array(n);
    for (let i = 0; i < n; i++) square[i] = Math.floor(i / 16) % 2 === 0 ? 32767 : -32768;
    const out = resample({ samples: square, sampleRate: 16000 }, 8000).samples;
    const peakOut = Math.max(...out);
    expect(peakOut).toBe(32767); // Gibbs overshoot clipped
    // A wrapped overshoot would show up as a full-scale negative sample inside a positive half.
    for (let i = 50; i < out.length - 50; i++) {
      const phase = (2 * i) % 32; // output i sits at input 2i
      if (phase >= 4 && phase <= 12) expect(out[i]!).toBeGreaterThan(0);
    }
  });

  it('returns the input unchanged when the rates are equal', () => {
    const pcm = { samples: noise(100, 1000), sampleRate: 8000 };
    expect(resample(pcm, 8000)).toBe(pcm);
    const r = new Resampler(8000, 8000);
    expect(Array.from(r.push(pcm.samples))).toEqual(Array.from(pcm.samples));
    expect(r.flush().length).toBe(0);
  });

  it('rejects rates that are not positive integers, and ratios needing too many phases', () => {
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
    expect(() => new Resampler(8000, 8000.5)).toThrow(/positive integer/);
    expect(() => resample({ samples: new Int16Array(4), sampleRate: 8000 }, -1)).toThrow(RangeError);
    expect(() => new Resampler(44100, 44101)).toThrow(/phases/);
  });
});

describe('Resampler (streaming)', () => {
  it('gives the same samples for any chunking as for the whole buffer', () => {
    const sizeSets = [[1], [160], [7, 0, 13, 320, 1], [3000], [441, 1, 2, 1000]];
    for (const [from, to] of PAIRS) {
      const input = noise(from / 5 + 17, 15000, from);
      const whole = resample({ samples: input, sampleRate: from }, to).samples;
      for (const sizes of sizeSets) {
        const streamed = chunked(new Resampler(from, to), input, sizes);
        expect(streamed.length, `${from}->${to} ${sizes.join(',')}`).toBe(whole.length);
        let firstDiff = -1;
        for (let i = 0; i < whole.length && firstDiff < 0; i++) if (streamed[i] !== whole[i]) firstDiff = i;
        expect(firstDiff, `${from}->${to} chunks ${sizes.join(',')}`).toBe(-1);
      }
    }
  });

  it('emits output as input arrives, holding back only the filter look-ahead', () => {
    const r = new Resampler(24000, 8000);
    let emitted = 0;
    for (let i = 0; i < 50; i++) emitted += r.push(noise(480, 1000, i)).length; // 50 x 20 ms
    const inputSoFar = 50 * 480;
    const heldBack = inputSoFar / 3 - emitted; // output samples not yet produced
    expect(heldBack).toBeGreaterThan(0);
    expect(heldBack).toBeLessThanOrEqual(Math.ceil(r.latencyInputSamples / 3) + 1);
  });

  it('starts a fresh stream after flush()', () => {
    const input = noise(3000, 8000, 7);
    const r = new Resampler(16000, 8000);
    const first = chunked(r, input, [100]);
    chunked(r, noise(555, 8000, 9), [50]); // another stream in between
    const again = chunked(r, input, [333]);
    expect(Array.from(again)).toEqual(Array.from(first));
  });

  it('forgets buffered input on reset()', () => {
    const input = noise(1600, 8000, 3);
    const r = new Resampler(16000, 8000);
    r.push(noise(777, 20000, 4));
    r.reset();
    const after = chunked(r, input, [160]);
    expect(Array.from(after)).toEqual(
      Array.from(resample({ samples: input, sampleRate: 16000 }, 8000).samples),
    );
  });
});
