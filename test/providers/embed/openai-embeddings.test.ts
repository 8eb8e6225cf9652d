import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { l2Normalize } from '../../../src/providers/embed/embedder.js';
import { OpenAiEmbedder, decodeFloat32Base64 } from '../../../src/providers/embed/openai-embeddings.js';
import { ProviderError } from '../../../src/providers/llm/http.js';
import {
  errorReply,
  fakeVector,
  float32Base64,
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from '../../support/fake-openai-server.js';

let fake: FakeOpenAiServer;
beforeAll(async () => {
  fake = await startFakeOpenAiServer({ embeddingDims: 8 });
});
afterAll(async () => fake.close());
afterEach(() => {
  fake.requests.length = 0;
});

const never = () => new AbortController().signal;
const embedder = (extra: Partial<ConstructorParameters<typeof OpenAiEmbedder>[0]> = {}) =>
  new OpenAiEmbedder({ baseUrl: fake.baseUrl, model: 'fake-embed', dimensions: 8, apiKey: 'k', ...extra });
const expected = (text: string) => Array.from(l2Normalize(fakeVector(text, 8)));

function close(actual: Float32Array | undefined, want: number[]): void {
  expect(actual).toBeInstanceOf(Float32Array);
  want.forEach((x, i) => expect(actual?.[i]).toBeCloseTo(x, 5));
}

describe('OpenAiEmbedder', () => {
  it('asks for encoding_format "float" explicitly and returns one unit vector per text, in order', async () => {
    const out = await embedder().embed(['burst pipe', 'opening hours'], never());
    expect(fake.requests[0]?.body).toMatchObject({
      model: 'fake-embed',
      input: ['burst pipe', 'opening hours'],
      encoding_format: 'float',
    });
    expect(fake.requests[0]?.body.dimensions).toBeUndefined();
    expect(out).toHaveLength(2);
    close(out[0], expected('burst pipe'));
    close(out[1], expected('opening hours'));
  });

  it('decodes base64 float32 little-endian from a server that answers that way', async () => {
    fake.replyEmbeddings({ kind: 'embeddings', encoding: 'base64' });
    const out = await embedder().embed(['gas smell'], never());
    close(out[0], expected('gas smell'));
  });

  it('puts vectors back in input order when the server lists them out of order', async () => {
    fake.replyEmbeddings({
      kind: 'json',
      body: {
        object: 'list',
        data: [
          { object: 'embedding', index: 1, embedding: Array.from(fakeVector('b', 8)) },
          { object: 'embedding', index: 0, embedding: float32Base64(fakeVector('a', 8)) },
        ],
      },
    });
    const out = await embedder().embed(['a', 'b'], never());
    close(out[0], expected('a'));
    close(out[1], expected('b'));
  });

  it('splits many texts into batches', async () => {
    const texts = Array.from({ length: 5 }, (_, i) => `text ${i}`);
    const out = await embedder({ batchSize: 2 }).embed(texts, never());
    expect(fake.requests.map((r) => (r.body.input as string[]).length)).toEqual([2, 2, 1]);
    close(out[4], expected('text 4'));
  });

  it('sends dimensions only when asked to', async () => {
    await embedder({ requestDimensions: true, dimensions: 4 }).embed(['x'], never());
    expect(fake.requests[0]?.body.dimensions).toBe(4);
  });

  it('refuses vectors of the wrong length rather than storing garbage', async () => {
    fake.replyEmbeddings({ kind: 'embeddings', dims: 16 });
    await expect(embedder().embed(['x'], never())).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('sends a space for an empty text (OpenAI rejects empty input) and no request for no texts', async () => {
    await embedder().embed(['', 'x'], never());
    expect(fake.requests[0]?.body.input).toEqual([' ', 'x']);
    expect(await embedder().embed([], never())).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('turns HTTP errors into typed errors with retry advice', async () => {
    fake.replyEmbeddings(errorReply(429, 'slow down', { 'retry-after': '1' }));
    const err = await embedder()
      .embed(['x'], never())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 1000 });
  });

  it('times out and rejects with the abort reason when cancelled', async () => {
    fake.replyEmbeddings({ kind: 'hang' });
    await expect(embedder({ timeoutMs: 100 }).embed(['x'], never())).rejects.toMatchObject({
      kind: 'timeout',
    });
    fake.replyEmbeddings({ kind: 'hang' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(embedder().embed(['x'], ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(await fake.requests[1]?.closed).toEqual({ aborted: true });
  });
});

describe('decodeFloat32Base64', () => {
  it('reads little-endian float32s exactly', () => {
    const v = Float32Array.of(1, -2.5, 0.15625, 3.4e38);
    expect(Array.from(decodeFloat32Base64(float32Base64(v)))).toEqual(Array.from(v));
  });

  it('rejects a byte count that is not a multiple of four', () => {
    expect(() => decodeFloat32Base64(Buffer.from([1, 2, 3]).toString('base64'))).toThrow(ProviderError);
  });
});
