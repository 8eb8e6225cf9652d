import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from '../../src/knowledge/rrf.js';

describe('reciprocal-rank fusion', () => {
  it('ranks an item both lists agree on above items only one list has', () => {
    const fused = reciprocalRankFusion(
      [
        ['a', 'b', 'c'],
        ['c', 'd', 'b'],
      ],
      (x) => x,
      { k: 60 },
    );
    expect(fused.map((f) => f.item)).toEqual(['c', 'b', 'a', 'd']);
    expect(fused[0]!.ranks).toEqual([3, 1]);
    expect(fused[0]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused.find((f) => f.item === 'a')!.ranks).toEqual([1, undefined]);
  });

  it('weights each list', () => {
    const fused = reciprocalRankFusion(
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
      (x) => x,
      { weights: [1, 0.5] },
    );
    expect(fused.map((f) => f.item)).toEqual(['a', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 0.5 / 62, 12);
  });

  it('breaks ties in favour of the first list', () => {
    expect(reciprocalRankFusion([['x'], ['y']], (s) => s).map((f) => f.item)).toEqual(['x', 'y']);
  });
});
