/**
 * RIFF WAVE reading and writing.
 *
 * Reads: PCM 16-bit and 8-bit (unsigned), IEEE float 32-bit, G.711 mu-law 8-bit, each also
 * inside WAVE_FORMAT_EXTENSIBLE; any channel count. Everything comes back as 16-bit PCM, one
 * Int16Array per channel. Writes: PCM 16-bit. Unknown chunks (LIST, fact, cue, ...) are
 * skipped, odd-sized chunks honour their pad byte. A data chunk whose declared size runs past
 * the end of the buffer (written by a streaming tool that never came back to fix the size) is
 * read to the last whole frame present.
 */
import { decodeMulawSample } from './mulaw.js';

export interface WavAudio {
  readonly sampleRate: number;
  /** One array per channel (1 = mono, 2 = stereo as left, right). */
  readonly channels: Int16Array[];
}

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'G.711 A-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3',
};

function describeFormat(tag: number, bits: number): string {
  const name =
    tag === FORMAT_PCM
      ? 'PCM'
      : tag === FORMAT_IEEE_FLOAT
        ? 'IEEE float'
        : tag === FORMAT_MULAW
          ? 'G.711 mu-law'
          : (FORMAT_NAMES[tag] ?? 'unknown format');
  return `${name} (format tag 0x${tag.toString(16).padStart(4, '0')}) at ${bits} bits per sample`;
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    bytes[at] as number,
    bytes[at + 1] as number,
    bytes[at + 2] as number,
    bytes[at + 3] as number,
  );
}

interface Fmt {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bits: number;
}

function parseFmt(view: DataView, at: number, size: number): Fmt {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes, needs at least 16`);
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    // cbSize(2) validBits(2) channelMask(4) then the sub-format GUID, whose first two bytes
    // are the ordinary format tag.
    if (size < 40) throw new WavFormatError(`extensible fmt chunk is ${size} bytes, needs 40`);
    tag = view.getUint16(at + 24, true);
  }
  return { tag, channels, sampleRate, blockAlign, bits };
}

/** Parse a WAV file held in memory. Throws WavFormatError naming what is wrong or unsupported. */
export function readWav(buf: Uint8Array): WavAudio {
  if (buf.length < 12) throw new WavFormatError(`too short for a WAV header (${buf.length} bytes)`);
  if (fourcc(buf, 0) !== 'RIFF') {
    const id = fourcc(buf, 0);
    throw new WavFormatError(
      id === 'RF64' ? 'RF64 (64-bit WAV) is not supported' : 'not a RIFF file (no "RIFF" at start)',
    );
  }
  if (fourcc(buf, 8) !== 'WAVE') throw new WavFormatError(`RIFF type is "${fourcc(buf, 8)}", not "WAVE"`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Trust the buffer over the RIFF size field: writers often leave it wrong.
  let at = 12;
  let fmt: Fmt | undefined;
  let dataAt = -1;
  let dataSize = 0;
  while (at + 8 <= buf.length) {
    const id = fourcc(buf, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > buf.length) throw new WavFormatError('fmt chunk runs past the end of the file');
      fmt = parseFmt(view, body, size);
    } else if (id === 'data') {
      dataAt = body;
      dataSize = Math.min(size, buf.length - body);
      if (fmt) break; // nothing after the data chunk matters once the format is known
    }
    at = body + size + (size & 1); // chunks are padded to even length
  }
  if (!fmt) throw new WavFormatError('no fmt chunk');
  if (dataAt < 0) throw new WavFormatError('no data chunk');
  return decodeData(view, dataAt, dataSize, fmt);
}

function decodeData(view: DataView, at: number, size: number, fmt: Fmt): WavAudio {
  const { tag, channels: nch, sampleRate, blockAlign, bits } = fmt;
  const supported =
    (tag === FORMAT_PCM && (bits === 16 || bits === 8)) ||
    (tag === FORMAT_IEEE_FLOAT && bits === 32) ||
    (tag === FORMAT_MULAW && bits === 8);
  if (!supported) throw new WavFormatError(`unsupported WAV encoding: ${describeFormat(tag, bits)}`);
  if (nch < 1) throw new WavFormatError('fmt says 0 channels');
  if (sampleRate < 1) throw new WavFormatError('fmt says a sample rate of 0');
  const bytesPerSample = bits / 8;
  if (blockAlign !== nch * bytesPerSample) {
    throw new WavFormatError(
      `block align ${blockAlign} does not match ${nch} channel(s) of ${bits}-bit samples`,
    );
  }
  const frames = Math.floor(size / blockAlign);
  const channels = Array.from({ length: nch }, () => new Int16Array(frames));
  for (let c = 0; c < nch; c++) {
    const out = channels[c] as Int16Array;
    let p = at + c * bytesPerSample;
    if (tag === FORMAT_PCM && bits === 16) {
      for (let i = 0; i < frames; i++, p += blockAlign) out[i] = view.getInt16(p, true);
    } else if (tag === FORMAT_PCM) {
      // 8-bit WAV PCM is unsigned with 128 as zero.
      for (let i = 0; i < frames; i++, p += blockAlign) out[i] = (view.getUint8(p) - 128) << 8;
    } else if (tag === FORMAT_MULAW) {
      for (let i = 0; i < frames; i++, p += blockAlign) out[i] = decodeMulawSample(view.getUint8(p));
    } else {
      for (let i = 0; i < frames; i++, p += blockAlign) out[i] = floatToInt16(view.getFloat32(p, true));
    }
  }
  return { sampleRate, channels };
}

function floatToInt16(f: number): number {
  const v = Math.round(f * 32768);
  if (v > 32767) return 32767;
  if (v < -32768) return -32768;
  return Number.isNaN(v) ? 0 : v;
}

/** A 16-bit PCM WAV file. Shorter channels are padded with silence to the longest. */
export function writeWav(audio: WavAudio): Uint8Array {
  const { sampleRate, channels } = audio;
  const nch = channels.length;
  if (nch < 1 || nch > 65535) throw new RangeError(`writeWav needs 1..65535 channels, got ${nch}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff) {
    throw new RangeError(`writeWav needs a positive integer sample rate, got ${sampleRate}`);
  }
  const frames = Math.max(...channels.map((c) => c.length));
  const blockAlign = nch * 2;
  const dataSize = frames * blockAlign;
  if (36 + dataSize > 0xffffffff) throw new RangeError('audio too long for a WAV file (4 GiB)');
  const out = new Uint8Array(44 + dataSize);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataSize, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, nch, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataSize, true);
  for (let c = 0; c < nch; c++) {
    const ch = channels[c] as Int16Array;
    let p = 44 + c * 2;
    for (let i = 0; i < ch.length; i++, p += blockAlign) view.setInt16(p, ch[i] as number, true);
    // The rest of a shorter channel stays zero (silence).
  }
  return out;
}
