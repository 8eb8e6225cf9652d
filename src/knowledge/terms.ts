/**
 * The words a business's knowledge base is about, for the offline recognizer's open model: a
 * caller asking about "sump pumps" or "Invisalign" can only be heard if the language model knows
 * those words. Titles and headings are kept whole (they are how people name the topics); from the
 * running text, content words that recur are kept, most frequent first.
 */

// prettier-ignore
const FUNCTION_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'and', 'or', 'but', 'if', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'with',
  'from', 'as', 'is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'do', 'does', 'did',
  'have', 'has', 'had', 'it', 'its', 'this', 'that', 'these', 'those', 'i', 'me', 'my', 'we',
  'our', 'us', 'you', 'your', 'he', 'she', 'they', 'them', 'their', 'his', 'her', 'so', 'can',
  'could', 'would', 'should', 'will', 'shall', 'may', 'might', 'must', 'just', 'about', 'what',
  'which', 'who', 'whom', 'there', 'here', 'than', 'then', 'into', 'up', 'out', 'not', 'no',
  'all', 'any', 'each', 'also', 'more', 'most', 'other', 'some', 'such', 'only', 'own', 'same',
  'very', 'per', 'via', 'etc', 'when', 'where', 'how', 'why', 'over', 'under', 'after', 'before',
]);

export interface TermSource {
  readonly titles: readonly string[];
  readonly headings: readonly string[];
  readonly texts: readonly string[];
}

/** Lower-case words as a recognizer's dictionary spells them (letters and inner apostrophes). */
function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 1);
}

/**
 * Phrases for the language model: every title and heading (deduplicated, at most 12 words each),
 * then up to `maxWords` recurring content words of the texts (seen at least twice).
 */
export function knowledgeTerms(source: TermSource, maxWords = 300): string[] {
  const phrases = new Set<string>();
  for (const t of [...source.titles, ...source.headings]) {
    // "Frequently asked questions › Do you charge for estimates?": each part is a phrase.
    for (const part of t.split(/[›>|:]/)) {
      const w = wordsOf(part).slice(0, 12);
      if (w.length > 0) phrases.add(w.join(' '));
    }
  }
  const counts = new Map<string, number>();
  for (const text of source.texts) {
    for (const w of wordsOf(text)) {
      if (w.length < 3 || FUNCTION_WORDS.has(w)) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const recurring = [...counts]
    .filter(([, n]) => n >= 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxWords)
    .map(([w]) => w);
  return [...phrases, ...recurring];
}
