import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';

export const CALL_DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export const CALL_CHANNELS = ['phone', 'whatsapp', 'web', 'chat'] as const;
export type CallChannel = (typeof CALL_CHANNELS)[number];

/**
 * Twilio's call status vocabulary (PROTOCOLS.md 3.1 and 3.2, `initiated` included), used for every
 * channel. The webhooks refuse any other value; the column has no database check, so adding a
 * status later needs no migration.
 */
export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'canceled',
  'failed',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export const TERMINAL_CALL_STATUSES: readonly CallStatus[] = [
  'completed',
  'busy',
  'no-answer',
  'canceled',
  'failed',
];

export const STATUS_SOURCES = ['voice-webhook', 'status-callback', 'stream', 'system'] as const;
export type StatusSource = (typeof STATUS_SOURCES)[number];

export const SPEAKERS = ['caller', 'agent', 'human_agent'] as const;

/** Who answered: our voice agent, or a person at the business with Switchboard listening in (agent assist). */
export const ANSWERED_BY = ['ai', 'human'] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];
export type Speaker = (typeof SPEAKERS)[number];

/** Per-stage latency of one agent turn, in ms from the caller's end of speech (absent = not reached). */
export interface TurnLatency {
  endOfSpeechMs?: number;
  sttFinalMs?: number;
  firstLlmTokenMs?: number;
  firstTtsAudioMs?: number;
  firstFrameSentMs?: number;
}

/**
 * What is known of a call once it is over: the session's figures (turns, latency, outcome) and
 * the written summary (`text`, `actionItems`) the post-call job adds. Parts are merged in, never
 * overwritten by another writer.
 */
export type CallSummary = { text?: string; actionItems?: string[] } & Record<string, unknown>;

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export const calls = pgTable(
  'calls',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callSid: text('call_sid').notNull().unique('calls_call_sid_unique'),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    /** Null for channels without phone numbers (web, chat). */
    fromNumber: text('from_number'),
    toNumber: text('to_number'),
    direction: text('direction', { enum: CALL_DIRECTIONS }).notNull(),
    channel: text('channel', { enum: CALL_CHANNELS }).notNull().default('phone'),
    status: text('status').$type<CallStatus>().notNull(),
    /** Ordering key of the status above, so a late, older callback cannot overwrite it. */
    statusSeq: integer('status_seq'),
    statusAt: tsColumn('status_at').notNull(),
    startedAt: tsColumn('started_at').notNull().defaultNow(),
    answeredAt: tsColumn('answered_at'),
    endedAt: tsColumn('ended_at'),
    /** Reported by Twilio when it says so, else answered_at..ended_at (0 if never answered). */
    durationSec: integer('duration_sec'),
    recordingPath: text('recording_path'),
    summary: jsonb('summary').$type<CallSummary>(),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    /**
     * Set once, by the one media stream allowed to serve this call (a conditional update): the
     * stream token is single-use across every node sharing the database.
     */
    streamClaimedAt: tsColumn('stream_claimed_at'),
    streamSid: text('stream_sid'),
    /** The node serving the call's stream, and its last sign of life (a crash leaves it stale). */
    nodeId: text('node_id'),
    lastSeenAt: tsColumn('last_seen_at'),
    /** Why the call ended when we ended it (e.g. node-restarted, shutdown), beside Twilio's status. */
    endReason: text('end_reason'),
    answeredBy: text('answered_by', { enum: ANSWERED_BY }).notNull().default('ai'),
    /** Set once, by the one assist stream (both tracks) allowed to listen to this call. */
    assistClaimedAt: tsColumn('assist_claimed_at'),
  },
  (t) => [
    // Start-up recovery: this node's calls still open.
    index('calls_node_open_idx')
      .on(t.nodeId)
      .where(sql`${t.endedAt} is null and ${t.nodeId} is not null`),
    // Dashboard lists: newest first, per business, keyset-paginated on (started_at, id).
    index('calls_business_started_idx').on(t.businessId, t.startedAt.desc(), t.id.desc()),
    index('calls_started_idx').on(t.startedAt.desc(), t.id.desc()),
    check('calls_direction_check', sql`${t.direction} in (${inList(CALL_DIRECTIONS)})`),
    check('calls_channel_check', sql`${t.channel} in (${inList(CALL_CHANNELS)})`),
    check('calls_answered_by_check', sql`${t.answeredBy} in (${inList(ANSWERED_BY)})`),
  ],
);

export const callStatusEvents = pgTable(
  'call_status_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    status: text('status').$type<CallStatus>().notNull(),
    source: text('source', { enum: STATUS_SOURCES }).notNull(),
    /** Twilio's SequenceNumber (status callbacks only); callbacks may arrive out of order. */
    sequenceNumber: integer('sequence_number'),
    params: jsonb('params')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** Call duration reported with this status (Twilio's CallDuration); it outranks our own estimate. */
    durationSec: integer('duration_sec'),
    occurredAt: tsColumn('occurred_at').notNull(),
    receivedAt: tsColumn('received_at').notNull().defaultNow(),
  },
  (t) => [
    index('call_status_events_call_idx').on(t.callId, t.occurredAt),
    // A retried callback (same call, source and sequence number) is stored once. NULLs stay distinct.
    unique('call_status_events_dedupe_unique').on(t.callId, t.source, t.sequenceNumber),
    check('call_status_events_source_check', sql`${t.source} in (${inList(STATUS_SOURCES)})`),
  ],
);

export const callTurns = pgTable(
  'call_turns',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    speaker: text('speaker', { enum: SPEAKERS }).notNull(),
    text: text('text').notNull(),
    /** Offsets on the call's audio clock (ms from stream start); wall-clock times below. */
    startOffsetMs: integer('start_offset_ms'),
    endOffsetMs: integer('end_offset_ms'),
    startedAt: tsColumn('started_at').notNull().defaultNow(),
    endedAt: tsColumn('ended_at'),
    interrupted: boolean('interrupted').notNull().default(false),
    /** What the caller actually heard of an interrupted agent turn. */
    heardText: text('heard_text'),
    latency: jsonb('latency').$type<TurnLatency>(),
  },
  (t) => [
    unique('call_turns_call_seq_unique').on(t.callId, t.seq),
    check('call_turns_speaker_check', sql`${t.speaker} in (${inList(SPEAKERS)})`),
  ],
);

export const callEvents = pgTable(
  'call_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    /** e.g. stream.started, stream.stopped, dtmf, barge-in, protocol-error. */
    type: text('type').notNull(),
    payload: jsonb('payload')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    occurredAt: tsColumn('occurred_at').notNull().defaultNow(),
  },
  (t) => [index('call_events_call_idx').on(t.callId, t.occurredAt, t.id)],
);
