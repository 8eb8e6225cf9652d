import { z } from 'zod';
import { LEAD_FIELDS } from '../../business/index.js';
import { EXPECTED_SPEECH } from '../../shared/index.js';
import type { BrainState } from '../brain.js';

/**
 * The rules brain's part of the conversation state, kept under `state.rules`. Parsed on every
 * turn because it comes back from wherever the channel stored it.
 */

export const AWAITING = [
  'anything-else',
  'take-message',
  'confirm-hours',
  /** "Is water or gas leaking right now?": weak evidence of an emergency, waiting for the answer. */
  'emergency-check',
  /** "Is it a repair, a quote, our hours, or something else?" after a turn not understood. */
  'choices',
] as const;
export type Awaiting = (typeof AWAITING)[number];

export const LEAD_PURPOSES = ['message', 'callback', 'booking', 'emergency', 'question'] as const;
export type LeadPurpose = (typeof LEAD_PURPOSES)[number];

const leadField = z.enum(LEAD_FIELDS);

export const leadStateSchema = z.object({
  /** Everything learnt about the caller in this conversation (one lead per conversation). */
  fields: z.partialRecord(leadField, z.string()).default({}),
  /** A capture is running: the agent is asking these questions in turn. */
  active: z.boolean().default(false),
  purpose: z.enum(LEAD_PURPOSES).default('message'),
  want: z.array(leadField).default([]),
  skipped: z.array(leadField).default([]),
  asking: leadField.optional(),
  /**
   * ask: the question is out; offer-caller-id: "is the number you're calling from best?";
   * keypad: asked to key the number in; spell: asked to spell the name; confirm: read back `pending`.
   */
  step: z.enum(['ask', 'offer-caller-id', 'keypad', 'spell', 'confirm']).optional(),
  pending: z.string().optional(),
  /** The name as first said (not spelt): a spoken reading beats a spelt one on a poor line. */
  heard: z.string().optional(),
  attempts: z.number().int().min(0).default(0),
  complete: z.boolean().default(false),
});
export type LeadState = z.infer<typeof leadStateSchema>;

const slotSchema = z.object({ start: z.string(), end: z.string() });

export const bookingStateSchema = z.object({
  action: z.enum(['book', 'move', 'cancel']),
  /**
   * service: which service?; when: what day/time?; choose: slots offered; confirm: "shall I book?";
   * details: waiting for the lead capture (name, phone) before booking; find: looking up the
   * caller's booking; confirm-cancel: "shall I cancel?".
   */
  step: z.enum(['service', 'when', 'choose', 'confirm', 'details', 'find', 'confirm-cancel']),
  serviceId: z.string().optional(),
  existing: z
    .object({ id: z.string(), serviceId: z.string(), start: z.string(), end: z.string() })
    .optional(),
  offered: z.array(slotSchema).default([]),
  chosen: slotSchema.optional(),
  attempts: z.number().int().min(0).default(0),
  /** The day and time the caller last asked for, as heard: a repeat of it is a mishearing. */
  asked: z
    .object({ year: z.number(), month: z.number(), day: z.number(), minutes: z.number().optional() })
    .optional(),
  /** Parts of `asked`'s day whose hours have been listed to the caller. */
  listed: z.array(z.enum(['morning', 'afternoon'])).default([]),
});
export type BookingState = z.infer<typeof bookingStateSchema>;

export const dialogStateSchema = z.object({
  /** Consecutive turns the brain could not understand. */
  misses: z.number().int().min(0).default(0),
  /** Consecutive silences. */
  silences: z.number().int().min(0).default(0),
  /** What the last thing the agent said asked for. */
  awaiting: z.enum(AWAITING).optional(),
  /** Why a message would be taken, when awaiting take-message. */
  messagePurpose: z.enum(LEAD_PURPOSES).optional(),
  /** The agent's last reply, for "say that again". */
  lastReply: z.string().optional(),
  /** The last question asked and how many times in a row (see env.ts `ask`). */
  asked: z
    .object({
      key: z.string(),
      times: z.number().int().min(1),
      hint: z.enum(EXPECTED_SPEECH).default('open'),
    })
    .optional(),
  /** Weak evidence of an emergency being checked with the caller (awaiting 'emergency-check'). */
  emergencyCheck: z
    .object({
      category: z.string(),
      trigger: z.string(),
      /** What the caller said, to carry on with when it is not an emergency. */
      text: z.string(),
      alternatives: z.array(z.string()),
      /** What the agent was waiting for before the question. */
      before: z.enum(AWAITING).optional(),
    })
    .optional(),
  /** The directed emergency question was asked in this conversation (it is asked once). */
  emergencyAsked: z.boolean().default(false),
  /** Emergency categories already raised (each is raised once per conversation). */
  emergencies: z.array(z.string()).default([]),
  lead: leadStateSchema.default(() => leadStateSchema.parse({})),
  booking: bookingStateSchema.optional(),
});
export type DialogState = z.infer<typeof dialogStateSchema>;

const KEY = 'rules';

export function loadDialogState(state: BrainState): DialogState {
  const parsed = dialogStateSchema.safeParse(state[KEY] ?? {});
  // State from an older version or a corrupted store must not crash a live call: start fresh.
  const value = parsed.success ? parsed.data : dialogStateSchema.parse({});
  state[KEY] = value;
  return value;
}
