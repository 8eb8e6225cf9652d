import { describe, expect, it } from 'vitest';
import { parseRequestedTime } from '../../src/agent/when.js';
import { chicago, plumber } from './fixtures/businesses.js';

// Wednesday 11 June 2025, 9:15 in Chicago.
const NOW = chicago('2025-06-11T09:15:00');
const parse = (t: string, now = NOW) => parseRequestedTime(t, now, plumber.timezone, plumber.hours);
const day = (d: number, m = 6) => ({ year: 2025, month: m, day: d });

describe('requested times in the business timezone', () => {
  it.each([
    ['tomorrow at 10', day(12), 600],
    ['tomorrow at ten', day(12), 600],
    ['tomorrow at ten a m', day(12), 600],
    ['next tuesday at three', day(17), 900],
    ['friday at 2 pm', day(13), 840],
    ['on tuesday at 3 p m', day(17), 900],
    ['at three thirty tomorrow', day(12), 930],
    ['ten thirty tomorrow morning', day(12), 630],
    ['two o clock tomorrow', day(12), 840],
    ['half past two on monday', day(16), 870],
    ['three fifteen friday', day(13), 915],
    ['june 20th at 11', day(20), 660],
    ['the twentieth at one', day(20), 780],
    ['tuesday the seventeenth at nine thirty', day(17), 570],
    ['saturday at nine', day(14), 540],
  ])('reads %j', (text, date, minutes) => {
    expect(parse(text)).toMatchObject({ date, minutes });
  });

  it('reads an hour without a.m./p.m. as the one inside opening hours', () => {
    expect(parse('can i come in on friday at 4')?.minutes).toBe(16 * 60);
    expect(parse('friday at 8')?.minutes).toBe(8 * 60);
  });

  it('takes a time alone as the next time the clock shows it', () => {
    expect(parse('at four')).toMatchObject({ date: day(11), minutes: 960 });
    expect(parse('at 9', chicago('2025-06-11T15:00:00'))).toMatchObject({ date: day(12), minutes: 540 });
  });

  it('keeps a part of day when no clock time is said', () => {
    expect(parse('thursday afternoon')).toMatchObject({ date: day(12), partOfDay: 'afternoon' });
    expect(parse('monday morning')).toMatchObject({ date: day(16), partOfDay: 'morning' });
  });

  it('starts "next week" on its Monday', () => {
    expect(parse('sometime next week')).toMatchObject({ date: day(16) });
  });

  it('finds no time in words without one', () => {
    expect(parse('i need a plumber for my sink')).toBeUndefined();
    expect(parse('yes please')).toBeUndefined();
  });

  it('uses the business day, not the server day, near midnight', () => {
    // 23:30 in Chicago is already Thursday in UTC; "tomorrow" is still Thursday for the business.
    const late = chicago('2025-06-11T23:30:00');
    expect(parse('tomorrow at 10', late)).toMatchObject({ date: day(12), minutes: 600 });
  });
});
