import { parentPort } from 'node:worker_threads';
import { prepareDocument, type PrepareInput } from './prepare.js';

/**
 * Worker-thread entry: prepares one document per message (prepare.ts) so parsing and chunking a
 * large upload never holds the server's event loop. Chunks go back in batches, so the main thread
 * never deserialises one huge message in a single go.
 */

export type WorkerReply =
  | { type: 'meta'; title: string; content: string; chunkCount: number }
  | { type: 'chunks'; chunks: { heading: string; text: string }[] }
  | { type: 'done' }
  | { type: 'error'; name: string; message: string };

const BATCH = 200;

parentPort?.on('message', (input: PrepareInput) => {
  const port = parentPort!;
  prepareDocument(input).then(
    (doc) => {
      port.postMessage({
        type: 'meta',
        title: doc.title,
        content: doc.content,
        chunkCount: doc.chunks.length,
      } satisfies WorkerReply);
      for (let i = 0; i < doc.chunks.length; i += BATCH) {
        port.postMessage({ type: 'chunks', chunks: doc.chunks.slice(i, i + BATCH) } satisfies WorkerReply);
      }
      port.postMessage({ type: 'done' } satisfies WorkerReply);
    },
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ type: 'error', name: e.name, message: e.message } satisfies WorkerReply);
    },
  );
});
