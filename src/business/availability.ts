import { openIntervals, type BusinessHours, type Interval } from './hours.js';

/**
 * Free appointment slots: inside opening hours, not overlapping a booking, starting on a grid
 * (every `stepMinutes` from each opening), ending by closing time. Pure, so the in-memory tools and
 * the database-backed ones offer exactly the same slots.
 */

export interface SlotQuery {
  hours: BusinessHours;
  timeZone: string;
  durationMinutes: number;
  from: Date;
  to: Date;
  /** Existing bookings (and anything else that blocks time). */
  busy: readonly Interval[];
  /** Minimum notice: nothing starts sooner than this after `now`. */
  now: Date;
  noticeMinutes?: number;
  stepMinutes?: number;
  limit?: number;
}

export function freeSlots(q: SlotQuery): Interval[] {
  const step = (q.stepMinutes ?? defaultStep(q.durationMinutes)) * 60_000;
  const duration = q.durationMinutes * 60_000;
  const earliest = Math.max(q.from.getTime(), q.now.getTime() + (q.noticeMinutes ?? 60) * 60_000);
  const days = Math.ceil((q.to.getTime() - q.from.getTime()) / 86_400_000) + 2;
  const busy = [...q.busy].sort((a, b) => a.start.getTime() - b.start.getTime());
  const out: Interval[] = [];
  const dayBefore = new Date(q.from.getTime() - 86_400_000);
  for (const open of openIntervals(q.hours, q.timeZone, dayBefore, days)) {
    for (let t = open.start.getTime(); t + duration <= open.end.getTime(); t += step) {
      if (t < earliest || t >= q.to.getTime()) continue;
      const end = t + duration;
      if (busy.some((b) => b.start.getTime() < end && b.end.getTime() > t)) continue;
      out.push({ start: new Date(t), end: new Date(end) });
      if (q.limit !== undefined && out.length >= q.limit) return out;
    }
  }
  return out;
}

/** Half-hour starts for short services, hourly for long ones. */
export function defaultStep(durationMinutes: number): number {
  return durationMinutes <= 60 ? 30 : 60;
}
