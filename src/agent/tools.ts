import type { E164 } from '../ids.js';
import type { EmergencyCategory, LeadFields, TranscriptEntry } from './brain.js';

/**
 * Everything the brain can do to the world. One AgentTools is bound to one conversation (its
 * business, its call or chat) by whoever builds it; the brain never imports a store or a notifier.
 * Every method takes the turn's AbortSignal and should give up once it aborts.
 */

export interface KnowledgeHit {
  /** The passage, quotable as it stands. */
  text: string;
  /** Title of the document or FAQ entry it came from. */
  title?: string;
  /** Relevance, higher is better; comparable only within one search. */
  score: number;
}

export interface LeadUpdate {
  fields: LeadFields;
  /** Every configured question has an answer. */
  complete: boolean;
  /** The conversation so far (the caller's words included), for whoever calls back. */
  transcript: readonly TranscriptEntry[];
}

export interface Slot {
  /** ISO 8601 instants. */
  start: string;
  end: string;
}

export interface BookingRecord {
  id: string;
  serviceId: string;
  start: string;
  end: string;
  customerName?: string;
  customerPhone?: E164;
}

export type BookResult =
  | { ok: true; booking: BookingRecord }
  /** `taken`: someone else holds the slot (the database refused it); `invalid`: outside hours or unknown service. */
  | { ok: false; reason: 'taken' | 'invalid' | 'not-found' };

export interface EmergencyReport {
  category: EmergencyCategory;
  /** The caller's words that triggered it. */
  trigger: string;
  summary: string;
  transcript: readonly TranscriptEntry[];
  callerId?: E164 | undefined;
}

export interface AgentTools {
  /** Passages that may answer `query`, best first. Empty when nothing is relevant. */
  searchKnowledge(query: string, signal: AbortSignal): Promise<KnowledgeHit[]>;
  /** Create or update this conversation's lead (one lead per conversation; later calls overwrite fields). */
  saveLead(lead: LeadUpdate, signal: AbortSignal): Promise<void>;
  /**
   * Free slots for a service between `from` and `to` (ISO instants), within business hours and not
   * overlapping existing bookings, earliest first.
   */
  findSlots(
    req: { serviceId: string; from: string; to: string; limit: number },
    signal: AbortSignal,
  ): Promise<Slot[]>;
  /** The caller's upcoming bookings, found by phone number. */
  findBookings(req: { phone: E164 }, signal: AbortSignal): Promise<BookingRecord[]>;
  book(
    req: { serviceId: string; start: string; customerName?: string; customerPhone?: E164; note?: string },
    signal: AbortSignal,
  ): Promise<BookResult>;
  reschedule(req: { bookingId: string; start: string }, signal: AbortSignal): Promise<BookResult>;
  cancel(req: { bookingId: string }, signal: AbortSignal): Promise<{ ok: boolean }>;
  /** Record the emergency and start notifying the business at once (SMS, call, email...). */
  raiseEmergency(report: EmergencyReport, signal: AbortSignal): Promise<void>;
  /** Record something the brain could not answer, for the owner to see. */
  recordQuestion(
    req: { text: string; transcript: readonly TranscriptEntry[] },
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * Announce a hand-over to the human about to take the call (e.g. a whisper or an SMS with the
   * summary). The channel performs the transfer itself on the brain's `transfer` output.
   */
  transfer(
    req: { to: E164; summary: string; reason: 'caller-request' | 'emergency' },
    signal: AbortSignal,
  ): Promise<void>;
}

/** Tools that do nothing: for a brain run without a store (the outputs still carry every event). */
export function noTools(): AgentTools {
  return {
    searchKnowledge: async () => [],
    saveLead: async () => {},
    findSlots: async () => [],
    findBookings: async () => [],
    book: async () => ({ ok: false, reason: 'invalid' }),
    reschedule: async () => ({ ok: false, reason: 'not-found' }),
    cancel: async () => ({ ok: false }),
    raiseEmergency: async () => {},
    recordQuestion: async () => {},
    transfer: async () => {},
  };
}
