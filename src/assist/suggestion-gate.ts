import { tokens } from '../agent/index.js';
import type { Candidate } from './coach/index.js';

/**
 * Which of the coach's candidates reach the agent's screen. A card the agent has already seen
 * (same kind and intent, the same passage for knowledge answers, or near-identical words) is not
 * shown again in the call; new cards come
 * at most one every `cardIntervalMs` so the screen stays readable, except high-priority ones
 * (emergencies, complaints, compliance), which are never held back; a card from words still being
 * spoken needs `minInterimConfidence`, as those words may yet change.
 */

export interface SuggestionGateOptions {
  cardIntervalMs: number;
  /** Default 0.7. */
  minInterimConfidence?: number;
}

/** Word overlap (Jaccard) at or above which two cards say the same thing. */
const NEAR_IDENTICAL = 0.8;

/** What identifies a card: kind and intent (knowledge answers: their passage). */
type CardKey = Pick<Candidate, 'kind' | 'intent'> & { evidence?: Candidate['evidence'] };

interface Shown {
  key: string;
  words: Set<string>;
  confidence: number;
}

export class SuggestionGate {
  private readonly shown: Shown[] = [];
  private lastAtMs: number | undefined;
  private readonly minInterim: number;

  constructor(private readonly opts: SuggestionGateOptions) {
    this.minInterim = opts.minInterimConfidence ?? 0.7;
  }

  /**
   * Whether to show it: duplicates (same kind+intent, or near-identical content, within the call)
   * are suppressed; at most one new card per cardIntervalMs unless priority 'high'; interim-based
   * candidates only above minInterimConfidence (default ~0.7). A final may upgrade an interim
   * card's confidence but never shows the same card twice.
   */
  admit(c: Candidate, atMs: number): boolean {
    if (c.basis === 'interim' && c.confidence < this.minInterim) return false;
    const key = keyOf(c);
    const same = this.shown.find((s) => s.key === key);
    if (same) {
      same.confidence = Math.max(same.confidence, c.confidence);
      return false;
    }
    const words = new Set(tokens(c.content));
    if (this.shown.some((s) => jaccard(s.words, words) >= NEAR_IDENTICAL)) return false;
    if (
      c.priority !== 'high' &&
      this.lastAtMs !== undefined &&
      atMs - this.lastAtMs < this.opts.cardIntervalMs
    )
      return false;
    this.shown.push({ key, words, confidence: c.confidence });
    if (c.priority !== 'high') this.lastAtMs = atMs;
    return true;
  }

  /** The best confidence seen for a card already shown (a final may have raised it), if shown. */
  shownConfidence(c: CardKey): number | undefined {
    return this.shown.find((s) => s.key === keyOf(c))?.confidence;
  }
}

/**
 * What makes two cards the same: kind and intent; for knowledge answers (which have no intent) the
 * passage they quote, so a second question's answer is a new card.
 */
function keyOf(c: CardKey): string {
  if (c.kind === 'knowledge') {
    const p = c.evidence?.passage;
    return `knowledge:${p?.title ?? ''}:${p?.text ?? ''}`;
  }
  return `${c.kind}:${c.intent ?? ''}`;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let both = 0;
  for (const w of a) if (b.has(w)) both++;
  return both / (a.size + b.size - both);
}
