import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';
import { calls } from './calls.js';
import type { StoredTranscriptEntry } from './leads.js';

/**
 * Questions the agent could not answer from the profile or the knowledge base. The owner answers
 * them in the dashboard (and may add the answer to the knowledge base) or dismisses them.
 */

export const QUESTION_STATUSES = ['open', 'answered', 'dismissed'] as const;
export type QuestionStatus = (typeof QUESTION_STATUSES)[number];

export const questionsForOwner = pgTable(
  'questions_for_owner',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    callId: uuid('call_id').references(() => calls.id, { onDelete: 'set null' }),
    callSid: text('call_sid'),
    question: text('question').notNull(),
    transcript: jsonb('transcript')
      .$type<StoredTranscriptEntry[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    status: text('status', { enum: QUESTION_STATUSES }).notNull().default('open'),
    answer: text('answer'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    answeredAt: tsColumn('answered_at'),
  },
  (t) => [
    index('questions_for_owner_business_created_idx').on(t.businessId, t.createdAt.desc()),
    index('questions_for_owner_call_sid_idx').on(t.callSid),
    check('questions_for_owner_status_check', sql`${t.status} in ('open', 'answered', 'dismissed')`),
  ],
);
