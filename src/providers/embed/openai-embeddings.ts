import { z } from 'zod';
import { ProviderError, RequestControl, errorFromResponse, joinUrl } from '../llm/http.js';
import { l2Normalize, type Embedder } from './embedder.js';

/**
 * Embeddings from any OpenAI-compatible `/v1/embeddings` (OpenAI, Ollama, vLLM, llama.cpp).
 * Asks for `encoding_format: "float"` explicitly (servers that ignore the field send floats
 * anyway, PROTOCOLS.md 6.3), and still decodes a base64 string (little-endian float32) from a
 * server that answers that way. Every vector's length is checked against `dimensions`.
 */

export interface OpenAiEmbedderOptions {
  /** Up to and including the version path, e.g. "http://127.0.0.1:11434/v1". */
  readonly baseUrl: string;
  readonly apiKey?: string | undefined;
  readonly model: string;
  /** The length the model returns (or, with requestDimensions, the length to ask for). */
  readonly dimensions: number;
  /** Send `dimensions` in the request (OpenAI text-embedding-3 can shorten; others may reject it). */
  readonly requestDimensions?: boolean;
  /** Texts per request. Default 64. */
  readonly batchSize?: number;
  /** Time allowed per request. Default 30 s. */
  readonly timeoutMs?: number;
  /** Scale vectors to unit length. Default true (OpenAI's already are; not every server's). */
  readonly normalize?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

const responseSchema = z.object({
  data: z.array(
    z.object({
      index: z.number().int().nullish(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
});

export class OpenAiEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  private readonly url: string;

  constructor(private readonly opts: OpenAiEmbedderOptions) {
    if (!Number.isInteger(opts.dimensions) || opts.dimensions <= 0) {
      throw new RangeError('dimensions must be a positive integer');
    }
    this.name = `openai:${opts.model}`;
    this.dimensions = opts.dimensions;
    this.url = joinUrl(opts.baseUrl, 'embeddings');
  }

  async embed(texts: readonly string[], signal: AbortSignal): Promise<Float32Array[]> {
    signal.throwIfAborted();
    const size = Math.max(1, this.opts.batchSize ?? 64);
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += size) {
      out.push(...(await this.batch(texts.slice(i, i + size), signal)));
    }
    return out;
  }

  private async batch(texts: readonly string[], signal: AbortSignal): Promise<Float32Array[]> {
    const what = `embeddings (${this.opts.model})`;
    const ctl = new RequestControl(signal);
    ctl.arm(this.opts.timeoutMs ?? 30_000);
    try {
      let json: unknown;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
            ...this.opts.headers,
          },
          body: JSON.stringify({
            model: this.opts.model,
            // OpenAI rejects empty strings; a space embeds as "nothing" on every server.
            input: texts.map((t) => (t.trim() === '' ? ' ' : t)),
            encoding_format: 'float',
            ...(this.opts.requestDimensions ? { dimensions: this.dimensions } : {}),
          }),
          signal: ctl.signal,
        });
        if (!res.ok) throw await errorFromResponse(res, what);
        json = await res.json();
      } catch (err) {
        if (err instanceof SyntaxError) {
          throw new ProviderError(`${what}: malformed JSON response`, {
            kind: 'protocol',
            retryable: true,
            cause: err,
          });
        }
        const e = ctl.classify(err, what);
        if (e) throw e;
        signal.throwIfAborted();
        throw err;
      }
      return this.vectors(json, texts.length, what);
    } finally {
      ctl.cancel();
    }
  }

  private vectors(json: unknown, expected: number, what: string): Float32Array[] {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ProviderError(`${what}: unexpected response shape`, { kind: 'protocol', retryable: false });
    }
    const data = parsed.data.data;
    if (data.length !== expected) {
      throw new ProviderError(`${what}: ${data.length} embeddings for ${expected} inputs`, {
        kind: 'protocol',
        retryable: false,
      });
    }
    const out = new Array<Float32Array | undefined>(expected);
    data.forEach((d, pos) => {
      const index = d.index ?? pos;
      if (index < 0 || index >= expected || out[index]) {
        throw new ProviderError(`${what}: bad or repeated index ${index}`, {
          kind: 'protocol',
          retryable: false,
        });
      }
      const v =
        typeof d.embedding === 'string'
          ? decodeFloat32Base64(d.embedding, what)
          : Float32Array.from(d.embedding);
      if (v.length !== this.dimensions) {
        throw new ProviderError(
          `${what}: got ${v.length} dimensions, expected ${this.dimensions} (check the configured dimensions)`,
          { kind: 'protocol', retryable: false },
        );
      }
      out[index] = this.opts.normalize === false ? v : l2Normalize(v);
    });
    return out as Float32Array[];
  }
}

/** base64 of little-endian float32s (what OpenAI sends for encoding_format "base64"). */
export function decodeFloat32Base64(s: string, what = 'embeddings'): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength % 4 !== 0) {
    throw new ProviderError(`${what}: base64 embedding is not a whole number of float32s`, {
      kind: 'protocol',
      retryable: false,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
