import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { z } from 'zod';

/** Timestamps are stored at millisecond precision so values round-trip exactly through JS Dates. */
export const tsColumn = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

// The domain owns these shapes (src/business); the store keeps them, it does not redefine them.
import { PLANS, type Trade } from '../../business/index.js';
import type { BusinessHours } from '../../business/index.js';
export { PLANS, TRADES, type Plan, type Trade } from '../../business/index.js';
export { WEEKDAYS, businessHoursSchema, type BusinessHours, type Weekday } from '../../business/index.js';

/**
 * Per-business overrides. Known sections are typed loosely here: their owners (voice turn-taking,
 * notify) parse them with their own schemas; the store only guarantees it is a JSON object.
 */
export const businessSettingsSchema = z.looseObject({
  turnTaking: z.record(z.string(), z.unknown()).optional(),
  voice: z
    .strictObject({
      /** Overrides VOICE_MODE for this business's calls. */
      mode: z.enum(['pipeline', 'realtime']).optional(),
      /**
       * False: calls run on record-and-reply (<Record> to /process-voice) instead of a media
       * stream, e.g. where a firewall or the account cannot carry one.
       */
      mediaStreams: z.boolean().optional(),
      /** Realtime calls: who decides the caller's turn has ended (OpenAI's server_vad or semantic_vad). */
      turnDetection: z
        .discriminatedUnion('type', [
          z.strictObject({
            type: z.literal('server_vad'),
            threshold: z.number().min(0).max(1).default(0.5),
            prefixPaddingMs: z.number().int().min(0).max(2000).default(300),
            silenceDurationMs: z.number().int().min(100).max(5000).default(500),
          }),
          z.strictObject({
            type: z.literal('semantic_vad'),
            eagerness: z.enum(['low', 'medium', 'high', 'auto']).default('auto'),
          }),
        ])
        .optional(),
    })
    .optional(),
});
export type BusinessSettings = z.infer<typeof businessSettingsSchema>;

export const businesses = pgTable(
  'businesses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    trade: text('trade').$type<Trade>().notNull().default('general'),
    greeting: text('greeting').notNull(),
    /** Null: use `greeting` after hours too. */
    afterHoursGreeting: text('after_hours_greeting'),
    /** IANA zone, e.g. America/New_York. */
    timezone: text('timezone').notNull().default('UTC'),
    hours: jsonb('hours')
      .$type<BusinessHours>()
      .notNull()
      .default(sql`'{"weekly":{},"holidays":[]}'::jsonb`),
    plan: text('plan', { enum: PLANS }).notNull().default('FREE'),
    /** The chat widget's key (`data-key` on its script tag): public, it only names the business. */
    publicKey: text('public_key')
      .notNull()
      .unique('businesses_public_key_unique')
      .default(sql`('pk_' || replace(gen_random_uuid()::text, '-', ''))`),
    settings: jsonb('settings')
      .$type<BusinessSettings>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at')
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [check('businesses_plan_check', sql`${t.plan} in ('FREE', 'BASIC', 'PRO')`)],
);

/** The numbers callers dial; one business may own several (main line, after-hours, WhatsApp). */
export const businessPhoneNumbers = pgTable(
  'business_phone_numbers',
  {
    number: text('number').primaryKey(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('business_phone_numbers_business_idx').on(t.businessId),
    check('business_phone_numbers_e164_check', sql`${t.number} ~ '^\\+[1-9][0-9]{6,14}$'`),
  ],
);
