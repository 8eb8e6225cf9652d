/**
 * The business hours between the API's shape (src/business/hours.ts: weekly ranges per weekday,
 * dated holidays) and the editor's rows. Time inputs cannot hold "24:00", so a range that closes
 * at midnight is edited as closing at 00:00 and sent back as 24:00.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

export interface TimeRange {
  open: string;
  close: string;
}
export interface Holiday {
  date: string;
  name?: string;
  ranges?: TimeRange[];
}
/** The API's hours. */
export interface BusinessHours {
  weekly: Partial<Record<Weekday, TimeRange[]>>;
  holidays?: Holiday[];
}

export interface DayRow {
  day: Weekday;
  open: boolean;
  ranges: TimeRange[];
}
export interface HolidayRow {
  date: string;
  name: string;
  /** Closed all day, or open for `ranges`. */
  closed: boolean;
  ranges: TimeRange[];
}
export interface HoursForm {
  days: DayRow[];
  holidays: HolidayRow[];
}

const DEFAULT_RANGE: TimeRange = { open: '09:00', close: '17:00' };

const toInput = (r: TimeRange): TimeRange => ({
  open: r.open,
  close: r.close === '24:00' ? '00:00' : r.close,
});
const fromInput = (r: TimeRange): TimeRange => ({
  open: r.open,
  close: r.close === '00:00' ? '24:00' : r.close,
});

export function hoursForm(hours: BusinessHours | null | undefined): HoursForm {
  const weekly = hours?.weekly ?? {};
  return {
    days: WEEKDAYS.map((day) => {
      const ranges = weekly[day] ?? [];
      return ranges.length > 0
        ? { day, open: true, ranges: ranges.map(toInput) }
        : { day, open: false, ranges: [{ ...DEFAULT_RANGE }] };
    }),
    holidays: (hours?.holidays ?? []).map((h) => ({
      date: h.date,
      name: h.name ?? '',
      closed: !h.ranges || h.ranges.length === 0,
      ranges: h.ranges && h.ranges.length > 0 ? h.ranges.map(toInput) : [{ ...DEFAULT_RANGE }],
    })),
  };
}

export function hoursBody(form: HoursForm): Required<BusinessHours> {
  const weekly: Partial<Record<Weekday, TimeRange[]>> = {};
  for (const d of form.days) if (d.open) weekly[d.day] = d.ranges.map(fromInput);
  return {
    weekly,
    holidays: form.holidays.map((h) => ({
      date: h.date,
      ...(h.name.trim() ? { name: h.name.trim() } : {}),
      ...(h.closed ? {} : { ranges: h.ranges.map(fromInput) }),
    })),
  };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** What is wrong with one range as typed ("" when nothing); 00:00 as a closing time is midnight. */
export function rangeProblem(r: TimeRange): string {
  if (!HHMM.test(r.open) || !HHMM.test(r.close)) return 'Enter opening and closing times.';
  const close = r.close === '00:00' ? 24 * 60 : minutes(r.close);
  return close > minutes(r.open) ? '' : 'Closing time must be after opening time.';
}

/** Problems the server would refuse, per row, worded for the person editing ("" = fine). */
export function hoursProblems(form: HoursForm): { days: string[]; holidays: string[] } {
  const first = (ranges: TimeRange[]) => ranges.map(rangeProblem).find((p) => p !== '') ?? '';
  return {
    days: form.days.map((d) => (d.open ? first(d.ranges) : '')),
    holidays: form.holidays.map((h) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(h.date)) return 'Enter the date.';
      return h.closed ? '' : first(h.ranges);
    }),
  };
}

export function newHoliday(): HolidayRow {
  return { date: '', name: '', closed: true, ranges: [{ ...DEFAULT_RANGE }] };
}

export function newRange(after?: TimeRange): TimeRange {
  if (!after || !HHMM.test(after.close) || after.close === '00:00') return { ...DEFAULT_RANGE };
  const start = Math.min(minutes(after.close) + 60, 23 * 60);
  const hhmm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return { open: hhmm(start), close: hhmm(Math.min(start + 4 * 60, 23 * 60 + 59)) };
}
