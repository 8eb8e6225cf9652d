/**
 * What every extractor produces: the document's headings and its text paragraphs, in order,
 * with all markup gone. The chunker cuts these; the plain text kept with the document is made
 * from them too.
 */
export type Block =
  /** level 1 is the top (h1, "#"); deeper headings nest under shallower ones. */
  | { kind: 'heading'; level: number; text: string }
  /** A paragraph, list item, table row or similar run of prose. */
  | { kind: 'text'; text: string };

export interface ExtractedDocument {
  blocks: Block[];
  /** A title the document carries itself (HTML <title>, a Markdown document's first h1). */
  title?: string;
}

/** Runs of whitespace to one space, ends trimmed. */
export function squash(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The blocks as plain text: headings on their own lines, paragraphs separated by blank lines. */
export function blocksToText(blocks: readonly Block[]): string {
  return blocks.map((b) => b.text).join('\n\n');
}

/** Words, as the chunker counts them. */
export function wordCount(s: string): number {
  const m = s.match(/\S+/g);
  return m ? m.length : 0;
}
