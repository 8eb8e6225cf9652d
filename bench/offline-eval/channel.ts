/**
 * What the caller's voice goes through before it reaches us, as 8 kHz PCM16 (what the call
 * session gets from Twilio's mu-law):
 *   clean: resampled to 8 kHz and G.711 mu-law encoded and decoded, nothing else;
 *   phone: a telephone line: band-pass 300-3400 Hz, levelled as a network does, background noise
 *          at ~17 dB SNR (with the line's noise in the silences too), mu-law, and ~1.5% of the
 *          20 ms packets lost (zero-filled, as a jitter buffer with no concealment plays them).
 * Seeded: the same (seed, audio) always gives the same samples.
 */
import { execFileSync } from 'node:child_process';
import { decodeMulawSample, encodeMulawSample } from '../../src/audio/index.js';
import type { VoiceAudio } from './voices.js';

export const CONDITIONS = ['clean', 'phone'] as const;
export type Condition = (typeof CONDITIONS)[number];

export const RATE = 8000;
const FRAME = 160; // 20 ms at 8 kHz
/** Speech level a network's AGC delivers on the phone line (about -22 dBFS). */
const PHONE_SPEECH_RMS = 2600;
const SNR_DB = 17;
const PACKET_LOSS = 0.015;

/** mulberry32: small, seedable, good enough for noise and loss patterns. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A string's 32-bit seed (FNV-1a). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const RAW16 = ['-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-c', '1'];

/** To 8 kHz with sox (no dither: repeatable); `band` adds the telephone band-pass. */
function to8k(audio: VoiceAudio, band: boolean): Int16Array {
  const input = Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength);
  const out = execFileSync(
    'sox',
    [
      '-R',
      ...RAW16,
      '-r',
      String(audio.rate),
      '-',
      ...RAW16,
      '-r',
      String(RATE),
      '-',
      ...(band ? ['sinc', '300-3400'] : []),
    ],
    { input, maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const copy = new Uint8Array(out.byteLength & ~1);
  copy.set(out.subarray(0, copy.byteLength));
  return new Int16Array(copy.buffer);
}

function mulawRoundTrip(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = decodeMulawSample(encodeMulawSample(pcm[i]!));
  return out;
}

/** RMS of the 20 ms frames that carry speech (louder than a fortieth of the loudest). */
function activeRms(pcm: Int16Array): number {
  const frames: number[] = [];
  for (let at = 0; at + FRAME <= pcm.length; at += FRAME) {
    let sum = 0;
    for (let i = at; i < at + FRAME; i++) sum += pcm[i]! * pcm[i]!;
    frames.push(sum / FRAME);
  }
  const loudest = Math.max(0, ...frames);
  const active = frames.filter((e) => e > loudest / 1600);
  if (active.length === 0) return 0;
  return Math.sqrt(active.reduce((a, b) => a + b, 0) / active.length);
}

/**
 * One call's line: the noise goes on through the whole call (speech and silences), its packet
 * losses fall where they fall. Made per (scenario, voice, condition) with its own seed.
 */
export class Line {
  private readonly random: () => number;
  /** Band-limited noise state (one-pole high-pass then low-pass). */
  private hp = 0;
  private lastWhite = 0;
  private lp = 0;
  private brown = 0;

  constructor(
    readonly condition: Condition,
    seed: number,
  ) {
    this.random = prng(seed);
  }

  /** The caller's words as they arrive: 8 kHz PCM16. */
  speech(audio: VoiceAudio): Int16Array {
    if (this.condition === 'clean') return mulawRoundTrip(to8k(audio, false));
    const pcm = to8k(audio, true);
    const level = activeRms(pcm);
    const gain = level > 0 ? PHONE_SPEECH_RMS / level : 1;
    const out = new Int16Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) out[i] = clip(pcm[i]! * gain + this.noiseSample());
    return this.lose(mulawRoundTrip(out));
  }

  /** `ms` of the line with nobody speaking. */
  silence(ms: number): Int16Array {
    const n = Math.round((ms * RATE) / 1000);
    const out = new Int16Array(n);
    if (this.condition === 'clean') return out;
    for (let i = 0; i < n; i++) out[i] = clip(this.noiseSample());
    return this.lose(mulawRoundTrip(out));
  }

  private noiseSample(): number {
    const noiseRms = PHONE_SPEECH_RMS / 10 ** (SNR_DB / 20);
    // White plus a rumble (leaky integrated white): a room or street more than a hiss.
    const white = (this.random() + this.random() + this.random() - 1.5) * 2; // ~unit variance
    this.brown = 0.995 * this.brown + 0.1 * white;
    const mixed = 0.6 * white + 0.8 * this.brown;
    // Keep it in the telephone band as the line would.
    this.hp = 0.79 * (this.hp + mixed - this.lastWhite); // ~300 Hz high-pass at 8 kHz
    this.lastWhite = mixed;
    this.lp += 0.75 * (this.hp - this.lp); // gentle low-pass
    return this.lp * noiseRms * 1.6;
  }

  /** Whole 20 ms packets lost at random, played as silence. */
  private lose(pcm: Int16Array): Int16Array {
    for (let at = 0; at < pcm.length; at += FRAME) {
      if (this.random() < PACKET_LOSS) pcm.fill(0, at, Math.min(pcm.length, at + FRAME));
    }
    return pcm;
  }
}

const clip = (x: number): number => Math.max(-32768, Math.min(32767, Math.round(x)));
