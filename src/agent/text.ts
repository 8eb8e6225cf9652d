import { NOT_TYPOS } from './not-typos.js';

/**
 * Text normalisation and fuzzy phrase matching for noisy speech transcripts. Offline STT gets
 * roughly four words in ten wrong on phone audio, so matching tolerates small misspellings of
 * long words and never depends on punctuation or case.
 */

const CONTRACTIONS: [RegExp, string | ((m: string) => string)][] = [
  [/\bcan't\b/g, 'can not'],
  [/\bcannot\b/g, 'can not'],
  [/\bwon't\b/g, 'will not'],
  [/\bain't\b/g, 'is not'],
  [/\blet's\b/g, 'let us'],
  [/n't\b/g, ' not'],
  [/'re\b/g, ' are'],
  [/'ll\b/g, ' will'],
  [/'ve\b/g, ' have'],
  [/'d\b/g, ' would'],
  [/'m\b/g, ' am'],
  [/\b(it|that|what|there|here|who|where|when|how|he|she)'s\b/g, '$1 is'],
  [/'s\b/g, ''],
  // Typed chat often drops the apostrophe.
  [/\b(cant)\b/g, 'can not'],
  [
    /\b(dont|doesnt|didnt|isnt|wasnt|arent|werent|wouldnt|couldnt|shouldnt|hasnt|havent|hadnt)\b/g,
    (m: string) => `${m.slice(0, -2)} not`,
  ],
  [/\b(wont)\b/g, 'will not'],
  [/\b(theres)\b/g, 'there is'],
  [/\b(whats)\b/g, 'what is'],
  [/\b(im)\b/g, 'i am'],
];

/** Lower case, contractions expanded, punctuation gone, single spaces. Digits are kept. */
export function normalize(text: string): string {
  let s = text
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    // O'Brien, D'Angelo: one word, not "o brien".
    .replace(/\b([od])'(?=[a-z]{2})/g, '$1');
  for (const [re, rep] of CONTRACTIONS) s = typeof rep === 'string' ? s.replace(re, rep) : s.replace(re, rep);
  return s
    .replace(/[^a-z0-9\s]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function tokens(text: string): string[] {
  const n = normalize(text);
  return n ? n.split(' ') : [];
}

/** Levenshtein distance, giving up early (returns max+1) once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** How many edits a word of this length may take and still count: short words must be exact. */
export function tolerance(word: string): number {
  if (word.length >= 8) return 2;
  if (word.length >= 5) return 1;
  return 0;
}

/**
 * A pattern word: a literal ("flood"), a prefix ("flood*" matches flooding, flooded), or
 * alternatives ("pipe|pipes|piping"). Literals and prefixes are matched fuzzily by length.
 */
export function wordMatches(pattern: string, word: string): boolean {
  return matchWord(pattern, word, !NOT_TYPOS.has(word));
}

/** As wordMatches, but without the list of real words that are not typos (for the generator). */
export function wordMatchesLoosely(pattern: string, word: string): boolean {
  return matchWord(pattern, word, true);
}

function matchWord(pattern: string, word: string, fuzzy: boolean): boolean {
  for (const alt of pattern.split('|')) {
    if (alt.endsWith('*')) {
      const stem = alt.slice(0, -1);
      if (word.startsWith(stem)) return true;
      const tol = fuzzy ? tolerance(stem) : 0;
      if (tol > 0 && word.length >= stem.length && editDistance(stem, word.slice(0, stem.length), tol) <= tol)
        return true;
    } else {
      if (word === alt) return true;
      const tol = fuzzy ? tolerance(alt) : 0;
      if (tol > 0 && editDistance(alt, word, tol) <= tol) return true;
    }
  }
  return false;
}

export interface PhraseMatch {
  /** Index of the first matched token. */
  start: number;
  /** Index one past the last matched token. */
  end: number;
}

/**
 * Find a phrase ("burst pipe*") in a token list. `gap` lets that many unrelated words sit between
 * consecutive phrase words ("burst water pipe", "smell of gas").
 */
export function findPhrase(words: readonly string[], phrase: string, gap = 0): PhraseMatch | undefined {
  const parts = phrase.split(' ').filter(Boolean);
  const first = parts[0];
  if (!first) return undefined;
  for (let i = 0; i < words.length; i++) {
    if (!wordMatches(first, words[i] ?? '')) continue;
    let pos = i;
    let ok = true;
    for (let p = 1; p < parts.length && ok; p++) {
      ok = false;
      for (let k = pos + 1; k <= Math.min(words.length - 1, pos + 1 + gap); k++) {
        if (wordMatches(parts[p] ?? '', words[k] ?? '')) {
          pos = k;
          ok = true;
          break;
        }
      }
    }
    if (ok) return { start: i, end: pos + 1 };
  }
  return undefined;
}

export function hasAnyPhrase(words: readonly string[], phrases: readonly string[], gap = 0): boolean {
  return phrases.some((p) => findPhrase(words, p, gap) !== undefined);
}
