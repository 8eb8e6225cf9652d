import { z } from 'zod';

/**
 * Business hours in the business's own timezone: a weekly pattern plus dated exceptions
 * (holidays, special hours). Pure functions over Intl with the IANA zone, no tz library.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  sun: 'Sunday',
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
};
/** Spoken order: the working week first. */
const WEEK_ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
export const timeRangeSchema = z
  .object({
    open: z.string().regex(HHMM, 'expected HH:MM (00:00-24:00)'),
    close: z.string().regex(HHMM, 'expected HH:MM (00:00-24:00)'),
  })
  .refine((r) => minutesOf(r.close) > minutesOf(r.open), { message: 'close must be after open' });
export type TimeRange = z.infer<typeof timeRangeSchema>;

export const holidaySchema = z.object({
  /** Local calendar date, YYYY-MM-DD. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  name: z.string().optional(),
  /** Special hours that day; absent or empty means closed. */
  ranges: z.array(timeRangeSchema).optional(),
});
export type Holiday = z.infer<typeof holidaySchema>;

export const businessHoursSchema = z.object({
  /** Missing or empty day = closed. Ranges are within the day; "24:00" closes at midnight. */
  weekly: z.partialRecord(z.enum(WEEKDAYS), z.array(timeRangeSchema)),
  holidays: z.array(holidaySchema).default([]),
});
export type BusinessHours = z.infer<typeof businessHoursSchema>;

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** A calendar date with no zone attached. */
export interface CivilDate {
  year: number;
  month: number; // 1-12
  day: number;
}

export interface LocalTime extends CivilDate {
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError on an unknown IANA zone, which is what a config check wants. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading in `timeZone` at instant `at`. */
export function toLocal(at: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(at)) parts[p.type] = p.value;
  const weekday = (parts.weekday ?? 'Sun').slice(0, 3).toLowerCase() as Weekday;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday,
  };
}

/** Minutes the zone is ahead of UTC at instant `at`. */
export function offsetMinutes(at: Date, timeZone: string): number {
  const l = toLocal(at, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  const whole = Math.floor(at.getTime() / 1000) * 1000;
  return Math.round((asUtc - whole) / 60_000);
}

/**
 * The instant at which the wall clock in `timeZone` reads the given local time. In a DST gap
 * (a time that never happens) it lands on the first valid instant after; in an overlap it picks
 * the earlier one.
 */
export function fromLocal(d: CivilDate, minutesOfDay: number, timeZone: string): Date {
  const naive = Date.UTC(d.year, d.month - 1, d.day, 0, minutesOfDay);
  const off1 = offsetMinutes(new Date(naive), timeZone);
  let t = naive - off1 * 60_000;
  const off2 = offsetMinutes(new Date(t), timeZone);
  if (off2 !== off1) {
    const t2 = naive - off2 * 60_000;
    // Overlap: both readings are valid; prefer the earlier. Gap: neither reads back, keep the later.
    t = offsetMinutes(new Date(t2), timeZone) === off2 ? Math.min(t, t2) : Math.max(t, t2);
  }
  return new Date(t);
}

export function addDays(d: CivilDate, n: number): CivilDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function weekdayOf(d: CivilDate): Weekday {
  return WEEKDAYS[new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay()] as Weekday;
}

export function isoDate(d: CivilDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

export function sameDate(a: CivilDate, b: CivilDate): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

export interface DayHours {
  ranges: TimeRange[];
  /** Set when a dated exception decides this day. */
  holiday?: Holiday;
}

/** The opening ranges on a local calendar date, holidays first. */
export function hoursOn(hours: BusinessHours, date: CivilDate): DayHours {
  const key = isoDate(date);
  const holiday = hours.holidays.find((h) => h.date === key);
  if (holiday) return { ranges: holiday.ranges ?? [], holiday };
  return { ranges: hours.weekly[weekdayOf(date)] ?? [] };
}

export interface Interval {
  start: Date;
  end: Date;
}

/** Opening intervals as instants, for `days` local days starting at `from`'s local date. */
export function openIntervals(hours: BusinessHours, timeZone: string, from: Date, days: number): Interval[] {
  const today = toLocal(from, timeZone);
  const out: Interval[] = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(today, i);
    for (const r of [...hoursOn(hours, date).ranges].sort((a, b) => minutesOf(a.open) - minutesOf(b.open))) {
      const start = fromLocal(date, minutesOf(r.open), timeZone);
      const end = fromLocal(date, minutesOf(r.close), timeZone);
      const last = out[out.length - 1];
      // Ranges that touch (e.g. 24/7: midnight to midnight) are one stretch of opening.
      if (last && last.end.getTime() >= start.getTime()) {
        if (end > last.end) last.end = end;
      } else out.push({ start, end });
    }
  }
  return out;
}

export type OpenStatus =
  | { open: true; closesAt: Date }
  /** nextOpen is undefined when there is no opening in the next two weeks. */
  | { open: false; nextOpen: Date | undefined };

const LOOKAHEAD_DAYS = 15;

export function openStatus(hours: BusinessHours, timeZone: string, now: Date): OpenStatus {
  // Start a day early so a stretch that began yesterday and runs past midnight is seen whole.
  const from = new Date(now.getTime() - 86_400_000);
  for (const iv of openIntervals(hours, timeZone, from, LOOKAHEAD_DAYS + 1)) {
    if (iv.end <= now) continue;
    if (iv.start <= now) return { open: true, closesAt: iv.end };
    return { open: false, nextOpen: iv.start };
  }
  return { open: false, nextOpen: undefined };
}

export function isOpen(hours: BusinessHours, timeZone: string, now: Date): boolean {
  return openStatus(hours, timeZone, now).open;
}

export type PartOfDay = 'morning' | 'afternoon' | 'evening';
export function partOfDay(now: Date, timeZone: string): PartOfDay {
  const h = toLocal(now, timeZone).hour;
  if (h >= 4 && h < 12) return 'morning';
  if (h >= 12 && h < 18) return 'afternoon';
  return 'evening';
}

// ---- speaking hours -------------------------------------------------------------------------

/** "8 a.m.", "8:30 a.m.", "noon", "midnight", "6 p.m.". */
export function speakClock(minutesOfDay: number): string {
  const m = ((minutesOfDay % 1440) + 1440) % 1440;
  if (m === 0) return 'midnight';
  if (m === 720) return 'noon';
  const h24 = Math.floor(m / 60);
  const min = m % 60;
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  const suffix = h24 < 12 ? 'a.m.' : 'p.m.';
  return min === 0 ? `${h12} ${suffix}` : `${h12}:${String(min).padStart(2, '0')} ${suffix}`;
}

export function speakRange(r: TimeRange): string {
  if (r.open === '00:00' && r.close === '24:00') return 'open 24 hours';
  return `${speakClock(minutesOf(r.open))} to ${speakClock(minutesOf(r.close))}`;
}

/** "8 a.m. to noon and 1 p.m. to 5 p.m." */
export function speakRanges(ranges: readonly TimeRange[]): string {
  const sorted = [...ranges].sort((a, b) => minutesOf(a.open) - minutesOf(b.open));
  return joinAnd(sorted.map(speakRange));
}

/** Close a sentence without doubling the period of a trailing "p.m.". */
export function endSentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

export function joinAnd(items: readonly string[], last = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  if (items.length === 2) return `${items[0]} ${last} ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, ${last} ${items[items.length - 1]}`;
}

function sameRanges(a: readonly TimeRange[], b: readonly TimeRange[]): boolean {
  return speakRanges(a) === speakRanges(b);
}

/** "Monday to Friday", "Saturday", "Saturday and Sunday", in week order. */
function speakDayRun(run: readonly Weekday[]): string {
  const first = run[0];
  const last = run[run.length - 1];
  if (!first || !last) return '';
  if (run.length === 1) return WEEKDAY_NAMES[first];
  if (run.length === 2) return `${WEEKDAY_NAMES[first]} and ${WEEKDAY_NAMES[last]}`;
  return `${WEEKDAY_NAMES[first]} to ${WEEKDAY_NAMES[last]}`;
}

/**
 * The weekly pattern as one or two spoken sentences:
 * "We're open Monday to Friday, 8 a.m. to 6 p.m., and Saturday, 9 a.m. to noon. We're closed on Sunday."
 */
export function speakWeek(hours: BusinessHours): string {
  const runs: { days: Weekday[]; ranges: TimeRange[] }[] = [];
  for (const day of WEEK_ORDER) {
    const ranges = hours.weekly[day] ?? [];
    const last = runs[runs.length - 1];
    if (last && sameRanges(last.ranges, ranges)) last.days.push(day);
    else runs.push({ days: [day], ranges });
  }
  const open = runs.filter((r) => r.ranges.length > 0);
  const closedDays = runs.filter((r) => r.ranges.length === 0).flatMap((r) => r.days);
  if (open.length === 0) return "We don't have regular opening hours.";
  const first = open[0];
  if (open.length === 1 && first && first.days.length === 7) {
    return first.ranges.length === 1 && speakRange(first.ranges[0] as TimeRange) === 'open 24 hours'
      ? "We're open 24 hours a day, seven days a week."
      : endSentence(`We're open every day, ${speakRanges(first.ranges)}`);
  }
  const parts = open.map((r) => {
    const when = speakRanges(r.ranges);
    return when === 'open 24 hours' ? `${speakDayRun(r.days)}, 24 hours` : `${speakDayRun(r.days)}, ${when}`;
  });
  // Each part holds a comma already, so the list always takes ", and" before its last item.
  const list =
    parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]}`;
  let text = endSentence(`We're open ${list}`);
  if (closedDays.length > 0) {
    text += ` We're closed on ${joinAnd(closedDays.map((d) => WEEKDAY_NAMES[d]))}.`;
  }
  return text;
}

/**
 * When an instant falls, relative to `now`, in words: "today at 2 p.m.", "tomorrow at 8 a.m.",
 * "Monday at 8 a.m.", "Friday, December 26 at 9 a.m.".
 */
export function speakWhen(at: Date, now: Date, timeZone: string): string {
  const a = toLocal(at, timeZone);
  const n = toLocal(now, timeZone);
  const clock = speakClock(a.hour * 60 + a.minute);
  const dayDiff = Math.round(
    (Date.UTC(a.year, a.month - 1, a.day) - Date.UTC(n.year, n.month - 1, n.day)) / 86_400_000,
  );
  if (dayDiff === 0) return `today at ${clock}`;
  if (dayDiff === 1) return `tomorrow at ${clock}`;
  if (dayDiff > 1 && dayDiff < 7) return `${WEEKDAY_NAMES[a.weekday]} at ${clock}`;
  return `${speakDate(a)} at ${clock}`;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
/** "Friday, December 26". */
export function speakDate(d: CivilDate): string {
  return `${WEEKDAY_NAMES[weekdayOf(d)]}, ${MONTHS[d.month - 1]} ${d.day}`;
}

/** The next local date (today included) that falls on `weekday`. */
export function nextWeekday(from: CivilDate, weekday: Weekday, includeToday = true): CivilDate {
  const start = includeToday ? 0 : 1;
  for (let i = start; i < start + 7; i++) {
    const d = addDays(from, i);
    if (weekdayOf(d) === weekday) return d;
  }
  return from;
}
