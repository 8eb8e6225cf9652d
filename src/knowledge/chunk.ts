import { wordCount, type Block } from './blocks.js';
import { splitSentences } from '../shared/index.js';

/** Chunks keep whole sentences: the speech splitter's clause cutting is for the synthesizer. */
const WHOLE_SENTENCES = { maxChars: Infinity };

/**
 * Cuts a document into the passages that are searched and quoted. Each section (the text under
 * one heading) is packed paragraph by paragraph into chunks of up to `maxWords`; a paragraph too
 * long for one chunk is cut between sentences. A section is never merged with the next one, so a
 * short section ("Payment: cash, card or check.") stays a precise chunk of its own. When a
 * section runs over several chunks, each one after the first starts with the last sentence of the
 * one before, so an answer that straddles the cut is whole in one of them.
 */

export interface ChunkOptions {
  /** Default 220: between the 100 and 300 words that retrieval and quoting both like. */
  targetWords?: number;
  /** Hard ceiling. Default 300. */
  maxWords?: number;
  /** Longest sentence carried over as overlap. Default 40 words. */
  overlapWords?: number;
}

export interface DocumentChunk {
  ordinal: number;
  /** Headings above the chunk, outermost first (the document title not included). */
  headingPath: string[];
  /** "Title > Heading > Subheading": stored and searched with the chunk. */
  heading: string;
  text: string;
}

export const HEADING_SEPARATOR = ' > ';

export function chunkDocument(
  title: string,
  blocks: readonly Block[],
  opts: ChunkOptions = {},
): DocumentChunk[] {
  const target = opts.targetWords ?? 220;
  const max = Math.max(target, opts.maxWords ?? 300);
  const overlapMax = opts.overlapWords ?? 40;
  const chunks: DocumentChunk[] = [];
  const stack: { level: number; text: string }[] = [];
  let section: string[] = [];

  const emitSection = () => {
    if (section.length === 0) return;
    // A Markdown h1 or an HTML <h1> usually repeats the title: say it once.
    const headingPath = stack
      .map((h) => h.text)
      .filter((h, i) => i > 0 || h.toLowerCase() !== title.toLowerCase());
    const heading = [title, ...headingPath].filter((s) => s.trim()).join(HEADING_SEPARATOR);
    for (const text of packSection(section, target, max, overlapMax)) {
      chunks.push({ ordinal: chunks.length, headingPath, heading, text });
    }
    section = [];
  };

  for (const b of blocks) {
    if (b.kind === 'heading') {
      emitSection();
      while (stack.length > 0 && stack[stack.length - 1]!.level >= b.level) stack.pop();
      stack.push({ level: b.level, text: b.text });
    } else {
      section.push(b.text);
    }
  }
  emitSection();
  return chunks;
}

/** Paragraphs of one section to chunk texts. */
function packSection(
  paragraphs: readonly string[],
  target: number,
  max: number,
  overlapMax: number,
): string[] {
  // Units: whole paragraphs, or the sentences (or word runs) of a paragraph longer than `max`.
  const units: { text: string; words: number; newParagraph: boolean }[] = [];
  for (const p of paragraphs) {
    const pieces = wordCount(p) <= max ? [p] : splitLong(p, max);
    pieces.forEach((text, i) => units.push({ text, words: wordCount(text), newParagraph: i === 0 }));
  }
  const out: string[] = [];
  let parts: string[] = [];
  let words = 0;
  let lastSentence = '';
  const flush = () => {
    if (parts.length === 0) return;
    const text = parts.join('');
    out.push(text);
    const sentences = splitSentences(text, WHOLE_SENTENCES);
    lastSentence = sentences[sentences.length - 1] ?? '';
    parts = [];
    words = 0;
  };
  for (const u of units) {
    if (words > 0 && (words + u.words > max || words >= target)) {
      flush();
      const overlap = wordCount(lastSentence) <= overlapMax && lastSentence !== u.text ? lastSentence : '';
      if (overlap && wordCount(overlap) + u.words <= max) {
        parts.push(overlap);
        words = wordCount(overlap);
      }
    }
    parts.push(parts.length === 0 ? u.text : `${u.newParagraph ? '\n\n' : ' '}${u.text}`);
    words += u.words;
  }
  flush();
  return out;
}

/** A paragraph over `max` words, as sentences (a sentence over `max` words as runs of words). */
function splitLong(p: string, max: number): string[] {
  return splitSentences(p, WHOLE_SENTENCES).flatMap((s) => {
    const w = s.split(/\s+/);
    if (w.length <= max) return [s];
    const runs: string[] = [];
    for (let i = 0; i < w.length; i += max) runs.push(w.slice(i, i + max).join(' '));
    return runs;
  });
}
