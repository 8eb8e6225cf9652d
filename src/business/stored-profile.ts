import { PLAN_LIMITS } from './plans.js';
import { businessProfileSchema, TRADES, type BusinessProfile } from './profile.js';

/**
 * Where a BusinessProfile is kept: the business row has columns for name, trade, greetings,
 * timezone, hours and plan; the rest (services, FAQ, transfer and emergency numbers, lead
 * questions) lives in its settings JSON under `profile`. These functions map between the two, so
 * the admin API writes exactly what the call path reads.
 */

/** The parts of the profile that live in `settings.profile`. */
export const PROFILE_SETTINGS_KEYS = [
  'services',
  'faq',
  'transferNumber',
  'agentNumber',
  'emergencyNumber',
  'leadQuestions',
] as const;
export type ProfileSettingsKey = (typeof PROFILE_SETTINGS_KEYS)[number];
export type ProfileSettings = Partial<Pick<BusinessProfile, ProfileSettingsKey>>;

/** A stored business as far as the profile is concerned (the store's Business row fits). */
export interface StoredBusiness {
  name: string;
  trade: string;
  greeting: string;
  afterHoursGreeting: string | null;
  timezone: string;
  hours: unknown;
  plan: string;
  settings: unknown;
}

const profileSection = (settings: unknown): Record<string, unknown> => {
  const p = (settings as { profile?: unknown } | null | undefined)?.profile;
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
};

const columnsOf = (b: StoredBusiness) => ({
  name: b.name,
  trade: (TRADES as readonly string[]).includes(b.trade) ? b.trade : 'general',
  greeting: b.greeting,
  ...(b.afterHoursGreeting ? { afterHoursGreeting: b.afterHoursGreeting } : {}),
  timezone: b.timezone,
  hours: b.hours,
  plan: b.plan,
});

/**
 * The profile of a stored business. Never throws on a bad `settings.profile`: a call must still be
 * answered, so each part that does not parse is left out (and named in `problems`). It throws only
 * when the row's own columns are unusable, which the store's schema already prevents.
 */
export function profileFromStored(b: StoredBusiness): { profile: BusinessProfile; problems: string[] } {
  const columns = columnsOf(b);
  const problems: string[] = [];
  if (columns.trade !== b.trade) problems.push(`trade: "${b.trade}" is not a known trade; using general`);
  const extra = profileSection(b.settings);
  const picked: Record<string, unknown> = {};
  for (const key of PROFILE_SETTINGS_KEYS) {
    if (extra[key] === undefined || extra[key] === null) continue;
    const one = businessProfileSchema.shape[key].safeParse(extra[key]);
    if (one.success) picked[key] = extra[key];
    else problems.push(...one.error.issues.map((i) => `profile.${[key, ...i.path].join('.')}: ${i.message}`));
  }
  return { profile: businessProfileSchema.parse({ ...picked, ...columns }), problems };
}

/** The `settings.profile` section for a profile (what is not kept in the row's columns). */
export function profileSettingsOf(profile: BusinessProfile): ProfileSettings {
  const out: ProfileSettings = { services: profile.services, faq: profile.faq };
  if (profile.transferNumber) out.transferNumber = profile.transferNumber;
  if (profile.agentNumber) out.agentNumber = profile.agentNumber;
  if (profile.emergencyNumber) out.emergencyNumber = profile.emergencyNumber;
  if (profile.leadQuestions) out.leadQuestions = profile.leadQuestions;
  return out;
}

/**
 * What the schema alone cannot say: services and lead questions must be unambiguous (the brain
 * looks them up by id and field), and the plan caps the number of lead questions.
 */
export function profileIssues(p: BusinessProfile): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const dupes = (values: readonly string[]) => [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
  for (const id of dupes(p.services.map((s) => s.id)))
    issues.push({ path: 'services', message: `service id "${id}" is used twice` });
  const questions = p.leadQuestions ?? [];
  for (const field of dupes(questions.map((q) => q.field)))
    issues.push({ path: 'leadQuestions', message: `lead question "${field}" is asked twice` });
  const limit = PLAN_LIMITS[p.plan].leadQuestions;
  if (questions.length > limit)
    issues.push({
      path: 'leadQuestions',
      message: `the ${p.plan} plan allows at most ${limit} lead questions (got ${questions.length})`,
    });
  return issues;
}
