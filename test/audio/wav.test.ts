import { describe, expect, it } from 'vitest';
import { encodeMulawSample } from '../../src/audio/mulaw.js';
import { WavFormatError, readWav, writeWav } from '../../src/audio/wav.js';
import { noise } from './signals.js';

interface Chunk {
  id: string;
  body: Uint8Array;
}

function chunk(id: string, body: Uint8Array | number[]): Chunk {
  return { id, body: body instanceof Uint8Array ? body : Uint8Array.from(body) };
}

/** fmt chunk body; `extensible` wraps the tag in WAVE_FORMAT_EXTENSIBLE. */
function fmtBody(o: {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  blockAlign?: number;
  extensible?: boolean;
}) {
  const body = new Uint8Array(o.extensible ? 40 : 16);
  const v = new DataView(body.buffer);
  const blockAlign = o.blockAlign ?? (o.channels * o.bits) / 8;
  v.setUint16(0, o.extensible ? 0xfffe : o.tag, true);
  v.setUint16(2, o.channels, true);
  v.setUint32(4, o.rate, true);
  v.setUint32(8, o.rate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, o.bits, true);
  if (o.extensible) {
    v.setUint16(16, 22, true); // cbSize
    v.setUint16(18, o.bits, true); // valid bits
    v.setUint32(20, o.channels === 2 ? 3 : 4, true); // channel mask
    v.setUint16(24, o.tag, true); // sub-format GUID starts with the tag
    body.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  return body;
}

/** A RIFF/WAVE file from chunks, each padded to even length as the spec says. */
function riff(chunks: Chunk[], opts: { dataSizeOverride?: number } = {}): Uint8Array {
  const size = chunks.reduce((n, c) => n + 8 + c.body.length + (c.body.length & 1), 12);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((ch, i) => (out[at + i] = ch.charCodeAt(0)));
  ascii(0, 'RIFF');
  v.setUint32(4, size - 8, true);
  ascii(8, 'WAVE');
  let at = 12;
  for (const c of chunks) {
    ascii(at, c.id);
    const declared =
      c.id === 'data' && opts.dataSizeOverride !== undefined ? opts.dataSizeOverride : c.body.length;
    v.setUint32(at + 4, declared, true);
    out.set(c.body, at + 8);
    at += 8 + c.body.length + (c.body.length & 1);
  }
  return out;
}

function le16(samples: number[]): Uint8Array {
  const b = new Uint8Array(samples.length * 2);
  const v = new DataView(b.buffer);
  samples.forEach((s, i) => v.setInt16(2 * i, s, true));
  return b;
}

function f32(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(4 * i, x, true));
  return b;
}

describe('writeWav / readWav', () => {
  it('round-trips mono PCM16 exactly', () => {
    const samples = noise(8001, 32767, 5);
    samples[0] = -32768;
    samples[1] = 32767;
    const back = readWav(writeWav({ sampleRate: 8000, channels: [samples] }));
    expect(back.sampleRate).toBe(8000);
    expect(back.channels.length).toBe(1);
    expect(Array.from(back.channels[0]!)).toEqual(Array.from(samples));
  });

  it('round-trips stereo and pads the shorter channel with silence', () => {
    const left = Int16Array.from([1, -2, 3, -4, 5]);
    const right = Int16Array.from([100, 200]);
    const file = writeWav({ sampleRate: 48000, channels: [left, right] });
    expect(file.length).toBe(44 + 5 * 4);
    const back = readWav(file);
    expect(back.sampleRate).toBe(48000);
    expect(Array.from(back.channels[0]!)).toEqual([1, -2, 3, -4, 5]);
    expect(Array.from(back.channels[1]!)).toEqual([100, 200, 0, 0, 0]);
  });

  it('writes the canonical 44-byte header, little-endian and interleaved', () => {
    const file = writeWav({
      sampleRate: 16000,
      channels: [Int16Array.from([0x0102]), Int16Array.from([-2])],
    });
    const text = (a: number) => String.fromCharCode(...file.subarray(a, a + 4));
    const v = new DataView(file.buffer);
    expect([text(0), text(8), text(12), text(36)]).toEqual(['RIFF', 'WAVE', 'fmt ', 'data']);
    expect(v.getUint32(4, true)).toBe(file.length - 8);
    expect(v.getUint32(16, true)).toBe(16);
    expect(v.getUint16(20, true)).toBe(1); // PCM
    expect(v.getUint16(22, true)).toBe(2);
    expect(v.getUint32(24, true)).toBe(16000);
    expect(v.getUint32(28, true)).toBe(64000); // byte rate
    expect(v.getUint16(32, true)).toBe(4); // block align
    expect(v.getUint16(34, true)).toBe(16);
    expect(v.getUint32(40, true)).toBe(4);
    expect(Array.from(file.subarray(44))).toEqual([0x02, 0x01, 0xfe, 0xff]);
  });

  it('reads 8-bit mu-law WAV (format 7)', () => {
    const pcm = [0, 1000, -1000, 32767, -32768];
    const body = Uint8Array.from(pcm.map(encodeMulawSample));
    const file = riff([
      chunk('fmt ', fmtBody({ tag: 7, channels: 1, rate: 8000, bits: 8 })),
      chunk('data', body),
    ]);
    expect(Array.from(readWav(file).channels[0]!)).toEqual([0, 988, -988, 32124, -32124]);
  });

  it('reads 8-bit unsigned PCM with 128 as zero', () => {
    const file = riff([
      chunk('fmt ', fmtBody({ tag: 1, channels: 1, rate: 11025, bits: 8 })),
      chunk('data', [0x80, 0x00, 0xff, 0x81]),
    ]);
    const back = readWav(file);
    expect(back.sampleRate).toBe(11025);
    expect(Array.from(back.channels[0]!)).toEqual([0, -32768, 32512, 256]);
  });

  it('reads 32-bit float, clamping out-of-range values and mapping NaN to 0', () => {
    const file = riff([
      chunk('fmt ', fmtBody({ tag: 3, channels: 2, rate: 24000, bits: 32 })),
      chunk('data', f32([0.5, -0.5, 1, -1, 2, -3, Number.NaN, 1 / 32768])),
    ]);
    const back = readWav(file);
    expect(Array.from(back.channels[0]!)).toEqual([16384, 32767, 32767, 0]);
    expect(Array.from(back.channels[1]!)).toEqual([-16384, -32768, -32768, 1]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE PCM16', () => {
    const file = riff([
      chunk('fmt ', fmtBody({ tag: 1, channels: 2, rate: 44100, bits: 16, extensible: true })),
      chunk('data', le16([1, 2, 3, 4])),
    ]);
    const back = readWav(file);
    expect(Array.from(back.channels[0]!)).toEqual([1, 3]);
    expect(Array.from(back.channels[1]!)).toEqual([2, 4]);
  });

  it('skips unknown chunks, honouring the pad byte after odd-sized ones', () => {
    const file = riff([
      chunk('LIST', [0x49, 0x4e, 0x46, 0x4f, 0x41]), // 5 bytes + pad
      chunk('fmt ', fmtBody({ tag: 1, channels: 1, rate: 8000, bits: 16 })),
      chunk('junk', [1, 2, 3]), // 3 bytes + pad
      chunk('data', le16([-7, 7, 300])),
      chunk('id3 ', [9]),
    ]);
    expect(Array.from(readWav(file).channels[0]!)).toEqual([-7, 7, 300]);
  });

  it('reads from a Buffer that is a slice of a bigger allocation', () => {
    const file = writeWav({ sampleRate: 8000, channels: [Int16Array.from([5, -5, 1234])] });
    const big = Buffer.alloc(file.length + 3);
    big.set(file, 3);
    expect(Array.from(readWav(big.subarray(3)).channels[0]!)).toEqual([5, -5, 1234]);
  });

  it('reads what is there when the data size is left unset by a streaming writer', () => {
    const fmt = chunk('fmt ', fmtBody({ tag: 1, channels: 1, rate: 8000, bits: 16 }));
    const data = chunk('data', le16([1, 2, 3]));
    expect(Array.from(readWav(riff([fmt, data], { dataSizeOverride: 0xffffffff })).channels[0]!)).toEqual([
      1, 2, 3,
    ]);
    // A trailing half sample is dropped, not misread.
    const odd = riff([fmt, chunk('data', [1, 0, 2, 0, 9])]);
    expect(Array.from(readWav(odd).channels[0]!)).toEqual([1, 2]);
  });

  it('rejects what is not a WAV file, with an error saying why', () => {
    expect(() => readWav(new Uint8Array(5))).toThrow(/too short/);
    expect(() => readWav(new TextEncoder().encode('OggS0000WAVEfmt '))).toThrow(/not a RIFF/);
    expect(() => readWav(new TextEncoder().encode('RIFF\x04\x00\x00\x00AVI LIST'))).toThrow(
      /"AVI ", not "WAVE"/,
    );
    expect(() => readWav(new TextEncoder().encode('RF64\xff\xff\xff\xffWAVEds64'))).toThrow(/RF64/);
    expect(() => readWav(riff([chunk('data', le16([1]))]))).toThrow(/no fmt chunk/);
    const fmt = chunk('fmt ', fmtBody({ tag: 1, channels: 1, rate: 8000, bits: 16 }));
    expect(() => readWav(riff([fmt]))).toThrow(/no data chunk/);
    expect(() => readWav(riff([chunk('fmt ', [1, 0, 1, 0]), chunk('data', [])]))).toThrow(
      /fmt chunk is 4 bytes/,
    );
    const truncated = riff([fmt, chunk('data', le16([1]))]).subarray(0, 30);
    expect(() => readWav(truncated)).toThrow(/fmt chunk runs past the end/);
    expect(() => readWav(truncated)).toThrow(WavFormatError);
  });

  it('rejects unsupported encodings naming the format', () => {
    const cases: Array<[{ tag: number; bits: number }, RegExp]> = [
      [{ tag: 6, bits: 8 }, /G\.711 A-law \(format tag 0x0006\)/],
      [{ tag: 1, bits: 24 }, /PCM \(format tag 0x0001\) at 24 bits/],
      [{ tag: 1, bits: 32 }, /PCM .* at 32 bits/],
      [{ tag: 3, bits: 64 }, /IEEE float .* at 64 bits/],
      [{ tag: 0x11, bits: 4 }, /IMA ADPCM/],
      [{ tag: 0x55, bits: 0 }, /MPEG Layer 3/],
      [{ tag: 0x1234, bits: 16 }, /unknown format \(format tag 0x1234\)/],
    ];
    for (const [f, message] of cases) {
      const file = riff([
        chunk('fmt ', fmtBody({ ...f, channels: 1, rate: 8000, blockAlign: Math.max(1, f.bits / 8) })),
        chunk('data', [0, 0, 0, 0]),
      ]);
      expect(() => readWav(file)).toThrow(message);
    }
    const ext = riff([
      chunk('fmt ', fmtBody({ tag: 6, channels: 1, rate: 8000, bits: 8, extensible: true })),
      chunk('data', [0]),
    ]);
    expect(() => readWav(ext)).toThrow(/A-law/);
  });

  it('rejects inconsistent fmt fields', () => {
    const data = chunk('data', [0, 0, 0, 0]);
    const badAlign = riff([
      chunk('fmt ', fmtBody({ tag: 1, channels: 2, rate: 8000, bits: 16, blockAlign: 2 })),
      data,
    ]);
    expect(() => readWav(badAlign)).toThrow(/block align 2 does not match 2 channel/);
    const noChannels = riff([
      chunk('fmt ', fmtBody({ tag: 1, channels: 0, rate: 8000, bits: 16, blockAlign: 0 })),
      data,
    ]);
    expect(() => readWav(noChannels)).toThrow(/0 channels/);
    const noRate = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, rate: 0, bits: 16 })), data]);
    expect(() => readWav(noRate)).toThrow(/sample rate of 0/);
  });

  it('refuses to write nothing or a nonsense rate', () => {
    expect(() => writeWav({ sampleRate: 8000, channels: [] })).toThrow(RangeError);
    expect(() => writeWav({ sampleRate: 0, channels: [new Int16Array(1)] })).toThrow(/sample rate/);
    expect(() => writeWav({ sampleRate: 8000.5, channels: [new Int16Array(1)] })).toThrow(/sample rate/);
  });
});
