import { squash, type Block } from './blocks.js';

/**
 * Plain text (and the text a PDF yields) to blocks. Blank lines end paragraphs; inside a
 * paragraph, lines are joined (PDFs and hard-wrapped text break lines mid-sentence). A line is
 * taken for a heading when it is short, has no closing punctuation, starts with a capital or a
 * digit, and the text before it ended a sentence: "Emergency service" above a paragraph, but not
 * the short tail of a wrapped sentence.
 */

const MAX_HEADING_WORDS = 8;

export function linesToBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    const t = squash(para.join(' '));
    if (t) blocks.push({ kind: 'text', text: t });
    para = [];
  };
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = squash(lines[i]!);
    if (!line) {
      flush();
      continue;
    }
    const next = nextNonEmpty(lines, i + 1);
    const previousEnded = para.length === 0 || /[.!?:;)"”]$/.test(para[para.length - 1]!);
    if (previousEnded && next !== undefined && looksLikeHeading(line) && startsSentence(next)) {
      flush();
      blocks.push({ kind: 'heading', level: 1, text: line.replace(/:$/, '') });
      continue;
    }
    // A bullet or numbered item starts its own line of prose.
    if (/^([-*•·]|\d{1,2}[.)])\s/.test(line)) {
      flush();
      para.push(line.replace(/^([-*•·])\s+/, ''));
      flush();
      continue;
    }
    para.push(line);
  }
  flush();
  return blocks;
}

function nextNonEmpty(lines: readonly string[], from: number): string | undefined {
  for (let i = from; i < lines.length; i++) if (lines[i]!.trim()) return lines[i];
  return undefined;
}

/** Words a wrapped line may end on but a heading does not. */
const CONTINUES = /\b(and|or|of|the|a|an|to|with|for|in|on|at|by|from|our|your|is|are|we)$/i;

function looksLikeHeading(line: string): boolean {
  const words = line.split(' ').length;
  if (words > MAX_HEADING_WORDS) return false;
  if (/[.!?,;]$/.test(line) || CONTINUES.test(line)) return false;
  return /^[\p{Lu}\p{N}]/u.test(line) && !/^([-*•·]|\d{1,2}[.)])\s/.test(line);
}

/** What follows a heading starts afresh: a capital, a digit, a bullet or a quote. */
function startsSentence(line: string): boolean {
  return /^\s*[\p{Lu}\p{N}\-*•·"“(]/u.test(line);
}
