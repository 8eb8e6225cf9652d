/**
 * A small trigram language model in ARPA form, built from example sentences, for PocketSphinx.
 *
 * Why: the stock en-us model spreads its probability over a general vocabulary; on phone audio
 * that lets near-homophones win ("hours" -> "ours", "plumber" -> "plumb her"). A model built
 * from what callers of a small business say narrows the search to that vocabulary. Words
 * outside it can never be recognised, so the example sentences should be broad.
 *
 * Interpolated absolute discounting, written in backoff form (ARPA stores, for every seen
 * n-gram, its full interpolated probability, and a backoff weight for every history).
 */

const BOS = '<s>';
const EOS = '</s>';
/** Absolute discount per seen n-gram (0.5-0.8 is usual for small counts). */
const DISCOUNT = 0.7;

export interface DomainLm {
  /** The model as ARPA text. */
  readonly arpa: string;
  readonly vocabulary: readonly string[];
  /** Words dropped because the pronunciation dictionary lacks them. */
  readonly unknownWords: readonly string[];
}

/** Splits text into lower-case dictionary-style tokens. */
export function tokenize(sentence: string): string[] {
  return sentence
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

const log10 = (p: number): string => (p <= 0 ? '-99' : Math.log10(p).toFixed(6));

/**
 * Builds the model. `inDictionary` says whether the recognizer can pronounce a word;
 * sentences containing any other word are split around it (so no n-gram spans a gap).
 */
export function buildDomainLm(
  sentences: readonly string[],
  inDictionary: (word: string) => boolean = () => true,
): DomainLm {
  const unknown = new Set<string>();
  const segments: string[][] = [];
  for (const s of sentences) {
    let seg: string[] = [];
    for (const w of tokenize(s)) {
      if (inDictionary(w)) seg.push(w);
      else {
        unknown.add(w);
        if (seg.length > 0) segments.push(seg);
        seg = [];
      }
    }
    if (seg.length > 0) segments.push(seg);
  }

  // counts[n-1]: n-gram (space-joined) -> count
  const counts = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const seg of segments) {
    const toks = [BOS, ...seg, EOS];
    for (let i = 0; i < toks.length; i++) {
      if (i > 0) add(counts[0]!, toks[i]!); // <s> is never predicted
      if (i >= 1) add(counts[1]!, `${toks[i - 1]} ${toks[i]}`);
      if (i >= 2) add(counts[2]!, `${toks[i - 2]} ${toks[i - 1]} ${toks[i]}`);
    }
  }

  // Unigrams: add-one over the vocabulary so every word keeps some mass.
  const vocab = [...counts[0]!.keys()].sort();
  const total = [...counts[0]!.values()].reduce((a, b) => a + b, 0);
  const p1 = new Map<string, number>();
  for (const w of vocab) p1.set(w, (counts[0]!.get(w)! + 1) / (total + vocab.length));

  // Higher orders: p(w|h) = max(c(hw)-D,0)/c(h) + gamma(h) * p_lower(w|h'),
  // gamma(h) = D * distinct(h) / c(h).
  const probs: Array<Map<string, number>> = [p1, new Map(), new Map()];
  const bows: Array<Map<string, number>> = [new Map(), new Map()];
  const lower = (gram: string[]): number => {
    // Probability of the last word given a shortened history, from the order below.
    const order = gram.length;
    const key = gram.join(' ');
    const seen = probs[order - 1]!.get(key);
    if (seen !== undefined) return seen;
    if (order === 1) return 0;
    const bow = bows[order - 2]!.get(gram.slice(0, -1).join(' ')) ?? 1;
    return bow * lower(gram.slice(1));
  };
  for (let n = 2; n <= 3; n++) {
    const byHistory = new Map<string, Array<[string, number]>>();
    for (const [gram, c] of counts[n - 1]!) {
      const parts = gram.split(' ');
      const h = parts.slice(0, -1).join(' ');
      let list = byHistory.get(h);
      if (list === undefined) byHistory.set(h, (list = []));
      list.push([parts[parts.length - 1]!, c]);
    }
    for (const [h, list] of byHistory) {
      const ch = list.reduce((a, [, c]) => a + c, 0);
      const gamma = (DISCOUNT * list.length) / ch;
      const hParts = h.split(' ');
      for (const [w, c] of list) {
        const pl = lower([...hParts.slice(1), w]);
        probs[n - 1]!.set(`${h} ${w}`, Math.max(c - DISCOUNT, 0) / ch + gamma * pl);
      }
    }
    // Backoff weight of each history of order n-1: leftover mass over the lower model's
    // leftover mass for the same unseen words.
    for (const [h, list] of byHistory) {
      const hParts = h.split(' ');
      let seenHigh = 0;
      let seenLow = 0;
      for (const [w] of list) {
        seenHigh += probs[n - 1]!.get(`${h} ${w}`)!;
        seenLow += lower([...hParts.slice(1), w]);
      }
      const bow = seenLow >= 1 ? 1 : Math.max(1e-9, 1 - seenHigh) / (1 - seenLow);
      bows[n - 2]!.set(h, bow);
    }
  }

  // <s> appears only as a history: give it the ARPA convention of -99.
  const lines: string[] = ['\\data\\'];
  const uni = [BOS, ...vocab];
  lines.push(`ngram 1=${uni.length}`, `ngram 2=${probs[1]!.size}`, `ngram 3=${probs[2]!.size}`, '');
  lines.push('\\1-grams:');
  for (const w of uni) {
    const p = w === BOS ? '-99' : log10(p1.get(w)!);
    lines.push(`${p}\t${w}\t${log10(bows[0]!.get(w) ?? 1)}`);
  }
  lines.push('', '\\2-grams:');
  for (const [g, p] of [...probs[1]!].sort()) {
    lines.push(`${log10(p)}\t${g}\t${log10(bows[1]!.get(g) ?? 1)}`);
  }
  lines.push('', '\\3-grams:');
  for (const [g, p] of [...probs[2]!].sort()) lines.push(`${log10(p)}\t${g}`);
  lines.push('', '\\end\\', '');
  return {
    arpa: lines.join('\n'),
    vocabulary: vocab.filter((w) => w !== EOS),
    unknownWords: [...unknown].sort(),
  };
}
