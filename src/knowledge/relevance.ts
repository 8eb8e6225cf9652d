import type { ChunkCandidate, QueryTerms } from './knowledge-repo.js';

/**
 * Whether a passage answers the question at all. Fusion ranks candidates but always has a first
 * one; the receptionist reads the first hit aloud, so a question the knowledge base cannot answer
 * ("do you sell pizza?") must find nothing rather than the least bad passage.
 *
 * A candidate is relevant when either signal is strong enough:
 * - term coverage: the IDF-weighted share of the question's lexemes the chunk contains. Weighting
 *   by rarity means "pizza", which no chunk has, outweighs "sell", which a few have; a word no
 *   chunk has gets the highest weight, so a question mostly about something absent is refused.
 * - cosine similarity to the question, above a threshold that depends on the embedder.
 */

export interface RelevanceOptions {
  /** Default 0.35. */
  minCoverage?: number;
  /** Default 0.2 for the hashing embedder, 0.5 for others; see `defaultMinSimilarity`. */
  minSimilarity?: number;
}

/**
 * Chosen on bench/kb.bench.ts's grid: the loosest values that still refused every unanswerable
 * question there (coverage 0.3 or similarity 0.15 began to answer them).
 */
export const DEFAULT_MIN_COVERAGE = 0.35;

/**
 * The hashing embedder's cosines are low even for good matches (0.2 to 0.3) and near 0 for
 * unrelated text. A real model's unrelated texts already score 0.1 to 0.3, so its threshold is
 * higher; 0.5 is a cautious guess, not measured here (no model runs offline): tune it with
 * `minSimilarity` and GET /api/kb/search?all=true.
 */
export function defaultMinSimilarity(embedderName: string): number {
  return embedderName.startsWith('hashing') ? 0.2 : 0.5;
}

/** IDF weight of each lexeme of the question (BM25's, floored at a small positive value). */
export function lexemeWeights(terms: QueryTerms): Map<string, number> {
  const n = Math.max(terms.chunks, 1);
  const out = new Map<string, number>();
  for (const { lexeme, df } of terms.lexemes) {
    out.set(lexeme, Math.max(0.05, Math.log(1 + (n - df + 0.5) / (df + 0.5))));
  }
  return out;
}

export function coverage(candidate: ChunkCandidate, weights: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const w of weights.values()) total += w;
  if (total === 0) return 0;
  let got = 0;
  for (const l of candidate.matched) got += weights.get(l) ?? 0;
  return got / total;
}

export function isRelevant(
  candidate: ChunkCandidate,
  weights: ReadonlyMap<string, number>,
  opts: { minCoverage: number; minSimilarity: number },
): boolean {
  if (coverage(candidate, weights) >= opts.minCoverage) return true;
  return candidate.similarity !== null && candidate.similarity >= opts.minSimilarity;
}
