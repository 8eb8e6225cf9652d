import { describe, expect, it } from 'vitest';
import { SpeechDetector, type SpeechEvent } from '../../../src/providers/vad/speech-detector.js';
import type { VoiceActivityDetector } from '../../../src/providers/vad/vad.js';

/** A probability source with 10 ms windows (80 samples at 8 kHz), so times are easy to read. */
class ScriptedVad implements VoiceActivityDetector {
  readonly name = 'scripted';
  readonly sampleRate = 8000;
  readonly windowSamples: number;
  readonly windows: Float32Array[] = [];
  resets = 0;
  constructor(
    private readonly probs: number[],
    windowSamples = 80,
    private readonly delayMs = 0,
  ) {
    this.windowSamples = windowSamples;
  }
  async process(window: Float32Array): Promise<number> {
    this.windows.push(window.slice());
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.probs[this.windows.length - 1] ?? 0;
  }
  reset(): void {
    this.resets++;
  }
  async close(): Promise<void> {}
}

/** n windows at probability p. */
const run = (p: number, n: number): number[] => Array.from({ length: n }, () => p);

async function feed(
  probs: number[],
  options: ConstructorParameters<typeof SpeechDetector>[1] = {},
): Promise<SpeechEvent[]> {
  const vad = new ScriptedVad(probs);
  const d = new SpeechDetector(vad, options);
  const events = await d.push(new Int16Array(probs.length * vad.windowSamples));
  return events;
}

describe('SpeechDetector', () => {
  it('declares speech only once minSpeechMs has passed, stamping where it began', async () => {
    const events = await feed([...run(0, 5), ...run(0.9, 40)], { minSpeechMs: 300 });
    expect(events).toEqual([{ type: 'speech-start', atMs: 50, detectedAtMs: 350 }]);
  });

  it('ignores a burst shorter than minSpeechMs (a cough, a click)', async () => {
    const events = await feed([...run(0.95, 29), ...run(0.1, 100)], { minSpeechMs: 300 });
    expect(events).toEqual([]);
  });

  it('declares on the first window when minSpeechMs is 0', async () => {
    const events = await feed([0, 0.6], { minSpeechMs: 0 });
    expect(events).toEqual([{ type: 'speech-start', atMs: 10, detectedAtMs: 20 }]);
  });

  it('stamps the start where the probability first rose past endThreshold (the onset ramp)', async () => {
    const events = await feed([...run(0, 5), 0.4, 0.45, ...run(0.9, 40)], { minSpeechMs: 300 });
    // Speech counts from 50 ms (the ramp), so minSpeechMs is reached 20 ms sooner.
    expect(events).toEqual([{ type: 'speech-start', atMs: 50, detectedAtMs: 350 }]);
  });

  it('needs startThreshold to begin: probabilities between the thresholds never start speech', async () => {
    const events = await feed(run(0.45, 100), { minSpeechMs: 100 });
    expect(events).toEqual([]);
  });

  it('keeps a pending start alive while probability stays above endThreshold (hysteresis)', async () => {
    const events = await feed([0.6, ...run(0.4, 40)], { minSpeechMs: 300 });
    expect(events).toEqual([{ type: 'speech-start', atMs: 0, detectedAtMs: 300 }]);
  });

  it('cancels a pending start when probability drops below endThreshold', async () => {
    const events = await feed([...run(0.9, 20), 0.3, ...run(0.9, 20)], { minSpeechMs: 300 });
    // The second run starts afresh at 210 ms and is only 200 ms long.
    expect(events).toEqual([]);
  });

  it('ends speech after minSilenceMs of silence, stamped at the start of the silence', async () => {
    const events = await feed([...run(0.9, 50), ...run(0.05, 60)], { minSpeechMs: 100, minSilenceMs: 500 });
    expect(events).toEqual([
      { type: 'speech-start', atMs: 0, detectedAtMs: 100 },
      { type: 'speech-end', atMs: 500, durationMs: 500, detectedAtMs: 1000 },
    ]);
  });

  it('does not end speech on a pause shorter than minSilenceMs', async () => {
    const probs = [...run(0.9, 50), ...run(0.05, 49), ...run(0.9, 50)];
    const events = await feed(probs, { minSpeechMs: 100, minSilenceMs: 500 });
    expect(events.map((e) => e.type)).toEqual(['speech-start']);
  });

  it('lets probability between the thresholds neither end speech nor restart the silence clock', async () => {
    // Silence clock starts at 500 ms; 0.4 windows do not reset it; a 0.6 window would have.
    const probs = [...run(0.9, 50), ...run(0.2, 10), ...run(0.4, 60)];
    const events = await feed(probs, { minSpeechMs: 100, minSilenceMs: 500 });
    expect(events.at(-1)).toEqual({ type: 'speech-end', atMs: 500, durationMs: 500, detectedAtMs: 1000 });

    const held = await feed(
      run(0.4, 200).map((p, i) => (i < 50 ? 0.9 : p)),
      {
        minSpeechMs: 100,
        minSilenceMs: 500,
      },
    );
    expect(held.map((e) => e.type)).toEqual(['speech-start']);
  });

  it('resets the silence clock when probability climbs back over startThreshold', async () => {
    const probs = [...run(0.9, 50), ...run(0.1, 40), 0.7, ...run(0.1, 60)];
    const events = await feed(probs, { minSpeechMs: 100, minSilenceMs: 500 });
    expect(events.at(-1)).toEqual({ type: 'speech-end', atMs: 910, durationMs: 910, detectedAtMs: 1410 });
  });

  it('cuts 20 ms Twilio frames into whole model windows, carrying the remainder over', async () => {
    const vad = new ScriptedVad([], 256);
    const d = new SpeechDetector(vad);
    const ramp = Int16Array.from({ length: 160 * 10 }, (_, i) => i);
    for (let i = 0; i < ramp.length; i += 160) await d.push(ramp.subarray(i, i + 160));
    // 1600 samples make 6 windows of 256 (1536 samples); 64 wait for the next frame.
    expect(vad.windows).toHaveLength(6);
    expect(d.processedMs).toBe(192);
    expect(vad.windows[1]?.[0]).toBeCloseTo(256 / 32768, 9);
    expect(vad.windows[5]?.[255]).toBeCloseTo(1535 / 32768, 9);
  });

  it('processes overlapping push() calls strictly in order', async () => {
    const vad = new ScriptedVad([...run(0.9, 30), ...run(0, 60)], 80, 1);
    const d = new SpeechDetector(vad, { minSpeechMs: 100, minSilenceMs: 300 });
    const frame = new Int16Array(160);
    const pending = Array.from({ length: 45 }, () => d.push(frame));
    const events = (await Promise.all(pending)).flat();
    expect(events).toEqual([
      { type: 'speech-start', atMs: 0, detectedAtMs: 100 },
      { type: 'speech-end', atMs: 300, durationMs: 300, detectedAtMs: 600 },
    ]);
  });

  it('finish() closes open speech at the current stream time', async () => {
    const vad = new ScriptedVad(run(0.9, 50));
    const d = new SpeechDetector(vad, { minSpeechMs: 100 });
    await d.push(new Int16Array(80 * 50));
    expect(d.speaking).toBe(true);
    expect(await d.finish()).toEqual([{ type: 'speech-end', atMs: 500, durationMs: 500, detectedAtMs: 500 }]);
    expect(await d.finish()).toEqual([]);
  });

  it('reset() restarts stream time and resets the VAD state', async () => {
    const vad = new ScriptedVad(run(0.9, 100));
    const d = new SpeechDetector(vad, { minSpeechMs: 100 });
    await d.push(new Int16Array(80 * 20));
    await d.reset();
    expect(vad.resets).toBe(1);
    expect(d.processedMs).toBe(0);
    expect(await d.push(new Int16Array(80 * 10))).toEqual([
      { type: 'speech-start', atMs: 0, detectedAtMs: 100 },
    ]);
  });

  it('produces nothing once its AbortSignal is aborted', async () => {
    const ac = new AbortController();
    const vad = new ScriptedVad(run(0.9, 100));
    const d = new SpeechDetector(vad, { minSpeechMs: 100, signal: ac.signal });
    ac.abort();
    expect(await d.push(new Int16Array(80 * 50))).toEqual([]);
    expect(vad.windows).toHaveLength(0);
    expect(await d.finish()).toEqual([]);
  });

  it('rejects an endThreshold above the startThreshold', () => {
    expect(() => new SpeechDetector(new ScriptedVad([]), { startThreshold: 0.3, endThreshold: 0.5 })).toThrow(
      RangeError,
    );
  });
});
