import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TextToSpeech } from './tts.js';
import { FLITE_VOICES, FliteWasm, type FliteVoice } from './flite-wasi.js';
import { normalizeForSpeech } from './normalize.js';
import { splitSentences } from '../../shared/index.js';

export interface FliteTtsOptions {
  /** Built-in voice; default "slt" (16 kHz). "kal" is 8 kHz and ~8x cheaper but robotic. */
  readonly voice?: FliteVoice;
  /** flite's duration_stretch: 1 is normal speed, 1.1 is 10% slower. */
  readonly durationStretch?: number;
  /** Size of the chunks yielded. Default 100 ms. */
  readonly chunkMs?: number;
  /** Longest piece synthesized at once (long sentences are cut at clauses). Default 200. */
  readonly maxSentenceChars?: number;
  /** Text rewriting before synthesis; default normalizeForSpeech, false for none. */
  readonly normalize?: ((text: string) => string) | false;
}

// flite opens every utterance with ~250 ms of silence: on the first sentence that is pure latency
// for the caller; between sentences a shorter lead-in plus flite's trailing pause reads naturally.
// Exported (with trimLeadIn) so the worker-thread provider yields exactly the same samples.
export const FIRST_LEAD_IN_MS = 20;
export const NEXT_LEAD_IN_MS = 100;
const SILENCE_LEVEL = 200;

/**
 * Offline text to speech: flite compiled to WASI, run in this process. Speaks sentence by
 * sentence so the first audio leaves after one sentence's synthesis (~30-100 ms for "slt"),
 * and checks the AbortSignal between sentences and chunks.
 *
 * Synthesis runs on the calling thread, 45-90x real time for "slt": a long sentence holds the
 * event loop for 100-200 ms ("kal": ~30-50 ms). See bench/tts.bench.ts.
 */
export class FliteTts implements TextToSpeech {
  readonly name = 'flite';
  readonly sampleRate: number;
  readonly voice: FliteVoice;
  private readonly chunkSamples: number;
  private readonly normalize: (text: string) => string;

  constructor(
    private readonly wasm: FliteWasm,
    private readonly options: FliteTtsOptions = {},
  ) {
    this.voice = options.voice ?? 'slt';
    this.sampleRate = FLITE_VOICES[this.voice];
    this.chunkSamples = Math.max(1, Math.round(((options.chunkMs ?? 100) * this.sampleRate) / 1000));
    this.normalize = options.normalize === false ? (t) => t : (options.normalize ?? normalizeForSpeech);
  }

  /** Compiles flite and returns a provider; pass one FliteWasm to several providers to share it. */
  static async load(options: FliteTtsOptions = {}, wasm?: FliteWasm): Promise<FliteTts> {
    return new FliteTts(wasm ?? (await FliteWasm.load()), options);
  }

  async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    const sentences = splitSentences(text, { maxChars: this.options.maxSentenceChars ?? 200 });
    let first = true;
    for (const sentence of sentences) {
      if (!first) await nextTurn(); // let an abort (a timer, a socket message) land between sentences
      if (signal.aborted) return;
      const spoken = this.normalize(sentence);
      if (!/[A-Za-z0-9]/.test(spoken)) continue;
      const audio = this.wasm.synthesize(spoken, {
        voice: this.voice,
        ...(this.options.durationStretch !== undefined && { durationStretch: this.options.durationStretch }),
      });
      if (audio.sampleRate !== this.sampleRate) {
        throw new Error(
          `flite voice ${this.voice} produced ${audio.sampleRate} Hz, expected ${this.sampleRate}`,
        );
      }
      const keepMs = first ? FIRST_LEAD_IN_MS : NEXT_LEAD_IN_MS;
      const samples = trimLeadIn(audio.samples, Math.round((keepMs * this.sampleRate) / 1000));
      first = false;
      for (let at = 0; at < samples.length; at += this.chunkSamples) {
        if (signal.aborted) return;
        yield samples.slice(at, at + this.chunkSamples);
      }
    }
  }
}

/** Drops leading silence, keeping `keep` samples of it. */
export function trimLeadIn(samples: Int16Array, keep: number): Int16Array {
  let firstSound = 0;
  while (firstSound < samples.length && Math.abs(samples[firstSound] ?? 0) < SILENCE_LEVEL) firstSound++;
  if (firstSound === samples.length) return samples;
  return samples.subarray(Math.max(0, firstSound - keep));
}

/** Convenience for wiring: compiles flite (or reuses `wasm`) and returns the provider. */
export async function createFliteTts(options: FliteTtsOptions = {}, wasm?: FliteWasm): Promise<FliteTts> {
  return FliteTts.load(options, wasm);
}
