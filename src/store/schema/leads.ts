import { sql } from 'drizzle-orm';
import { boolean, check, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';
import { calls } from './calls.js';

/**
 * Leads: what a caller left (name, number, need, ...), one per conversation, written as soon as
 * the first answer is known and updated after each one, so a dropped call still leaves a lead.
 */

export const LEAD_STATUSES = ['new', 'contacted', 'won', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/** A turn of the conversation as kept with a record (agent turns: what the caller heard). */
export interface StoredTranscriptEntry {
  speaker: 'caller' | 'agent';
  text: string;
  at?: string;
  interrupted?: boolean;
}

export const leads = pgTable(
  'leads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    /** The conversation it came from; one lead per conversation. */
    callId: uuid('call_id').references(() => calls.id, { onDelete: 'set null' }),
    callSid: text('call_sid'),
    channel: text('channel'),
    name: text('name'),
    /** E.164. */
    phone: text('phone'),
    address: text('address'),
    need: text('need'),
    urgency: text('urgency'),
    email: text('email'),
    /** Every field the brain captured, including ones without a column. */
    fields: jsonb('fields')
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** Every configured question was answered. */
    complete: boolean('complete').notNull().default(false),
    status: text('status', { enum: LEAD_STATUSES }).notNull().default('new'),
    transcript: jsonb('transcript')
      .$type<StoredTranscriptEntry[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at')
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    index('leads_business_created_idx').on(t.businessId, t.createdAt.desc()),
    index('leads_business_status_idx').on(t.businessId, t.status),
    index('leads_call_sid_idx').on(t.callSid),
    // Partial: leads entered by hand (no conversation) are not limited.
    uniqueIndex('leads_call_id_unique')
      .on(t.callId)
      .where(sql`${t.callId} is not null`),
    check('leads_status_check', sql`${t.status} in ('new', 'contacted', 'won', 'lost')`),
  ],
);
