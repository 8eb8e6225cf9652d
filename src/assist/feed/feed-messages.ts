import { z } from 'zod';
import type { AssistEvent } from '../events.js';
import { ASSIST_INTENTS } from '../events.js';
import { SUGGESTION_KINDS, SUGGESTION_PRIORITIES } from '../../store/index.js';

/**
 * The agents' feed on the wire (WebSocket /assist/agent): every message the server sends, one
 * JSON object per frame, told apart by `type`. The `suggestion` message is seed 000's shape and
 * carries exactly its six keys, nothing more (agent desktops built against the seed read it as
 * is); whatever else a suggestion has goes in the `suggestion-detail` sent right after it.
 * Timestamps are ISO-8601 (UTC) of when the event was published.
 *
 * The schemas are strict: a key we did not mean to send fails the tests and the clients' parse.
 */

const timestamp = z.iso.datetime();
const callSid = z.string().min(1);

/** Seed 000's suggestion, exactly. */
export const feedSuggestionSchema = z.strictObject({
  type: z.literal('suggestion'),
  content: z.string().min(1),
  confidence: z.number().min(0).max(1),
  timestamp,
  callSid,
  priority: z.enum(SUGGESTION_PRIORITIES),
});

/** The rest of the suggestion just sent for the same call: its id, kind, intent and evidence. */
export const feedSuggestionDetailSchema = z.strictObject({
  type: z.literal('suggestion-detail'),
  id: z.uuid(),
  callSid,
  kind: z.enum(SUGGESTION_KINDS),
  intent: z.enum(ASSIST_INTENTS).optional(),
  basis: z.enum(['interim', 'final']),
  evidence: z.strictObject({
    words: z.string().optional(),
    passage: z.strictObject({ title: z.string(), text: z.string() }).optional(),
  }),
  timestamp,
});

export const feedTranscriptSchema = z.strictObject({
  type: z.literal('transcript'),
  callSid,
  speaker: z.enum(['customer', 'agent']),
  text: z.string(),
  /** false: words still being said, replaced by the next transcript of the same speaker. */
  final: z.boolean(),
  timestamp,
});

export const feedSentimentSchema = z.strictObject({
  type: z.literal('sentiment'),
  callSid,
  score: z.number().min(-1).max(1),
  label: z.enum(['negative', 'neutral', 'positive']),
  trend: z.enum(['improving', 'steady', 'worsening']),
  timestamp,
});

export const feedCallStartedSchema = z.strictObject({
  type: z.literal('call-started'),
  callSid,
  /** 'dial': a call the business answers itself; 'transfer': an AI call moved to a person. */
  source: z.enum(['dial', 'transfer']),
  timestamp,
});

export const feedCallEndedSchema = z.strictObject({
  type: z.literal('call-ended'),
  callSid,
  reason: z.string(),
  timestamp,
});

/** Whether assist is working: for one call (callSid), or the whole feed (no callSid, e.g. the bus is down). */
export const feedStatusSchema = z.strictObject({
  type: z.literal('status'),
  state: z.enum(['available', 'unavailable']),
  callSid: callSid.optional(),
  reason: z.string(),
  timestamp,
});

/** Sent once, first: what this socket follows (one call, or every call of the business). */
export const feedReadySchema = z.strictObject({
  type: z.literal('ready'),
  businessId: z.string().min(1),
  /** Present: this one call only. */
  callSid: callSid.optional(),
  timestamp,
});

/** Something the agent sent that was refused; the socket stays open unless it is closed too. */
export const feedErrorSchema = z.strictObject({
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  timestamp,
});

/** The answer to the agent's `{"type":"ping"}`. */
export const feedPongSchema = z.strictObject({
  type: z.literal('pong'),
  timestamp,
});

export const feedMessageSchema = z.discriminatedUnion('type', [
  feedSuggestionSchema,
  feedSuggestionDetailSchema,
  feedTranscriptSchema,
  feedSentimentSchema,
  feedCallStartedSchema,
  feedCallEndedSchema,
  feedStatusSchema,
  feedReadySchema,
  feedErrorSchema,
  feedPongSchema,
]);

export type FeedMessage = z.infer<typeof feedMessageSchema>;
export type FeedMessageType = FeedMessage['type'];
export type FeedSuggestion = z.infer<typeof feedSuggestionSchema>;
export type FeedSuggestionDetail = z.infer<typeof feedSuggestionDetailSchema>;
export type FeedTranscript = z.infer<typeof feedTranscriptSchema>;
export type FeedSentiment = z.infer<typeof feedSentimentSchema>;
export type FeedCallStarted = z.infer<typeof feedCallStartedSchema>;
export type FeedCallEnded = z.infer<typeof feedCallEndedSchema>;
export type FeedStatus = z.infer<typeof feedStatusSchema>;
export type FeedReady = z.infer<typeof feedReadySchema>;
export type FeedError = z.infer<typeof feedErrorSchema>;
export type FeedPong = z.infer<typeof feedPongSchema>;

/** Epoch ms as the feed's timestamp. */
export const isoAt = (ms: number): string => new Date(ms).toISOString();

type Of<T extends AssistEvent['type']> = Extract<AssistEvent, { type: T }>;

// Builders: one per message, so the keys each carries are written in one place.

export function suggestionMessage(e: Of<'assist-suggestion'>): FeedSuggestion {
  const s = e.suggestion;
  return {
    type: 'suggestion',
    content: s.content,
    confidence: s.confidence,
    timestamp: isoAt(e.at),
    callSid: e.callSid,
    priority: s.priority,
  };
}

export function suggestionDetailMessage(e: Of<'assist-suggestion'>): FeedSuggestionDetail {
  const s = e.suggestion;
  const evidence: FeedSuggestionDetail['evidence'] = {};
  if (s.evidence.words !== undefined) evidence.words = s.evidence.words;
  if (s.evidence.passage)
    evidence.passage = { title: s.evidence.passage.title, text: s.evidence.passage.text };
  return {
    type: 'suggestion-detail',
    id: s.id,
    callSid: e.callSid,
    kind: s.kind,
    ...(s.intent ? { intent: s.intent } : {}),
    basis: s.basis,
    evidence,
    timestamp: isoAt(e.at),
  };
}

export function transcriptMessage(e: Of<'assist-transcript'>): FeedTranscript {
  return {
    type: 'transcript',
    callSid: e.callSid,
    speaker: e.speaker,
    text: e.text,
    final: e.final,
    timestamp: isoAt(e.at),
  };
}

export function sentimentMessage(e: Of<'assist-sentiment'>): FeedSentiment {
  return {
    type: 'sentiment',
    callSid: e.callSid,
    score: e.score,
    label: e.label,
    trend: e.trend,
    timestamp: isoAt(e.at),
  };
}

export function callStartedMessage(c: {
  callSid: string;
  source: 'dial' | 'transfer';
  at: number;
}): FeedCallStarted {
  return { type: 'call-started', callSid: c.callSid, source: c.source, timestamp: isoAt(c.at) };
}

export function callEndedMessage(e: Of<'assist-ended'>): FeedCallEnded {
  return { type: 'call-ended', callSid: e.callSid, reason: e.reason, timestamp: isoAt(e.at) };
}

export function statusMessage(s: {
  state: 'available' | 'unavailable';
  callSid?: string;
  reason?: string;
  at: number;
}): FeedStatus {
  return {
    type: 'status',
    state: s.state,
    ...(s.callSid !== undefined ? { callSid: s.callSid } : {}),
    reason: s.reason ?? (s.state === 'available' ? 'assist available' : 'assist unavailable'),
    timestamp: isoAt(s.at),
  };
}

export function readyMessage(r: { businessId: string; callSid?: string; at: number }): FeedReady {
  return {
    type: 'ready',
    businessId: r.businessId,
    ...(r.callSid !== undefined ? { callSid: r.callSid } : {}),
    timestamp: isoAt(r.at),
  };
}

export function errorMessage(code: string, message: string, at: number): FeedError {
  return { type: 'error', code, message, timestamp: isoAt(at) };
}

export function pongMessage(at: number): FeedPong {
  return { type: 'pong', timestamp: isoAt(at) };
}

/** What the feed sends for one assist event, in order (a suggestion, then its detail). */
export function toFeedMessages(e: AssistEvent): FeedMessage[] {
  switch (e.type) {
    case 'assist-started':
      return [callStartedMessage(e)];
    case 'assist-transcript':
      return [transcriptMessage(e)];
    case 'assist-suggestion':
      return [suggestionMessage(e), suggestionDetailMessage(e)];
    case 'assist-sentiment':
      return [sentimentMessage(e)];
    case 'assist-status':
      return [
        statusMessage({
          state: e.state,
          callSid: e.callSid,
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
          at: e.at,
        }),
      ];
    case 'assist-ended':
      return [callEndedMessage(e)];
  }
}

export type ParsedFeedMessage = { ok: true; message: FeedMessage } | { ok: false; error: string };

/**
 * A frame from the feed, checked (for clients: the simulator, the benchmark, tests). Takes the
 * frame's text, its bytes, or an already parsed value.
 */
export function parseFeedMessage(raw: unknown): ParsedFeedMessage {
  let value: unknown = raw;
  if (typeof raw === 'string' || raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    const text =
      typeof raw === 'string'
        ? raw
        : new TextDecoder().decode(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw);
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, error: 'not JSON' };
    }
  }
  const r = feedMessageSchema.safeParse(value);
  if (r.success) return { ok: true, message: r.data };
  const first = r.error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  return { ok: false, error: `not a feed message (${where}${first?.message ?? 'invalid'})` };
}
