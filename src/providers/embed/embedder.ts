/**
 * Text to vectors for knowledge retrieval. Vectors of one embedder are comparable with each
 * other only; store which embedder (name and dimensions) made them.
 */
export interface Embedder {
  /** For logs and for telling stored vectors apart, e.g. "hashing-384" or "openai:nomic-embed-text". */
  readonly name: string;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  /** One vector per text, in order. Rejects with the signal's reason once it aborts. */
  embed(texts: readonly string[], signal: AbortSignal): Promise<Float32Array[]>;
}

/** Scale to unit length in place (a zero vector stays zero). Returns the same array. */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
  if (sum === 0) return v;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  return v;
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
