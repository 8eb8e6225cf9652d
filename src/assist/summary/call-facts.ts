import { sql } from 'drizzle-orm';
import type { CallSid } from '../../ids.js';
import { rowsOf, type Db } from '../../store/index.js';

/**
 * What the receptionist wrote down during an AI-answered call, in its own tables: the call's
 * events keep no caller details (names, numbers, needs), so the written summary reads them here.
 * Stored data for the business owner, never for a log.
 */
export interface CallFacts {
  /** The business's time zone, for booking times as the owner reads them. */
  timezone?: string;
  lead?: {
    name?: string;
    phone?: string;
    address?: string;
    need?: string;
    urgency?: string;
    complete: boolean;
  };
  bookings: Array<{ service: string; startsAt: Date; status: 'booked' | 'cancelled'; customerName?: string }>;
  emergencies: Array<{ category: string; summary: string }>;
  questions: string[];
}

export const NO_FACTS: CallFacts = { bookings: [], emergencies: [], questions: [] };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The call's lead, bookings, emergencies and questions for the owner (empty parts when none). */
export async function loadCallFacts(db: Db, callSid: CallSid): Promise<CallFacts> {
  const [business, leads, bookings, emergencies, questions] = await Promise.all([
    db.execute(sql`
      select b.timezone, b.settings -> 'profile' -> 'services' as services
      from calls c join businesses b on b.id = c.business_id where c.call_sid = ${callSid}`),
    db.execute(sql`
      select name, phone, address, need, urgency, complete from leads
      where call_sid = ${callSid} order by updated_at desc limit 1`),
    db.execute(sql`
      select service_id, starts_at, status, customer_name from bookings
      where call_sid = ${callSid} order by created_at, starts_at limit 20`),
    db.execute(sql`
      select category, summary from emergencies where call_sid = ${callSid} order by created_at limit 10`),
    db.execute(sql`
      select question from questions_for_owner where call_sid = ${callSid} order by created_at limit 10`),
  ]);
  const b = rowsOf<{ timezone: unknown; services: unknown }>(business)[0];
  const serviceNames = new Map<string, string>();
  if (Array.isArray(b?.services))
    for (const s of b.services as Array<{ id?: unknown; name?: unknown }>) {
      const id = str(s?.id);
      const name = str(s?.name);
      if (id && name) serviceNames.set(id, name);
    }
  const lead = rowsOf<Record<string, unknown>>(leads)[0];
  const timezone = str(b?.timezone);
  return {
    ...(timezone ? { timezone } : {}),
    ...(lead
      ? {
          lead: {
            ...optional('name', str(lead.name)),
            ...optional('phone', str(lead.phone)),
            ...optional('address', str(lead.address)),
            ...optional('need', str(lead.need)),
            ...optional('urgency', str(lead.urgency)),
            complete: lead.complete === true,
          },
        }
      : {}),
    bookings: rowsOf<Record<string, unknown>>(bookings).map((r) => {
      const serviceId = str(r.service_id) ?? 'service';
      const name = str(r.customer_name);
      return {
        service: serviceNames.get(serviceId) ?? serviceId,
        startsAt: new Date(r.starts_at as string | Date),
        status: r.status === 'cancelled' ? 'cancelled' : 'booked',
        ...(name ? { customerName: name } : {}),
      };
    }),
    emergencies: rowsOf<Record<string, unknown>>(emergencies).map((r) => ({
      category: str(r.category) ?? 'emergency',
      summary: str(r.summary) ?? '',
    })),
    questions: rowsOf<Record<string, unknown>>(questions)
      .map((r) => str(r.question))
      .filter((q): q is string => q !== undefined),
  };
}

/**
 * Calls that ended since `since` and have no written summary yet (a restart lost their job):
 * oldest first, at most `limit`.
 */
export async function endedCallsWithoutSummary(db: Db, since: Date, limit = 500): Promise<CallSid[]> {
  const result = await db.execute(sql`
    select call_sid from calls
    where coalesce(ended_at, case when end_reason is not null then started_at end) >= ${since.toISOString()}::timestamptz
      and (summary is null or coalesce(summary ->> 'text', '') = '')
    order by started_at asc limit ${Math.max(1, Math.trunc(limit))}`);
  return rowsOf<{ call_sid: string }>(result).map((r) => r.call_sid as CallSid);
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
