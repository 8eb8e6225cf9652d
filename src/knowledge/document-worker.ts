import { Worker } from 'node:worker_threads';
import { documentErrorFromName } from './errors.js';
import type { PrepareInput, PreparedDocument } from './prepare.js';
import type { WorkerReply } from './prepare-worker.js';

/**
 * Prepares large documents in a worker thread, one at a time (the machine's other core serves the
 * calls; two 10 MB parses at once would only take it from them). A worker is started per document
 * and ended after it, so a parser's memory goes with it; the start (tens of milliseconds) is
 * nothing beside the parse it spares the event loop. The signal ends the worker at once.
 */

const here = import.meta.url;
// From source (tests, tsx) the worker is TypeScript too and needs the same loader.
const fromSource = here.endsWith('.ts');
const WORKER_URL = new URL(fromSource ? './prepare-worker.ts' : './prepare-worker.js', here);

function startWorker(): Worker {
  if (!fromSource) return new Worker(WORKER_URL);
  // Running from TypeScript (tests, tsx): register tsx's loader in the worker, then load the entry.
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true });
}

export class DocumentWorker {
  private tail: Promise<unknown> = Promise.resolve();

  prepare(input: PrepareInput, signal: AbortSignal): Promise<PreparedDocument> {
    const run = this.tail.then(() => this.run(input, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private run(input: PrepareInput, signal: AbortSignal): Promise<PreparedDocument> {
    signal.throwIfAborted();
    return new Promise<PreparedDocument>((resolve, reject) => {
      const worker = startWorker();
      let meta: { title: string; content: string } | undefined;
      const chunks: PreparedDocument['chunks'] = [];
      let settled = false;
      const finish = (err: unknown, doc?: PreparedDocument) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        void worker.terminate();
        if (doc) resolve(doc);
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
      const onAbort = () => finish(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'meta') meta = { title: m.title, content: m.content };
        else if (m.type === 'chunks') chunks.push(...m.chunks);
        else if (m.type === 'done') finish(undefined, { ...meta!, chunks });
        else finish(documentErrorFromName(m.name, m.message));
      });
      worker.on('error', (err) => finish(err));
      worker.on('exit', (code) => finish(new Error(`the document worker stopped (exit code ${code})`)));
      worker.postMessage(input);
    });
  }
}
