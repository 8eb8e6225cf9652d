import { z } from 'zod';
import { parseE164, type E164 } from '../ids.js';
import { businessHoursSchema, isValidTimeZone } from './hours.js';

/**
 * What the receptionist knows about the business it answers for. Parsed with zod wherever it
 * comes in (admin API, seed files, the store), so the brain can trust it.
 */

export const TRADES = [
  'plumbing',
  'hvac',
  'electrical',
  'dental',
  'medical',
  'legal',
  'salon',
  'general',
] as const;
export type Trade = (typeof TRADES)[number];

const e164 = z.string().transform((s, ctx) => {
  const n = parseE164(s);
  if (!n) {
    ctx.addIssue({ code: 'custom', message: 'must be a phone number in E.164 form, e.g. +15005550006' });
    return z.NEVER;
  }
  return n as E164;
});

export const serviceSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /** Other words callers use for it ("cleaning" for "hygiene visit"). */
  aliases: z.array(z.string()).default([]),
  durationMinutes: z
    .number()
    .int()
    .positive()
    .max(24 * 60),
  /** Spoken as written, e.g. "from $89". */
  price: z.string().optional(),
  description: z.string().optional(),
  bookable: z.boolean().default(true),
});
export type Service = z.infer<typeof serviceSchema>;

export const faqSchema = z.object({ question: z.string().min(1), answer: z.string().min(1) });
export type Faq = z.infer<typeof faqSchema>;

export const LEAD_FIELDS = ['name', 'phone', 'address', 'need', 'urgency', 'email'] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];

export const leadQuestionSchema = z.object({
  field: z.enum(LEAD_FIELDS),
  /** What the agent asks; a sensible default exists for each field. */
  prompt: z.string().optional(),
  required: z.boolean().default(true),
});
export type LeadQuestion = z.infer<typeof leadQuestionSchema>;

export const PLANS = ['FREE', 'BASIC', 'PRO'] as const;
export type Plan = (typeof PLANS)[number];

export const businessProfileSchema = z.object({
  name: z.string().min(1),
  trade: z.enum(TRADES).default('general'),
  /**
   * Templates. Placeholders: {business}, {timeOfDay} ("Good morning"), {callerName} (dropped with
   * its comma when unknown), {nextOpen} ("Monday at 8 a.m.", after hours only).
   */
  greeting: z.string().optional(),
  afterHoursGreeting: z.string().optional(),
  timezone: z
    .string()
    .refine(isValidTimeZone, { message: 'must be an IANA time zone, e.g. America/Chicago' }),
  hours: businessHoursSchema,
  services: z.array(serviceSchema).default([]),
  faq: z.array(faqSchema).default([]),
  /** Where "let me talk to a person" goes while open; unset means take a message. */
  transferNumber: e164.optional(),
  /**
   * Who picks up calls the business answers itself with agent assist listening
   * (/twilio/assist/voice); unset: transferNumber.
   */
  agentNumber: e164.optional(),
  /** On-call number emergencies are transferred to, at any hour. */
  emergencyNumber: e164.optional(),
  leadQuestions: z.array(leadQuestionSchema).optional(),
  plan: z.enum(PLANS).default('FREE'),
});
export type BusinessProfile = z.infer<typeof businessProfileSchema>;
export type BusinessProfileInput = z.input<typeof businessProfileSchema>;
