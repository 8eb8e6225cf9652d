import { z } from 'zod';
import { LEAD_FIELDS } from '../business/index.js';
import type { BrainOutput, BrainState } from './brain.js';

/**
 * The LLM brain's part of the conversation state, kept under `state.llm` beside the rules
 * brain's `state.rules`. Only facts (lead fields, emergencies, bookings): the model is re-told
 * them every turn, so no chat history has to survive between turns except the transcript.
 */

const bookingSchema = z.object({
  id: z.string(),
  serviceId: z.string(),
  start: z.string(),
  end: z.string(),
  status: z.enum(['booked', 'moved', 'cancelled', 'existing']),
});

export const llmStateSchema = z.object({
  lead: z.partialRecord(z.enum(LEAD_FIELDS), z.string()).default({}),
  /** Emergency categories raised in this conversation, by either brain. */
  emergencies: z.array(z.string()).default([]),
  /** Bookings made, moved, cancelled or looked up in this conversation. */
  bookings: z.array(bookingSchema).default([]),
  /** Slot starts find_slots offered, by service id: book_appointment accepts only these. */
  offered: z.record(z.string(), z.array(z.string())).default({}),
  /** Turns handed to the fallback brain (for metrics and logs). */
  fallbacks: z.number().int().min(0).default(0),
});
export type LlmState = z.infer<typeof llmStateSchema>;

const KEY = 'llm';

export function loadLlmState(state: BrainState): LlmState {
  const parsed = llmStateSchema.safeParse(state[KEY] ?? {});
  // Stored state from an older version must not break a live call: start fresh.
  const value = parsed.success ? parsed.data : llmStateSchema.parse({});
  state[KEY] = value;
  return value;
}

/** Learn from another brain's outputs (the fallback's), so the LLM is told next turn. */
export function noteOutput(st: LlmState, out: BrainOutput): void {
  if (out.type === 'lead') Object.assign(st.lead, out.fields);
  else if (out.type === 'emergency' && !st.emergencies.includes(out.category))
    st.emergencies.push(out.category);
  else if (out.type === 'booking') {
    const status = out.action;
    const known = st.bookings.find((b) => b.id === out.bookingId);
    if (known) Object.assign(known, { start: out.start, end: out.end, status });
    else
      st.bookings.push({
        id: out.bookingId,
        serviceId: out.serviceId,
        start: out.start,
        end: out.end,
        status,
      });
  }
}
