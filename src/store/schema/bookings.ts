import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';
import { calls } from './calls.js';

/**
 * Appointments. Double booking is made impossible by the database, not by checking first: every
 * booking claims the five-minute cells it covers in `booking_cells`, whose primary key is
 * (business, resource, cell start). Two overlapping bookings share a cell, so the second insert
 * fails whatever the timing, on PGlite and on PostgreSQL alike, with no extension needed (an
 * exclusion constraint would need btree_gist loaded in both). Times are therefore kept on the
 * five-minute grid, which a check enforces.
 */

export const BOOKING_STATUSES = ['booked', 'cancelled'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** Width of one cell. Booking starts and ends must fall on this grid. */
export const BOOKING_CELL_MINUTES = 5;

export const bookings = pgTable(
  'bookings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    /** What is booked: one calendar per resource (a chair, a van); 'main' for a single calendar. */
    resource: text('resource').notNull().default('main'),
    /** The service's id in the business profile. */
    serviceId: text('service_id').notNull(),
    startsAt: tsColumn('starts_at').notNull(),
    endsAt: tsColumn('ends_at').notNull(),
    status: text('status', { enum: BOOKING_STATUSES }).notNull().default('booked'),
    customerName: text('customer_name'),
    /** E.164; how the caller finds the booking again to move or cancel it. */
    customerPhone: text('customer_phone'),
    note: text('note'),
    callId: uuid('call_id').references(() => calls.id, { onDelete: 'set null' }),
    callSid: text('call_sid'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at')
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
    cancelledAt: tsColumn('cancelled_at'),
  },
  (t) => [
    index('bookings_business_starts_idx').on(t.businessId, t.startsAt),
    index('bookings_business_phone_idx').on(t.businessId, t.customerPhone),
    index('bookings_call_sid_idx').on(t.callSid),
    check('bookings_status_check', sql`${t.status} in ('booked', 'cancelled')`),
    check('bookings_ends_after_starts_check', sql`${t.endsAt} > ${t.startsAt}`),
    check(
      'bookings_on_grid_check',
      sql`(extract(epoch from ${t.startsAt})::bigint % ${sql.raw(String(BOOKING_CELL_MINUTES * 60))}) = 0 and (extract(epoch from ${t.endsAt})::bigint % ${sql.raw(String(BOOKING_CELL_MINUTES * 60))}) = 0`,
    ),
  ],
);

/** The cells a live booking holds. Cancelling or moving a booking deletes or replaces its cells. */
export const bookingCells = pgTable(
  'booking_cells',
  {
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    resource: text('resource').notNull(),
    cellStart: tsColumn('cell_start').notNull(),
    bookingId: uuid('booking_id')
      .notNull()
      .references(() => bookings.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ name: 'booking_cells_pkey', columns: [t.businessId, t.resource, t.cellStart] }),
    index('booking_cells_booking_idx').on(t.bookingId),
  ],
);
