import { describe, expect, it } from 'vitest';
import { businessHoursSchema } from '../../src/business/index.js';
import {
  hoursBody,
  hoursForm,
  hoursProblems,
  newRange,
  rangeProblem,
} from '../../web/admin/src/pages/parts/hours-form.js';

const week = {
  weekly: {
    mon: [{ open: '08:00', close: '18:00' }],
    sat: [
      { open: '09:00', close: '12:00' },
      { open: '13:00', close: '24:00' },
    ],
  },
  holidays: [
    { date: '2026-12-25', name: 'Christmas' },
    { date: '2026-12-24', ranges: [{ open: '08:00', close: '12:00' }] },
  ],
};

describe('the hours editor', () => {
  it('shows every weekday, Monday first, closed days with a range ready to edit', () => {
    const form = hoursForm(week);
    expect(form.days.map((d) => d.day)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
    expect(form.days[0]).toEqual({ day: 'mon', open: true, ranges: [{ open: '08:00', close: '18:00' }] });
    expect(form.days[1]).toMatchObject({ day: 'tue', open: false });
    expect(form.days[1]!.ranges).toHaveLength(1);
  });

  it('edits a midnight close as 00:00 (a time input cannot hold 24:00) and sends it back as 24:00', () => {
    const form = hoursForm(week);
    expect(form.days[5]!.ranges[1]).toEqual({ open: '13:00', close: '00:00' });
    expect(hoursBody(form).weekly.sat?.[1]).toEqual({ open: '13:00', close: '24:00' });
  });

  it('gives back the hours it was given, which the server accepts', () => {
    const body = hoursBody(hoursForm(week));
    expect(body).toEqual(week);
    expect(businessHoursSchema.safeParse(body).success).toBe(true);
  });

  it('leaves a closed day out of the weekly hours, and a closed holiday without ranges', () => {
    const form = hoursForm(week);
    form.days[0]!.open = false;
    form.holidays[1]!.closed = true;
    const body = hoursBody(form);
    expect(body.weekly.mon).toBeUndefined();
    expect(body.holidays[1]).toEqual({ date: '2026-12-24' });
  });

  it('reads missing hours as a closed week', () => {
    const form = hoursForm(undefined);
    expect(form.days.every((d) => !d.open)).toBe(true);
    expect(hoursBody(form)).toEqual({ weekly: {}, holidays: [] });
  });

  it('says what the server would refuse, per row', () => {
    expect(rangeProblem({ open: '09:00', close: '08:00' })).toBe('Closing time must be after opening time.');
    expect(rangeProblem({ open: '09:00', close: '' })).toBe('Enter opening and closing times.');
    expect(rangeProblem({ open: '18:00', close: '00:00' })).toBe('');
    const form = hoursForm(week);
    form.days[1]!.open = true;
    form.days[1]!.ranges = [{ open: '17:00', close: '09:00' }];
    form.holidays.push({ date: '', name: '', closed: true, ranges: [] });
    expect(hoursProblems(form)).toEqual({
      days: ['', 'Closing time must be after opening time.', '', '', '', '', ''],
      holidays: ['', '', 'Enter the date.'],
    });
  });

  it('suggests a second range after the first one ends', () => {
    expect(newRange({ open: '08:00', close: '12:00' })).toEqual({ open: '13:00', close: '17:00' });
    expect(newRange({ open: '08:00', close: '22:30' })).toEqual({ open: '23:00', close: '23:59' });
    expect(rangeProblem(newRange({ open: '08:00', close: '22:30' }))).toBe('');
  });
});
