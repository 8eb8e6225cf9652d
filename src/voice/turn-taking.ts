import { z } from 'zod';

/**
 * Turn-taking settings with their documented defaults; a business may override any of them
 * (business settings `turnTaking`). Times are ms of audio.
 */
export const turnTakingSchema = z.object({
  /** Silence after the caller's words that ends their turn. */
  endOfTurnSilenceMs: z.number().int().min(200).max(5000).default(500),
  /** Extra wait when the words so far are plainly unfinished ("my address is", "and um"). */
  unfinishedExtraMs: z.number().int().min(0).max(5000).default(800),
  /** Shortest sound that counts as the caller speaking at all (a click or cough is shorter). */
  minTurnSpeechMs: z.number().int().min(60).max(2000).default(160),
  /** Caller speech over the agent must last this long to interrupt it (with words heard). */
  minInterruptSpeechMs: z.number().int().min(100).max(3000).default(300),
  /**
   * Caller speech over the agent with no real word heard yet (nothing, or only "uh-huh") pauses
   * the agent once it has gone on this long: too long to be a backchannel. The agent resumes from
   * where it was heard if the words turn out to be a backchannel, noise or nothing.
   */
  unconfirmedInterruptMs: z.number().int().min(300).max(5000).default(800),
  /** Words that acknowledge without taking the turn; said alone over the agent, they do not interrupt. */
  backchannelWords: z
    .array(z.string())
    .default([
      'uh-huh',
      'uh huh',
      'mm-hmm',
      'mhm',
      'mm',
      'hmm',
      'okay',
      'ok',
      'alright',
      'all right',
      'yeah',
      'yep',
      'right',
      'sure',
      'i see',
      'got it',
    ]),
  /** How long to wait for the next keypad digit before taking the digits so far. */
  digitTimeoutMs: z.number().int().min(500).max(20_000).default(3000),
  /** Silence after the agent finishes before the caller is prompted again. */
  noInputTimeoutMs: z.number().int().min(2000).max(60_000).default(8000),
  /** Around a keypress, audio never interrupts (the tone itself is not speech). */
  dtmfGuardMs: z.number().int().min(0).max(3000).default(600),
});

export type TurnTakingConfig = z.infer<typeof turnTakingSchema>;

export const DEFAULT_TURN_TAKING: TurnTakingConfig = turnTakingSchema.parse({});

/** A business's overrides on top of the defaults; invalid overrides fall back to defaults. */
export function turnTakingFor(overrides: unknown): TurnTakingConfig {
  const r = turnTakingSchema.safeParse(overrides ?? {});
  return r.success ? r.data : DEFAULT_TURN_TAKING;
}

const UNFINISHED_TAIL =
  /\b(and|or|but|so|because|the|a|an|my|our|your|to|of|for|with|at|on|in|is|was|are|um|uh|er|like|it's|its|i'm|i|we|number|address|name|about|from)$/i;

/** True when the words end where a sentence plainly goes on ("my number is", "and um"). */
export function looksUnfinished(text: string): boolean {
  const t = text.trim().replace(/[,;:-]+$/, '');
  if (!t) return false;
  return UNFINISHED_TAIL.test(t);
}

/** Sounds that carry no words: said alone they neither take the turn nor confirm a barge-in. */
const FILLERS = ['uh', 'um', 'er', 'ah', 'oh', 'hm', 'mm'];
/**
 * Short words an offline recognizer puts on any short sound: PocketSphinx hears "mm-hmm, yeah"
 * as "do you", "yeah" as "you", "uh-huh" as "are", a breath as "the". Alone they are not
 * evidence of a request.
 */
const WEAK_WORDS = [
  'you',
  'the',
  'a',
  'do',
  'to',
  'it',
  'and',
  'in',
  'of',
  'i',
  'are',
  'am',
  'on',
  'is',
  'at',
];

/** Lower case, hyphens as spaces ("mm-hmm" = "mm hmm"), no punctuation. */
function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** What is left of `text` once `removed` (acknowledgements, fillers, ...) are taken out. */
function realWords(text: string, removed: readonly string[]): string {
  let t = ` ${normalize(text)} `;
  for (const w of removed.map(normalize).sort((a, b) => b.length - a.length)) {
    if (!w) continue;
    const escaped = w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(` ${escaped} `, 'g');
    // Again until none is left: matches that share a space ("okay okay") are found one pass apart.
    for (let prev = ''; prev !== t;) [prev, t] = [t, t.replace(re, ' ')];
  }
  return t.trim();
}

/** True when the words are only acknowledgements ("okay", "uh huh yeah", "mm-hmm"). */
export function isBackchannel(text: string, words: readonly string[]): boolean {
  if (normalize(text) === '') return false;
  return realWords(text, [...words, ...FILLERS]) === '';
}

/**
 * True when the words hold evidence of a request: a word that is not an acknowledgement, a filler,
 * or one of the short words a recognizer puts on any sound ("you", "the").
 */
export function hasRealWords(text: string, words: readonly string[]): boolean {
  return realWords(text, [...words, ...FILLERS, ...WEAK_WORDS]) !== '';
}
