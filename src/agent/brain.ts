import type { BusinessProfile, LeadField } from '../business/index.js';
import type { E164 } from '../ids.js';
import type { ExpectedSpeech } from '../shared/index.js';

/**
 * The seam between a channel (phone call session, chat, WhatsApp) and the receptionist's brain.
 * The brain is channel-free: it gets one turn of input and the conversation so far, and streams
 * back what to say and what should happen, in order. It never stores or sends anything itself;
 * side effects go through the tools it was constructed with (see tools.ts).
 */

/** One turn of caller input. */
export type TurnInput =
  /** The conversation has just begun: greet. */
  | { kind: 'call-started' }
  /**
   * What the caller said (phone: the STT final; chat: the typed message). `alternatives`: the
   * recognizer's other readings of the same audio, best first (its N-best list, without `text`);
   * weak evidence, e.g. of an emergency the best guess missed.
   */
  | { kind: 'speech'; text: string; confidence?: number; alternatives?: readonly string[] }
  /** Keys the caller pressed, collected into one string ("5551234", "1", "*"). */
  | { kind: 'dtmf'; digits: string }
  /** The caller said nothing before the silence timeout. */
  | { kind: 'no-input' }
  /** The caller made sound the recogniser could not turn into words. */
  | { kind: 'unclear' };

export type Channel = 'phone' | 'chat' | 'whatsapp' | 'web';

export interface TranscriptEntry {
  speaker: 'caller' | 'agent';
  /** For agent turns: only what the caller heard (cut at the barge-in point). */
  text: string;
  /** True on an agent turn the caller talked over. */
  interrupted?: boolean;
  at?: Date;
}

/**
 * Per-conversation state the brain owns. The brain may change it in place while it responds;
 * the channel keeps it with the conversation (it must survive JSON.stringify/parse, so plain
 * data only) and hands the same object back on the next turn.
 */
export type BrainState = Record<string, unknown>;

export interface ConversationContext {
  business: BusinessProfile;
  channel: Channel;
  /** The caller's number from caller ID, when the channel knows it. */
  callerId?: E164 | undefined;
  /** The caller's name if a previous conversation or the CRM knows it. */
  callerName?: string | undefined;
  /** Turns before this one; the current turn is the `turn` argument, not in here. */
  transcript: readonly TranscriptEntry[];
  state: BrainState;
  /** The time the brain should reason with (injected so tests and replays are deterministic). */
  now: Date;
  /** A model-backed brain calls this at its model's first token of the turn (the latency record). */
  onFirstToken?: (() => void) | undefined;
}

export type EndReason =
  /** The caller said goodbye. */
  | 'caller-goodbye'
  /** The conversation reached its end (message taken, booking confirmed and nothing else). */
  | 'completed'
  /** Repeated silence. */
  | 'no-input'
  /** Repeated unintelligible input. */
  | 'unintelligible';

export type LeadFields = Partial<Record<LeadField, string>>;

export type EmergencyCategory =
  | 'flooding'
  | 'burst-pipe'
  | 'sewage'
  | 'no-water'
  | 'gas'
  | 'carbon-monoxide'
  | 'no-heat'
  | 'electrical-hazard'
  | 'fire'
  | 'bleeding'
  | 'swelling'
  | 'severe-pain'
  | 'dental-trauma'
  | 'breathing'
  | 'chest-pain'
  | 'other';

/** What the brain streams back, in the order the channel must act on it. */
export type BrainOutput =
  /** A sentence or clause to speak or send; the voice layer speaks each one as it arrives. */
  | { type: 'say'; text: string }
  /**
   * How to listen for the next turn. `expect: 'digits'`: collect keypad digits (the voice layer may
   * wait longer between them), up to `maxDigits` or until `finishOnKey`. `hint`: what the caller
   * is likely to say (the question just asked); the recognizer narrows to it. Default 'open'.
   */
  | {
      type: 'listen';
      expect?: 'speech' | 'digits';
      hint?: ExpectedSpeech;
      maxDigits?: number;
      finishOnKey?: string;
    }
  /** Hang up after everything before this has been spoken. */
  | { type: 'end-call'; reason: EndReason }
  /** Hand the caller to a human at `to` (or the business's default) after speaking; `summary` is for that human. */
  | { type: 'transfer'; to?: E164; summary: string; reason: 'caller-request' | 'emergency' }
  /** The lead as known so far (sent whenever a field is learnt, so a dropped call leaves a partial lead). */
  | { type: 'lead'; fields: LeadFields; complete: boolean }
  /** An emergency was detected and raised. */
  | { type: 'emergency'; category: EmergencyCategory; trigger: string; summary: string }
  /** A booking changed. Times are ISO 8601 instants. */
  | {
      type: 'booking';
      action: 'booked' | 'moved' | 'cancelled';
      bookingId: string;
      serviceId: string;
      start: string;
      end: string;
    }
  /** Something the brain could not answer, recorded for the owner. */
  | { type: 'question-for-owner'; text: string };

export interface Brain {
  /** For the latency record: 'rules', or the model it runs on. */
  readonly name?: string;
  /**
   * Respond to one turn. Yields outputs in order; stops producing once `signal` aborts (a barge-in),
   * and may then end without finishing the sentence list.
   */
  respond(turn: TurnInput, ctx: ConversationContext, signal: AbortSignal): AsyncIterable<BrainOutput>;
}
