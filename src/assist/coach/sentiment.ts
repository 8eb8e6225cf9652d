import { tokens } from '../../agent/index.js';

/**
 * The customer's mood from their words, offline and without a dependency: a small lexicon of
 * plainly positive and negative words and phrases, flipped (and damped) by a negation just before,
 * strengthened by an intensifier, squashed into -1..1. The trend compares an exponential average of
 * the utterances with the average before the last one.
 */

export type SentimentLabel = 'negative' | 'neutral' | 'positive';
export type SentimentTrend = 'improving' | 'steady' | 'worsening';

export interface SentimentReading {
  score: number;
  label: SentimentLabel;
  trend: SentimentTrend;
}

/** Word (or two-word phrase) → valence, -3..3. */
const LEXICON: Record<string, number> = {
  // negative
  terrible: -3,
  awful: -3,
  horrible: -3,
  worst: -3,
  unacceptable: -3,
  ridiculous: -2.5,
  furious: -3,
  disgusted: -3,
  angry: -2.5,
  livid: -3,
  frustrated: -2.5,
  frustrating: -2.5,
  annoyed: -2,
  annoying: -2,
  upset: -2,
  disappointed: -2.5,
  disappointing: -2.5,
  useless: -2.5,
  incompetent: -3,
  rude: -2.5,
  hate: -2.5,
  bad: -1.5,
  poor: -1.5,
  unhappy: -2.5,
  waste: -2,
  wasted: -2,
  complaint: -1.5,
  complain: -1.5,
  refund: -1,
  problem: -0.5,
  problems: -0.5,
  broken: -1,
  worried: -1.5,
  scared: -1.5,
  stressed: -1.5,
  sick: -1.5,
  tired: -1,
  late: -1,
  never: -0.5,
  again: -0.5,
  still: -0.5,
  'fed up': -2.5,
  'rip off': -3,
  'no show': -2,
  'not happy': -2.5,
  // positive
  great: 2,
  good: 1.5,
  perfect: 2.5,
  excellent: 3,
  wonderful: 3,
  fantastic: 3,
  awesome: 2.5,
  amazing: 2.5,
  brilliant: 2.5,
  lovely: 2,
  nice: 1.5,
  happy: 2,
  glad: 2,
  pleased: 2,
  helpful: 2,
  thanks: 1.5,
  thank: 1.5,
  appreciate: 2,
  love: 2.5,
  relieved: 2,
  fine: 0.5,
  'sounds good': 2,
  'no problem': 1,
};

/** Before a scored word: this much stronger. */
const INTENSIFIERS: Record<string, number> = {
  very: 1.4,
  really: 1.4,
  so: 1.3,
  extremely: 1.6,
  absolutely: 1.5,
  totally: 1.4,
  completely: 1.4,
  incredibly: 1.6,
  super: 1.3,
  too: 1.2,
};

const NEGATORS = new Set(['not', 'no', 'never', 'nothing', 'hardly', 'without']);
const NEGATION_WINDOW = 3;
/** VADER's normalisation constant: a sum of ±4 reads as about ±0.72. */
const ALPHA = 15;

/** The score of one utterance, -1..1 (0 when no word of the lexicon is in it). */
export function scoreSentiment(text: string): number {
  const words = tokens(text);
  let sum = 0;
  for (let i = 0; i < words.length; i++) {
    const pair = `${words[i]} ${words[i + 1] ?? ''}`;
    const phrase = LEXICON[pair] !== undefined ? pair : undefined;
    const valence = phrase ? LEXICON[pair] : LEXICON[words[i] ?? ''];
    if (valence === undefined) continue;
    let v = valence;
    const before = words.slice(Math.max(0, i - NEGATION_WINDOW), i);
    const boost = INTENSIFIERS[before.at(-1) ?? ''];
    if (boost) v *= boost;
    // "not bad" is mildly good, "not good" is bad; a phrase that holds its own negation is not flipped.
    if (
      !(phrase ?? '').startsWith('not ') &&
      !(phrase ?? '').startsWith('no ') &&
      before.some((w) => NEGATORS.has(w))
    )
      v *= -0.6;
    sum += v;
    if (phrase) i++;
  }
  return sum === 0 ? 0 : round(sum / Math.sqrt(sum * sum + ALPHA));
}

export function labelOf(score: number): SentimentLabel {
  if (score <= -0.25) return 'negative';
  if (score >= 0.25) return 'positive';
  return 'neutral';
}

/** Weight of the newest utterance in the running average. */
const SMOOTHING = 0.5;
/** How far the average must move between utterances to be a trend. */
const TREND_STEP = 0.12;

/** The mood over a call: one reading per final customer utterance. */
export class SentimentTracker {
  private average: number | undefined;
  private last: SentimentReading | undefined;

  /** Adds an utterance; returns the reading after it and the average before it. */
  add(text: string): { reading: SentimentReading; previous: number | undefined } {
    const score = scoreSentiment(text);
    const previous = this.average;
    const average = previous === undefined ? score : SMOOTHING * score + (1 - SMOOTHING) * previous;
    this.average = round(average);
    const delta = previous === undefined ? 0 : average - previous;
    const trend: SentimentTrend =
      delta <= -TREND_STEP ? 'worsening' : delta >= TREND_STEP ? 'improving' : 'steady';
    this.last = { score: this.average, label: labelOf(this.average), trend };
    return { reading: this.last, previous };
  }

  current(): SentimentReading | undefined {
    return this.last;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
