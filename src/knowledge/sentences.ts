/**
 * Sentence boundaries for chunking and for picking the passage to quote: after . ! ? followed by
 * space and a capital, digit or quote, except after common abbreviations ("Dr. Lee", "St. Paul")
 * and initials.
 */

const ABBREVIATION = /(?:^|\s)(?:Dr|Mr|Mrs|Ms|St|Ave|Rd|Inc|Ltd|Co|No|Nos|approx|vs|etc|e\.g|i\.e|[A-Z])\.$/;

export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const re = /[.!?]+["”’)]?\s+(?=["“‘(]?[\p{Lu}\p{N}$])/gu;
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const end = m.index + m[0].trimEnd().length;
    const candidate = text.slice(start, end);
    if (ABBREVIATION.test(candidate)) continue;
    if (candidate.trim()) out.push(candidate.trim());
    start = m.index + m[0].length;
  }
  const tail = text.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}
