/**
 * Worker-thread entry for TtsWorkerPool: compiles flite once, then answers one synthesis
 * request at a time (flite's WASI run is synchronous, so this thread is busy until it is done).
 * The waveform's buffer is transferred back, never copied.
 *
 * Spawned by tts-worker-pool.ts only: as flite-worker.js from dist/, or as flite-worker.ts
 * with tsx loaded when the sources run directly (vitest, `npx tsx`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FliteWasm, type FliteVoice } from './flite-wasi.js';
import { trimLeadIn } from './flite.js';

/** What the pool passes as workerData. */
export interface FliteWorkerConfig {
  readonly wasmPath?: string | undefined;
  /** Test-only: honour `crash` requests (otherwise they are refused as an error). */
  readonly testHooks?: boolean;
}

export type ToFliteWorker =
  | {
      readonly type: 'synthesize';
      readonly id: number;
      /** One sentence, already normalised. */
      readonly text: string;
      readonly voice: FliteVoice;
      readonly durationStretch?: number | undefined;
      /** Samples of flite's leading silence to keep (see FliteTts). */
      readonly keepLeadIn: number;
    }
  | { readonly type: 'crash'; readonly id: number; readonly how: 'throw' | 'exit' };

export type FromFliteWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'done';
      readonly id: number;
      /** Transferred; the samples are `length` Int16 values from `byteOffset`. */
      readonly buffer: ArrayBuffer;
      readonly byteOffset: number;
      readonly length: number;
      readonly sampleRate: number;
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

const port = parentPort;
if (!port) throw new Error('flite-worker runs only as a worker thread (see TtsWorkerPool)');
const config = (workerData ?? {}) as FliteWorkerConfig;
const wasm = await FliteWasm.load(config.wasmPath);

const send = (message: FromFliteWorker, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

port.on('message', (message: ToFliteWorker) => {
  if (message.type === 'crash') {
    if (!config.testHooks) {
      send({ type: 'failed', id: message.id, message: 'crash requests need testHooks' });
      return;
    }
    if (message.how === 'exit') process.exit(3); // ends this thread only, as a real abort would
    throw new Error('flite worker test crash'); // uncaught: the thread dies with an error
  }
  try {
    const audio = wasm.synthesize(message.text, {
      voice: message.voice,
      ...(message.durationStretch !== undefined && { durationStretch: message.durationStretch }),
    });
    const samples = trimLeadIn(audio.samples, message.keepLeadIn);
    send(
      {
        type: 'done',
        id: message.id,
        buffer: samples.buffer as ArrayBuffer,
        byteOffset: samples.byteOffset,
        length: samples.length,
        sampleRate: audio.sampleRate,
      },
      [samples.buffer as ArrayBuffer],
    );
  } catch (err) {
    // flite's messages never echo the text, so they are safe to pass on.
    send({ type: 'failed', id: message.id, message: err instanceof Error ? err.message : String(err) });
  }
});

send({ type: 'ready' });
