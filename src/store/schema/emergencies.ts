import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';
import { calls } from './calls.js';
import type { StoredTranscriptEntry } from './leads.js';

/**
 * Emergencies the brain raised, each with the conversation up to that moment. Notifications for
 * one are written to the outbox in the same transaction as the row (cause 'emergency').
 */

export const EMERGENCY_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type EmergencyStatus = (typeof EMERGENCY_STATUSES)[number];

export const emergencies = pgTable(
  'emergencies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    callId: uuid('call_id').references(() => calls.id, { onDelete: 'set null' }),
    callSid: text('call_sid'),
    channel: text('channel'),
    /** flooding, gas, bleeding, ... (the brain's EmergencyCategory). */
    category: text('category').notNull(),
    /** The caller's words that triggered it. */
    trigger: text('trigger').notNull(),
    summary: text('summary').notNull(),
    /** E.164 from caller ID, when known. */
    callerId: text('caller_id'),
    transcript: jsonb('transcript')
      .$type<StoredTranscriptEntry[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    status: text('status', { enum: EMERGENCY_STATUSES }).notNull().default('open'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    acknowledgedAt: tsColumn('acknowledged_at'),
    /** Who acknowledged (the contact who pressed 1, or a dashboard user). */
    acknowledgedBy: text('acknowledged_by'),
    resolvedAt: tsColumn('resolved_at'),
    /**
     * Why the owner may not have been told: an emergency notification the provider never took
     * (retried for the whole emergency window, or refused). Null while delivery is fine.
     */
    alarm: text('alarm'),
    alarmAt: tsColumn('alarm_at'),
  },
  (t) => [
    index('emergencies_business_created_idx').on(t.businessId, t.createdAt.desc()),
    index('emergencies_call_sid_idx').on(t.callSid),
    index('emergencies_open_idx')
      .on(t.businessId)
      .where(sql`${t.status} = 'open'`),
    check('emergencies_status_check', sql`${t.status} in ('open', 'acknowledged', 'resolved')`),
  ],
);
