import { describe, expect, it } from 'vitest';
import {
  FRAME_BYTES,
  FRAME_MS,
  FrameChunker,
  MULAW_SILENCE,
  TWILIO_SAMPLE_RATE,
  msForMulawBytes,
  mulawBytesForMs,
  mulawSilence,
} from '../../src/audio/frames.js';

function bytes(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) % 251);
}

function joined(parts: Uint8Array[]): number[] {
  return parts.flatMap((p) => Array.from(p));
}

describe('Twilio framing constants', () => {
  it('describes 20 ms of 8 kHz mu-law as 160 bytes with 0xFF as silence', () => {
    expect(TWILIO_SAMPLE_RATE).toBe(8000);
    expect(FRAME_MS).toBe(20);
    expect(FRAME_BYTES).toBe(160);
    expect(MULAW_SILENCE).toBe(0xff);
    expect(Array.from(mulawSilence(3))).toEqual([0xff, 0xff, 0xff]);
  });

  it('converts between mu-law bytes and milliseconds at 8 bytes per ms', () => {
    expect(msForMulawBytes(160)).toBe(20);
    expect(msForMulawBytes(8000)).toBe(1000);
    expect(msForMulawBytes(1)).toBe(0.125);
    expect(mulawBytesForMs(20)).toBe(160);
    expect(mulawBytesForMs(0.2)).toBe(1);
  });
});

describe('FrameChunker', () => {
  it('cuts any chunking into whole 160-byte frames and keeps the remainder', () => {
    const c = new FrameChunker();
    const first = c.push(bytes(500));
    expect(first.map((f) => f.length)).toEqual([160, 160, 160]);
    expect(c.pending).toBe(20);
    const second = c.push(bytes(140, 500));
    expect(second.length).toBe(1);
    expect(c.pending).toBe(0);
    expect(joined([...first, ...second])).toEqual(Array.from(bytes(640)));
  });

  it('yields one frame after 160 single-byte pushes and none before', () => {
    const c = new FrameChunker();
    const input = bytes(160, 7);
    for (let i = 0; i < 159; i++) expect(c.push(input.subarray(i, i + 1))).toEqual([]);
    const out = c.push(input.subarray(159));
    expect(out.length).toBe(1);
    expect(Array.from(out[0]!)).toEqual(Array.from(input));
  });

  it('loses and reorders nothing across random chunk sizes', () => {
    const input = bytes(10_007, 3);
    const c = new FrameChunker();
    const frames: Uint8Array[] = [];
    let seed = 42;
    for (let at = 0; at < input.length;) {
      seed = (seed * 48271) % 2147483647;
      const size = seed % 400;
      frames.push(...c.push(input.subarray(at, at + size)));
      at += size;
    }
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const tail = c.flush();
    expect(tail?.length).toBe(10_007 % 160);
    expect(joined([...frames, tail!])).toEqual(Array.from(input));
  });

  it('pads the last partial frame with mu-law silence when asked', () => {
    const c = new FrameChunker();
    c.push(bytes(170));
    const last = c.flush({ padWithSilence: true })!;
    expect(last.length).toBe(160);
    expect(Array.from(last.subarray(0, 10))).toEqual(Array.from(bytes(10, 160)));
    expect(last.subarray(10).every((b) => b === 0xff)).toBe(true);
    expect(c.pending).toBe(0);
    expect(c.flush({ padWithSilence: true })).toBeUndefined();
  });

  it('returns the partial frame as it is without padding, and nothing when empty', () => {
    const c = new FrameChunker();
    expect(c.flush()).toBeUndefined();
    c.push(bytes(5));
    expect(Array.from(c.flush()!)).toEqual([0, 1, 2, 3, 4]);
    expect(c.flush()).toBeUndefined();
  });

  it('hands out copies, so callers may reuse the buffers they push', () => {
    const c = new FrameChunker();
    const buf = bytes(200);
    const [frame] = c.push(buf);
    buf.fill(0);
    expect(Array.from(frame!)).toEqual(Array.from(bytes(160)));
    expect(Array.from(c.flush()!)).toEqual(Array.from(bytes(40, 160)));
  });

  it('drops the remainder on clear()', () => {
    const c = new FrameChunker();
    c.push(bytes(100));
    c.clear();
    expect(c.pending).toBe(0);
    const [frame] = c.push(bytes(160, 9));
    expect(Array.from(frame!)).toEqual(Array.from(bytes(160, 9)));
  });

  it('supports other frame sizes and refuses nonsense ones', () => {
    expect(new FrameChunker(80).push(bytes(200)).length).toBe(2);
    expect(() => new FrameChunker(0)).toThrow(RangeError);
    expect(() => new FrameChunker(1.5)).toThrow(RangeError);
  });
});
