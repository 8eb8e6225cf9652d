/**
 * Reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009): each list votes 1 / (k + rank) for
 * its items (times the list's weight, default 1), votes add up. It needs no calibration between full-text ranks and cosine
 * similarities, which live on unrelated scales, and k = 60 is the value the paper found robust.
 */
export const RRF_K = 60;

export interface Fused<T> {
  item: T;
  score: number;
  /** Rank (from 1) in each input list, undefined where the item was absent. */
  ranks: (number | undefined)[];
}

export function reciprocalRankFusion<T>(
  lists: readonly (readonly T[])[],
  keyOf: (item: T) => string | number,
  opts: { k?: number; weights?: readonly number[] } = {},
): Fused<T>[] {
  const k = opts.k ?? RRF_K;
  const byKey = new Map<string | number, Fused<T>>();
  lists.forEach((list, li) => {
    list.forEach((item, i) => {
      const key = keyOf(item);
      let f = byKey.get(key);
      if (!f) {
        f = { item, score: 0, ranks: lists.map(() => undefined) };
        byKey.set(key, f);
      }
      f.ranks[li] = i + 1;
      f.score += (opts.weights?.[li] ?? 1) / (k + i + 1);
    });
  });
  // Ties (same ranks in mirrored lists) go to the item the first list ranked higher.
  return [...byKey.values()].sort(
    (a, b) => b.score - a.score || (a.ranks[0] ?? Infinity) - (b.ranks[0] ?? Infinity),
  );
}
