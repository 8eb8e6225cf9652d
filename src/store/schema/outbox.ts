import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';

/**
 * Notifications (the outbox) and voice-alert escalations. Owned by src/notify: a row is written in
 * the same transaction as whatever caused it, then delivered by a dispatcher with retries.
 */

/** `whatsapp`: a reply or message to a WhatsApp contact (Twilio Messages API), not an alert. */
export const NOTIFICATION_KINDS = ['sms', 'voice-call', 'email', 'slack', 'whatsapp'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * pending: waiting for its first attempt; sending: claimed by a dispatcher until next_attempt_at
 * (a lease: a node that dies mid-send loses it); failed: the last attempt failed, retried at
 * next_attempt_at; sent: the provider accepted it; dead: given up (permanent error or too many
 * attempts); cancelled: no longer needed (an alert acknowledged before its next call went out).
 */
export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'dead', 'cancelled'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
/** Statuses a dispatcher may still pick up once next_attempt_at has passed. */
export const OUTBOX_OPEN_STATUSES = ['pending', 'sending', 'failed'] as const;

/** Known causes; stored as text without a check so a new cause needs no migration. */
export type NotificationCause =
  | 'emergency'
  | 'emergency-escalation'
  | 'booking-confirmation'
  | 'booking'
  | 'lead'
  | 'question'
  | 'handover'
  | 'test'
  | (string & {});

export const ATTEMPT_OUTCOMES = [
  /** In flight (or its node died; then 'abandoned' once another node takes the row over). */
  'sending',
  'sent',
  'retryable-error',
  'permanent-error',
  'abandoned',
  'aborted',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export const ESCALATION_STATUSES = ['calling', 'acknowledged', 'exhausted', 'cancelled'] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
    /** E.164 (or whatsapp:+E164), an email address, or a Slack webhook URL (masked in the admin API). */
    recipient: text('recipient').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    /** Channel-specific extras, e.g. the escalation a voice alert belongs to. */
    payload: jsonb('payload')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    cause: text('cause').$type<NotificationCause>().notNull(),
    /** Id of the causing record (emergency, lead, booking), when there is one. */
    causeId: text('cause_id'),
    /** The conversation that caused it, so the dashboard can show a call's notifications. */
    callSid: text('call_sid'),
    /** Higher first: an emergency overtakes a backlog of lead emails. */
    priority: smallint('priority').notNull().default(0),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(8),
    nextAttemptAt: tsColumn('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    /** e.g. the Twilio Call or Message SID, the SMTP message id. */
    providerId: text('provider_id'),
    /**
     * Set when an attempt starts and cleared once its outcome is known: while set, an earlier
     * attempt may have reached the provider (timed out, or its node died), so the next one asks the
     * provider before sending again.
     */
    unconfirmedSince: tsColumn('unconfirmed_since'),
    /** Node that holds (or last held) the row. */
    claimedBy: text('claimed_by'),
    /** Enqueueing the same key twice writes one row (a retried tool call, a repeated brain output). */
    dedupeKey: text('dedupe_key'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at').notNull().defaultNow(),
    sentAt: tsColumn('sent_at'),
  },
  (t) => [
    // The due-work query: open rows by time; partial so delivered history does not bloat it.
    index('outbox_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in (${inList(OUTBOX_OPEN_STATUSES)})`),
    index('outbox_business_created_idx').on(t.businessId, t.createdAt.desc()),
    index('outbox_call_sid_idx').on(t.callSid),
    unique('outbox_dedupe_key_unique').on(t.dedupeKey),
    check('outbox_kind_check', sql`${t.kind} in (${inList(NOTIFICATION_KINDS)})`),
    check('outbox_status_check', sql`${t.status} in (${inList(OUTBOX_STATUSES)})`),
  ],
);

export const outboxAttempts = pgTable(
  'outbox_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    outboxId: uuid('outbox_id')
      .notNull()
      .references(() => outbox.id, { onDelete: 'cascade' }),
    /** 1-based, equal to outbox.attempts when it was made. */
    attempt: integer('attempt').notNull(),
    outcome: text('outcome', { enum: ATTEMPT_OUTCOMES }).notNull(),
    error: text('error'),
    /** Provider's error code when it gave one (Twilio's numeric code, an HTTP status, an SMTP code). */
    errorCode: text('error_code'),
    providerId: text('provider_id'),
    node: text('node'),
    startedAt: tsColumn('started_at').notNull(),
    finishedAt: tsColumn('finished_at'),
    durationMs: integer('duration_ms'),
  },
  (t) => [
    unique('outbox_attempts_outbox_attempt_unique').on(t.outboxId, t.attempt),
    check('outbox_attempts_outcome_check', sql`${t.outcome} in (${inList(ATTEMPT_OUTCOMES)})`),
  ],
);

/**
 * An emergency voice alert that calls contacts in turn until one presses 1: each contact is called
 * `calls_per_contact` times, each call given `ack_timeout_ms` (or ended early by a no-answer/busy
 * status), then the next contact.
 */
export const alertEscalations = pgTable(
  'alert_escalations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    cause: text('cause').$type<NotificationCause>().notNull(),
    causeId: text('cause_id'),
    callSid: text('call_sid'),
    /** What each alert call says before asking to press 1. */
    message: text('message').notNull(),
    /** E.164 numbers, in escalation order. */
    contacts: jsonb('contacts').$type<string[]>().notNull(),
    callsPerContact: integer('calls_per_contact').notNull(),
    ackTimeoutMs: integer('ack_timeout_ms').notNull(),
    /** Index of the current call: contact = contacts[floor(step / calls_per_contact)]. */
    step: integer('step').notNull().default(0),
    status: text('status', { enum: ESCALATION_STATUSES }).notNull().default('calling'),
    /** The outbox row of the current call. */
    currentOutboxId: uuid('current_outbox_id'),
    /** When the current call counts as unacknowledged; null once the escalation is over. */
    nextCheckAt: tsColumn('next_check_at'),
    acknowledgedAt: tsColumn('acknowledged_at'),
    /** The contact who pressed 1. */
    acknowledgedBy: text('acknowledged_by'),
    ackCallSid: text('ack_call_sid'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('alert_escalations_due_idx')
      .on(t.nextCheckAt)
      .where(sql`${t.status} = 'calling'`),
    index('alert_escalations_call_sid_idx').on(t.callSid),
    check('alert_escalations_status_check', sql`${t.status} in (${inList(ESCALATION_STATUSES)})`),
  ],
);
