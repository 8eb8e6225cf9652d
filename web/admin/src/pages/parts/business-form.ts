import type { Faq, LeadQuestion, Service } from '../../types.js';
import { hoursBody, hoursForm, type BusinessHours, type HoursForm } from './hours-form.js';

/**
 * The Business page's form and the PUT /api/business/:id body made from it (shapes in
 * src/admin/business-api.ts and src/business/profile.ts). Only what the page edits is sent, so
 * settings it does not show (transfer numbers, notifications) are left as they are.
 */

export const LEAD_FIELDS = ['name', 'phone', 'address', 'need', 'urgency', 'email'] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];
export const LEAD_FIELD_NAMES: Record<LeadField, string> = {
  name: 'Name',
  phone: 'Phone number',
  address: 'Address',
  need: 'What they need',
  urgency: 'How urgent',
  email: 'Email',
};
/** What the agent asks when a question has no wording of its own (src/agent/rules/lead-flow.ts). */
export const DEFAULT_PROMPTS: Record<LeadField, string> = {
  name: 'Can I get your name, please?',
  phone: "What's the best number to reach you?",
  address: "What's the address where you need us?",
  need: 'And briefly, what do you need help with?',
  urgency: 'How urgent is it? Do you need someone today, this week, or is it flexible?',
  email: "What's your email address?",
};
/**
 * The questions asked when the business has set none: the agent's defaults
 * (src/agent/rules/lead-flow.ts), which skip the address for trades that do not visit callers.
 */
export function defaultLeadFields(trade: string | undefined): LeadField[] {
  const addressless = ['dental', 'medical', 'legal', 'salon'].includes(trade ?? '');
  return (['name', 'phone', 'address', 'need', 'urgency'] as const).filter(
    (f) => !(f === 'address' && addressless),
  );
}

export type { Faq, LeadQuestion, Service } from '../../types.js';

/** The part of GET /api/business/:id's business this page reads. */
export interface BusinessView {
  name: string;
  trade?: string;
  plan: string;
  profile: {
    greeting: string | null;
    afterHoursGreeting: string | null;
    timezone: string;
    hours?: BusinessHours;
    services?: Service[];
    faq?: Faq[];
    leadQuestions?: LeadQuestion[] | null;
  };
  limits?: { leadQuestions?: number | null };
}

export interface ServiceRow {
  /** Kept for services that exist (bookings refer to them); new ones get one from the name. */
  id: string;
  name: string;
  durationMinutes: string;
  price: string;
  aliases: string;
  description: string;
  bookable: boolean;
}
export interface QuestionRow {
  field: LeadField;
  prompt: string;
  required: boolean;
}
export interface BusinessForm {
  name: string;
  greeting: string;
  afterHoursGreeting: string;
  timezone: string;
  hours: HoursForm;
  services: ServiceRow[];
  faq: Faq[];
  leadQuestions: QuestionRow[];
  /** False while the business uses the agent's default questions (nothing stored). */
  customQuestions: boolean;
  /** Whether the business had questions of its own when the page loaded. */
  storedQuestions: boolean;
}

export function businessForm(b: BusinessView): BusinessForm {
  const stored = b.profile.leadQuestions;
  return {
    name: b.name,
    greeting: b.profile.greeting ?? '',
    afterHoursGreeting: b.profile.afterHoursGreeting ?? '',
    timezone: b.profile.timezone,
    hours: hoursForm(b.profile.hours),
    services: (b.profile.services ?? []).map((s) => ({
      id: s.id,
      name: s.name,
      durationMinutes: String(s.durationMinutes),
      price: s.price ?? '',
      aliases: (s.aliases ?? []).join(', '),
      description: s.description ?? '',
      bookable: s.bookable ?? true,
    })),
    faq: (b.profile.faq ?? []).map((f) => ({ ...f })),
    leadQuestions: stored
      ? stored.map((q) => ({ field: q.field, prompt: q.prompt ?? '', required: q.required ?? true }))
      : defaultLeadFields(b.trade).map((field) => ({ field, prompt: '', required: true })),
    customQuestions: Boolean(stored),
    storedQuestions: Boolean(stored),
  };
}

/** Lowercase words joined by dashes, unique among `taken`. */
export function serviceId(name: string, taken: readonly string[]): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'service';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

export interface BusinessBody {
  name: string;
  profile: {
    greeting: string;
    afterHoursGreeting: string | null;
    timezone: string;
    hours: ReturnType<typeof hoursBody>;
    services: Service[];
    faq: Faq[];
    leadQuestions?: LeadQuestion[] | null;
  };
}

/**
 * The PUT body. Lead questions are sent once they are the business's own (edited, or stored
 * before); untouched defaults stay unset so the agent keeps adapting them to the trade, and going
 * back to the defaults sends null (which removes the business's own).
 */
export function businessBody(form: BusinessForm): BusinessBody {
  const taken: string[] = [];
  const services = form.services
    .filter((s) => s.name.trim() !== '')
    .map((s): Service => {
      const id = s.id || serviceId(s.name, [...taken, ...form.services.map((x) => x.id).filter(Boolean)]);
      taken.push(id);
      return {
        id,
        name: s.name.trim(),
        aliases: splitList(s.aliases),
        durationMinutes: Number(s.durationMinutes),
        ...(s.price.trim() ? { price: s.price.trim() } : {}),
        ...(s.description.trim() ? { description: s.description.trim() } : {}),
        bookable: s.bookable,
      };
    });
  const after = form.afterHoursGreeting.trim();
  return {
    name: form.name.trim(),
    profile: {
      greeting: form.greeting.trim(),
      afterHoursGreeting: after === '' ? null : after,
      timezone: form.timezone,
      hours: hoursBody(form.hours),
      services,
      faq: form.faq
        .map((f) => ({ question: f.question.trim(), answer: f.answer.trim() }))
        .filter((f) => f.question !== '' || f.answer !== ''),
      ...(form.customQuestions
        ? {
            leadQuestions: form.leadQuestions.map((q) => ({
              field: q.field,
              ...(q.prompt.trim() ? { prompt: q.prompt.trim() } : {}),
              required: q.required,
            })),
          }
        : form.storedQuestions
          ? { leadQuestions: null }
          : {}),
    },
  };
}

/** The plan's cap on lead questions; null = no limit. */
export function leadQuestionLimit(b: Pick<BusinessView, 'plan' | 'limits'>): number | null {
  const l = b.limits?.leadQuestions;
  if (typeof l === 'number') return l;
  if (l === null) return null;
  return b.plan === 'FREE' ? 5 : null;
}

export function leadLimitText(plan: string, limit: number | null): string {
  return limit === null
    ? `Your ${plan} plan allows any number of lead questions`
    : `Your ${plan} plan allows ${limit} lead question${limit === 1 ? '' : 's'}`;
}

/** Whether another question may be added: below the plan's cap, and a field left to ask for. */
export function canAddQuestion(rows: readonly QuestionRow[], limit: number | null): boolean {
  return (limit === null || rows.length < limit) && nextField(rows) !== undefined;
}

/** The first field no question asks for yet (each field may be asked once). */
export function nextField(rows: readonly QuestionRow[]): LeadField | undefined {
  return LEAD_FIELDS.find((f) => !rows.some((r) => r.field === f));
}

/** What is wrong with the form before it is sent, worded for the page ("" = fine). */
export function formProblems(form: BusinessForm): string[] {
  const out: string[] = [];
  if (!form.name.trim()) out.push('Enter the business name.');
  if (!form.greeting.trim()) out.push('Enter a greeting.');
  form.services.forEach((s, i) => {
    if (!s.name.trim()) return;
    const d = Number(s.durationMinutes);
    if (!Number.isInteger(d) || d <= 0 || d > 1440)
      out.push(`Service ${i + 1}: the duration is a whole number of minutes (1 to 1440).`);
  });
  form.faq.forEach((f, i) => {
    if ((f.question.trim() === '') !== (f.answer.trim() === ''))
      out.push(`FAQ ${i + 1}: enter both the question and the answer.`);
  });
  const fields = form.leadQuestions.map((q) => q.field);
  const twice = fields.find((f, i) => fields.indexOf(f) !== i);
  if (twice) out.push(`Two lead questions ask for ${LEAD_FIELD_NAMES[twice].toLowerCase()}.`);
  return out;
}
