import { describe, expect, it } from 'vitest';
import { freeSlots } from '../../src/business/availability.js';
import { chicago, plumber } from '../agent/fixtures/businesses.js';

const base = { hours: plumber.hours, timeZone: plumber.timezone };

describe('free slots', () => {
  it('starts on the half hour from opening and ends by closing', () => {
    const slots = freeSlots({
      ...base,
      durationMinutes: 60,
      from: chicago('2025-06-12T00:00:00'),
      to: chicago('2025-06-13T00:00:00'),
      busy: [],
      now: chicago('2025-06-11T09:00:00'),
    });
    expect(slots[0]?.start).toEqual(chicago('2025-06-12T08:00:00'));
    expect(slots[1]?.start).toEqual(chicago('2025-06-12T08:30:00'));
    expect(slots.at(-1)?.end).toEqual(chicago('2025-06-12T18:00:00'));
    expect(slots).toHaveLength(19);
  });

  it('skips anything overlapping a booking', () => {
    const slots = freeSlots({
      ...base,
      durationMinutes: 60,
      from: chicago('2025-06-12T00:00:00'),
      to: chicago('2025-06-13T00:00:00'),
      busy: [{ start: chicago('2025-06-12T10:00:00'), end: chicago('2025-06-12T11:00:00') }],
      now: chicago('2025-06-11T09:00:00'),
    }).map((s) => s.start.getTime());
    expect(slots).not.toContain(chicago('2025-06-12T09:30:00').getTime());
    expect(slots).not.toContain(chicago('2025-06-12T10:30:00').getTime());
    expect(slots).toContain(chicago('2025-06-12T09:00:00').getTime());
    expect(slots).toContain(chicago('2025-06-12T11:00:00').getTime());
  });

  it('keeps an hour of notice and offers nothing on closed days', () => {
    const now = chicago('2025-06-14T09:10:00');
    const slots = freeSlots({
      ...base,
      durationMinutes: 30,
      from: now,
      to: chicago('2025-06-16T00:00:00'),
      busy: [],
      now,
    });
    expect(slots.map((s) => s.start)).toEqual([
      chicago('2025-06-14T10:30:00'),
      chicago('2025-06-14T11:00:00'),
      chicago('2025-06-14T11:30:00'),
    ]);
  });

  it('uses hourly starts for long services', () => {
    const slots = freeSlots({
      ...base,
      durationMinutes: 120,
      from: chicago('2025-06-12T00:00:00'),
      to: chicago('2025-06-13T00:00:00'),
      busy: [],
      now: chicago('2025-06-11T09:00:00'),
      limit: 3,
    });
    expect(slots.map((s) => s.start)).toEqual([
      chicago('2025-06-12T08:00:00'),
      chicago('2025-06-12T09:00:00'),
      chicago('2025-06-12T10:00:00'),
    ]);
  });
});
