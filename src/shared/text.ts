/**
 * Text the whole house splits the same way: words (for search terms and embeddings) and sentences
 * (for speech, so the first can be spoken while the rest is built, and for knowledge chunks and
 * quoted passages). Word matching for noisy transcripts, which expands contractions and forgives
 * misspellings, is the agent's own (src/agent/text.ts): it answers a different question.
 */

/** Lower-case words without accents, apostrophes joined ("don't" -> "dont"), split at anything else. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/(\p{L})['’](\p{L})/gu, '$1$2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/**
 * Splits text into speakable sentences, so speech can start before a reply is complete: once
 * over whole text, or incrementally over streaming deltas from an LLM (SentenceSplitter).
 * A sentence longer than `maxChars` is cut at a clause mark (, ; : dash), else at a space.
 */

export interface SplitOptions {
  /**
   * Longest piece handed to the synthesizer; longer sentences are cut into clauses. Default 200.
   * Infinity keeps whole sentences (knowledge chunks and passages).
   */
  readonly maxChars?: number;
}

const DEFAULT_MAX_CHARS = 200;

/** Abbreviations that are followed by more of the same sentence (titles, "e.g.", "ext."). */
// prettier-ignore
const NEVER_ENDS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'rev', 'hon', 'fr', 'capt', 'sgt', 'lt', 'col', 'gen', 'gov',
  'sen', 'rep', 'mt', 'ft', 'e.g', 'i.e', 'cf', 'vs', 'approx', 'ext', 'tel', 'apt', 'ste', 'dept',
  'fig', 'vol', 'nos',
]);

/** Abbreviations that end a sentence only when a capitalised word follows ("at 9 a.m. Call us"). */
// prettier-ignore
const ENDS_BEFORE_CAPITAL = new Set([
  'jr', 'sr', 'inc', 'ltd', 'co', 'corp', 'llc', 'bros', 'ave', 'blvd', 'rd', 'ln', 'hwy', 'pkwy',
  'etc', 'no', 'am', 'pm', 'est', 'pst', 'cst', 'mst', 'edt', 'pdt', 'cdt', 'mdt', 'hrs', 'hr',
  'min', 'mins', 'sec', 'secs', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep',
  'sept', 'oct', 'nov', 'dec', 'mon', 'tue', 'tues', 'wed', 'thu', 'thur', 'thurs', 'fri', 'sat',
  'sun',
]);

/** Words that carry on a sentence after "a.m."/"p.m." ("at 9 a.m. Tuesday", "5 p.m. Eastern"). */
// prettier-ignore
const AFTER_TIME = new Set([
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'january',
  'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
  'november', 'december', 'eastern', 'central', 'mountain', 'pacific', 'et', 'ct', 'mt', 'pt',
  'est', 'cst', 'mst', 'pst', 'edt', 'cdt', 'mdt', 'pdt', 'utc', 'gmt',
]);

const TERMINATORS = '.!?…';
const CLOSERS = `"')]}”’»`;
const OPENERS = `"'([{“‘«`;

type Decision = 'end' | 'continue' | 'undecided';

interface Scan {
  readonly sentences: string[];
  /** Text not yet known to end a sentence. */
  readonly rest: string;
}

/** Splits whole text into sentences (and clauses, for long ones). */
export function splitSentences(text: string, options: SplitOptions = {}): string[] {
  const { sentences, rest } = scan(text, true, options.maxChars ?? DEFAULT_MAX_CHARS);
  return rest === '' ? sentences : [...sentences, ...speakable([rest.trim()])];
}

/**
 * Incremental splitter for streamed text: push deltas as they arrive and get back each sentence
 * as soon as its end is certain (usually when the space after its full stop arrives; a little
 * later after abbreviations such as "a.m." whose reading depends on the next word).
 */
export class SentenceSplitter {
  private buffer = '';
  private readonly maxChars: number;

  constructor(options: SplitOptions = {}) {
    this.maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  }

  push(delta: string): string[] {
    this.buffer += delta;
    const { sentences, rest } = scan(this.buffer, false, this.maxChars);
    this.buffer = rest;
    return sentences;
  }

  /** End of stream: whatever is left is the last sentence. */
  flush(): string[] {
    const { sentences, rest } = scan(this.buffer, true, this.maxChars);
    this.buffer = '';
    return rest === '' ? sentences : [...sentences, ...speakable([rest.trim()])];
  }

  /** Text held back, waiting for the end of its sentence. */
  pending(): string {
    return this.buffer;
  }
}

function scan(text: string, final: boolean, maxChars: number): Scan {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '\n') {
      out.push(...cutLong(text.slice(start, i), maxChars));
      start = i + 1;
      i++;
      continue;
    }
    if (!TERMINATORS.includes(ch)) {
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && TERMINATORS.includes(text.charAt(j))) j++;
    const run = text.slice(i, j);
    while (j < text.length && CLOSERS.includes(text.charAt(j))) j++;
    const decision = decide(text, start, i, run, j, final);
    if (decision === 'undecided') break;
    if (decision === 'end') {
      out.push(...cutLong(text.slice(start, j), maxChars));
      start = j;
    }
    i = j;
  }
  let rest = text.slice(start);
  if (final) {
    out.push(...cutLong(rest, maxChars));
    rest = '';
  } else {
    // An unfinished sentence already too long to wait for: speak its complete clauses now.
    while (rest.trim().length > maxChars) {
      const cut = cutPoint(rest.trimStart(), maxChars);
      const trimmed = rest.trimStart();
      out.push(...speakable([trimmed.slice(0, cut).trim()]));
      rest = trimmed.slice(cut);
    }
    if (rest.trim() === '') rest = '';
  }
  return { sentences: speakable(out), rest };
}

/**
 * Does the terminator run text[i..) (closers included up to j) end the sentence begun at start?
 */
function decide(text: string, start: number, i: number, run: string, j: number, final: boolean): Decision {
  if (j >= text.length) return final ? 'end' : 'undecided';
  if (!/\s/.test(text.charAt(j))) return 'continue'; // 3.5, a.m, example.com
  if (run.includes('!') || run.includes('?')) return 'end';

  const token = lastToken(text, start, i);
  const lower = token.toLowerCase();
  const next = nextNonSpace(text, j);
  const ellipsis = run.length > 1 || run === '…';

  if (!ellipsis) {
    if (NEVER_ENDS.has(lower)) return 'continue';
    // A numbered list item: "1. Call the office".
    if (/^\d+$/.test(token) && text.slice(start, i).trim() === token) return 'continue';
    // An initial: "J. Smith".
    if (/^\p{Lu}$/u.test(token)) return 'continue';
  }
  const needsCapital =
    ellipsis || ENDS_BEFORE_CAPITAL.has(lower) || /^(\p{L}\.)+\p{L}$/u.test(token) || lower === 'st';
  if (!needsCapital) return 'end';
  if (next === undefined) return final ? 'end' : 'undecided';
  if (!/[\p{Lu}"“'‘(]/u.test(next)) return 'continue';
  if (['am', 'pm', 'a.m', 'p.m'].includes(lower)) {
    const word = nextWord(text, j, final);
    if (word === undefined) return final ? 'end' : 'undecided';
    if (AFTER_TIME.has(word.toLowerCase())) return 'continue';
  }
  // "St." after a capitalised word is Street (may end a sentence); otherwise Saint ("St. Louis").
  if (lower === 'st') return /^\p{Lu}/u.test(wordBefore(text, start, i - token.length)) ? 'end' : 'continue';
  return 'end';
}

function lastToken(text: string, start: number, end: number): string {
  let k = end;
  while (k > start && !/\s/.test(text.charAt(k - 1))) k--;
  let token = text.slice(k, end);
  while (token !== '' && OPENERS.includes(token.charAt(0))) token = token.slice(1);
  return token;
}

function wordBefore(text: string, start: number, end: number): string {
  let k = end;
  while (k > start && /\s/.test(text.charAt(k - 1))) k--;
  return lastToken(text, start, k);
}

function nextNonSpace(text: string, from: number): string | undefined {
  for (let k = from; k < text.length; k++) {
    const c = text.charAt(k);
    if (!/\s/.test(c)) return c;
  }
  return undefined;
}

/** The word starting after `from`, or undefined while it may still be growing. */
function nextWord(text: string, from: number, final: boolean): string | undefined {
  const m = (final ? /^\s*(\p{L}+)/u : /^\s*(\p{L}+)(?=[^\p{L}])/u).exec(text.slice(from));
  return m?.[1];
}

/** Cuts an over-long sentence into clauses of at most maxChars. */
function cutLong(sentence: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let rest = sentence.trim();
  while (rest.length > maxChars) {
    const cut = cutPoint(rest, maxChars);
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  pieces.push(rest);
  return pieces;
}

/** Where to cut text longer than maxChars: after the last clause mark, else the last space. */
function cutPoint(text: string, maxChars: number): number {
  const window = text.slice(0, maxChars + 1);
  let best = -1;
  const clause = /[,;:](?=\s)|\s[—–-](?=\s)|—/g;
  for (let m = clause.exec(window); m !== null; m = clause.exec(window)) {
    const at = m.index + m[0].length;
    if (at <= maxChars && at > maxChars / 4) best = at;
  }
  if (best > 0) return best;
  const space = window.lastIndexOf(' ');
  return space > 0 ? space : maxChars;
}

/** Drops pieces with nothing to say ("", "...", "—"). */
function speakable(pieces: string[]): string[] {
  return pieces.map((p) => p.trim()).filter((p) => /[\p{L}\p{N}]/u.test(p));
}

/**
 * Text as a database can keep it: PostgreSQL text holds no NUL, and a lone UTF-16 surrogate is not
 * valid UTF-8 (PGlite garbles it into bytes it then refuses). Both would lose the whole write.
 */
export function storableText(text: string): string {
  return text
    .replaceAll('\u0000', '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
