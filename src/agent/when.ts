import * as chrono from 'chrono-node';
import {
  addDays,
  fromLocal,
  hoursOn,
  minutesOf,
  toLocal,
  weekdayOf,
  type CivilDate,
} from '../business/index.js';
import type { BusinessHours } from '../business/index.js';
import { normalize } from './text.js';
import { readCardinal } from './extract/numbers.js';

/**
 * Dates and times in what a caller says ("next Tuesday at three", "tomorrow at 10", "Friday
 * morning"), read in the business's timezone. chrono-node parses the calendar words; spoken
 * numbers are turned into digits first because recognisers write "ten thirty", not "10:30".
 */

export type PartOfDay = 'morning' | 'afternoon' | 'evening';

export interface RequestedTime {
  /** Local calendar date, when a day was said (or implied by a time alone: today or tomorrow). */
  date?: CivilDate;
  /** Local minutes after midnight, when a clock time was said. */
  minutes?: number;
  /** "in the morning", "afternoon", when said without a clock time. */
  partOfDay?: PartOfDay;
  /** The words that were read as the time. */
  text: string;
}

const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  thirtieth: 30,
};

/** Spoken clock times and ordinals into the digits chrono understands. */
export function preprocessTimeText(text: string): string {
  const words = normalize(text)
    .replace(/\ba m\b/g, 'am')
    .replace(/\bp m\b/g, 'pm')
    .replace(/\bo clock\b/g, 'oclock')
    .replace(/\bhalf past (\w+)/g, '$1 thirty')
    .replace(/\bquarter past (\w+)/g, '$1 fifteen')
    .split(' ');
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    // Ordinal day: "the twentieth", "twenty first".
    if (w === 'twenty' || w === 'thirty') {
      const o = ORDINALS[words[i + 1] ?? ''];
      if (o !== undefined && o < 10) {
        out.push(ordinal((w === 'twenty' ? 20 : 30) + o));
        i++;
        continue;
      }
    }
    const ord = ORDINALS[w];
    if (
      ord !== undefined &&
      words[i + 1] !== 'one' &&
      (words[i - 1] === 'the' || /^(of|on)$/.test(words[i - 1] ?? '') || isMonth(words[i - 1]))
    ) {
      out.push(ordinal(ord));
      continue;
    }
    const hour = readCardinal(words, i);
    if (hour && hour.value >= 1 && hour.value <= 12 && isTimeContext(words, i, hour.used)) {
      let j = i + hour.used;
      let minute: number | undefined;
      const next = words[j] ?? '';
      if (next === 'oh' || next === 'o') {
        const m = readCardinal(words, j + 1);
        if (m && m.value < 10) {
          minute = m.value;
          j += 1 + m.used;
        }
      } else {
        const m = readCardinal(words, j);
        if (
          m &&
          m.value >= 10 &&
          m.value < 60 &&
          !/^(minutes?|hours?|days?|weeks?)$/.test(words[j + m.used] ?? '')
        ) {
          minute = m.value;
          j += m.used;
        }
      }
      if (words[j] === 'oclock') j++;
      out.push(
        minute !== undefined ? `${hour.value}:${String(minute).padStart(2, '0')}` : `${hour.value}:00`,
      );
      i = j - 1;
      continue;
    }
    out.push(w);
  }
  return out.join(' ');
}

function ordinal(n: number): string {
  const suffix =
    n % 10 === 1 && n !== 11
      ? 'st'
      : n % 10 === 2 && n !== 12
        ? 'nd'
        : n % 10 === 3 && n !== 13
          ? 'rd'
          : 'th';
  return `${n}${suffix}`;
}

const MONTHS = /^(january|february|march|april|may|june|july|august|september|october|november|december)$/;
function isMonth(w: string | undefined): boolean {
  return w !== undefined && MONTHS.test(w);
}

/** A number is a clock hour after "at"/"around"/"by" or before am/pm/oclock/"in the morning". */
function isTimeContext(words: readonly string[], i: number, used: number): boolean {
  const prev = words[i - 1] ?? '';
  const after = words.slice(i + used, i + used + 4).join(' ');
  if (/^(at|around|about|by|after|before|from|say)$/.test(prev)) return true;
  // "ten thirty", "two fifteen", "nine forty five": an hour followed by minutes is a clock time.
  if (/^(fifteen|thirty|forty|fifty|twenty|oh|o)\b/.test(after) && used === 1) return true;
  return /^((oh|o|\w+ty|ten|eleven|twelve|fifteen|thirty|forty|fifty|\d+)\s)?(am|pm|oclock|in the (morning|afternoon|evening)|tonight|tomorrow|today|on|this|next|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/.test(
    after,
  );
}

/**
 * The time the caller asked for, if any. `now` is the instant of the call; the business's
 * opening hours resolve an hour said without a.m. or p.m. ("at four" is 4 p.m. for a shop).
 */
export function parseRequestedTime(
  text: string,
  now: Date,
  timeZone: string,
  hours?: BusinessHours,
): RequestedTime | undefined {
  const prepared = preprocessTimeText(text);
  const local = toLocal(now, timeZone);
  // chrono works in one zone; give it the business's wall clock as if it were UTC.
  const ref = new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute));
  const results = chrono.parse(prepared, { instant: ref, timezone: 0 }, { forwardDate: true });
  const r = results[0];
  const today: CivilDate = { year: local.year, month: local.month, day: local.day };
  const s = r?.start;
  let date: CivilDate | undefined =
    s && (s.isCertain('day') || s.isCertain('weekday'))
      ? {
          year: s.get('year') ?? local.year,
          month: s.get('month') ?? local.month,
          day: s.get('day') ?? local.day,
        }
      : undefined;
  // chrono misses "the 20th" after a weekday or alone: take the next date with that day of month.
  const dom = /\b(\d{1,2})(st|nd|rd|th)\b/.exec(prepared);
  if (dom && !(s?.isCertain('day') ?? false)) {
    const d = Number(dom[1]);
    if (d >= 1 && d <= 31) {
      date = d >= today.day ? { ...today, day: d } : { ...addDays({ ...today, day: 1 }, 31), day: d };
      date = addDays(date, 0);
    }
  }
  let hour: number | undefined;
  let minute = 0;
  let meridiemKnown = false;
  if (s?.isCertain('hour')) {
    hour = s.get('hour') ?? 0;
    minute = s.get('minute') ?? 0;
    meridiemKnown = s.isCertain('meridiem');
  } else {
    const clock = /\b(\d{1,2}):(\d{2})\s*(am|pm)?\b/.exec(prepared);
    if (clock) {
      hour = Number(clock[1]);
      minute = Number(clock[2]);
      meridiemKnown = clock[3] !== undefined;
      if (clock[3] === 'pm' && hour < 12) hour += 12;
      if (clock[3] === 'am' && hour === 12) hour = 0;
    }
  }
  if (/\bnext week\b/.test(prepared) && !(s?.isCertain('weekday') ?? false)) {
    // "next week" is a week, not a day: start looking on its Monday.
    let d = addDays(today, 1);
    while (weekdayOf(d) !== 'mon') d = addDays(d, 1);
    date = d;
  }
  let minutes: number | undefined;
  if (hour !== undefined) {
    if (!meridiemKnown && hour >= 1 && hour <= 12) {
      hour = resolveMeridiem(hour % 12, minute, date ?? today, hours);
    }
    minutes = hour * 60 + minute;
    if (!date) {
      // A time alone means the next time the clock reads it.
      date = minutes > local.hour * 60 + local.minute ? today : addDays(today, 1);
    }
  }
  const partOfDay = minutes !== undefined ? undefined : partOfDayIn(prepared);
  if (!date && minutes === undefined && !partOfDay) return undefined;
  const out: RequestedTime = { text: r?.text ?? prepared };
  if (date) out.date = date;
  if (minutes !== undefined) out.minutes = minutes;
  if (partOfDay) out.partOfDay = partOfDay;
  return out;
}

/** An hour said without a.m./p.m.: the reading that falls within opening hours, else 7-11 a.m., 12-6 p.m. */
function resolveMeridiem(hour12: number, minute: number, date: CivilDate, hours?: BusinessHours): number {
  const am = hour12;
  const pm = hour12 + 12;
  if (hours) {
    const ranges = hoursOn(hours, date).ranges;
    const inside = (h: number) =>
      ranges.some((r) => h * 60 + minute >= minutesOf(r.open) && h * 60 + minute < minutesOf(r.close));
    const a = inside(am);
    const p = inside(pm);
    if (a && !p) return am;
    if (p && !a) return pm;
  }
  return hour12 >= 7 && hour12 <= 11 ? am : pm;
}

function partOfDayIn(text: string): PartOfDay | undefined {
  if (/\bmorning\b/.test(text)) return 'morning';
  if (/\b(afternoon|lunch ?time|after lunch)\b/.test(text)) return 'afternoon';
  if (/\b(evening|tonight|after work)\b/.test(text)) return 'evening';
  return undefined;
}

/** The instant a requested local date and time stand for. */
export function requestedInstant(date: CivilDate, minutes: number, timeZone: string): Date {
  return fromLocal(date, minutes, timeZone);
}

export const PART_OF_DAY_RANGE: Record<PartOfDay, [number, number]> = {
  morning: [0, 12 * 60],
  afternoon: [12 * 60, 17 * 60],
  evening: [17 * 60, 24 * 60],
};
