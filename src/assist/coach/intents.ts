import {
  categoriesFor,
  hasAnyPhrase,
  tokens,
  weighEmergency,
  type EmergencyCategory,
} from '../../agent/index.js';
import type { Trade } from '../../business/index.js';
import type { AssistIntent } from '../events.js';
import { matchRules, matchRulesExactly, type PhraseRule, type RuleMatch } from './phrases.js';

/**
 * Which of assist's intents the customer's words show, and how strongly. The words come from an
 * offline recognizer that gets many of them wrong ("how much does it cause", "cancel my point
 * meant"), so each intent is a table of phrases, known mishearings among them, matched on the best
 * reading and then on the recognizer's other readings (N-best). Emergencies are the agent's own
 * detector (emergency.ts), for the business's trade.
 */

const PRICING: PhraseRule[] = [
  { p: 'how much' },
  { p: 'price*' },
  { p: 'pricing' },
  { p: 'cost|costs|costing' },
  { p: 'quote|quotes|quotation' },
  { p: 'give me a price|quote|estimate|figure', gap: 1 },
  { p: 'estimate|estimates' },
  { p: 'rates' },
  { p: 'your|the|hourly|flat rate' },
  { p: 'charge|charges|charging', gap: 0 },
  { p: 'expensive' },
  { p: 'fee|fees' },
  { p: 'ballpark' },
  { p: 'afford' },
  { p: 'what would|will|does it run', gap: 1 },
  { p: 'how much are we talking' },
  { p: 'is there a charge|fee|cost', gap: 1 },
  { p: 'what is|are the damage|cost|costs|price|prices' },
  { p: 'price range' },
  // PocketSphinx's usual readings of "cost", "price", "quote".
  { p: 'does it|that|this cause|caused|coast', misheard: true },
  { p: 'it cause|caused|coast to', misheard: true },
  { p: 'prize|prizes|prices', misheard: true },
  { p: 'a coat|quota for', misheard: true },
];

const BOOKING: PhraseRule[] = [
  { p: 'appointment*' },
  { p: 'book|booking' },
  { p: 'to book' },
  { p: 'book a|an|the|me|it|in|someone' },
  { p: 'schedule|scheduling' },
  { p: 'reschedule' },
  { p: 'come out|over|by' },
  { p: 'send someone|somebody|over' },
  { p: 'send a plumber|technician|tech' },
  { p: 'get someone|somebody out|over', gap: 1 },
  { p: 'available|availability' },
  { p: 'slot|slots' },
  { p: 'any openings|opening', gap: 1 },
  { p: 'tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday morning|afternoon|evening' },
  { p: 'next week' },
  { p: 'earliest|soonest' },
  { p: 'when can you|someone|somebody come', gap: 1 },
  { p: 'can someone|somebody|you come', gap: 1 },
  { p: 'set up a|an visit|time|appointment', gap: 1 },
  { p: 'make an|a appointment|booking', gap: 1 },
  { p: 'fit me|us in' },
  { p: 'come take|have a look', gap: 1 },
  { p: 'come round|around' },
  { p: 'when are you free' },
  { p: 'calendar' },
  { p: 'arrange|organise|organize a|an visit|appointment|time', gap: 1 },
  { p: 'need someone|somebody to come', gap: 1 },
  { p: 'a|the|my point meant|mint|man', misheard: true },
  { p: 'appoint meant|mint|man', misheard: true },
  { p: 'up|a point meant', misheard: true },
  { p: 'a pointment|appoint*', misheard: true },
  { p: 'schedules|scheduled', misheard: true },
];

const CANCELLATION: PhraseRule[] = [
  { p: 'cancel*' },
  { p: 'call|calling it|that|this off', gap: 1 },
  { p: 'call off' },
  { p: 'do not need', gap: 0 },
  { p: 'no longer need|want' },
  { p: 'stop the|my service', gap: 1 },
  { p: 'not going to make it' },
  { p: 'can not make it' },
  { p: 'not be needing' },
  { p: 'do not want the|my appointment|visit|booking', gap: 1 },
  { p: 'take me|us off the', gap: 1 },
  { p: 'scrap|drop the|my appointment|visit|booking', gap: 1 },
  { p: 'never mind the|my appointment|visit|booking', gap: 1 },
  { p: 'back out' },
  { p: 'no need to come' },
  { p: 'council|counsel|cancer|cancels my|the|it|that|this|our', misheard: true },
  { p: 'can sell|so my|the|it|that|this', misheard: true },
];

const COMPLAINT: PhraseRule[] = [
  { p: 'not happy|pleased|satisfied', gap: 1 },
  { p: 'dissatisfied' },
  { p: 'poor|bad|shoddy|sloppy job|service|work|experience', gap: 1 },
  { p: 'unhappy' },
  { p: 'terrible' },
  { p: 'awful' },
  { p: 'horrible' },
  { p: 'complain*' },
  { p: 'still broken|leaking|leaks|clogged|blocked|dripping' },
  { p: 'still not working|fixed', gap: 1 },
  { p: 'not|never fixed' },
  { p: 'did not fix|work', gap: 1 },
  { p: 'came last week|month|time', gap: 2 },
  { p: 'came|come|was|were out|here|over|by last|yesterday|before', gap: 1 },
  { p: 'same problem|issue|thing again|back', gap: 2 },
  { p: 'problem|issue|leak is|s back', gap: 1 },
  { p: 'happened again' },
  { p: 'messed|screwed up' },
  { p: 'made it worse', gap: 1 },
  { p: 'damaged my|the', gap: 1 },
  { p: 'money back' },
  { p: 'charged me too much', gap: 1 },
  { p: 'rude' },
  { p: 'nobody|no one came|showed', gap: 1 },
  { p: 'never came|arrived' },
  { p: 'file|lodge a complaint' },
  { p: 'your boss' },
  { p: 'escalate' },
  { p: 'manager|supervisor' },
  { p: 'refund*' },
  { p: 'unacceptable' },
  { p: 'waste|wasted of|my', gap: 1 },
  { p: 'ridiculous' },
  { p: 'disappoint*' },
  { p: 'never showed|turned up', gap: 1 },
  { p: 'no show' },
  { p: 'rip|ripped off' },
  { p: 'overcharg*' },
  { p: 'worst' },
  { p: 'fed up' },
  { p: 'come plain*', misheard: true },
  { p: 'make a|an come|can|open lane', gap: 1, misheard: true },
  { p: 'on accept*', misheard: true },
  { p: 'and|un acceptable', misheard: true },
];

/**
 * Real words a recognizer writes that are within fuzzy distance of a phrase word but mean something
 * else: they match only as written.
 */
const NOT_TYPOS = new Set([
  'looking',
  'cooking',
  'hooking',
  'booming',
  'pride',
  'prime',
  'prick',
  'quite',
  'dates',
  'gates',
  'hates',
  'rated',
  'change',
  'changed',
  'extensive',
  'earlier',
  'managed',
  'manage',
  'lawful',
  'worse',
  'worth',
  'acceptable',
  'hosts',
  'posts',
]);

const TABLE: ReadonlyArray<[Exclude<AssistIntent, 'emergency'>, PhraseRule[]]> = [
  ['pricing', PRICING],
  ['booking', BOOKING],
  ['cancellation', CANCELLATION],
  ['complaint', COMPLAINT],
];

/** Every intent phrase, for tests that check the table. */
export function intentPhrases(intent: Exclude<AssistIntent, 'emergency'>): readonly PhraseRule[] {
  return TABLE.find(([i]) => i === intent)?.[1] ?? [];
}

export type IntentEvidence = 'exact' | 'fuzzy' | 'alternative';

export interface IntentFinding {
  intent: AssistIntent;
  evidence: IntentEvidence;
  confidence: number;
  /** The words that showed it. */
  words: string;
  /** The reading it was found in (the best one, or an alternative). */
  reading: string;
  /** For emergencies: the category, and whether the evidence is strong (emergency.ts). */
  emergency?: { category: EmergencyCategory; strong: boolean };
  /** Booking: the customer wants to move an existing appointment. */
  reschedule?: boolean;
}

/** Other readings consulted: further down the N-best list they add cost, and mostly noise. */
const MAX_ALTERNATIVES = 4;

const CONFIDENCE: Record<IntentEvidence, number> = { exact: 0.88, fuzzy: 0.74, alternative: 0.62 };

/** Words that only make a complaint when no emergency explains them ("terrible pain"). */
const SEVERE_ONLY = /^(terrible|awful|horrible|worst)$/;

/** Matches in one reading, with the corrections a bare keyword needs. */
function readingMatches(words: readonly string[], exactOnly: boolean): Map<AssistIntent, RuleMatch> {
  const found = new Map<AssistIntent, RuleMatch>();
  for (const [intent, rules] of TABLE) {
    const m = exactOnly ? matchRulesExactly(words, rules) : matchRules(words, rules, NOT_TYPOS);
    if (m) found.set(intent, m);
  }
  // "Cancel my appointment": the appointment is what is cancelled, not a new booking.
  if (
    found.has('cancellation') &&
    found.has('booking') &&
    !hasAnyPhrase(words, ['book* another|new|again', 'reschedule', 'new appointment', 'another appointment'])
  )
    found.delete('booking');
  // "No complaints", "not terrible", "don't want a refund": not a complaint.
  if (
    found.has('complaint') &&
    hasAnyPhrase(words, ['no complaint*', 'not terrible|bad|awful', 'not a complaint'])
  )
    found.delete('complaint');
  // "I don't need anything else" is a goodbye, not a cancellation.
  if (
    found.get('cancellation')?.words === 'do not need' &&
    !hasAnyPhrase(
      words,
      [
        'anymore',
        'any more',
        'appointment*',
        'visit',
        'plumber',
        'technician',
        'service',
        'someone',
        'anyone',
      ],
      0,
    )
  )
    found.delete('cancellation');
  // "In charge of": not a price.
  if (
    found.get('pricing')?.words.startsWith('charge') &&
    hasAnyPhrase(words, ['in charge', 'charge my|the phone|battery'])
  )
    found.delete('pricing');
  return found;
}

/**
 * Single words that are an intent on their own even in words still being spoken. Any other single
 * word waits for the final: a partial hypothesis changes as the customer goes on ("can you come to
 * my appointment" became "can you cancel my appointment"), and a card shown is not taken back.
 */
const INTERIM_WORD =
  /^(cancel\w*|refund\w*|complain\w*|unacceptable|manager|supervisor|expensive|pricing|price|prices|quote|estimate|reschedule)$/;

function steadyOnInterim(m: RuleMatch): boolean {
  return m.length >= 2 || INTERIM_WORD.test(m.words);
}

export interface HeardWords {
  text: string;
  alternatives?: readonly string[] | undefined;
}

/**
 * The intents in what the customer said. `interim`: words still being spoken, so only literal
 * phrases (and strong emergencies) count, cheaply; alternatives are not consulted.
 */
export function findIntents(heard: HeardWords, trade: Trade, interim = false): IntentFinding[] {
  // A partial hypothesis's last word is the one the recognizer most often changes ("can you come"
  // became "can you cancel"): interims are read without it.
  const words = interim ? tokens(heard.text).slice(0, -1) : tokens(heard.text);
  const best = readingMatches(words, interim);
  if (interim) for (const [intent, m] of best) if (!steadyOnInterim(m)) best.delete(intent);
  const others = interim
    ? []
    : (heard.alternatives ?? [])
        .filter((a) => a.trim() && a !== heard.text)
        .slice(0, MAX_ALTERNATIVES)
        .map((a) => ({ reading: a, found: readingMatches(tokens(a), false) }));
  const out: IntentFinding[] = [];
  for (const [intent] of TABLE) {
    const m = best.get(intent);
    const agreeing = others.filter((o) => o.found.has(intent)).length;
    if (m) {
      const base = m.strength === 'exact' ? CONFIDENCE.exact + (m.length >= 2 ? 0.04 : 0) : CONFIDENCE.fuzzy;
      out.push({
        intent,
        evidence: m.strength,
        confidence: round(Math.min(0.97, base + (agreeing > 0 ? 0.04 : 0))),
        words: m.words,
        reading: heard.text,
        ...(intent === 'booking' &&
        hasAnyPhrase(words, ['reschedule', 'move|change my|the appointment|booking|time'])
          ? { reschedule: true }
          : {}),
      });
      continue;
    }
    // The other readings are weaker evidence: only a phrase there counts (noise makes single words).
    const alt = others.find((o) => (o.found.get(intent)?.length ?? 0) >= 2);
    const am = alt?.found.get(intent);
    if (alt && am) {
      out.push({
        intent,
        evidence: 'alternative',
        confidence: round(CONFIDENCE.alternative + (agreeing > 1 ? 0.05 : 0)),
        words: am.words,
        reading: alt.reading,
      });
    }
  }
  const emergency = findEmergency(interim ? { text: words.join(' ') } : heard, trade, interim);
  if (emergency) {
    out.push(emergency);
    // "Terrible pain", "worst leak": the emergency explains the word, not a complaint.
    const complaint = out.findIndex((f) => f.intent === 'complaint');
    if (complaint >= 0 && SEVERE_ONLY.test(out[complaint]?.words ?? '')) out.splice(complaint, 1);
  }
  return out;
}

/**
 * Reports the agent's detector misses when the recognizer puts a word between the phrase's words
 * ("water really everywhere"): weak evidence, for trades where the category counts.
 */
const EMERGENCY_EXTRA: ReadonlyArray<{ rule: PhraseRule; category: EmergencyCategory }> = [
  { rule: { p: 'water everywhere', gap: 2 }, category: 'flooding' },
  { rule: { p: 'water all over', gap: 2 }, category: 'flooding' },
  { rule: { p: 'sewage|sewer back*|coming|everywhere', gap: 3 }, category: 'sewage' },
  // The trade's word for it ("a sewer backup"); the recognizer often keeps only this one.
  { rule: { p: 'backup|backups' }, category: 'sewage' },
  { rule: { p: 'backing up' }, category: 'sewage' },
];

function extraEmergency(heard: HeardWords, trade: Trade): IntentFinding | undefined {
  const allowed = categoriesFor(trade);
  for (const reading of [heard.text, ...(heard.alternatives ?? [])]) {
    const words = tokens(reading);
    for (const { rule, category } of EMERGENCY_EXTRA) {
      if (!allowed.has(category)) continue;
      const m = matchRules(words, [rule]);
      if (!m) continue;
      const inBest = reading === heard.text;
      return {
        intent: 'emergency',
        evidence: inBest ? 'fuzzy' : 'alternative',
        confidence: inBest ? 0.68 : 0.6,
        words: m.words,
        reading,
        emergency: { category, strong: false },
      };
    }
  }
  return undefined;
}

/**
 * Word starts one of which a clear emergency report nearly always has. The detector costs a few ms
 * on a long utterance: on interims (many per utterance) it runs only when one of these is there.
 */
const EMERGENCY_HINT =
  /\b(flood|burst|bust|pipe|gas|propane|water|leak|sewage|sewer|septic|back|smok|fire|flame|spark|shock|burn|heat|furnace|boiler|froz|freez|cold|pour|gush|smell|monoxide|alarm|bleed|blood|swell|swollen|abscess|pain|hurt|ache|tooth|teeth|jaw|chest|breath|chok|unconscious|emergency|urgent|help)/;

function findEmergency(heard: HeardWords, trade: Trade, interim: boolean): IntentFinding | undefined {
  if (interim)
    return EMERGENCY_HINT.test(tokens(heard.text).join(' '))
      ? weighedEmergency(heard, trade, true)
      : undefined;
  return weighedEmergency(heard, trade, false) ?? extraEmergency(heard, trade);
}

function weighedEmergency(heard: HeardWords, trade: Trade, interim: boolean): IntentFinding | undefined {
  const ev = weighEmergency(
    { text: heard.text, alternatives: interim ? undefined : heard.alternatives?.slice(0, MAX_ALTERNATIVES) },
    trade,
  );
  if (!ev) return undefined;
  const strong = ev.strength === 'strong';
  if (interim && !strong) return undefined;
  const inBest = tokens(heard.text).join(' ').includes(ev.detection.trigger);
  const evidence: IntentEvidence = strong ? 'exact' : inBest ? 'fuzzy' : 'alternative';
  return {
    intent: 'emergency',
    evidence,
    confidence: strong ? 0.9 : inBest ? 0.68 : 0.6,
    words: ev.detection.trigger,
    reading: heard.text,
    emergency: { category: ev.detection.category, strong },
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
