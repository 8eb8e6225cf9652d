import { findPhrase } from '../../agent/index.js';

/**
 * Phrase matching that says how good the match is. Patterns use the agent's syntax ("cancel*" a
 * prefix, "a|b" alternatives, `gap` words allowed between phrase words); a literal match is
 * 'exact', one that needs the agent's tolerance for misspelt long words (text.ts) or one of a
 * recognizer's known mishearings ("cancel my point meant") is 'fuzzy'.
 */

export interface PhraseRule {
  p: string;
  gap?: number;
  /** How the offline recognizer mishears the phrase: evidence, but never exact evidence. */
  misheard?: boolean;
}

export type MatchStrength = 'exact' | 'fuzzy';

export interface RuleMatch {
  strength: MatchStrength;
  /** The words that matched, as heard. */
  words: string;
  /** Phrase words matched (a two-word phrase is stronger evidence than one word). */
  length: number;
}

function literal(pattern: string, word: string): boolean {
  return pattern
    .split('|')
    .some((alt) => (alt.endsWith('*') ? word.startsWith(alt.slice(0, -1)) : word === alt));
}

/** findPhrase without tolerance: every word as written (or its prefix). */
export function findExact(
  words: readonly string[],
  phrase: string,
  gap = 0,
): { start: number; end: number } | undefined {
  const parts = phrase.split(' ').filter(Boolean);
  const first = parts[0];
  if (!first) return undefined;
  for (let i = 0; i < words.length; i++) {
    if (!literal(first, words[i] ?? '')) continue;
    let pos = i;
    let ok = true;
    for (let p = 1; p < parts.length && ok; p++) {
      ok = false;
      for (let k = pos + 1; k <= Math.min(words.length - 1, pos + 1 + gap); k++) {
        if (literal(parts[p] ?? '', words[k] ?? '')) {
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

/**
 * The best match of any rule in `words`: exact before fuzzy, longer before shorter. `notTypos`:
 * real words that are within fuzzy distance of a pattern word but mean something else ("looking"
 * is not "booking"); they only ever match literally.
 */
export function matchRules(
  words: readonly string[],
  rules: readonly PhraseRule[],
  notTypos: ReadonlySet<string> = new Set(),
): RuleMatch | undefined {
  const loose = words.map((w) => (notTypos.has(w) ? '_' : w));
  let best: RuleMatch | undefined;
  const better = (m: RuleMatch) =>
    !best ||
    (m.strength === 'exact' && best.strength === 'fuzzy') ||
    (m.strength === best.strength && m.length > best.length);
  for (const r of rules) {
    const length = r.p.split(' ').filter(Boolean).length;
    const exact = findExact(words, r.p, r.gap ?? 0);
    if (exact) {
      const m: RuleMatch = {
        strength: r.misheard ? 'fuzzy' : 'exact',
        words: words.slice(exact.start, exact.end).join(' '),
        length,
      };
      if (better(m)) best = m;
      continue;
    }
    const fuzzy = findPhrase(loose, r.p, r.gap ?? 0);
    if (fuzzy) {
      const m: RuleMatch = {
        strength: 'fuzzy',
        words: words.slice(fuzzy.start, fuzzy.end).join(' '),
        length,
      };
      if (better(m)) best = m;
    }
  }
  return best;
}

/** Only literal matches: cheap enough for every interim. */
export function matchRulesExactly(
  words: readonly string[],
  rules: readonly PhraseRule[],
): RuleMatch | undefined {
  let best: RuleMatch | undefined;
  for (const r of rules) {
    if (r.misheard) continue;
    const m = findExact(words, r.p, r.gap ?? 0);
    const length = r.p.split(' ').filter(Boolean).length;
    if (m && (!best || length > best.length))
      best = { strength: 'exact', words: words.slice(m.start, m.end).join(' '), length };
  }
  return best;
}
