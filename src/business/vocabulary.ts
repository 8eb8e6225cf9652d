import type { BusinessProfile } from './profile.js';

/**
 * The words a business's callers are likely to use, as phrases for the offline recognizer's open
 * model: the business's name, its services (with aliases and descriptions), FAQ questions and
 * answers, the lead questions it asks, staff and service-area places where the profile has them,
 * and extra terms (e.g. knowledge-base headings). Pure; blank and repeated phrases dropped.
 */
export interface VocabularySource extends Pick<
  BusinessProfile,
  'name' | 'services' | 'faq' | 'leadQuestions'
> {
  /** Staff callers may ask for by name. */
  readonly staff?: readonly string[];
  /** Towns and neighbourhoods served. */
  readonly serviceArea?: readonly string[];
}

/** Sentences of a longer text, each a phrase of its own (a model learns word order within them). */
const sentences = (text: string): string[] => text.split(/[.!?;\n]+/);

export function businessVocabulary(profile: VocabularySource, extraTerms: readonly string[] = []): string[] {
  const raw: string[] = [profile.name, `is this ${profile.name}`, `calling ${profile.name}`];
  for (const s of profile.services) {
    raw.push(s.name, `i need ${s.name}`, `how much is ${s.name}`, ...s.aliases);
    if (s.description !== undefined) raw.push(...sentences(s.description));
  }
  for (const f of profile.faq) raw.push(...sentences(f.question), ...sentences(f.answer));
  for (const q of profile.leadQuestions ?? []) if (q.prompt !== undefined) raw.push(...sentences(q.prompt));
  for (const person of profile.staff ?? []) raw.push(person, `can i speak to ${person}`);
  for (const place of profile.serviceArea ?? []) raw.push(place, `i am in ${place}`, `do you serve ${place}`);
  raw.push(...extraTerms);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const phrase of raw) {
    const clean = phrase.replace(/\s+/g, ' ').trim();
    const key = clean.toLowerCase();
    if (clean.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(clean);
  }
  return out;
}
