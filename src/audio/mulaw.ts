/**
 * G.711 mu-law <-> 16-bit linear PCM, table driven.
 *
 * Encoding follows ITU-T G.191's reference `ulaw_compress` (the code ITU publishes for G.711),
 * expressed on 16-bit samples: bias 0x84 (33 in 14-bit units), magnitude clipped at 32635.
 * G.711's own tables leave open which side of a decision value a negative sample falls on;
 * G.191 takes the one's complement (~x) of negative samples, so -1..-4 share the zero interval
 * with 0..3 and encode(~x) === encode(x) ^ 0x80 for every 16-bit x. The common Sun/CCITT
 * two's-complement variant differs from this only for negative inputs sitting on a boundary.
 *
 * G.711 mu-law has two code words for zero: 0xFF (+0) and 0x7F (-0). Both decode to 0, and 0
 * encodes as 0xFF, so 0x7F is the one code that does not survive decode -> encode. We do not
 * apply G.711's optional all-zero-character suppression (0x00 -> 0x02); RTP/Twilio do not.
 */

const BIAS = 0x84;
const CLIP = 32635;

/** code byte -> linear sample */
const DECODE = new Int16Array(256);
/** (sample & 0xffff) -> code byte */
const ENCODE = new Uint8Array(65536);

function decodeByFormula(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function encodeByFormula(sample: number): number {
  const negative = sample < 0;
  // One's complement for negatives, as G.191 does (see header).
  let magnitude = negative ? ~sample : sample;
  if (magnitude > CLIP) magnitude = CLIP;
  magnitude += BIAS;
  // Segment = position of the highest set bit above bit 7 (0..7).
  const exponent = Math.max(0, 31 - Math.clz32(magnitude) - 7);
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~((negative ? 0x80 : 0) | (exponent << 4) | mantissa) & 0xff;
}

for (let code = 0; code < 256; code++) DECODE[code] = decodeByFormula(code);
for (let s = -32768; s < 32768; s++) ENCODE[s & 0xffff] = encodeByFormula(s);

/** One 16-bit sample (any number is truncated to int16 first) to its mu-law byte. */
export function encodeMulawSample(sample: number): number {
  return ENCODE[sample & 0xffff] as number;
}

/** One mu-law byte (0..255) to its 16-bit linear value. */
export function decodeMulawSample(code: number): number {
  return DECODE[code & 0xff] as number;
}

/** Mu-law bytes to 16-bit PCM, one sample per byte. */
export function mulawToPcm(bytes: Uint8Array): Int16Array {
  const n = bytes.length;
  const out = new Int16Array(n);
  const table = DECODE;
  for (let i = 0; i < n; i++) out[i] = table[bytes[i] as number] as number;
  return out;
}

/** 16-bit PCM to mu-law bytes, one byte per sample. */
export function pcmToMulaw(samples: Int16Array): Uint8Array {
  const n = samples.length;
  const out = new Uint8Array(n);
  const table = ENCODE;
  for (let i = 0; i < n; i++) out[i] = table[(samples[i] as number) & 0xffff] as number;
  return out;
}
