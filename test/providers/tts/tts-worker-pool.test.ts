import { availableParallelism } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FliteWasm, TtsWorkerPool, type TtsWorkerPoolOptions } from '../../../src/providers/tts/index.js';
import type { SentenceRequest } from '../../../src/providers/tts/tts-worker-pool.js';

const LONG =
  'A standard call-out costs one hundred and twenty dollars, and the first half hour of work is included in that price.';

const sentence = (text: string): SentenceRequest => ({ text, voice: 'slt', keepLeadIn: 320 });
const live = (): AbortSignal => new AbortController().signal;

let wasm: FliteWasm;
const pools: TtsWorkerPool[] = [];

async function startPool(options: TtsWorkerPoolOptions = {}): Promise<TtsWorkerPool> {
  const pool = await TtsWorkerPool.start({ size: 1, ...options });
  pools.push(pool);
  return pool;
}

beforeAll(async () => {
  wasm = await FliteWasm.load();
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('TtsWorkerPool', () => {
  it('starts max(1, cores - 1) workers by default, leaving a core for the event loop', async () => {
    const pool = await startPool({ size: undefined });
    expect(pool.stats().workers).toBe(Math.max(1, availableParallelism() - 1));
  });

  it('returns the same waveform as flite run in-process, in a buffer of its own', async () => {
    const pool = await startPool();
    const audio = await pool.synthesize({ text: 'Hello there.', voice: 'kal', keepLeadIn: 1e9 }, live());
    const local = wasm.synthesize('Hello there.', { voice: 'kal' });
    expect(audio.sampleRate).toBe(8000);
    expect(audio.samples).toEqual(local.samples);
  });

  it('serves requests first in first out across calls', async () => {
    const pool = await startPool();
    const finished: string[] = [];
    const order = ['a1', 'b1', 'c1', 'a2', 'b2', 'c2'];
    await Promise.all(
      order.map((name) => pool.synthesize(sentence(`Call ${name}.`), live()).then(() => finished.push(name))),
    );
    expect(finished).toEqual(order);
  });

  it('drops a request aborted while queued: it never reaches a worker', async () => {
    const pool = await startPool();
    const running = pool.synthesize(sentence(LONG), live());
    const controller = new AbortController();
    const dropped = pool.synthesize(sentence('Never spoken.'), controller.signal);
    const after = pool.synthesize(sentence('Spoken next.'), live());
    expect(pool.stats().queued).toBe(2);
    controller.abort();
    await expect(dropped).rejects.toMatchObject({ name: 'AbortError' });
    expect(pool.stats().queued).toBe(1);
    await running;
    await after;
    expect(pool.stats().dispatched).toBe(2);
  });

  it('rejects a running request at once when aborted, discards its result, then serves the next', async () => {
    const pool = await startPool();
    const controller = new AbortController();
    const running = pool.synthesize(sentence(LONG), controller.signal);
    const next = pool.synthesize(sentence('Hello there.'), live());
    await new Promise((r) => setTimeout(r, 5));
    expect(pool.stats().busy).toBe(1);
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    const audio = await next;
    expect(audio.samples.length).toBeGreaterThan(8000);
    expect(pool.stats()).toMatchObject({ busy: 0, queued: 0, dispatched: 2, crashes: 0 });
  });

  it('rejects a request whose signal is already aborted without queueing it', async () => {
    const pool = await startPool();
    await expect(pool.synthesize(sentence('Hi.'), AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(pool.stats().dispatched).toBe(0);
  });

  it.each(['throw', 'exit'] as const)(
    'replaces a worker that dies (%s): only its request fails, with a clear error',
    async (how) => {
      const errors: unknown[] = [];
      const logger = { info() {}, warn() {}, debug() {}, error: (obj: unknown) => errors.push(obj) };
      const pool = await startPool({ testHooks: true, logger });
      const before = pool.synthesize(sentence('Before the crash.'), live());
      const crash = pool.crashWorker(how);
      const queuedBehind = pool.synthesize(sentence('After the crash.'), live());
      await expect(before).resolves.toBeDefined();
      await expect(crash).rejects.toThrow(
        how === 'throw'
          ? /TTS worker crashed \(flite worker test crash\)/
          : /TTS worker crashed \(exit code 3\)/,
      );
      const audio = await queuedBehind; // served by the replacement
      expect(audio.samples.length).toBeGreaterThan(8000);
      expect(pool.stats()).toMatchObject({ workers: 1, crashes: 1 });
      expect(errors).toHaveLength(1);
    },
  );

  it('refuses crash requests unless built with testHooks', async () => {
    const pool = await startPool();
    await expect(pool.crashWorker('exit')).rejects.toThrow(/need testHooks/);
    expect(pool.stats()).toMatchObject({ workers: 1, crashes: 0 });
  });

  it('kills and replaces a worker that does not answer within requestTimeoutMs', async () => {
    const pool = await startPool({ requestTimeoutMs: 1 });
    await expect(pool.synthesize(sentence(LONG), live())).rejects.toThrow(/no answer within 1 ms/);
    expect(pool.stats().crashes).toBe(1);
    await expect.poll(() => pool.stats().workers).toBe(1);
  });

  it('reports a flite failure as a failed request and keeps the worker', async () => {
    const pool = await startPool();
    const bad = { text: 'Hi.', voice: 'nobody', keepLeadIn: 0 } as unknown as SentenceRequest;
    await expect(pool.synthesize(bad, live())).rejects.toThrow(/TTS synthesis failed: unknown flite voice/);
    expect(pool.stats()).toMatchObject({ workers: 1, crashes: 0 });
  });

  it('fails to start with a clear error when flite cannot be loaded', async () => {
    await expect(TtsWorkerPool.start({ size: 1, wasmPath: '/nonexistent/flite.wasm' })).rejects.toThrow(
      /TTS worker failed to start: .*no such file/,
    );
  });

  it('close() terminates the workers and fails what is queued or running', async () => {
    const pool = await startPool({ size: 1 });
    const running = expect(pool.synthesize(sentence(LONG), live())).rejects.toThrow(/pool closed/);
    const queued = expect(pool.synthesize(sentence('Queued.'), live())).rejects.toThrow(/pool closed/);
    await pool.close();
    await running;
    await queued;
    expect(pool.stats().workers).toBe(0);
    await expect(pool.synthesize(sentence('Late.'), live())).rejects.toThrow(/pool closed/);
  });
});
