import { z } from 'zod';
import { busEventSchema } from '../store/bus/index.js';
import { SUGGESTION_KINDS, SUGGESTION_PRIORITIES } from '../store/index.js';

/**
 * What agent assist says about one call while a person at the business takes it, in order: the
 * events an assist session publishes on the assist bus and the agents' feed (and the dashboard)
 * turns into messages. Plain JSON only, so an event crosses processes (Redis) unchanged;
 * `assistEventSchema` checks one that comes back in.
 *
 * Times: `at` is wall-clock epoch ms when the event was published; `*Ms` are ms since the assist
 * stream started (the call's audio clock as the assist stream heard it).
 */

/** Who spoke: the customer (Twilio's inbound track) or the business's agent (outbound track). */
export const assistSpeakerSchema = z.enum(['customer', 'agent']);
export type AssistSpeaker = z.infer<typeof assistSpeakerSchema>;

/** The intents assist recognises in what the customer says. */
export const ASSIST_INTENTS = ['pricing', 'booking', 'cancellation', 'complaint', 'emergency'] as const;
export const assistIntentSchema = z.enum(ASSIST_INTENTS);
export type AssistIntent = z.infer<typeof assistIntentSchema>;

/** Every event carries the bus's envelope: whose call, its place in the call's order, and when. */
const event = busEventSchema;

export const suggestionSchema = z.object({
  /** Unique per suggestion: the audit log's key and the card's id on the agent's screen. */
  id: z.uuid(),
  kind: z.enum(SUGGESTION_KINDS),
  /** For kind 'intent' (and the next best action that follows one). */
  intent: assistIntentSchema.optional(),
  /** What the agent reads, one or two short sentences. */
  content: z.string().min(1),
  confidence: z.number().min(0).max(1),
  priority: z.enum(SUGGESTION_PRIORITIES),
  /** 'interim': fired on words the customer was still saying. */
  basis: z.enum(['interim', 'final']),
  /** What it rests on: the customer's words, and for knowledge cards the passage and its source. */
  evidence: z.object({
    words: z.string().optional(),
    passage: z.object({ title: z.string(), text: z.string() }).optional(),
  }),
  atMs: z.number(),
  /**
   * Where the customer's voice ended for the utterance this came from, when it had ended
   * (ms of stream audio): the latency benchmark measures from here.
   */
  voiceEndMs: z.number().optional(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

const events = [
  /** The assist stream is listening: 'dial' (a call the business answers itself) or 'transfer' (an AI call moved to a person). */
  event('assist-started', { source: z.enum(['dial', 'transfer']), tracks: z.array(assistSpeakerSchema) }),
  /** Words of one side: interim (replaced by the next one of the same utterance) or final. */
  event('assist-transcript', {
    speaker: assistSpeakerSchema,
    text: z.string(),
    final: z.boolean(),
    startMs: z.number(),
    endMs: z.number().optional(),
  }),
  event('assist-suggestion', { suggestion: suggestionSchema }),
  /** The customer's mood: score -1 (angry) .. 1 (happy), and where it is heading over the call. */
  event('assist-sentiment', {
    score: z.number().min(-1).max(1),
    label: z.enum(['negative', 'neutral', 'positive']),
    trend: z.enum(['improving', 'steady', 'worsening']),
  }),
  /** Assist itself: 'unavailable' when it cannot listen (recognizer down); the call's audio is never affected. */
  event('assist-status', {
    state: z.enum(['available', 'unavailable']),
    reason: z.string().optional(),
  }),
  event('assist-ended', { reason: z.string() }),
] as const;

export const assistEventSchema = z.discriminatedUnion('type', events);
export type AssistEvent = z.infer<typeof assistEventSchema>;
export type AssistEventType = AssistEvent['type'];
/** An event as a session emits it; the publisher adds callSid, businessId, seq and at. */
export type AssistEventBody = AssistEvent extends infer E
  ? E extends AssistEvent
    ? Omit<E, 'callSid' | 'businessId' | 'seq' | 'at'>
    : never
  : never;
