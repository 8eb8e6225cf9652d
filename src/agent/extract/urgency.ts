import { hasAnyPhrase, tokens } from '../text.js';

/** How soon the caller needs someone, in three bands the owner can sort by. */
export type Urgency = 'urgent' | 'this week' | 'flexible';

const URGENT = [
  'asap',
  'as soon as possible',
  'right away',
  'right now',
  'immediately',
  'urgent*',
  'emergency',
  'today',
  'tonight',
  'now',
  'very soon',
  'quickly',
  'straight away',
];
const FLEXIBLE = [
  'not very|that|too|really|super|terribly urgent',
  'no rush',
  'no hurry',
  'not urgent',
  'not in a hurry',
  'whenever',
  'any time',
  'anytime',
  'flexible',
  'can wait',
  'next week',
  'next month',
  'in a few weeks',
  'not really',
  'not very',
  'not that',
  'not at all',
  'no',
  'not',
  'sometime',
];
const SOON = [
  'this week',
  'within the|a week',
  'within a few|couple days',
  'in a few days',
  'few days',
  'soon',
  'tomorrow',
  'couple of days',
  'couple days',
  'end of the week',
  'by friday',
  'monday|tuesday|wednesday|thursday|friday|saturday|sunday',
  'fairly',
  'somewhat',
  'kind of',
  'pretty',
];

export function extractUrgency(text: string): Urgency | undefined {
  const words = tokens(text);
  // Order matters: "not urgent" must win over "urgent", "no rush" over everything.
  if (hasAnyPhrase(words, FLEXIBLE.slice(0, 13))) return 'flexible';
  if (hasAnyPhrase(words, URGENT)) return 'urgent';
  if (hasAnyPhrase(words, SOON)) return 'this week';
  if (hasAnyPhrase(words, FLEXIBLE)) return 'flexible';
  if (hasAnyPhrase(words, ['very', 'really', 'extremely', 'yes', 'yeah'])) return 'urgent';
  return undefined;
}

export function urgencyPatterns(): string[] {
  return [...URGENT, ...FLEXIBLE, ...SOON];
}
