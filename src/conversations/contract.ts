import type { BrainOutput, EndReason, TranscriptEntry, TurnInput } from '../agent/index.js';
import type { BusinessId, CallSid, E164 } from '../ids.js';

/**
 * Conversations held turn by turn over requests (chat widget, WhatsApp, record-and-reply calls):
 * the same brain, tools, leads and emergencies as a streamed call, with the transcript on the
 * conversation's calls row and the brain's state kept between turns.
 */

/** The channels a turn-by-turn conversation runs on (a record-and-reply call is 'phone'). */
export type TurnChannel = 'chat' | 'whatsapp' | 'phone';

export type ConversationId = string & { readonly __brand: 'ConversationId' };

export interface OpenConversationInput {
  businessId: BusinessId;
  channel: TurnChannel;
  /** Who it is with, in the channel's terms: widget visitor id, whatsapp:+E164, a CallSid. */
  partyKey: string;
  /**
   * The calls row to hold it, when one exists already (a record-and-reply call's CallSid). Absent:
   * a new row is made (direction inbound, status in-progress) with a fresh id of the channel's
   * own form (chat: `CH…`, whatsapp: `WA…`, 32 hex after the prefix).
   */
  callSid?: CallSid;
  /** Caller ID when the channel has a number (WhatsApp, phone). */
  callerId?: E164;
  /** Stored on a new calls row as from/to (e.g. whatsapp:+1555…, the business's number). */
  from?: string;
  to?: string;
}

export interface ConversationRef {
  id: ConversationId;
  businessId: BusinessId;
  channel: TurnChannel;
  partyKey: string;
  callSid: CallSid;
  /** True when this open() started it (nothing said yet: take a 'call-started' turn to greet). */
  created: boolean;
  startedAt: Date;
  lastInboundAt: Date | undefined;
  endedAt: Date | undefined;
}

/** What one turn produced, in the brain's order. */
export interface TurnResult {
  /** The brain's `say` outputs, each a sentence or clause, in order. */
  replies: string[];
  /** Every output (lead, emergency, booking, transfer, listen, ...), in order. */
  outputs: BrainOutput[];
  /** Set when the brain ended the conversation on this turn (it is closed now). */
  ended?: EndReason;
  /** Set when the brain asked for a person on this turn. */
  transfer?: Extract<BrainOutput, { type: 'transfer' }>;
}

export interface Conversations {
  /** The open conversation with this party on this channel, or a new one. */
  open(input: OpenConversationInput): Promise<ConversationRef>;
  /** By id; ended ones too (undefined: no such conversation). */
  get(id: ConversationId): Promise<ConversationRef | undefined>;
  /** The transcript so far, oldest first. */
  history(id: ConversationId): Promise<TranscriptEntry[]>;
  /**
   * One turn: the brain answers `input` with the conversation so far; both sides are stored, the
   * brain's state saved. Turns of one conversation run one at a time, in arrival order. `inbound`
   * (default true for speech/dtmf) stamps lastInboundAt. Throws ConversationEndedError on an
   * ended conversation.
   */
  take(
    id: ConversationId,
    input: TurnInput,
    opts: { signal: AbortSignal; inbound?: boolean },
  ): Promise<TurnResult>;
  /** Closes it (calls row completed with `reason`); idempotent. */
  end(id: ConversationId, reason: string): Promise<void>;
  /** When this party last wrote on this channel, across its conversations (WhatsApp's window). */
  lastInboundAt(businessId: BusinessId, channel: TurnChannel, partyKey: string): Promise<Date | undefined>;
}

export class ConversationEndedError extends Error {
  constructor(readonly id: ConversationId) {
    super('this conversation has ended');
    this.name = 'ConversationEndedError';
  }
}
