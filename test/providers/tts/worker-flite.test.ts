import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FliteTts,
  FliteWasm,
  TtsWorkerPool,
  WorkerFliteTts,
  createWorkerFliteTts,
  type FliteVoice,
} from '../../../src/providers/tts/index.js';

const REPLY = 'Thanks for calling Acme Plumbing. We are open until 6pm today. How can I help you?';

let wasm: FliteWasm;
let pool: TtsWorkerPool;

beforeAll(async () => {
  wasm = await FliteWasm.load();
  pool = await TtsWorkerPool.start({ size: 2 });
});

afterAll(async () => {
  await pool.close();
});

async function collect(iterable: AsyncIterable<Int16Array>): Promise<Int16Array[]> {
  const chunks: Int16Array[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const live = (): AbortSignal => new AbortController().signal;

describe('WorkerFliteTts', () => {
  it.each(['slt', 'kal'] as FliteVoice[])(
    'yields sample for sample the chunks in-process FliteTts yields (voice %s)',
    async (voice) => {
      const options = { voice, chunkMs: 20, durationStretch: 1.1 };
      const inProcess = await collect(new FliteTts(wasm, options).synthesize(REPLY, live()));
      const inWorker = await collect(new WorkerFliteTts(pool, options).synthesize(REPLY, live()));
      expect(inWorker.map((c) => c.length)).toEqual(inProcess.map((c) => c.length));
      expect(concat(inWorker)).toEqual(concat(inProcess));
    },
  );

  it('declares the voice rate and the same name as FliteTts', () => {
    expect(new WorkerFliteTts(pool, { voice: 'kal' }).sampleRate).toBe(8000);
    expect(new WorkerFliteTts(pool).sampleRate).toBe(16000);
    expect(new WorkerFliteTts(pool).name).toBe('flite');
  });

  it('streams: the first chunk is yielded with only the first sentence and the next one requested', async () => {
    const spy = vi.spyOn(pool, 'synthesize');
    try {
      const chunks = new WorkerFliteTts(pool).synthesize(REPLY, live())[Symbol.asyncIterator]();
      expect((await chunks.next()).done).toBe(false);
      expect(spy).toHaveBeenCalledTimes(2); // sentence one done, sentence two asked for ahead
      while (!(await chunks.next()).done);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('stops when aborted mid-utterance: no chunk after the abort, the sentence asked ahead is dropped', async () => {
    const tts = new WorkerFliteTts(pool, { chunkMs: 20 });
    const controller = new AbortController();
    const received: Int16Array[] = [];
    let afterAbort = 0;
    for await (const chunk of tts.synthesize(REPLY, controller.signal)) {
      if (controller.signal.aborted) afterAbort++;
      received.push(chunk);
      if (received.length === 5) controller.abort();
    }
    expect(afterAbort).toBe(0);
    expect(received).toHaveLength(5);
    expect(pool.stats().queued).toBe(0);
  });

  it('an abort while the first sentence is being made ends the utterance with nothing yielded', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1);
    expect(await collect(new WorkerFliteTts(pool).synthesize(REPLY, controller.signal))).toHaveLength(0);
  });

  it('a consumer that stops early cancels the sentence asked ahead', async () => {
    const spy = vi.spyOn(pool, 'synthesize');
    try {
      for await (const _chunk of new WorkerFliteTts(pool).synthesize(REPLY, live())) break;
      const signal = spy.mock.calls[1]?.[1];
      expect(signal?.aborted).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('yields nothing when the signal is already aborted or there is nothing to say', async () => {
    const tts = new WorkerFliteTts(pool);
    expect(await collect(tts.synthesize('Hello there.', AbortSignal.abort()))).toHaveLength(0);
    expect(await collect(tts.synthesize(' ... — ', live()))).toHaveLength(0);
  });

  it('several calls speaking at once each get all their audio, in order, as if spoken alone', async () => {
    const tts = new WorkerFliteTts(pool, { voice: 'kal' });
    const alone = new FliteTts(wasm, { voice: 'kal' });
    const calls = Array.from({ length: 6 }, (_, c) => [
      `Caller ${c + 1}, thanks for waiting. Your number is ${c + 1}.`,
      `We can come on day ${c + 2}. Does that work?`,
      `Goodbye, caller ${c + 1}.`,
    ]);
    // Each call speaks its replies one after another; the calls run concurrently.
    const heard = await Promise.all(
      calls.map(async (replies) => {
        const chunks: Int16Array[] = [];
        for (const reply of replies) chunks.push(...(await collect(tts.synthesize(reply, live()))));
        return concat(chunks);
      }),
    );
    for (const [c, replies] of calls.entries()) {
      const expected: Int16Array[] = [];
      for (const reply of replies) expected.push(...(await collect(alone.synthesize(reply, live()))));
      expect(heard[c]).toEqual(concat(expected));
    }
  });

  it('fails the utterance with a clear error when its worker dies mid-sentence, and speaks again after', async () => {
    const fragile = await TtsWorkerPool.start({ size: 1, requestTimeoutMs: 1 });
    try {
      await expect(collect(new WorkerFliteTts(fragile).synthesize(REPLY, live()))).rejects.toThrow(
        /TTS worker crashed \(no answer within 1 ms\)/,
      );
      expect(fragile.stats().crashes).toBe(1);
    } finally {
      await fragile.close();
    }
    // A worker dying under one call leaves the shared pool serving the others.
    const own = await TtsWorkerPool.start({ size: 1, testHooks: true });
    try {
      const crash = own.crashWorker('throw');
      const next = collect(new WorkerFliteTts(own).synthesize('Still here.', live()));
      await expect(crash).rejects.toThrow(/TTS worker crashed/);
      expect(concat(await next).length).toBeGreaterThan(8000);
    } finally {
      await own.close();
    }
  });

  it('createWorkerFliteTts starts its own pool and close() terminates it', async () => {
    const tts = await createWorkerFliteTts({ size: 1, voice: 'kal' });
    expect(concat(await collect(tts.synthesize('Hello.', live()))).length).toBeGreaterThan(2000);
    await tts.close();
    expect(tts.pool.stats().workers).toBe(0);
    await expect(collect(tts.synthesize('Hello.', live()))).rejects.toThrow(/pool closed/);
  });
});
