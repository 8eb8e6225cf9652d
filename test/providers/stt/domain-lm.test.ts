import { describe, expect, it } from 'vitest';
import { buildDomainLm, tokenize } from '../../../src/providers/stt/domain-lm.js';

/** log10 probabilities and backoff weights by n-gram, from ARPA text. */
function parseArpa(arpa: string): { prob: Map<string, number>; bow: Map<string, number> } {
  const prob = new Map<string, number>();
  const bow = new Map<string, number>();
  let order = 0;
  for (const line of arpa.split('\n')) {
    const m = /^\\(\d)-grams:$/.exec(line);
    if (m) {
      order = Number(m[1]);
      continue;
    }
    if (order === 0 || line.trim() === '' || line.startsWith('\\')) continue;
    const [p, gram, b] = line.split('\t');
    expect(gram!.split(' ')).toHaveLength(order);
    prob.set(gram!, Number(p));
    if (b !== undefined) bow.set(gram!, Number(b));
  }
  return { prob, bow };
}

/** p(w | history) with backoff, as a decoder reads the model. */
function p(lm: ReturnType<typeof parseArpa>, history: string[], w: string): number {
  const gram = [...history, w].join(' ');
  const seen = lm.prob.get(gram);
  if (seen !== undefined) return 10 ** seen;
  if (history.length === 0) return 0;
  return 10 ** (lm.bow.get(history.join(' ')) ?? 0) * p(lm, history.slice(1), w);
}

const SENTENCES = [
  'what are your hours',
  'what are your prices',
  'i need a plumber',
  'i need a plumber today',
  'my basement is flooding',
  'can you call me back',
];

describe('domain language model', () => {
  const built = buildDomainLm(SENTENCES);
  const lm = parseArpa(built.arpa);
  const vocab = [...built.vocabulary, '</s>'];

  it('writes the ARPA header counts that match its sections', () => {
    const counts = [...built.arpa.matchAll(/^ngram (\d)=(\d+)$/gm)].map((m) => Number(m[2]));
    const actual = [1, 2, 3].map((n) => [...lm.prob.keys()].filter((g) => g.split(' ').length === n).length);
    expect(counts).toEqual(actual);
    expect(built.arpa.trimEnd().endsWith('\\end\\')).toBe(true);
  });

  it.each([
    [[]],
    [['<s>']],
    [['what']],
    [['are', 'your']],
    [['need', 'a']],
    [['<s>', 'i']],
    [['flooding', 'today']],
  ])('sums to one after history %j', (history: string[]) => {
    const total = vocab.reduce((s, w) => s + p(lm, history, w), 0);
    expect(total).toBeCloseTo(1, 4);
  });

  it('prefers what it has seen', () => {
    expect(p(lm, ['are', 'your'], 'hours')).toBeGreaterThan(p(lm, ['are', 'your'], 'plumber'));
  });

  it('splits sentences around words the dictionary lacks and lists them', () => {
    const withGap = buildDomainLm(['call zxqv now please'], (w) => w !== 'zxqv');
    expect(withGap.unknownWords).toEqual(['zxqv']);
    expect(withGap.arpa).not.toMatch(/call now/);
    expect(withGap.vocabulary).toEqual(['call', 'now', 'please']);
  });

  it('tokenizes as the recognizer spells words', () => {
    expect(tokenize("What's your ADDRESS, please?")).toEqual(["what's", 'your', 'address', 'please']);
  });
});
