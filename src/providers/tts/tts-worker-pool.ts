import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FliteVoice } from './flite-wasi.js';
import type { FliteWorkerConfig, FromFliteWorker, ToFliteWorker } from './flite-worker.js';
import type { Logger } from '../../shared/index.js';

export interface TtsWorkerPoolOptions {
  /** Worker threads; default max(1, availableParallelism() - 1), leaving a core for the event loop. */
  readonly size?: number;
  /** flite.wasm to compile instead of the package's own. */
  readonly wasmPath?: string;
  /** A request running longer than this is treated as a hung worker: killed and replaced. */
  readonly requestTimeoutMs?: number;
  /** Never given the text being spoken. */
  readonly logger?: Logger;
  /** Test-only: lets crashWorker() through to the workers. */
  readonly testHooks?: boolean;
}

export interface SentenceRequest {
  /** One sentence, already normalised. */
  readonly text: string;
  readonly voice: FliteVoice;
  readonly durationStretch?: number | undefined;
  /** Samples of flite's leading silence to keep. */
  readonly keepLeadIn: number;
}

export interface SentenceAudio {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

export interface TtsPoolStats {
  readonly workers: number;
  readonly busy: number;
  readonly queued: number;
  /** Requests handed to a worker since start (a request aborted while queued never is). */
  readonly dispatched: number;
  /** Workers that died (or hung) and were replaced since start. */
  readonly crashes: number;
}

type Work = { type: 'synthesize'; request: SentenceRequest } | { type: 'crash'; how: 'throw' | 'exit' };

interface Job {
  readonly id: number;
  readonly work: Work;
  readonly signal: AbortSignal;
  state: 'queued' | 'running' | 'settled';
  resolve(audio: SentenceAudio): void;
  reject(err: unknown): void;
  detach(): void;
}

interface Slot {
  readonly worker: Worker;
  readonly index: number;
  ready: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Why it died, when known before its exit event (uncaught error, timeout). */
  cause: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** Replacements that die before becoming ready, in a row, before the pool gives up on them. */
const MAX_START_FAILURES = 3;

/**
 * A few worker threads running flite (flite-worker.ts), so synthesis never holds the event loop
 * that paces every call's 20 ms frames. One queue, first in first out, one sentence per request:
 * callers ask for a sentence at a time, so calls take turns and no long reply hogs a worker.
 *
 * Abort: a request still queued is dropped; one already running finishes in its worker but its
 * result is thrown away (and the caller's promise rejects at once). A worker that crashes, exits
 * or hangs past requestTimeoutMs is replaced and only its own request fails.
 */
export class TtsWorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private readonly size: number;
  private readonly entry = workerEntry();
  private nextJobId = 1;
  private nextSlotIndex = 0;
  private crashes = 0;
  private dispatched = 0;
  private startFailures = 0;
  private closed = false;
  /** During start() a worker that fails is start()'s error, not something to replace. */
  private starting = true;
  /** Set when replacements keep dying at start: the pool then fails requests instead of queueing. */
  private broken: Error | undefined;

  private constructor(private readonly options: TtsWorkerPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.max(1, availableParallelism() - 1)));
  }

  /** Starts every worker and waits until each has compiled flite; rejects if one cannot start. */
  static async start(options: TtsWorkerPoolOptions = {}): Promise<TtsWorkerPool> {
    const pool = new TtsWorkerPool(options);
    try {
      await Promise.all(Array.from({ length: pool.size }, () => pool.spawn()));
      pool.starting = false;
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  stats(): TtsPoolStats {
    let busy = 0;
    for (const slot of this.slots) if (slot.job) busy++;
    return {
      workers: this.slots.size,
      busy,
      queued: this.queue.length,
      dispatched: this.dispatched,
      crashes: this.crashes,
    };
  }

  /** Synthesizes one sentence on the next free worker; the samples arrive without a copy. */
  synthesize(request: SentenceRequest, signal: AbortSignal): Promise<SentenceAudio> {
    return this.enqueue({ type: 'synthesize', request }, signal);
  }

  /** Test-only (needs testHooks): the worker that takes this request dies by throwing or exiting. */
  crashWorker(how: 'throw' | 'exit', signal: AbortSignal = new AbortController().signal): Promise<unknown> {
    return this.enqueue({ type: 'crash', how }, signal);
  }

  /** Terminates the workers; anything queued or running fails with "closed". */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error('TTS worker pool closed');
    for (const job of this.queue.splice(0)) settle(job, () => job.reject(error));
    const exits: Promise<number>[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.timer);
      if (slot.job) settle(slot.job, () => slot.job?.reject(error));
      exits.push(slot.worker.terminate());
    }
    this.slots.clear();
    await Promise.all(exits);
  }

  private enqueue(work: Work, signal: AbortSignal): Promise<SentenceAudio> {
    if (this.closed) return Promise.reject(new Error('TTS worker pool closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise<SentenceAudio>((resolve, reject) => {
      const onAbort = (): void => {
        if (job.state === 'queued') {
          const at = this.queue.indexOf(job);
          if (at >= 0) this.queue.splice(at, 1);
        }
        // A running job keeps its worker until flite finishes; its result is then dropped.
        settle(job, () => reject(abortError(signal)));
      };
      const job: Job = {
        id: this.nextJobId++,
        work,
        signal,
        state: 'queued',
        resolve,
        reject,
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift()!;
      job.state = 'running';
      slot.job = job;
      this.dispatched++;
      slot.worker.ref(); // an unfinished request keeps the process alive; an idle pool does not
      slot.timer = setTimeout(() => this.timeOut(slot), this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS);
      const message: ToFliteWorker =
        job.work.type === 'crash'
          ? { type: 'crash', id: job.id, how: job.work.how }
          : { type: 'synthesize', id: job.id, ...job.work.request };
      slot.worker.postMessage(message);
    }
  }

  private spawn(): Promise<void> {
    const entry = this.entry;
    const workerData: FliteWorkerConfig = {
      wasmPath: this.options.wasmPath,
      testHooks: this.options.testHooks ?? false,
    };
    const worker = new Worker(entry.script, { workerData, eval: entry.evalScript });
    const slot: Slot = {
      worker,
      index: this.nextSlotIndex++,
      ready: false,
      job: undefined,
      timer: undefined,
      cause: undefined,
    };
    this.slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromFliteWorker) => {
        if (message.type === 'ready') {
          slot.ready = true;
          worker.unref(); // held while starting (start() awaits it); idle it must not keep node alive
          this.startFailures = 0;
          resolve();
          this.pump();
        } else {
          this.finish(slot, message);
        }
      });
      worker.on('error', (err) => {
        slot.cause = err.message;
      });
      worker.on('exit', (code) => {
        const cause = slot.cause ?? `exit code ${code}`;
        if (!slot.ready) reject(new Error(`TTS worker failed to start: ${cause}`));
        this.onExit(slot, cause);
      });
    });
  }

  private finish(slot: Slot, message: Exclude<FromFliteWorker, { type: 'ready' }>): void {
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    slot.worker.unref();
    if (message.type === 'done') {
      const samples = new Int16Array(message.buffer, message.byteOffset, message.length);
      settle(job, () => job.resolve({ samples, sampleRate: message.sampleRate }));
    } else {
      settle(job, () => job.reject(new Error(`TTS synthesis failed: ${message.message}`)));
    }
    this.pump();
  }

  private timeOut(slot: Slot): void {
    slot.cause = `no answer within ${this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
    void slot.worker.terminate();
  }

  private onExit(slot: Slot, cause: string): void {
    clearTimeout(slot.timer);
    this.slots.delete(slot);
    if (this.closed || (this.starting && !slot.ready)) return;
    const job = slot.job;
    if (job) {
      settle(job, () => job.reject(new Error(`TTS worker crashed (${cause}); its sentence was not spoken`)));
    }
    this.options.logger?.error({ worker: slot.index, cause }, 'TTS worker died; starting a replacement');
    if (slot.ready) {
      this.crashes++;
    } else if (++this.startFailures >= MAX_START_FAILURES) {
      this.giveUp(new Error(`TTS workers keep failing to start: ${cause}`));
      return;
    }
    this.spawn().catch(() => {
      // Reported through onExit of the replacement itself.
    });
    this.pump();
  }

  private giveUp(error: Error): void {
    this.options.logger?.error({ err: error }, 'TTS worker pool stopped replacing workers');
    if (this.slots.size > 0) return; // the survivors keep serving
    this.broken = error;
    for (const job of this.queue.splice(0)) settle(job, () => job.reject(error));
  }
}

function settle(job: Job, action: () => void): void {
  if (job.state === 'settled') return;
  job.state = 'settled';
  job.detach();
  action();
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * How to start the worker. Compiled (dist/), this module is a .js file and the worker is the
 * sibling flite-worker.js, run by plain node with the parent's flags. Run from the TypeScript
 * sources (vitest, `npx tsx`), this module is a .ts file and so is the worker, which node cannot
 * load alone: vitest transforms TS in its own module runner, which worker threads do not share,
 * and on Node 20 neither an inherited tsx `--import` nor `execArgv: ['--import', 'tsx']` applies
 * to a worker's main module ("Unknown file extension .ts"). So a two-line bootstrap registers
 * tsx's ESM hooks inside the worker, then imports flite-worker.ts; tsx is resolved by absolute
 * path from this file, so the working folder does not matter. Keyed on this module's own
 * extension, so dist/ never needs tsx (a devDependency).
 */
function workerEntry(): { script: URL | string; evalScript: boolean } {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  const url = new URL(fromSource ? './flite-worker.ts' : './flite-worker.js', import.meta.url);
  if (!fromSource) return { script: url, evalScript: false };
  const tsxApi = tsxEsmApiUrl();
  const script = [
    `import(${JSON.stringify(tsxApi)})`,
    `  .then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`,
  ].join('\n');
  return { script, evalScript: true };
}

/**
 * tsx's ESM register API (`tsx/esm/api`, import condition), found through tsx's own exports map.
 * Not require.resolve: that picks the CommonJS build, whose register() looks for its hooks at a
 * wrong path in tsx 4.23.
 */
function tsxEsmApiUrl(): string {
  try {
    const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
    const exportsMap = (JSON.parse(readFileSync(manifest, 'utf8')) as TsxManifest).exports;
    const target = exportsMap?.['./esm/api']?.import?.default;
    if (typeof target !== 'string') throw new Error('tsx has no ./esm/api export');
    return pathToFileURL(path.join(path.dirname(manifest), target)).href;
  } catch (err) {
    throw new Error(
      `running the TTS worker from TypeScript sources needs tsx (a devDependency): ${(err as Error).message}`,
    );
  }
}

interface TsxManifest {
  exports?: Record<string, { import?: { default?: unknown } } | undefined>;
}
