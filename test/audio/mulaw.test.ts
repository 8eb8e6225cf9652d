import { describe, expect, it } from 'vitest';
import { decodeMulawSample, encodeMulawSample, mulawToPcm, pcmToMulaw } from '../../src/audio/mulaw.js';

/**
 * The G.711 mu-law quantiser written out from the Recommendation's table (14-bit magnitudes):
 * value 0 alone, then 1..30 in 15 steps of 2, 31..94 in 16 steps of 4, ... 4063..8158 in 16
 * steps of 256. Independent of the bit tricks in the implementation.
 */
const SEGMENTS = [
  { low: 31, step: 4, code: 0xe0 },
  { low: 95, step: 8, code: 0xd0 },
  { low: 223, step: 16, code: 0xc0 },
  { low: 479, step: 32, code: 0xb0 },
  { low: 991, step: 64, code: 0xa0 },
  { low: 2015, step: 128, code: 0x90 },
  { low: 4063, step: 256, code: 0x80 },
];

/** Positive-side code for a 14-bit magnitude per the table above. */
function tableCode(v: number): number {
  if (v === 0) return 0xff;
  if (v <= 30) return 0xf0 + 14 - Math.floor((v - 1) / 2);
  for (let s = SEGMENTS.length - 1; s >= 0; s--) {
    const seg = SEGMENTS[s]!;
    if (v >= seg.low) return seg.code + 15 - Math.min(15, Math.floor((v - seg.low) / seg.step));
  }
  throw new Error('unreachable');
}

/** G.191's reading for 16-bit input: 14 MSBs, one's complement for negatives. */
function referenceEncode(x: number): number {
  return x < 0 ? tableCode(~x >> 2) & 0x7f : tableCode(x >> 2);
}

/** G.711 decoder output value for a code, scaled from 14 to 16 bits. */
function referenceDecode(code: number): number {
  const u = ~code & 0xff;
  const e = (u >> 4) & 7;
  const k = u & 15;
  const magnitude = 4 * ((2 * k + 33) * 2 ** e - 33);
  return u & 0x80 ? 0 - magnitude || 0 : magnitude; // `|| 0`: no -0 in an Int16Array
}

describe('G.711 mu-law', () => {
  it('decodes all 256 codes to the G.711 output values', () => {
    for (let code = 0; code < 256; code++)
      expect(decodeMulawSample(code), `code ${code}`).toBe(referenceDecode(code));
  });

  it('puts each decoded value at the centre of its G.711 decision interval', () => {
    // Decision values d, d + step (14-bit) -> output d + step / 2, scaled by 4 to 16 bits.
    const segments = [{ low: 1, step: 2, code: 0xf0 - 1 }, ...SEGMENTS];
    for (const seg of segments) {
      const intervals = seg.low === 1 ? 15 : 16;
      for (let i = 0; i < intervals; i++) {
        const d = seg.low + i * seg.step;
        const code = seg.code + 15 - i;
        expect(decodeMulawSample(code), `code 0x${code.toString(16)}`).toBe(4 * (d + seg.step / 2));
      }
    }
  });

  it('encodes every 16-bit sample into its G.711 interval, as the G.191 reference does', () => {
    const mismatches: number[] = [];
    for (let x = -32768; x < 32768; x++) if (encodeMulawSample(x) !== referenceEncode(x)) mismatches.push(x);
    expect(mismatches).toEqual([]);
  });

  it('re-encodes every decoded code to itself except negative zero 0x7F, which becomes 0xFF', () => {
    for (let code = 0; code < 256; code++) {
      const again = encodeMulawSample(decodeMulawSample(code));
      // G.711 has two zero codes, 0xFF (+0) and 0x7F (-0); both decode to 0 and 0 encodes as +0.
      expect(again, `code 0x${code.toString(16)}`).toBe(code === 0x7f ? 0xff : code);
    }
    expect(decodeMulawSample(0x7f)).toBe(0);
    expect(decodeMulawSample(0xff)).toBe(0);
  });

  it('matches known reference values', () => {
    expect(encodeMulawSample(0)).toBe(0xff);
    expect(encodeMulawSample(3)).toBe(0xff);
    expect(encodeMulawSample(4)).toBe(0xfe);
    expect(encodeMulawSample(-1)).toBe(0x7f);
    expect(encodeMulawSample(-4)).toBe(0x7f);
    expect(encodeMulawSample(-5)).toBe(0x7e);
    expect(encodeMulawSample(1000)).toBe(0xce);
    expect(encodeMulawSample(-1000)).toBe(0x4e);
    expect(encodeMulawSample(8000)).toBe(0xa0);
    expect(encodeMulawSample(32635)).toBe(0x80);
    expect(encodeMulawSample(32767)).toBe(0x80);
    expect(encodeMulawSample(-32768)).toBe(0x00);
    expect(decodeMulawSample(0x80)).toBe(32124);
    expect(decodeMulawSample(0x00)).toBe(-32124);
    expect(decodeMulawSample(0xfe)).toBe(8);
    expect(decodeMulawSample(0xef)).toBe(132);
  });

  it('is monotonic: a larger sample never decodes smaller', () => {
    let prev = -Infinity;
    let firstDrop: number | undefined;
    for (let x = -32768; x < 32768 && firstDrop === undefined; x++) {
      const y = decodeMulawSample(encodeMulawSample(x));
      if (y < prev) firstDrop = x;
      prev = y;
    }
    expect(firstDrop).toBeUndefined();
    // Decoded values in code order: 0x00..0x7F rise to -0, then 0xFF..0x80 rise to the top.
    const order = [
      ...Array.from({ length: 128 }, (_, i) => i),
      ...Array.from({ length: 128 }, (_, i) => 255 - i),
    ];
    const values = order.map(decodeMulawSample);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
  });

  it("is symmetric under one's complement: encode(~x) is encode(x) with the sign bit flipped", () => {
    for (let x = 0; x < 32768; x++) expect(encodeMulawSample(~x) ^ 0x80).toBe(encodeMulawSample(x));
  });

  it('keeps quantisation error within half a step of the segment', () => {
    for (let x = -32635; x <= 32635; x++) {
      const code = encodeMulawSample(x);
      const segment = (~code >> 4) & 7;
      const halfStep = 4 << segment; // 16-bit step is 8 << segment
      expect(Math.abs(decodeMulawSample(code) - x) <= halfStep).toBe(true);
    }
  });

  it('converts buffers exactly as sample by sample, including Buffers and subarrays', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i - 32768;
    const bytes = pcmToMulaw(all);
    expect(bytes.length).toBe(all.length);
    for (let i = 0; i < all.length; i += 97) expect(bytes[i]).toBe(encodeMulawSample(all[i]!));
    const codes = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const pcm = mulawToPcm(codes.subarray(3));
    expect(pcm.length).toBe(297);
    pcm.forEach((v, i) => expect(v).toBe(decodeMulawSample((i + 3) & 0xff)));
    expect(mulawToPcm(new Uint8Array(0)).length).toBe(0);
    expect(pcmToMulaw(new Int16Array(0)).length).toBe(0);
  });

  it('truncates out-of-range single samples to 16 bits rather than reading outside the table', () => {
    expect(encodeMulawSample(65536)).toBe(encodeMulawSample(0));
    expect(decodeMulawSample(256)).toBe(decodeMulawSample(0));
  });
});
