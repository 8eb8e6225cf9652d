import {
  WEEKDAY_NAMES,
  addDays,
  hoursOn,
  nextWeekday,
  openStatus,
  speakClock,
  speakRanges,
  speakWeek,
  speakWhen,
  endSentence,
  toLocal,
  minutesOf,
  type CivilDate,
  type Weekday,
} from '../../business/index.js';
import type { BusinessProfile } from '../../business/index.js';
import { hasAnyPhrase } from '../text.js';

/** Answers to "what are your hours", "are you open on Saturday", "when do you close". */

export type HoursFocus = 'general' | 'open-now' | 'close' | 'open-time';
export type HoursDay = 'today' | 'tomorrow' | 'weekend' | Weekday;

export interface HoursQuestion {
  focus: HoursFocus;
  day?: HoursDay;
}

const DAY_WORDS: [string, HoursDay][] = [
  ['today|tonight|todays', 'today'],
  ['tomorrow*|tomorrows', 'tomorrow'],
  ['weekend*', 'weekend'],
  ['monday*', 'mon'],
  ['tuesday*', 'tue'],
  ['wednesday*', 'wed'],
  ['thursday*', 'thu'],
  ['friday*', 'fri'],
  ['saturday*', 'sat'],
  ['sunday*', 'sun'],
];

const CLOSE = [
  'close|closing|closes',
  'how late',
  'until what time',
  'till what time',
  'open until',
  'open till',
];
const OPEN_TIME = [
  'when do you open',
  'what time do you open',
  'what time you open',
  'when will you open',
  'when are you open next',
  'open again',
  'when do you guys open',
  'what time do you guys open',
  'when does the office open',
];
const OPEN_NOW = [
  'are you open',
  'are you guys open',
  'you open',
  'is the office open',
  'still open',
  'open now',
  'open right now',
  'open today',
  'currently open',
  'closed',
];

export function hoursPatterns(): string[] {
  return [...DAY_WORDS.map(([p]) => p), ...CLOSE, ...OPEN_TIME, ...OPEN_NOW];
}

export function parseHoursQuestion(words: readonly string[]): HoursQuestion {
  let day: HoursDay | undefined;
  for (const [pattern, d] of DAY_WORDS) {
    if (hasAnyPhrase(words, [pattern])) {
      day = d;
      break;
    }
  }
  let focus: HoursFocus = 'general';
  if (hasAnyPhrase(words, CLOSE, 1)) focus = 'close';
  else if (hasAnyPhrase(words, OPEN_TIME)) focus = 'open-time';
  else if (hasAnyPhrase(words, OPEN_NOW)) focus = 'open-now';
  return day ? { focus, day } : { focus };
}

export function answerHours(q: HoursQuestion, business: BusinessProfile, now: Date): string {
  const { hours, timezone } = business;
  const today = toLocal(now, timezone);
  const status = openStatus(hours, timezone, now);
  const nextOpenText = (): string =>
    status.open
      ? ''
      : status.nextOpen
        ? ` ${endSentence(`We open again ${speakWhen(status.nextOpen, now, timezone)}`)}`
        : '';

  if (q.day === 'today' || (q.day === undefined && q.focus !== 'general')) {
    if (status.open) {
      if (status.closesAt.getTime() - now.getTime() > 86_400_000) return "Yes, we're open 24 hours.";
      const until = speakWhen(status.closesAt, now, timezone).replace(/^today at /, '');
      if (q.focus === 'close') return endSentence(`We're open until ${until}`);
      if (q.focus === 'open-time') return endSentence(`We're open right now, until ${until}`);
      return endSentence(`Yes, we're open right now, until ${until}`);
    }
    const day = hoursOn(hours, today);
    const laterToday = day.ranges.some((r) => minutesOf(r.open) > today.hour * 60 + today.minute);
    const holiday = day.holiday?.name ? ` for ${day.holiday.name}` : '';
    const lead = laterToday ? "We're not open yet." : `We're closed right now${holiday}.`;
    return `${lead}${nextOpenText()}`;
  }

  if (q.day === undefined) return speakWeek(hours);

  if (q.day === 'weekend') {
    const sat = describeDate(business, nextWeekday(today, 'sat'), 'Saturday');
    const sun = describeDate(business, nextWeekday(today, 'sun'), 'Sunday');
    return `${sat} ${sun}`;
  }
  const date = q.day === 'tomorrow' ? addDays(today, 1) : nextWeekday(today, q.day);
  const label = q.day === 'tomorrow' ? 'tomorrow' : WEEKDAY_NAMES[q.day];
  const dayHours = hoursOn(hours, date);
  if (q.focus === 'close' && dayHours.ranges.length > 0) {
    const last = dayHours.ranges.reduce((a, b) => (minutesOf(b.close) > minutesOf(a.close) ? b : a));
    return endSentence(`${capitalise(onDay(label))} we close at ${speakClock(minutesOf(last.close))}`);
  }
  if (q.focus === 'open-time' && dayHours.ranges.length > 0) {
    const first = dayHours.ranges.reduce((a, b) => (minutesOf(b.open) < minutesOf(a.open) ? b : a));
    return endSentence(`${capitalise(onDay(label))} we open at ${speakClock(minutesOf(first.open))}`);
  }
  const text = describeDate(business, date, label);
  return dayHours.ranges.length > 0 ? `Yes. ${text}` : `${text} ${speakWeek(hours)}`;
}

function onDay(label: string): string {
  return label === 'tomorrow' || label === 'today' ? label : `on ${label}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describeDate(business: BusinessProfile, date: CivilDate, label: string): string {
  const day = hoursOn(business.hours, date);
  if (day.ranges.length === 0) {
    if (day.holiday)
      return `${capitalise(onDay(label))} we're closed${day.holiday.name ? ` for ${day.holiday.name}` : ''}.`;
    return `We're closed ${onDay(label)}.`;
  }
  const when = speakRanges(day.ranges);
  const special = day.holiday ? ` for ${day.holiday.name ?? 'the holiday'}` : '';
  return when === 'open 24 hours'
    ? `${capitalise(onDay(label))} we're open 24 hours.`
    : endSentence(`${capitalise(onDay(label))} we're open ${when}${special}`);
}
