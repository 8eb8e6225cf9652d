import { describe, expect, it } from 'vitest';
import { BandFill, bandFill, type UpsampleMode } from '../../../src/providers/stt/band-fill.js';

/** RMS of the part of the signal between lo and hi Hz (naive DFT; fine for short test signals). */
function bandRms(x: Int16Array, rate: number, lo: number, hi: number): number {
  const n = x.length;
  let power = 0;
  for (let k = 1; k < n / 2; k++) {
    const f = (k * rate) / n;
    if (f < lo || f >= hi) continue;
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      const a = (2 * Math.PI * k * t) / n;
      re += x[t]! * Math.cos(a);
      im -= x[t]! * Math.sin(a);
    }
    power += (2 * (re * re + im * im)) / (n * n);
  }
  return Math.sqrt(power);
}

const tone = (hz: number, n: number, amp = 8000): Int16Array =>
  Int16Array.from({ length: n }, (_, t) => Math.round(amp * Math.sin((2 * Math.PI * hz * t) / 8000)));

const concat = (parts: Int16Array[]): Int16Array => {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('band fill', () => {
  it.each<UpsampleMode>(['sinc', 'linear', 'hold'])('%s doubles the sample count exactly', (mode) => {
    expect(bandFill(tone(440, 801), { upsample: mode }).length).toBe(1602);
  });

  it.each<UpsampleMode>(['sinc', 'linear', 'hold'])(
    '%s gives the same samples whatever the chunking',
    (mode) => {
      const input = tone(700, 1000);
      const whole = bandFill(input, { upsample: mode });
      const filler = new BandFill({ upsample: mode });
      const parts: Int16Array[] = [];
      let at = 0;
      for (const size of [1, 7, 160, 3, 229, 600]) {
        parts.push(filler.push(input.subarray(at, at + size)));
        at += size;
      }
      parts.push(filler.flush());
      expect(concat(parts)).toEqual(whole);
    },
  );

  it('keeps the speech band at unit gain', () => {
    const out = bandFill(tone(1000, 1024), { noiseRms: 0 });
    const inRms = 8000 / Math.SQRT2;
    expect(bandRms(out.subarray(256, 1792), 16000, 900, 1100)).toBeCloseTo(inRms, -2);
  });

  it('sinc upsampling leaves nothing above 4 kHz without noise', () => {
    const out = bandFill(tone(1000, 1024), { upsample: 'sinc', noiseRms: 0 });
    expect(bandRms(out.subarray(256, 1792), 16000, 4200, 8000)).toBeLessThan(60);
  });

  it('hold upsampling mirrors the speech band above 4 kHz', () => {
    const out = bandFill(tone(1000, 1024), { upsample: 'hold', noiseRms: 0 });
    expect(bandRms(out.subarray(256, 1792), 16000, 6900, 7100)).toBeGreaterThan(300);
  });

  it('adds noise of the asked level above 4 kHz and little below', () => {
    const out = bandFill(new Int16Array(1024), { noiseRms: 200 });
    const high = bandRms(out, 16000, 4000, 8000);
    expect(high).toBeGreaterThan(150);
    expect(high).toBeLessThan(250);
    expect(bandRms(out, 16000, 0, 3500)).toBeLessThan(30);
  });

  it('is repeatable for a seed and differs across seeds', () => {
    const input = tone(300, 400);
    expect(bandFill(input, { seed: 7 })).toEqual(bandFill(input, { seed: 7 }));
    expect(bandFill(input, { seed: 7 })).not.toEqual(bandFill(input, { seed: 8 }));
  });

  it('clips instead of wrapping at full scale', () => {
    const out = bandFill(new Int16Array(200).fill(32767), { noiseRms: 500 });
    expect(Math.min(...out.subarray(40, 360))).toBeGreaterThan(30000);
  });
});
