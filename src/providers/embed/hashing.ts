import { l2Normalize, type Embedder } from './embedder.js';
import { words } from '../../shared/index.js';

/**
 * The offline embedder: no network, no model file. Feature hashing (the "hashing trick") of
 * three kinds of feature into a fixed number of dimensions (384 by default, the size of the
 * common small sentence models, so a store column fits either):
 *   - word unigrams (stop words dropped, plurals folded: "pipes" -> "pipe"),
 *   - word bigrams over the remaining words ("burst pipe", "water heater"),
 *   - character trigrams of each word with boundary marks ("^pi", "pip", "ipe", "pe$"), which
 *     make "pipes" near "pipe" and survive recogniser typos ("plumbng").
 * Counts are damped (1 + ln tf), each kind is scaled to unit length and weighted, a second hash
 * picks each feature's sign (so collisions cancel on average rather than pile up), and the
 * result is L2-normalised. Deterministic across runs and machines.
 *
 * Limits: it measures shared words, not meaning. "leak" and "drip", "cost" and "price",
 * "appointment" and "booking" are unrelated to it; it does not know other languages' stop
 * words; 384 buckets hold a few thousand distinct features before collisions blur them. Good
 * for FAQ and short passages beside full-text search; for paraphrases use a real model through
 * OpenAiEmbedder.
 */

export interface HashingEmbedderOptions {
  /** Default 384. */
  readonly dimensions?: number;
  /** Weights of the three feature kinds. Default words 1, bigrams 0.5, trigrams 0.6. */
  readonly weights?: { readonly words?: number; readonly bigrams?: number; readonly trigrams?: number };
}

// prettier-ignore
const STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'and', 'or', 'but', 'if', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'with',
  'from', 'as', 'is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'do', 'does', 'did',
  'have', 'has', 'had', 'it', 'its', 'this', 'that', 'these', 'those', 'i', 'me', 'my', 'we',
  'our', 'us', 'you', 'your', 'he', 'she', 'they', 'them', 'their', 'his', 'her', 'so', 'can',
  'could', 'would', 'should', 'will', 'shall', 'may', 'might', 'must', 'just', 'about', 'what',
  'which', 'who', 'whom', 'there', 'here', 'than', 'then', 'into', 'up', 'out', 'im', 'ive',
  'id', 'youre', 'um', 'uh', 'please', 'hi', 'hello', 'like', 'get', 'got',
]);

export class HashingEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  private readonly wWords: number;
  private readonly wBigrams: number;
  private readonly wTrigrams: number;

  constructor(opts: HashingEmbedderOptions = {}) {
    this.dimensions = opts.dimensions ?? 384;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 8) {
      throw new RangeError('dimensions must be an integer of at least 8');
    }
    this.name = `hashing-${this.dimensions}`;
    this.wWords = opts.weights?.words ?? 1;
    this.wBigrams = opts.weights?.bigrams ?? 0.5;
    this.wTrigrams = opts.weights?.trigrams ?? 0.6;
  }

  async embed(texts: readonly string[], signal: AbortSignal): Promise<Float32Array[]> {
    signal.throwIfAborted();
    return texts.map((t) => this.embedOne(t));
  }

  /** Synchronous form, for callers that embed one short query on a hot path. */
  embedOne(text: string): Float32Array {
    const words = contentWords(text);
    const out = new Float32Array(this.dimensions);
    const unigrams = new Map<string, number>();
    const bigrams = new Map<string, number>();
    const trigrams = new Map<string, number>();
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      bump(unigrams, `w:${w}`);
      const next = words[i + 1];
      if (next !== undefined) bump(bigrams, `b:${w} ${next}`);
      const padded = `^${w}$`;
      for (let j = 0; j + 3 <= padded.length; j++) bump(trigrams, `c:${padded.slice(j, j + 3)}`);
    }
    this.add(out, unigrams, this.wWords);
    this.add(out, bigrams, this.wBigrams);
    this.add(out, trigrams, this.wTrigrams);
    return l2Normalize(out);
  }

  /** Adds one kind of feature, itself scaled to length `weight`. */
  private add(out: Float32Array, features: Map<string, number>, weight: number): void {
    if (features.size === 0 || weight === 0) return;
    let norm = 0;
    for (const tf of features.values()) {
      const v = 1 + Math.log(tf);
      norm += v * v;
    }
    const scale = weight / Math.sqrt(norm);
    for (const [key, tf] of features) {
      const h = fnv1a(key);
      const bucket = h % this.dimensions;
      const sign = (mix32(h) & 1) === 0 ? 1 : -1;
      out[bucket] = (out[bucket] as number) + sign * (1 + Math.log(tf)) * scale;
    }
  }
}

/**
 * Lower-cased words without accents, apostrophes joined ("don't" -> "dont"), stop words dropped,
 * plurals folded.
 */
export function contentWords(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .map(sStem);
}

/** Harman's "S" stemmer: plurals only ("pipes" -> "pipe", "batteries" -> "battery"), nothing clever. */
function sStem(w: string): string {
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && !w.endsWith('eies') && !w.endsWith('aies')) return `${w.slice(0, -3)}y`;
  if (w.endsWith('es') && !w.endsWith('aes') && !w.endsWith('ees') && !w.endsWith('oes'))
    return w.slice(0, -1);
  if (w.endsWith('s') && !w.endsWith('us') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** 32-bit FNV-1a over UTF-16 code units: fast, stable, and good enough to spread features. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: an independent-looking bit for the sign. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
