import { and, asc, eq, gt, gte, lt } from 'drizzle-orm';
import type { BusinessId, CallId, E164 } from '../ids.js';
import type { Db } from './database.js';
import { bookings, BOOKING_CELL_MINUTES } from './schema/index.js';
import { isUniqueViolation } from './unique-violation.js';

type BookingRow = typeof bookings.$inferSelect;
export type Booking = Omit<BookingRow, 'businessId'> & { businessId: BusinessId };

export interface NewBooking {
  businessId: BusinessId;
  serviceId: string;
  startsAt: Date;
  endsAt: Date;
  resource?: string;
  customerName?: string | null;
  customerPhone?: E164 | null;
  note?: string | null;
  callId?: CallId | null;
  callSid?: string | null;
}

export type BookingResult =
  | { ok: true; booking: Booking }
  /** taken: it overlaps a live booking (the database refused it); off-grid: not on the 5-minute grid. */
  | { ok: false; reason: 'taken' | 'off-grid' | 'not-found' };

const CELL_MS = BOOKING_CELL_MINUTES * 60_000;
const onGrid = (d: Date) => d.getTime() % CELL_MS === 0;

/**
 * Bookings. Overlap is refused by the database (the cells trigger and booking_cells_pkey, see
 * schema/bookings.ts), so two callers racing for one slot get one booking and one 'taken'.
 */
export class BookingsRepo {
  constructor(private readonly db: Db) {}

  async book(input: NewBooking): Promise<BookingResult> {
    if (!onGrid(input.startsAt) || !onGrid(input.endsAt)) return { ok: false, reason: 'off-grid' };
    try {
      const [row] = await this.db
        .insert(bookings)
        .values({
          businessId: input.businessId,
          serviceId: input.serviceId,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          resource: input.resource ?? 'main',
          customerName: input.customerName ?? null,
          customerPhone: input.customerPhone ?? null,
          note: input.note ?? null,
          callId: input.callId ?? null,
          callSid: input.callSid ?? null,
        })
        .returning();
      return { ok: true, booking: toBooking(row as BookingRow) };
    } catch (err) {
      if (isUniqueViolation(err, 'booking_cells_pkey')) return { ok: false, reason: 'taken' };
      throw err;
    }
  }

  /** Move a live booking; on 'taken' it stays where it was. */
  async reschedule(businessId: BusinessId, id: string, startsAt: Date, endsAt: Date): Promise<BookingResult> {
    if (!onGrid(startsAt) || !onGrid(endsAt)) return { ok: false, reason: 'off-grid' };
    try {
      const [row] = await this.db
        .update(bookings)
        .set({ startsAt, endsAt, updatedAt: new Date() })
        .where(and(eq(bookings.id, id), eq(bookings.businessId, businessId), eq(bookings.status, 'booked')))
        .returning();
      return row ? { ok: true, booking: toBooking(row) } : { ok: false, reason: 'not-found' };
    } catch (err) {
      if (isUniqueViolation(err, 'booking_cells_pkey')) return { ok: false, reason: 'taken' };
      throw err;
    }
  }

  /** Cancelling frees the time at once. False when there was no live booking to cancel. */
  async cancel(businessId: BusinessId, id: string): Promise<boolean> {
    const rows = await this.db
      .update(bookings)
      .set({ status: 'cancelled', cancelledAt: new Date(), updatedAt: new Date() })
      .where(and(eq(bookings.id, id), eq(bookings.businessId, businessId), eq(bookings.status, 'booked')))
      .returning({ id: bookings.id });
    return rows.length > 0;
  }

  async getById(businessId: BusinessId, id: string): Promise<Booking | undefined> {
    const [row] = await this.db
      .select()
      .from(bookings)
      .where(and(eq(bookings.id, id), eq(bookings.businessId, businessId)));
    return row ? toBooking(row) : undefined;
  }

  /** Live bookings that overlap [from, to): the busy time availability is computed around. */
  async busy(businessId: BusinessId, from: Date, to: Date, resource = 'main'): Promise<Booking[]> {
    const rows = await this.db
      .select()
      .from(bookings)
      .where(
        and(
          eq(bookings.businessId, businessId),
          eq(bookings.resource, resource),
          eq(bookings.status, 'booked'),
          lt(bookings.startsAt, to),
          gt(bookings.endsAt, from),
        ),
      )
      .orderBy(asc(bookings.startsAt));
    return rows.map(toBooking);
  }

  /** A caller's live bookings from `now` on, found by phone number, soonest first. */
  async upcomingForPhone(businessId: BusinessId, phone: E164, now: Date): Promise<Booking[]> {
    const rows = await this.db
      .select()
      .from(bookings)
      .where(
        and(
          eq(bookings.businessId, businessId),
          eq(bookings.customerPhone, phone),
          eq(bookings.status, 'booked'),
          gte(bookings.startsAt, now),
        ),
      )
      .orderBy(asc(bookings.startsAt));
    return rows.map(toBooking);
  }

  async list(businessId: BusinessId, opts: { callSid?: string; limit?: number } = {}): Promise<Booking[]> {
    const where = opts.callSid
      ? and(eq(bookings.businessId, businessId), eq(bookings.callSid, opts.callSid))
      : eq(bookings.businessId, businessId);
    const rows = await this.db
      .select()
      .from(bookings)
      .where(where)
      .orderBy(asc(bookings.startsAt))
      .limit(opts.limit ?? 200);
    return rows.map(toBooking);
  }
}

function toBooking(row: BookingRow): Booking {
  return { ...row, businessId: row.businessId as BusinessId };
}
