import { describe, expect, it } from 'vitest';
import { greetingFor, renderTemplate } from '../../src/business/greeting.js';
import { businessProfileSchema } from '../../src/business/profile.js';
import { chicago, plumber, plumberInput } from '../agent/fixtures/businesses.js';

describe('greeting', () => {
  it('greets by time of day while open', () => {
    expect(greetingFor(plumber, { now: chicago('2025-06-11T09:15:00') })).toBe(
      'Good morning, thanks for calling Acme Plumbing. How can I help you today?',
    );
    expect(greetingFor(plumber, { now: chicago('2025-06-11T15:00:00') })).toMatch(/^Good afternoon, thanks/);
  });

  it('uses the caller name when known', () => {
    expect(greetingFor(plumber, { now: chicago('2025-06-11T09:15:00'), callerName: 'Dana' })).toBe(
      'Good morning, Dana, thanks for calling Acme Plumbing. How can I help you today?',
    );
  });

  it('says it is closed and when it opens after hours', () => {
    expect(greetingFor(plumber, { now: chicago('2025-06-11T20:00:00') })).toBe(
      "Good evening, thanks for calling Acme Plumbing. We're closed right now, and we open again tomorrow at 8 a.m. I can take a message, or help with anything else.",
    );
  });

  it("uses the owner's own greetings, open and after hours", () => {
    const b = businessProfileSchema.parse({
      ...plumberInput,
      greeting: 'Hi {callerName}, Acme here, what can we fix today?',
      afterHoursGreeting: "{timeOfDay}! You've reached {business} after hours. We're back {nextOpen}.",
    });
    expect(greetingFor(b, { now: chicago('2025-06-11T10:00:00') })).toBe(
      'Hi, Acme here, what can we fix today?',
    );
    expect(greetingFor(b, { now: chicago('2025-06-11T10:00:00'), callerName: 'Sam' })).toBe(
      'Hi Sam, Acme here, what can we fix today?',
    );
    expect(greetingFor(b, { now: chicago('2025-06-14T13:00:00') })).toBe(
      "Good afternoon! You've reached Acme Plumbing after hours. We're back Monday at 8 a.m.",
    );
  });

  it('renders placeholders without leaving gaps', () => {
    expect(
      renderTemplate('{timeOfDay}{callerName}, welcome to {business}.', {
        business: 'B',
        timeOfDay: 'Good evening',
      }),
    ).toBe('Good evening, welcome to B.');
  });
});
