import { describe, expect, it } from 'vitest';
import type { Block } from '../../src/knowledge/blocks.js';
import { wordCount } from '../../src/knowledge/blocks.js';
import { chunkDocument } from '../../src/knowledge/chunk.js';
import { splitSentences } from '../../src/shared/index.js';

const sentence = (i: number) => `Sentence number ${i} says something about drains and pipes here.`; // 10 words
const para = (from: number, n: number) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

describe('chunking', () => {
  it('keeps each section apart and records the heading path under the document title', () => {
    const blocks: Block[] = [
      { kind: 'heading', level: 1, text: 'Services' },
      { kind: 'text', text: 'We fix drains.' },
      { kind: 'heading', level: 2, text: 'Water heaters' },
      { kind: 'text', text: 'Tank and tankless.' },
      { kind: 'heading', level: 2, text: 'Sewer' },
      { kind: 'text', text: 'Camera inspections.' },
      { kind: 'heading', level: 1, text: 'Payment' },
      { kind: 'text', text: 'Cash or card.' },
    ];
    const chunks = chunkDocument('Acme', blocks);
    expect(chunks.map((c) => [c.ordinal, c.heading, c.text])).toEqual([
      [0, 'Acme > Services', 'We fix drains.'],
      [1, 'Acme > Services > Water heaters', 'Tank and tankless.'],
      [2, 'Acme > Services > Sewer', 'Camera inspections.'],
      [3, 'Acme > Payment', 'Cash or card.'],
    ]);
    expect(chunks[1]!.headingPath).toEqual(['Services', 'Water heaters']);
  });

  it('packs paragraphs into chunks of at most 300 words, each later one opening with the last sentence before it', () => {
    const blocks: Block[] = [
      { kind: 'heading', level: 1, text: 'Policies' },
      ...Array.from({ length: 8 }, (_, i) => ({ kind: 'text' as const, text: para(i * 10, 10) })), // 8 x 100 words
    ];
    const chunks = chunkDocument('Handbook', blocks);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(wordCount(c.text)).toBeLessThanOrEqual(300);
      expect(wordCount(c.text)).toBeGreaterThanOrEqual(100);
    }
    for (let i = 1; i < chunks.length; i++) {
      const prev = splitSentences(chunks[i - 1]!.text, { maxChars: Infinity });
      expect(chunks[i]!.text.startsWith(prev[prev.length - 1]!)).toBe(true);
    }
    // Every sentence of the document is in some chunk.
    const all = chunks.map((c) => c.text).join(' ');
    for (let i = 0; i < 80; i++) expect(all).toContain(sentence(i));
  });

  it('cuts a paragraph longer than a chunk between sentences', () => {
    const chunks = chunkDocument('T', [{ kind: 'text', text: para(0, 70) }]); // 700 words, one paragraph
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(wordCount(c.text)).toBeLessThanOrEqual(300);
      expect(c.text).toMatch(/^Sentence number \d+ .*here\.$/);
    }
    expect(chunks[0]!.heading).toBe('T');
  });
});

describe('sentences', () => {
  it('splits after . ! ? but not after abbreviations or initials', () => {
    expect(
      splitSentences('Call Dr. Lee at 9 a.m. on Monday. We open at 8! Is that early? Yes.', {
        maxChars: Infinity,
      }),
    ).toEqual(['Call Dr. Lee at 9 a.m. on Monday.', 'We open at 8!', 'Is that early?', 'Yes.']);
  });
});
