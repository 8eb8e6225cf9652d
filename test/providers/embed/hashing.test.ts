import { describe, expect, it } from 'vitest';
import { cosine } from '../../../src/providers/embed/embedder.js';
import { HashingEmbedder, contentWords } from '../../../src/providers/embed/hashing.js';

const never = () => new AbortController().signal;
const e = new HashingEmbedder();
const sim = (a: string, b: string) => cosine(e.embedOne(a), e.embedOne(b));

describe('HashingEmbedder', () => {
  it('gives 384 unit-length dimensions by default', async () => {
    const [v] = await e.embed(['Do you offer free estimates?'], never());
    expect(e.dimensions).toBe(384);
    expect(e.name).toBe('hashing-384');
    expect(v).toHaveLength(384);
    const norm = Math.sqrt(Array.from(v ?? []).reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 6);
  });

  it('is deterministic: the same text gives bit-identical vectors in fresh instances', () => {
    const a = new HashingEmbedder().embedOne('Water heater repair from $189');
    const b = new HashingEmbedder().embedOne('Water heater repair from $189');
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    // A fixed value pins the hash functions: a change would silently invalidate stored vectors.
    expect(a.reduce((s, x, i) => s + x * (i + 1), 0)).toMatchInlineSnapshot(`203.35498628020287`);
  });

  it('ranks shared words above unrelated text', () => {
    const q = 'how much is drain cleaning';
    expect(sim(q, 'Drain cleaning costs from $129.')).toBeGreaterThan(0.4);
    expect(sim(q, 'We are closed on Sundays and public holidays.')).toBeLessThan(0.15);
  });

  it('keeps word forms and recogniser typos close through character trigrams', () => {
    expect(sim('burst pipes', 'a burst pipe')).toBeGreaterThan(0.9);
    expect(sim('plumbng inspection', 'plumbing inspection')).toBeGreaterThan(0.4);
    expect(sim('plumbng inspection', 'teeth whitening')).toBeLessThan(0.15);
  });

  it('ignores case, accents, punctuation and stop words', () => {
    expect(sim('Café HOURS?!', 'the cafe hours')).toBeCloseTo(1, 5);
    expect(contentWords("I don't know what the price is")).toEqual(['dont', 'know', 'price']);
  });

  it('finds the right FAQ for typical questions (top-1 on a small set)', () => {
    const faq = [
      'Do you offer free estimates? Estimates are free for jobs over $500.',
      'What are your opening hours? Monday to Friday 8 to 6, Saturday 9 to noon.',
      'Do you handle emergencies? Yes, we have an on-call plumber for burst pipes and flooding.',
      'Which areas do you serve? We cover Chicago and the northern suburbs.',
      'How do I pay? We take cards, cash and checks.',
    ];
    const vecs = faq.map((f) => e.embedOne(f));
    const questions: [string, number][] = [
      ['is the estimate free', 0],
      ['when are you open on saturday', 1],
      ['my pipe burst can someone come', 2],
      ['do you serve the suburbs', 3],
      ['can I pay by card', 4],
    ];
    for (const [q, want] of questions) {
      const qv = e.embedOne(q);
      const scores = vecs.map((v) => cosine(qv, v));
      expect(scores.indexOf(Math.max(...scores)), q).toBe(want);
    }
  });

  it('gives a zero vector for text with no content words', () => {
    expect(e.embedOne('the of and').every((x) => x === 0)).toBe(true);
  });

  it('takes other sizes and refuses silly ones', () => {
    expect(new HashingEmbedder({ dimensions: 64 }).embedOne('x')).toHaveLength(64);
    expect(() => new HashingEmbedder({ dimensions: 0 })).toThrow(RangeError);
  });

  it('rejects when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(e.embed(['x'], ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
