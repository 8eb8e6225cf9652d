import { describe, expect, it } from 'vitest';
import { pcmToMulaw } from '../../src/audio/index.js';
import { voiceExtent } from '../../src/sim/voice-extent.js';

/** The voice's end is where the latency benchmark starts its clock: pads and hiss must not count. */
const tone = (n: number, amp: number) =>
  Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 300 * i) / 8000)));
/** Deterministic hiss at about the given RMS. */
const hiss = (n: number, rmsLevel: number) =>
  Array.from({ length: n }, (_, i) =>
    Math.round(rmsLevel * Math.SQRT2 * Math.sin(i * 2.399963) * ((i % 7) / 6)),
  );
const clip = (...parts: number[][]) => pcmToMulaw(Int16Array.from(parts.flat()));

describe('voiceExtent', () => {
  it('ends the voice where the speech does, not where the trailing silence pad does', () => {
    const e = voiceExtent(clip(new Array(800).fill(0), tone(4000, 8000), new Array(2400).fill(0)))!;
    expect(e.startMs).toBe(100);
    expect(e.endMs).toBe(600);
  });

  it("does not count a phone line's hiss after the speech as voice", () => {
    const e = voiceExtent(clip(hiss(1600, 300), tone(8000, 6000), hiss(4000, 300)))!;
    expect(e.startMs).toBe(200);
    expect(e.endMs).toBe(1200);
  });

  it('keeps a quiet tail of the voice (a fading syllable 20 dB down is still voice)', () => {
    const e = voiceExtent(clip(tone(4000, 8000), tone(800, 800), new Array(1600).fill(0)))!;
    expect(e.endMs).toBe(600);
  });

  it('finds a clip that is all voice, and none in silence', () => {
    expect(voiceExtent(clip(tone(320, 8000)))).toMatchObject({ firstFrame: 0, lastFrame: 1, endMs: 40 });
    expect(voiceExtent(clip(new Array(1600).fill(0)))).toBeUndefined();
  });
});
