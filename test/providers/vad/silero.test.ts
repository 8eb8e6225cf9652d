import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SileroVadModel, defaultSileroModelPath, type SileroVad } from '../../../src/providers/vad/silero.js';

/** Deterministic speech-ish test signal: a vowel-like harmonic stack with a 4 Hz envelope. */
function voiced(samples: number, rate: number, f0 = 140): Float32Array {
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * f0 * h * t) / h;
    out[i] = 0.25 * v * (0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t));
  }
  return out;
}

async function probabilities(vad: SileroVad, audio: Float32Array): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i + vad.windowSamples <= audio.length; i += vad.windowSamples) {
    out.push(await vad.process(audio.slice(i, i + vad.windowSamples)));
  }
  return out;
}

describe('SileroVadModel', () => {
  let model: SileroVadModel;
  beforeAll(async () => {
    model = await SileroVadModel.load();
  });
  afterAll(async () => {
    await model.close();
  });

  it('runs 32 ms windows at 8 kHz (256 samples) and 16 kHz (512 samples)', async () => {
    const narrow = model.createStream(8000);
    const wide = model.createStream(16000);
    expect([narrow.name, narrow.sampleRate, narrow.windowSamples]).toEqual(['silero-v5', 8000, 256]);
    expect([wide.sampleRate, wide.windowSamples]).toEqual([16000, 512]);
    const p8 = await narrow.process(new Float32Array(256));
    const p16 = await wide.process(new Float32Array(512));
    for (const p of [p8, p16]) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(0.1);
    }
  });

  it('rejects sample rates the model was not trained on', () => {
    expect(() => model.createStream(44100 as 8000)).toThrow(RangeError);
  });

  it('rejects a window of the wrong size', async () => {
    await expect(model.createStream(8000).process(new Float32Array(160))).rejects.toThrow(RangeError);
  });

  it('rejects a second window while the first is still running (state would be lost)', async () => {
    const vad = model.createStream(8000);
    const first = vad.process(new Float32Array(256));
    await expect(vad.process(new Float32Array(256))).rejects.toThrow(/previous window/);
    await first;
  });

  it('prepends the last 32 samples of the previous window, as upstream v5 does', async () => {
    const audio = voiced(256 * 12, 8000);
    const ours = await probabilities(model.createStream(8000), audio);

    // Reference: upstream OnnxWrapper's recipe written out by hand on a separate session.
    const ref = await InferenceSession.create(defaultSileroModelPath(), { intraOpNumThreads: 1 });
    let state = new Float32Array(256);
    let context = new Float32Array(32);
    const expected: number[] = [];
    for (let i = 0; i < 12; i++) {
      const x = new Float32Array(288);
      x.set(context, 0);
      x.set(audio.subarray(i * 256, (i + 1) * 256), 32);
      const out = await ref.run({
        input: new Tensor('float32', x, [1, 288]),
        state: new Tensor('float32', state, [2, 1, 128]),
        sr: new Tensor('int64', BigInt64Array.from([8000n]), []),
      });
      state = (out['stateN']?.data as Float32Array).slice();
      context = x.slice(256);
      expected.push((out['output']?.data as Float32Array)[0] ?? NaN);
    }
    await ref.release();
    expect(ours).toHaveLength(12);
    ours.forEach((p, i) => expect(p).toBeCloseTo(expected[i] ?? NaN, 6));
    expect(Math.max(...ours)).toBeGreaterThan(0.5);
  });

  it('keeps streams independent while they share one session', async () => {
    const a = voiced(256 * 10, 8000, 120);
    const b = new Float32Array(256 * 10);
    const alone = await probabilities(model.createStream(8000), a);
    const s1 = model.createStream(8000);
    const s2 = model.createStream(8000);
    const interleaved: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [pa] = await Promise.all([
        s1.process(a.slice(i * 256, (i + 1) * 256)),
        s2.process(b.slice(i * 256, (i + 1) * 256)),
      ]);
      interleaved.push(pa);
    }
    expect(interleaved).toEqual(alone);
  });

  it('gives the same probabilities after reset() as a fresh stream', async () => {
    const audio = voiced(256 * 8, 8000, 200);
    const vad = model.createStream(8000);
    const first = await probabilities(vad, audio);
    vad.reset();
    expect(await probabilities(vad, audio)).toEqual(first);
  });

  it('refuses to process after the stream is closed', async () => {
    const vad = model.createStream(8000);
    await vad.close();
    await expect(vad.process(new Float32Array(256))).rejects.toThrow(/closed/);
  });
});

describe('SileroVadModel.load', () => {
  it('refuses weights whose SHA-256 is not the one the thresholds were tuned on', async () => {
    await expect(SileroVadModel.load({ expectedSha256: '0'.repeat(64) })).rejects.toThrow(/SHA-256/);
  });

  it('fails clearly when the file is not an ONNX model', async () => {
    await expect(
      SileroVadModel.load({ modelPath: new URL(import.meta.url).pathname, expectedSha256: null }),
    ).rejects.toThrow();
  });
});
