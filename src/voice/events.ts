import { z } from 'zod';
import { busEventSchema } from '../store/bus/index.js';

/**
 * What one call says about itself, in order: the typed events a call session emits and the call
 * log, metrics, the end-of-call log line and (through the bus) the assist feed and dashboard
 * listen to. Plain JSON data only (no Dates, no functions), so an event can cross a process
 * boundary unchanged; `callEventSchema` checks one that comes back in.
 *
 * Times: `at` is wall-clock epoch ms when the event was emitted; `*Ms` offsets are ms since the
 * call's stream started (the same offsets the stored turns use).
 */

/** Which side of the call: the caller ('inbound') or the agent, AI or human ('outbound'). */
/** The lines a call with audio comes in on: a phone number, WhatsApp calling, a browser. */
export const VOICE_CHANNELS = ['phone', 'whatsapp', 'web'] as const;
export type VoiceChannel = (typeof VOICE_CHANNELS)[number];

export const trackSchema = z.enum(['inbound', 'outbound']);
export type Track = z.infer<typeof trackSchema>;

/** Every event carries the bus's envelope: whose call, its place in the call's order, and when. */
const event = busEventSchema;

const latencySchema = z.object({
  endpointingMs: z.number(),
  sttFinalMs: z.number().optional(),
  /** The language model's first token (LLM brain only). */
  llmFirstTokenMs: z.number().optional(),
  firstTextMs: z.number().optional(),
  firstAudioMs: z.number().optional(),
  /** Voice to voice: the first agent audio of the answer left for the caller. */
  firstFrameSentMs: z.number().optional(),
  /** Who did each stage: recognizer, brain (model name or 'rules'), synthesizer; 'openai-realtime' for all three in realtime mode. */
  providers: z.object({ stt: z.string(), llm: z.string(), tts: z.string() }).partial().optional(),
});

export const callSummarySchema = z.object({
  durationMs: z.number(),
  turns: z.number(),
  callerTurns: z.number(),
  agentTurns: z.number(),
  interruptions: z.number(),
  framesIn: z.number(),
  framesOut: z.number(),
  endReason: z.string(),
  /** Median and worst first-frame latency over the call's agent turns (ms after end of speech). */
  latency: z
    .object({
      turns: z.number(),
      firstFrameSentP50: z.number().optional(),
      firstFrameSentMax: z.number().optional(),
    })
    .optional(),
});
export type CallSummary = z.infer<typeof callSummarySchema>;

/** How the call ended, from our side: what the end-of-call log line and metrics count. */
export const callOutcomeSchema = z.enum([
  /** Twilio stopped the stream: the caller hung up (or Twilio ended the call). */
  'caller-hung-up',
  /** The agent said goodbye and hung up. */
  'agent-hung-up',
  /** Moved to a human by <Dial>: the call goes on without us. */
  'transferred',
  /** This server stopped (graceful shutdown). */
  'server-shutdown',
  /** The stream went away without a stop (socket closed, idle, error). */
  'dropped',
]);
export type CallOutcome = z.infer<typeof callOutcomeSchema>;

/** Why an agent turn was cut. */
export const cutReasonSchema = z.enum([
  /** The caller talked over it. */
  'barge-in',
  /** The caller went on speaking before any of it was heard: answered together instead. */
  'caller-continued',
  /** The call ended or the server had to say goodbye. */
  'cut-off',
  /** Speech synthesis or playback failed. */
  'failed',
]);
export type CutReason = z.infer<typeof cutReasonSchema>;

const events = [
  event('call-started', { channel: z.enum(VOICE_CHANNELS) }),
  event('call-ended', {
    reason: z.string(),
    outcome: callOutcomeSchema,
    summary: callSummarySchema,
    /** Where the recording was kept (relative to DATA_DIR), when it could be written. */
    recording: z.string().optional(),
  }),
  /** Voice activity on one track (the caller: VAD past the minimum speech length). */
  event('speech-started', { track: trackSchema, atMs: z.number() }),
  event('speech-stopped', {
    track: trackSchema,
    atMs: z.number(),
    durationMs: z.number(),
  }),
  /** Words so far of the utterance in progress; each replaces the previous one. */
  event('transcript-interim', { track: trackSchema, text: z.string() }),
  /** A finished utterance: for the inbound track, a caller turn. Empty text: speech not understood. */
  event('transcript-final', {
    track: trackSchema,
    text: z.string(),
    confidence: z.number().optional(),
    startMs: z.number(),
    endMs: z.number(),
  }),
  /** One keypad key as pressed. */
  event('dtmf', { digit: z.string(), atMs: z.number() }),
  /** Keys collected into one caller input (until the finish key, the digit limit or a pause). */
  event('digits-entered', { digits: z.string(), atMs: z.number() }),
  event('agent-turn-started', {
    turnId: z.string(),
    /** 'brain': the brain's answer to an input (greeting included); 'say': a fixed line (CallSession.say). */
    source: z.enum(['brain', 'say']),
    allowInterruptions: z.boolean(),
    atMs: z.number(),
  }),
  /** The agent turn played in full. */
  event('agent-turn-ended', {
    turnId: z.string(),
    text: z.string(),
    startMs: z.number(),
    endMs: z.number(),
  }),
  /** The agent turn was cut; `heardText` is what the caller actually heard of `text`. */
  event('agent-turn-interrupted', {
    turnId: z.string(),
    reason: cutReasonSchema,
    text: z.string(),
    heardText: z.string(),
    heardMs: z.number(),
    startMs: z.number(),
    endMs: z.number(),
  }),
  /**
   * Caller speech over the agent went on too long to wait for its words: the agent's audio was
   * stopped at `heardMs` into the turn, the rest kept. Followed by `agent-turn-resumed` (it was
   * only "uh-huh" or noise) or by the turn's interruption.
   */
  event('agent-turn-paused', { turnId: z.string(), atMs: z.number(), heardMs: z.number() }),
  /** A paused agent turn plays on from where it was heard (a false interruption). */
  event('agent-turn-resumed', { turnId: z.string(), atMs: z.number(), pausedMs: z.number() }),
  /** Per-stage latency of one agent turn, ms after the caller's end of speech. */
  event('turn-latency', { turnId: z.string(), latency: latencySchema }),
  // What the brain decided, as it decided it (its side effects already went through its tools).
  event('lead', {
    fields: z.record(z.string(), z.string().optional()),
    complete: z.boolean(),
  }),
  event('emergency', { category: z.string(), trigger: z.string(), summary: z.string() }),
  event('booking', {
    action: z.enum(['booked', 'moved', 'cancelled']),
    bookingId: z.string(),
    serviceId: z.string(),
    start: z.string(),
    end: z.string(),
  }),
  event('question', { text: z.string() }),
  event('transfer', {
    to: z.string().optional(),
    summary: z.string(),
    reason: z.enum(['caller-request', 'emergency']),
  }),
  /** The transfer was attempted after the hand-over line: `transferred` false keeps the caller with us. */
  event('transfer-result', { transferred: z.boolean() }),
  /** The agent hangs up (the brain ended the call and its last words were heard). */
  event('agent-hangup', { reason: z.string() }),
  /** The server is stopping: the agent says a last line and the call ends. */
  event('goodbye', { atMs: z.number() }),
  /** A provider failed over to the next one configured for its kind. */
  event('provider-switched', {
    /** 'realtime': the speech-to-speech session failed and the pipeline took the call over. */
    kind: z.enum(['stt', 'tts', 'llm', 'vad', 'realtime']),
    from: z.string(),
    to: z.string(),
    reason: z.string(),
  }),
] as const;

export const callEventSchema = z.discriminatedUnion('type', events);

/** One event of one call. */
export type CallEvent = z.infer<typeof callEventSchema>;
export type CallEventType = CallEvent['type'];
/** The event a session emits; the call's stream adds callSid, businessId, seq and at. */
export type CallEventBody = CallEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'callSid' | 'businessId' | 'seq' | 'at'>
    : never
  : never;
export type CallEventOf<T extends CallEventType> = Extract<CallEvent, { type: T }>;
