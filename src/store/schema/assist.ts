import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, real, text, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';
import { calls } from './calls.js';

/** What a suggestion is about; the agent's screen groups and colours cards by it. */
export const SUGGESTION_KINDS = ['knowledge', 'intent', 'sentiment', 'compliance', 'next-action'] as const;
export type SuggestionKind = (typeof SUGGESTION_KINDS)[number];

export const SUGGESTION_PRIORITIES = ['high', 'medium', 'low'] as const;
export type SuggestionPriority = (typeof SUGGESTION_PRIORITIES)[number];

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * The audit log of agent assist: every suggestion put on an agent's screen, as shown, with when
 * and from what (seed 000: "audit all assist interactions for compliance").
 */
export const assistSuggestions = pgTable(
  'assist_suggestions',
  {
    id: uuid('id').primaryKey(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: SUGGESTION_KINDS }).notNull(),
    /** For intent cards: pricing, booking, cancellation, complaint, emergency. */
    intent: text('intent'),
    content: text('content').notNull(),
    confidence: real('confidence').notNull(),
    priority: text('priority', { enum: SUGGESTION_PRIORITIES }).notNull(),
    /** Whether it fired on words still being spoken (interim) or on a finished utterance. */
    basis: text('basis', { enum: ['interim', 'final'] }).notNull(),
    /** What it rests on: the customer's words, the knowledge passage (title, text). */
    evidence: jsonb('evidence')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** ms since the assist stream started. */
    atMs: integer('at_ms').notNull(),
    shownAt: tsColumn('shown_at').notNull(),
  },
  (t) => [
    index('assist_suggestions_call_idx').on(t.callId, t.shownAt),
    check('assist_suggestions_kind_check', sql`${t.kind} in (${inList(SUGGESTION_KINDS)})`),
    check('assist_suggestions_priority_check', sql`${t.priority} in (${inList(SUGGESTION_PRIORITIES)})`),
  ],
);
