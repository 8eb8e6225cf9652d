import { describe, expect, it } from 'vitest';
import {
  businessHoursSchema,
  fromLocal,
  isOpen,
  openStatus,
  partOfDay,
  speakClock,
  speakWeek,
  speakWhen,
  toLocal,
} from '../../src/business/hours.js';
import { chicago, plumber } from '../agent/fixtures/businesses.js';

const TZ = 'America/Chicago';

describe('local time in an IANA zone', () => {
  it('reads the wall clock in the business timezone', () => {
    const l = toLocal(new Date('2025-06-11T13:30:00Z'), TZ);
    expect(l).toMatchObject({ year: 2025, month: 6, day: 11, hour: 8, minute: 30, weekday: 'wed' });
  });

  it('turns a local time back into the right instant in summer and winter', () => {
    expect(fromLocal({ year: 2025, month: 6, day: 11 }, 8 * 60, TZ).toISOString()).toBe(
      '2025-06-11T13:00:00.000Z',
    );
    expect(fromLocal({ year: 2025, month: 12, day: 11 }, 8 * 60, TZ).toISOString()).toBe(
      '2025-12-11T14:00:00.000Z',
    );
  });

  it('lands a time inside the spring-forward gap just after the gap', () => {
    // 2:30 a.m. on 9 March 2025 never happens in Chicago; 3:30 CDT = 08:30Z.
    const t = fromLocal({ year: 2025, month: 3, day: 9 }, 2 * 60 + 30, TZ);
    expect(t.toISOString()).toBe('2025-03-09T08:30:00.000Z');
  });

  it('picks the earlier instant of the fall-back overlap', () => {
    const t = fromLocal({ year: 2025, month: 11, day: 2 }, 60 + 30, TZ);
    expect(t.toISOString()).toBe('2025-11-02T06:30:00.000Z');
  });

  it('works in a zone east of UTC with a half-hour offset', () => {
    const t = fromLocal({ year: 2025, month: 6, day: 11 }, 9 * 60, 'Asia/Kolkata');
    expect(t.toISOString()).toBe('2025-06-11T03:30:00.000Z');
  });
});

describe('open or closed', () => {
  it('is open on a weekday afternoon and says when it closes', () => {
    const s = openStatus(plumber.hours, TZ, chicago('2025-06-11T14:00:00'));
    expect(s).toEqual({ open: true, closesAt: chicago('2025-06-11T18:00:00') });
  });

  it('is closed after hours and finds the next morning', () => {
    const s = openStatus(plumber.hours, TZ, chicago('2025-06-11T19:00:00'));
    expect(s).toEqual({ open: false, nextOpen: chicago('2025-06-12T08:00:00') });
  });

  it('skips Sunday to reach Monday', () => {
    const s = openStatus(plumber.hours, TZ, chicago('2025-06-14T13:00:00'));
    expect(s).toEqual({ open: false, nextOpen: chicago('2025-06-16T08:00:00') });
  });

  it('closes on a holiday and keeps special hours on another', () => {
    expect(isOpen(plumber.hours, TZ, chicago('2025-12-25T10:00:00'))).toBe(false);
    expect(isOpen(plumber.hours, TZ, chicago('2025-12-24T10:00:00'))).toBe(true);
    expect(isOpen(plumber.hours, TZ, chicago('2025-12-24T13:00:00'))).toBe(false);
    expect(openStatus(plumber.hours, TZ, chicago('2025-12-24T13:00:00'))).toEqual({
      open: false,
      nextOpen: chicago('2025-12-26T08:00:00'),
    });
  });

  it('treats the opening minute as open and the closing minute as closed', () => {
    expect(isOpen(plumber.hours, TZ, chicago('2025-06-11T08:00:00'))).toBe(true);
    expect(isOpen(plumber.hours, TZ, chicago('2025-06-11T18:00:00'))).toBe(false);
  });

  it('sees a 24/7 business as one unbroken stretch', () => {
    const allDay = [{ open: '00:00', close: '24:00' }];
    const hours = businessHoursSchema.parse({
      weekly: { sun: allDay, mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay },
    });
    const now = chicago('2025-06-11T23:59:00');
    const s = openStatus(hours, TZ, now);
    expect(s.open).toBe(true);
    expect(s.open && s.closesAt.getTime() - now.getTime() > 7 * 86_400_000).toBe(true);
  });

  it('rejects a range that closes before it opens', () => {
    expect(() =>
      businessHoursSchema.parse({ weekly: { mon: [{ open: '18:00', close: '08:00' }] } }),
    ).toThrow();
  });
});

describe('speaking hours', () => {
  it('speaks clock times the way people say them', () => {
    expect(speakClock(8 * 60)).toBe('8 a.m.');
    expect(speakClock(8 * 60 + 30)).toBe('8:30 a.m.');
    expect(speakClock(12 * 60)).toBe('noon');
    expect(speakClock(0)).toBe('midnight');
    expect(speakClock(24 * 60)).toBe('midnight');
    expect(speakClock(18 * 60)).toBe('6 p.m.');
    expect(speakClock(12 * 60 + 15)).toBe('12:15 p.m.');
  });

  it('groups the working week', () => {
    expect(speakWeek(plumber.hours)).toBe(
      "We're open Monday to Friday, 8 a.m. to 6 p.m., and Saturday, 9 a.m. to noon. We're closed on Sunday.",
    );
  });

  it('speaks split days and three groups', () => {
    const hours = businessHoursSchema.parse({
      weekly: {
        mon: [
          { open: '09:00', close: '12:00' },
          { open: '13:00', close: '17:00' },
        ],
        tue: [{ open: '09:00', close: '17:00' }],
        wed: [{ open: '09:00', close: '17:00' }],
        sat: [{ open: '10:00', close: '14:00' }],
      },
    });
    expect(speakWeek(hours)).toBe(
      "We're open Monday, 9 a.m. to noon and 1 p.m. to 5 p.m., Tuesday and Wednesday, 9 a.m. to 5 p.m., and Saturday, 10 a.m. to 2 p.m. We're closed on Thursday, Friday, and Sunday.",
    );
  });

  it('says every day when the whole week is the same', () => {
    const d = [{ open: '07:00', close: '19:00' }];
    const hours = businessHoursSchema.parse({
      weekly: { sun: d, mon: d, tue: d, wed: d, thu: d, fri: d, sat: d },
    });
    expect(speakWeek(hours)).toBe("We're open every day, 7 a.m. to 7 p.m.");
  });

  it('says when relative to now', () => {
    const now = chicago('2025-06-11T19:00:00');
    expect(speakWhen(chicago('2025-06-12T08:00:00'), now, TZ)).toBe('tomorrow at 8 a.m.');
    expect(speakWhen(chicago('2025-06-11T20:30:00'), now, TZ)).toBe('today at 8:30 p.m.');
    expect(speakWhen(chicago('2025-06-16T08:00:00'), now, TZ)).toBe('Monday at 8 a.m.');
    expect(speakWhen(chicago('2025-06-26T09:00:00'), now, TZ)).toBe('Thursday, June 26 at 9 a.m.');
  });

  it('knows the part of day in the business timezone, not the server one', () => {
    expect(partOfDay(new Date('2025-06-11T14:00:00Z'), TZ)).toBe('morning');
    expect(partOfDay(new Date('2025-06-11T20:00:00Z'), TZ)).toBe('afternoon');
    expect(partOfDay(new Date('2025-06-12T01:00:00Z'), TZ)).toBe('evening');
  });
});
