import { FRAME_BYTES, mulawToPcm } from '../audio/index.js';

/**
 * Where the voice is in a clip of mu-law audio, from its sample energy: a clip's leading and
 * trailing silence (a synthesizer's pad, a phone line's hiss) is not voice. Latency is measured
 * from the voice's end, so it must not count the pad after it.
 */
export interface VoiceExtent {
  /** First and last 20 ms frame (0-based) whose energy is voice. */
  firstFrame: number;
  lastFrame: number;
  /** ms from the clip's start to where the voice starts and ends (frame resolution). */
  startMs: number;
  endMs: number;
}

/** A frame is voice above this share of the loudest frame's RMS (-30 dB)... */
const RELATIVE_FLOOR = 1 / 31.6;
/**
 * ...and above twice the line's own noise (the quietest frames' RMS; capped at -20 dB of the
 * loudest, since a clip that is all voice has no quiet frames to learn the noise from), and above
 * this at least.
 */
const ABSOLUTE_FLOOR = 120;

/** RMS of each 20 ms frame of the clip (the last frame may be short). */
export function frameRms(mulaw: Uint8Array): number[] {
  const pcm = mulawToPcm(mulaw);
  const out: number[] = [];
  for (let at = 0; at < pcm.length; at += FRAME_BYTES) {
    const end = Math.min(pcm.length, at + FRAME_BYTES);
    let sum = 0;
    for (let i = at; i < end; i++) sum += pcm[i]! * pcm[i]!;
    out.push(Math.sqrt(sum / (end - at)));
  }
  return out;
}

/** The clip's voiced extent, or undefined when it carries no voice at all. */
export function voiceExtent(mulaw: Uint8Array): VoiceExtent | undefined {
  const rms = frameRms(mulaw);
  if (rms.length === 0) return undefined;
  const loudest = Math.max(...rms);
  const sorted = [...rms].sort((a, b) => a - b);
  const noise = sorted[Math.floor(sorted.length * 0.1)] ?? 0;
  const floor = Math.max(loudest * RELATIVE_FLOOR, Math.min(noise * 2, loudest * 0.1), ABSOLUTE_FLOOR);
  const firstFrame = rms.findIndex((r) => r > floor);
  if (firstFrame < 0) return undefined;
  let lastFrame = rms.length - 1;
  while (lastFrame > firstFrame && rms[lastFrame]! <= floor) lastFrame--;
  const frameMs = (FRAME_BYTES * 1000) / 8000;
  return {
    firstFrame,
    lastFrame,
    startMs: firstFrame * frameMs,
    endMs: Math.min((lastFrame + 1) * frameMs, (mulaw.length * 1000) / 8000),
  };
}
