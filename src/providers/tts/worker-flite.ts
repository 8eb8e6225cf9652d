import type { TextToSpeech } from './tts.js';
import { FLITE_VOICES, type FliteVoice } from './flite-wasi.js';
import { FIRST_LEAD_IN_MS, NEXT_LEAD_IN_MS, type FliteTtsOptions } from './flite.js';
import { normalizeForSpeech } from './normalize.js';
import { splitSentences } from '../../shared/index.js';
import { TtsWorkerPool, type SentenceAudio, type TtsWorkerPoolOptions } from './tts-worker-pool.js';

export type WorkerFliteTtsOptions = FliteTtsOptions & TtsWorkerPoolOptions;

/**
 * Offline text to speech like FliteTts (same voice, same samples, same chunks), with the flite
 * runs done in a TtsWorkerPool so no call's synthesis delays another call's frames.
 *
 * Streams sentence by sentence: the first sentence's audio is yielded as soon as a worker has
 * made it, and the next sentence is requested as the previous one arrives (one ahead), so audio
 * keeps flowing while a sentence at a time waits its turn with other calls.
 */
export class WorkerFliteTts implements TextToSpeech {
  readonly name = 'flite';
  readonly sampleRate: number;
  readonly voice: FliteVoice;
  private readonly chunkSamples: number;
  private readonly normalize: (text: string) => string;

  /** `ownsPool`: close() also closes the pool (createWorkerFliteTts); otherwise the pool is shared. */
  constructor(
    readonly pool: TtsWorkerPool,
    private readonly options: FliteTtsOptions = {},
    private readonly ownsPool = false,
  ) {
    this.voice = options.voice ?? 'slt';
    this.sampleRate = FLITE_VOICES[this.voice];
    this.chunkSamples = Math.max(1, Math.round(((options.chunkMs ?? 100) * this.sampleRate) / 1000));
    this.normalize = options.normalize === false ? (t) => t : (options.normalize ?? normalizeForSpeech);
  }

  async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted) return;
    const spoken = splitSentences(text, { maxChars: this.options.maxSentenceChars ?? 200 })
      .map((sentence) => this.normalize(sentence))
      .filter((sentence) => /[A-Za-z0-9]/.test(sentence));
    if (spoken.length === 0) return;
    // Also aborted when the consumer stops early, so a prefetched sentence is not made for nobody.
    const local = new AbortController();
    const onAbort = (): void => local.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let next: Promise<SentenceAudio> | undefined = this.request(spoken[0]!, true, local.signal);
      for (let i = 0; next; i++) {
        let audio: SentenceAudio;
        try {
          audio = await next;
        } catch (err) {
          if (signal.aborted) return;
          throw err;
        }
        if (signal.aborted) return;
        if (audio.sampleRate !== this.sampleRate) {
          throw new Error(
            `flite voice ${this.voice} produced ${audio.sampleRate} Hz, expected ${this.sampleRate}`,
          );
        }
        const following = spoken[i + 1];
        next = following === undefined ? undefined : this.request(following, false, local.signal);
        const samples = audio.samples;
        for (let at = 0; at < samples.length; at += this.chunkSamples) {
          if (signal.aborted) return;
          yield samples.subarray(at, at + this.chunkSamples);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      local.abort();
    }
  }

  /** Closes the pool if this provider started it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }

  private request(text: string, first: boolean, signal: AbortSignal): Promise<SentenceAudio> {
    const keepMs = first ? FIRST_LEAD_IN_MS : NEXT_LEAD_IN_MS;
    const pending = this.pool.synthesize(
      {
        text,
        voice: this.voice,
        durationStretch: this.options.durationStretch,
        keepLeadIn: Math.round((keepMs * this.sampleRate) / 1000),
      },
      signal,
    );
    // Awaited later; until then a failure (abort, crash) must not count as unhandled.
    pending.catch(() => undefined);
    return pending;
  }
}

/** Starts a worker pool (compiling flite in each worker) and returns the provider that owns it. */
export async function createWorkerFliteTts(options: WorkerFliteTtsOptions = {}): Promise<WorkerFliteTts> {
  const pool = await TtsWorkerPool.start(options);
  return new WorkerFliteTts(pool, options, true);
}
