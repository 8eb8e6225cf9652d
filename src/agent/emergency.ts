import type { Trade } from '../business/index.js';
import type { EmergencyCategory } from './brain.js';
import { NUMBER_WORDS } from './extract/numbers.js';
import { findPhrase, hasAnyPhrase, tokens, type PhraseMatch } from './text.js';

/**
 * Emergency detection from what the caller says, offline: per-trade trigger phrases, then a small
 * linear score over the rest of the utterance (urgency raises it; questions about services or
 * prices, prevention, the past, and an explicit "not urgent" lower it), with negation scoped to the
 * words just before a trigger ("no flooding", "I don't smell gas"). Runs on every caller turn of
 * every channel; an LLM may add to it but never replaces it.
 *
 * Pattern syntax is text.ts's: "flood*" prefix, "a|b" alternatives, fuzzy for long words.
 */

interface Trigger {
  /** The phrase. */
  p: string;
  /** Unrelated words allowed between phrase words. */
  gap?: number;
  /** 3: alone enough; 2: needs one urgency cue. */
  w?: number;
  /** One of these must also appear somewhere in the utterance. */
  with?: string[];
  /** The match does not count when the next word is one of these ("flood light", "no water damage"). */
  notBefore?: string;
}

interface CategoryRule {
  category: EmergencyCategory;
  triggers: Trigger[];
  /** Context the whole category needs (e.g. cold weather for "no heat"). */
  requires?: string[];
  /** A danger to life: an explicit "it's not urgent" does not cancel it. */
  lifeSafety?: boolean;
}

const ELECTRIC_THINGS = [
  'outlet*',
  'socket*',
  'plug*',
  'panel',
  'breaker*',
  'wire*',
  'wiring',
  'switch*',
  'electric*',
  'fuse*',
  'light fixture*',
  'meter',
];
const BATH_THINGS = [
  'toilet*',
  'tub',
  'bathtub',
  'sink',
  'washer',
  'washing machine',
  'dishwasher',
  'tank',
  'shower',
  'drain*',
];
const MOUTH = [
  'face',
  'jaw',
  'cheek*',
  'gum*',
  'lip*',
  'eye',
  'mouth',
  'tooth',
  'teeth',
  'neck',
  'under my',
  'molar',
  'tongue',
  'throat',
];
const SEVERE = [
  'severe*',
  'excruciating',
  'unbearable',
  'terrible',
  'agony',
  'agonizing',
  'extreme*',
  'worst',
  'really bad',
  'so bad',
  'very bad',
  'so much',
  'horrible',
  'intense',
  'awful',
];
const COLD = [
  'freez*',
  'froze*',
  'frozen',
  'cold',
  'below zero',
  'minus',
  'winter',
  'snow*',
  'icy',
  'chilly',
];

/** In priority order: when several fire, the first is reported. */
const RULES: CategoryRule[] = [
  {
    category: 'gas',
    lifeSafety: true,
    triggers: [
      { p: 'smell* gas|propane', gap: 3 },
      { p: 'smelling gas|propane', gap: 2 },
      { p: 'gas|propane smell*|odor|odour|leak*', gap: 1 },
      { p: 'rotten egg*' },
      { p: 'reek* of gas', gap: 1 },
      { p: 'gas hiss*', gap: 2 },
      { p: 'hiss* gas', gap: 1 },
      { p: 'gas is|s leaking|escaping' },
      { p: 'leaking gas' },
    ],
  },
  {
    category: 'carbon-monoxide',
    lifeSafety: true,
    triggers: [
      { p: 'carbon monoxide' },
      { p: 'monoxide' },
      {
        p: 'co|co2 alarm*|detector*|sensor*|monitor*',
        with: [
          'going off',
          'went off',
          'goes off',
          'beep*',
          'sounding',
          'reading',
          'chirp*',
          'alarming',
          'is on',
        ],
      },
    ],
  },
  {
    category: 'electrical-hazard',
    triggers: [
      { p: 'spark*' },
      { p: 'smok*', with: ELECTRIC_THINGS, notBefore: 'detector|detectors|alarm|alarms' },
      { p: 'burning smell|smells|plastic', with: ELECTRIC_THINGS },
      { p: 'smell* of burning', gap: 1, with: ELECTRIC_THINGS },
      { p: 'burn*', with: ['wire*', 'wiring', 'outlet*', 'panel', 'breaker*'] },
      { p: 'power line* down|fell|fallen|snapped', gap: 2 },
      { p: 'down* power line*' },
      { p: 'live wire*' },
      { p: 'exposed wire*' },
      {
        p: 'shock*|electrocut*',
        with: ['got', 'get', 'getting', 'gave', 'giving', 'was', 'am', 'is', 'got a'],
      },
      { p: 'melt*', with: ELECTRIC_THINGS },
      { p: 'fire', with: ELECTRIC_THINGS, notBefore: 'alarm|alarms|place|wood' },
    ],
  },
  {
    category: 'fire',
    lifeSafety: true,
    triggers: [
      {
        p: 'fire',
        notBefore: 'alarm|alarms|place|wood|extinguisher|pit|inspection|drill|department|safety|code|rated',
      },
      { p: 'on fire' },
      { p: 'flames' },
      { p: 'smoke everywhere' },
      { p: 'smoke is|s coming|pouring', gap: 1 },
      { p: 'caught fire' },
      { p: 'full of smoke' },
    ],
  },
  {
    category: 'breathing',
    lifeSafety: true,
    triggers: [
      { p: 'not breathe|breath|breathing' },
      { p: 'trouble|difficulty|struggling|hard|problems|problem breathing|breathe', gap: 1 },
      { p: 'short of breath' },
      { p: 'throat is|s closing', gap: 1 },
      { p: 'lips are|is blue|turning', gap: 1 },
      { p: 'choking' },
      { p: 'unconscious|unresponsive' },
      { p: 'passed out' },
      { p: 'allergic reaction' },
      { p: 'having a stroke' },
    ],
  },
  {
    category: 'chest-pain',
    lifeSafety: true,
    triggers: [
      { p: 'chest pain*|hurts|pressure|tightness' },
      { p: 'pain* in my|his|her|the chest', gap: 1 },
      { p: 'crushing pain|pressure', gap: 1 },
      { p: 'crushing', with: ['chest'] },
      { p: 'heart attack' },
    ],
  },
  {
    category: 'sewage',
    triggers: [
      { p: 'sewage', notBefore: 'treatment|plant|bill' },
      { p: 'sewer* back*|overflow*|backed', gap: 3 },
      { p: 'septic* overflow*|back*|backed', gap: 3 },
      { p: 'back* up', gap: 1, with: [...BATH_THINGS, 'floor drain', 'drains', 'basement'] },
      { p: 'backed up', gap: 1, with: [...BATH_THINGS, 'floor drain', 'drains', 'basement'] },
      { p: 'sewer water|sludge' },
      {
        p: 'poop|feces|faeces|excrement',
        with: ['coming', 'everywhere', 'all over', 'floor', 'drain*', 'up'],
      },
      { p: 'black water' },
      { p: 'comes|coming up in the shower|tub|bathtub|sink', gap: 2, with: ['flush*'] },
    ],
  },
  {
    category: 'burst-pipe',
    triggers: [
      {
        p: 'pipe*|line|main|supply burst*|broke|exploded|cracked|split|ruptured|blew|popped|busted|bust',
        gap: 4,
      },
      { p: 'burst*|broken|ruptured|busted|cracked|exploded|blown pipe*|main|line', gap: 2 },
      { p: 'pipe* came|come apart', gap: 3 },
      { p: 'water main break|broke|broken|burst', gap: 1 },
      { p: 'froze|frozen burst|broke|cracked|split', gap: 5 },
      // Frozen pipes are an emergency even said calmly: no water now, a burst when they thaw.
      { p: 'pipe*|line|lines|plumbing froze|frozen|freezing', gap: 3 },
      { p: 'froze|frozen pipe*|line|lines|plumbing', gap: 2 },
    ],
  },
  {
    category: 'flooding',
    triggers: [
      {
        p: 'flood*',
        notBefore:
          'light|lights|lamp|alarm|alarms|sensor|sensors|insurance|zone|zones|risk|cleanup|clean|damage|restoration|vent|vents|barrier|plain|gate',
      },
      { p: 'under water' },
      { p: 'water everywhere' },
      { p: 'water is|s everywhere' },
      { p: 'going|getting everywhere', with: ['water'] },
      {
        p: 'water coming|leaking|dripping|pouring through|from|in the ceiling|walls|wall|floor|light|lights',
        gap: 3,
      },
      {
        p: 'water is|s coming|leaking|dripping through|from|in the ceiling|walls|wall|floor|light|lights',
        gap: 3,
      },
      // Water inside the walls or the ceiling: an emergency even said calmly.
      { p: 'water in|inside|behind|through the|my|our wall|walls|ceiling|drywall', gap: 2 },
      { p: 'water coming in|into', gap: 2, with: ['pipe*', 'ceiling', 'wall*'] },
      { p: 'water is|s coming in|into', gap: 2, with: ['pipe*', 'ceiling', 'wall*'] },
      { p: 'water is|s all over', gap: 1 },
      { p: 'water all over' },
      {
        p: 'water is|s|keeps|keep pouring|gushing|spraying|shooting|spewing|pouring|streaming|rushing',
        gap: 2,
      },
      { p: 'water pouring|gushing|spraying|shooting|spewing|streaming|rushing', gap: 1 },
      { p: 'pouring|gushing|spraying|spewing|shooting water|out', gap: 1, with: ['water', 'pipe*', 'leak*'] },
      { p: 'water is|s coming through|down|in|into|up', gap: 2, w: 2 },
      { p: 'water coming through|down|in|into|up', gap: 2, w: 2 },
      { p: 'inch|inches|foot|feet|centimeters of water', gap: 1 },
      { p: 'filling|filled up with water', gap: 2 },
      { p: 'water is|s rising' },
      { p: 'rising water' },
      { p: 'getting deeper' },
      { p: 'leak*|leaking everywhere|badly|bad|really', gap: 1, w: 2 },
      { p: 'leak* everywhere', gap: 1 },
      { p: 'leak* really|very|so bad|badly', gap: 1 },
      { p: 'major|big|huge|massive|serious|bad leak*', gap: 1 },
      { p: 'leak* through the ceiling|floor|wall|walls', gap: 1 },
      { p: 'leak* into the|my kitchen|apartment|unit|basement|room|ceiling', gap: 2 },
      { p: 'water keeps|keep coming', gap: 1 },
      { p: 'not turn|shut off the water', gap: 2 },
      { p: 'not turn|shut the water off', gap: 2 },
      { p: 'water will not stop' },
      { p: 'overflow*', with: BATH_THINGS },
      { p: 'collapse*|sag*', with: ['water', 'leak*'] },
      { p: 'soaked|soaking', with: ['water keeps', 'floor', 'ceiling', 'carpet'], w: 2 },
      { p: 'standing water', w: 2 },
    ],
  },
  {
    category: 'no-water',
    triggers: [
      {
        p: 'no water|running',
        notBefore: 'damage|pressure|bill|heater|softener|hot|filter|bowl|in the garage',
      },
      { p: 'no running water' },
      { p: 'not have any|no water', gap: 1 },
      { p: 'without water|running' },
      { p: 'lost all|our water', gap: 1 },
      { p: 'nothing comes|coming out', gap: 1 },
      { p: 'water is|s|was not coming out', gap: 1 },
      { p: 'water stopped working|completely', gap: 1 },
      { p: 'water is completely off', gap: 1 },
      { p: 'taps|faucets are|is dry', gap: 1 },
      { p: 'got no water' },
    ],
  },
  {
    category: 'no-heat',
    requires: COLD,
    triggers: [
      { p: 'no heat|heating' },
      {
        p: 'heat|heating|furnace|boiler|heater|radiators not|stopped|quit|died|dead|broke|broken|out|off|failed|gone',
        gap: 3,
      },
      { p: 'furnace|heater|boiler|heat is|s blowing cold', gap: 2 },
      { p: 'furnace|heater|boiler will not turn|start|come on', gap: 2 },
    ],
  },
  {
    category: 'bleeding',
    triggers: [
      { p: 'not stop bleeding' },
      { p: 'bleeding will|has|is|would|had not stop|stopped', gap: 1 },
      { p: 'bleed* heavily|badly|profusely', gap: 1 },
      { p: 'bleed* a lot', gap: 1 },
      { p: 'bleed* so much', gap: 1 },
      { p: 'bleed* really bad', gap: 1 },
      { p: 'bleed* like crazy', gap: 1 },
      { p: 'heavy|uncontrolled|uncontrollable|profuse|severe|excessive bleeding' },
      { p: 'lots of bleeding' },
      { p: 'lot|lots of blood' },
      { p: 'much blood' },
      { p: 'blood everywhere' },
      { p: 'keep|keeps|still bleeding' },
      { p: 'bleeding', with: ['hours', 'all night', 'since'], w: 2 },
    ],
  },
  {
    category: 'dental-trauma',
    triggers: [
      { p: 'knock* out' },
      { p: 'knock* tooth|teeth out', gap: 3 },
      { p: 'broke|broken|cracked|snapped my|his|her|a tooth|teeth|jaw', gap: 2, notBefore: 'but' },
      { p: 'broke|broken|cracked jaw', gap: 2 },
      { p: 'nerve is|s showing|exposed', gap: 1 },
      { p: 'tooth* fell|came|come out', gap: 2, with: ['fell', 'hit', 'accident', 'blood*', 'bleed*'] },
    ],
  },
  {
    category: 'swelling',
    triggers: [{ p: 'swollen|swelling|swell*|puff*', with: MOUTH }, { p: 'abscess*' }, { p: 'pus' }],
  },
  {
    category: 'severe-pain',
    triggers: [
      { p: 'pain*|toothache|ache|hurts|hurting', with: SEVERE },
      { p: 'killing me' },
      { p: 'in agony' },
      { p: 'pain* can not|could not sleep|eat', gap: 5 },
      { p: 'hurts so bad|much', gap: 1 },
      { p: 'throbbing pain', with: ['not help*', 'nothing help*', 'can not'] },
    ],
  },
  {
    category: 'other',
    triggers: [
      {
        p: 'emergency',
        notBefore:
          'call|calls|callout|callouts|service|services|rate|rates|visit|visits|appointment|appointments|fee|fees|number|line|plumber|plumbers|dentist|dental|hours|repair|repairs|work|jobs|job|charge|charges|price|pricing|contact',
      },
      { p: 'urgent*', w: 2 },
      { p: 'need help right now|away', gap: 1 },
      { p: 'someone right away|now', gap: 1, w: 2 },
    ],
  },
];

const LIFE_SAFETY = new Set(RULES.filter((r) => r.lifeSafety).map((r) => r.category));

const BY_TRADE: Record<Trade, EmergencyCategory[] | 'all'> = {
  plumbing: ['flooding', 'burst-pipe', 'sewage', 'no-water'],
  hvac: ['no-heat', 'electrical-hazard', 'burst-pipe'],
  electrical: ['electrical-hazard'],
  dental: ['bleeding', 'swelling', 'severe-pain', 'dental-trauma'],
  medical: ['bleeding', 'swelling', 'severe-pain', 'dental-trauma'],
  legal: [],
  salon: [],
  general: 'all',
};

/** The categories that count as emergencies for a business of this trade. */
export function categoriesFor(trade: Trade): Set<EmergencyCategory> {
  const own = BY_TRADE[trade];
  if (own === 'all') return new Set(RULES.map((r) => r.category));
  return new Set<EmergencyCategory>([...own, ...LIFE_SAFETY, 'other']);
}

// ---- cues ------------------------------------------------------------------------------------

const NEGATORS = new Set(['no', 'not', 'never', 'nothing', 'without', 'none', 'neither', 'nor', 'nobody']);
/** Words after which "no" is a standalone answer ("No, my basement is flooding"), not a negation. */
const AFTER_STANDALONE_NO = new Set([
  'the',
  'my',
  'our',
  'it',
  'i',
  'we',
  'there',
  'its',
  'this',
  'that',
  'they',
  'he',
  'she',
  'you',
  'actually',
  'wait',
  'sorry',
  'so',
  'well',
  'um',
  'uh',
  'yes',
  'but',
  'his',
  'her',
  'a',
  'no',
]);
const CLAUSE_BREAKS = new Set([
  'but',
  'and',
  'so',
  'because',
  'though',
  'although',
  'however',
  'except',
  'yet',
  'while',
  'then',
  'plus',
  'now',
]);
const NEGATION_WINDOW = 4;

const URGENCY = [
  'right now',
  'now',
  'right away',
  'asap',
  'immediately',
  'urgent*',
  'emergency',
  'help',
  'everywhere',
  'all over',
  'keeps coming',
  'will not stop',
  'just',
  'quickly',
  'hurry',
  'please send',
  'send someone',
  'come now',
  'baby',
  'newborn',
  'kids',
  'elderly',
  'what do i do',
];
const INFORMATIONAL = [
  'prevent*',
  'avoid*',
  'in case',
  'what if',
  'what should i do if',
  'what do i do if',
  'what to do if',
  'how do i know',
  'how can i tell',
  'how to',
  'how do i stop|prevent',
  'how do you',
  'signs of',
  'what causes',
  'risk',
  'do you do|fix|repair|handle|install|offer|sell|service|hook|provide|work|deal',
  'do you guys do|fix|repair|handle|install|offer|sell|service|hook|provide|work|deal',
  'can you install|check|service|inspect',
  'install*',
  'quote',
  'estimate',
  'price*',
  'cost*',
  'charge*',
  'how much',
  'invoice',
  'bill',
  'insurance',
  'report',
  'inspect*',
  'maintenance',
  'tune up',
  'normal',
  'battery',
  'on the news',
  'hiring',
  'application',
  'supposed to',
  'winteriz*',
  'for the future',
  'asking for',
  'so they do not',
  'from freezing',
  'so it does not',
];
const PAST = [
  'last year|month|winter|summer|spring|fall|time',
  'years|months ago',
  'year|month ago',
  'a while ago',
  'previously',
  'used to',
  'in 19*|20*',
  'last week',
  'back in',
];
const RESOLVED = [
  'flooding|leak|leaking|bleeding|swelling stopped',
  'flooding|leak|leaking|bleeding|swelling has|had|is stopped|gone|over|down',
  'stopped flooding|leaking|bleeding',
  'went down',
  'is back on',
  'back on now',
  'water again',
  'was fixed',
  'got fixed',
  'you fixed',
  'fixed it',
  'cleaned up',
  'is over',
  'just a spill',
  'never mind',
  'nevermind',
];
const NOT_URGENT = [
  'not an emergency',
  'not a emergency',
  'not urgent',
  'no rush',
  'no hurry',
  'can wait',
  'not in any danger',
  'whenever you have time',
  'whenever you can',
  'next week is fine',
  'is fine',
  'no emergency',
];

/** 'not' followed by these does not negate what comes after it. */
const NOT_EXCEPTIONS = new Set(['sure', 'certain', 'know', 'only', 'stop', 'stopping', 'kidding', 'joking']);

function negatedBefore(words: readonly string[], start: number): boolean {
  for (let i = start - 1; i >= Math.max(0, start - NEGATION_WINDOW); i--) {
    const w = words[i] ?? '';
    if (CLAUSE_BREAKS.has(w)) return false;
    if (!NEGATORS.has(w)) continue;
    const next = words[i + 1] ?? '';
    if (w === 'no' && i + 1 < start && AFTER_STANDALONE_NO.has(next)) continue;
    if (w === 'not' && NOT_EXCEPTIONS.has(next)) continue;
    return true;
  }
  return false;
}

/** Degrees at or below 45 ("it's 10 degrees", "forty degrees in here") mean cold. */
function coldDegrees(words: readonly string[]): boolean {
  for (let i = 1; i < words.length; i++) {
    if (!/^degree/.test(words[i] ?? '')) continue;
    // "forty five degrees": take the tens word before the units word.
    const a = words[i - 1] ?? '';
    const b = words[i - 2] ?? '';
    const units = /^\d+$/.test(a) ? Number(a) : NUMBER_WORDS[a];
    if (units === undefined) continue;
    const tens = NUMBER_WORDS[b];
    const value = tens !== undefined && tens >= 20 && units < 10 ? tens + units : units;
    if (value <= 45) return true;
  }
  return false;
}

function matchTrigger(words: readonly string[], t: Trigger): PhraseMatch | undefined {
  // Scan every occurrence: the first may be negated while a later one is not.
  let from = 0;
  while (from < words.length) {
    const m = findPhrase(words.slice(from), t.p, t.gap ?? 0);
    if (!m) return undefined;
    const match = { start: m.start + from, end: m.end + from };
    from = match.start + 1;
    if (t.notBefore) {
      const next = words.slice(match.end, match.end + 3).join(' ');
      if (t.notBefore.split('|').some((x) => next === x || next.startsWith(`${x} `))) continue;
    }
    if (negatedBefore(words, match.start)) continue;
    if (t.with && !hasAnyPhrase(words, t.with)) continue;
    return match;
  }
  return undefined;
}

export interface EmergencyDetection {
  category: EmergencyCategory;
  /** The caller's words that matched. */
  trigger: string;
  score: number;
}

export interface EmergencyScore extends EmergencyDetection {
  /** The trigger is a phrase (two words or more) or came with the words its rule requires. */
  phrase: boolean;
  /** Where the trigger is in the utterance's tokens (text.ts `tokens`). */
  span: PhraseMatch;
  weight: number;
  urgency: number;
  informational: boolean;
  past: boolean;
  resolved: boolean;
  notUrgent: boolean;
}

/** A score at or above this raises an emergency. */
export const EMERGENCY_THRESHOLD = 3;

/** Every category that has a trigger in `text`, with its score: for tests and tuning. */
export function scoreEmergency(text: string, trade: Trade): EmergencyScore[] {
  const words = tokens(text);
  if (words.length === 0) return [];
  const allowed = categoriesFor(trade);
  const urgency = Math.min(
    2,
    URGENCY.filter((u) => findPhrase(words, u) && !negatedBefore(words, findPhrase(words, u)?.start ?? 0))
      .length,
  );
  const informational = hasAnyPhrase(words, INFORMATIONAL);
  const past = hasAnyPhrase(words, PAST);
  const resolved = hasAnyPhrase(words, RESOLVED);
  const notUrgent = hasAnyPhrase(words, NOT_URGENT);
  const cold = hasAnyPhrase(words, COLD) || coldDegrees(words);
  const out: EmergencyScore[] = [];
  for (const rule of RULES) {
    if (!allowed.has(rule.category)) continue;
    if (rule.requires && !(rule.requires === COLD ? cold : hasAnyPhrase(words, rule.requires))) continue;
    let best: { weight: number; m: PhraseMatch; t: Trigger } | undefined;
    for (const t of rule.triggers) {
      const m = matchTrigger(words, t);
      const weight = t.w ?? 3;
      const phrase = (x: { m: PhraseMatch; t: Trigger }) =>
        x.m.end - x.m.start >= 2 || x.t.with !== undefined;
      if (
        m &&
        (!best || weight > best.weight || (weight === best.weight && phrase({ m, t }) && !phrase(best)))
      )
        best = { weight, m, t };
    }
    if (!best) continue;
    let score = best.weight + urgency - (informational ? 2 : 0) - (past ? 2 : 0) - (resolved ? 3 : 0);
    if (notUrgent && !rule.lifeSafety) score = Math.min(score, 0);
    out.push({
      category: rule.category,
      trigger: words.slice(best.m.start, best.m.end).join(' '),
      score,
      phrase: best.m.end - best.m.start >= 2 || best.t.with !== undefined,
      span: best.m,
      weight: best.weight,
      urgency,
      informational,
      past,
      resolved,
      notUrgent,
    });
  }
  return out;
}

/** The emergency in `text`, if any: the highest-priority category that scores enough. */
export function detectEmergency(text: string, trade: Trade): EmergencyDetection | undefined {
  const scores = scoreEmergency(text, trade).filter((s) => s.score >= EMERGENCY_THRESHOLD);
  // "other" (a bare "it's an emergency") only when nothing more specific fired.
  const best = scores.find((s) => s.category !== 'other') ?? scores[0];
  return best ? { category: best.category, trigger: best.trigger, score: best.score } : undefined;
}

/** A danger to life (gas, fire, breathing...): raised whatever the trade. */
export function isLifeSafety(category: EmergencyCategory): boolean {
  return LIFE_SAFETY.has(category);
}

// ---- evidence ------------------------------------------------------------------------------------

/**
 * Words around a one-word trigger that make it a clear report rather than a misheard word: where
 * it happens, or that it is happening now. Toilets and sinks are left out of flooding's on purpose:
 * "my toilet won't flush" is what a recognizer most often turns into "toilet ... flooded".
 */
const CONTEXT: Partial<Record<EmergencyCategory, string[]>> = {
  flooding: [
    'basement',
    'ceiling',
    'wall*',
    'floor*',
    'carpet',
    'house',
    'home',
    'kitchen',
    'bathroom',
    'garage',
    'room',
    'apartment',
    'downstairs',
    'upstairs',
    'crawl space',
    'office',
    'building',
    'store',
    'shop',
    'unit',
  ],
  sewage: [
    'basement',
    'floor*',
    'drain*',
    'toilet*',
    'house',
    'yard',
    'backup',
    'back*',
    'leak*',
    'crawl space',
  ],
  'carbon-monoxide': ['detector*', 'alarm*', 'going off', 'headache*', 'dizzy', 'reading'],
  fire: ['kitchen', 'house', 'building', 'garage', 'room', 'smoke', 'furnace', 'stove', 'oven', 'dryer'],
  'electrical-hazard': ['outlet*', 'panel', 'wire*', 'wiring', 'breaker*'],
};
/** Cues that it is happening now: "help", "right now", "everywhere"... ("just" is too common). */
const NOW_CUES = URGENCY.filter((u) => u !== 'just');

/** Below this recognizer confidence (0..1) a reading alone is not trusted to wake the owner. */
export const LOW_CONFIDENCE = 0.35;

export type EmergencyEvidence =
  /** Raise at once. */
  | { strength: 'strong'; detection: EmergencyDetection }
  /** Ask the caller one directed question before raising. */
  | { strength: 'weak'; detection: EmergencyDetection };

export interface HeardSpeech {
  /** The recognizer's best reading. */
  text: string;
  /** Its other readings of the same audio, best first. */
  alternatives?: readonly string[] | undefined;
  /** 0..1, where the recognizer gives one. */
  confidence?: number | undefined;
  /**
   * The recognizer was narrowed to an answer (a name, a number, yes or no): emergency words in
   * it are the narrow model's way out, often taken by noise ("my number is one two five no water
   * five"): only a phrase with where or "now" around it is strong, and the other readings alone
   * are no evidence.
   */
  narrow?: boolean | undefined;
}

/** One reading's detection, and whether it is a clear report (not a lone, possibly misheard word). */
function readingEvidence(
  text: string,
  trade: Trade,
): { detection: EmergencyDetection; clear: boolean; phrase: boolean; around: boolean } | undefined {
  const scores = scoreEmergency(text, trade).filter((s) => s.score >= EMERGENCY_THRESHOLD);
  const best = scores.find((s) => s.category !== 'other') ?? scores[0];
  if (!best) return undefined;
  const detection = { category: best.category, trigger: best.trigger, score: best.score };
  // Where it happens, or a sign it is happening now, outside the trigger itself.
  const words = tokens(text);
  const rest = [...words.slice(0, best.span.start), ...words.slice(best.span.end)];
  const context = [...(CONTEXT[best.category] ?? []), ...NOW_CUES.filter((u) => u !== best.trigger)];
  const around = hasAnyPhrase(rest, context);
  // A phrase is clear; a lone word only with something around it.
  return { detection, clear: best.phrase || around, phrase: best.phrase, around };
}

/**
 * How sure the words are that this is an emergency, using the recognizer's other readings as weak
 * evidence. Strong: a clear report in the best reading (a phrase like "water through the ceiling",
 * or a lone trigger with where or "right now"), trusted by its confidence or by another reading
 * that agrees. Weak: a lone word with nothing around it ("flush" heard as "flooded"), a reading the
 * recognizer itself doubts, a near miss, or an emergency only in the other readings. A false alarm
 * wakes the owner at 1 a.m.; a weak one costs the caller one yes-or-no question.
 */
export function weighEmergency(heard: HeardSpeech, trade: Trade): EmergencyEvidence | undefined {
  const best = readingEvidence(heard.text, trade);
  const others = (heard.alternatives ?? [])
    .filter((a) => a.trim() && a !== heard.text)
    .map((a) => readingEvidence(a, trade));
  const low = heard.confidence !== undefined && heard.confidence < LOW_CONFIDENCE;
  if (best) {
    const agreed = others.some((o) => o?.detection.category === best.detection.category);
    // Narrowed: only a phrase with where or "now" around it ("water is pouring through the ceiling now").
    const clear = heard.narrow ? best.phrase && best.around : best.clear;
    if (clear && (!low || agreed)) return { strength: 'strong', detection: best.detection };
    return { strength: 'weak', detection: best.detection };
  }
  if (heard.narrow) return undefined;
  const inOther = others.find((o) => o !== undefined);
  if (inOther) return { strength: 'weak', detection: inOther.detection };
  // A near miss in the best reading ("water is coming up through the drain"): worth one question.
  const near = scoreEmergency(heard.text, trade)
    .filter((s) => s.score === EMERGENCY_THRESHOLD - 1 && s.category !== 'other')
    .at(0);
  if (near)
    return {
      strength: 'weak',
      detection: { category: near.category, trigger: near.trigger, score: near.score },
    };
  return undefined;
}

/** Every phrase this module matches, for checking which real words fuzzy matching would accept. */
export function emergencyPatterns(): string[] {
  return [
    ...RULES.flatMap((r) => r.triggers.flatMap((t) => [t.p, ...(t.with ?? [])])),
    ...[
      ELECTRIC_THINGS,
      BATH_THINGS,
      MOUTH,
      SEVERE,
      COLD,
      URGENCY,
      INFORMATIONAL,
      PAST,
      RESOLVED,
      NOT_URGENT,
      ...Object.values(CONTEXT),
    ].flat(),
  ];
}

/** What each emergency is called in a sentence ("Emergency (burst pipe): ..."), for owners and agents. */
export const EMERGENCY_LABELS: Readonly<Record<EmergencyCategory, string>> = {
  flooding: 'flooding',
  'burst-pipe': 'burst pipe',
  sewage: 'sewage backup',
  'no-water': 'no water',
  gas: 'gas smell',
  'carbon-monoxide': 'carbon monoxide',
  'no-heat': 'no heat in freezing weather',
  'electrical-hazard': 'electrical hazard',
  fire: 'fire',
  bleeding: 'bleeding',
  swelling: 'swelling',
  'severe-pain': 'severe pain',
  'dental-trauma': 'dental injury',
  breathing: 'breathing difficulty',
  'chest-pain': 'chest pain',
  other: 'emergency',
};
