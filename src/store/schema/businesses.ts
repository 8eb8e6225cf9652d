import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { z } from 'zod';

/** Timestamps are stored at millisecond precision so values round-trip exactly through JS Dates. */
export const tsColumn = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

export const PLANS = ['FREE', 'BASIC', 'PRO'] as const;
export type Plan = (typeof PLANS)[number];

/** Known trades; stored as text without a database check so a new trade needs no migration. */
export const TRADES = ['plumbing', 'hvac', 'electrical', 'dental', 'legal', 'salon', 'general'] as const;
export type Trade = (typeof TRADES)[number];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clock = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM (00:00-24:00)');
export const openIntervalSchema = z.object({ open: clock, close: clock });
export type OpenInterval = z.infer<typeof openIntervalSchema>;

/**
 * Opening hours in the business's own timezone: open intervals per weekday (a missing or empty
 * day is closed) and dated exceptions (a holiday without intervals is closed all day).
 */
export const businessHoursSchema = z.object({
  weekly: z.partialRecord(z.enum(WEEKDAYS), z.array(openIntervalSchema)),
  holidays: z
    .array(
      z.object({
        date: z.iso.date(),
        name: z.string().max(200).optional(),
        intervals: z.array(openIntervalSchema).optional(),
      }),
    )
    .default([]),
});
export type BusinessHours = z.infer<typeof businessHoursSchema>;

/**
 * Per-business overrides. Known sections are typed loosely here: their owners (voice turn-taking,
 * notify) parse them with their own schemas; the store only guarantees it is a JSON object.
 */
export const businessSettingsSchema = z.looseObject({
  turnTaking: z.record(z.string(), z.unknown()).optional(),
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
