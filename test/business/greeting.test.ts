import { describe, expect, it } from 'vitest';
import { greetingFor, renderTemplate, withoutKeypadOffer } from '../../src/business/greeting.js';
import { businessProfileSchema } from '../../src/business/profile.js';
import { chicago, dentist, plumber, plumberInput } from '../agent/fixtures/businesses.js';

const OPEN = chicago('2025-06-11T09:15:00');
const CLOSED = chicago('2025-06-11T20:00:00');

/** flite speaks about 2.6 words a second: 13 words is about five seconds, pauses included. */
const MAX_WORDS = 13;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

describe('greeting', () => {
  it('while open, thanks the caller, gives the emergency key and asks how to help', () => {
    expect(greetingFor(plumber, { now: OPEN })).toBe(
      'Acme Plumbing, how can I help? For emergencies, press 1.',
    );
  });

  it('after hours, says it is closed and gives the emergency key, leaving the opening time for when asked', () => {
    expect(greetingFor(plumber, { now: CLOSED })).toBe(
      "Acme Plumbing. We're closed, but for emergencies press 1.",
    );
  });

  it('fits the default greetings in about 13 words, open and after hours, for a short or longer name', () => {
    for (const b of [plumber, dentist]) {
      for (const now of [OPEN, CLOSED]) {
        expect(words(greetingFor(b, { now })), greetingFor(b, { now })).toBeLessThanOrEqual(MAX_WORDS + 1);
      }
    }
    expect(words(greetingFor(plumber, { now: OPEN }))).toBeLessThanOrEqual(MAX_WORDS);
    expect(words(greetingFor(plumber, { now: CLOSED }))).toBeLessThanOrEqual(MAX_WORDS);
  });

  it('uses the caller name when known', () => {
    expect(greetingFor(plumber, { now: OPEN, callerName: 'Dana' })).toBe(
      'Acme Plumbing, Dana, how can I help? For emergencies, press 1.',
    );
  });

  it('offers no emergency key for a trade without emergencies of its own', () => {
    const firm = businessProfileSchema.parse({ ...plumberInput, name: 'Lee Law', trade: 'legal' });
    expect(greetingFor(firm, { now: OPEN })).toBe('Lee Law, how can I help?');
    expect(greetingFor(firm, { now: CLOSED })).toBe("Lee Law. We're closed now, but I can take a message.");
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
    expect(renderTemplate('{callerName}, welcome to {business}.', { business: 'B', timeOfDay: '' })).toBe(
      'Welcome to B.',
    );
  });
});

describe('withoutKeypadOffer: the greeting where there is no keypad (chat, WhatsApp, speech-only calls)', () => {
  it('drops a sentence that only offers the key', () => {
    expect(withoutKeypadOffer('Acme Plumbing, how can I help? For emergencies, press 1.')).toBe(
      'Acme Plumbing, how can I help?',
    );
  });

  it('keeps what a sentence says before its keypad clause', () => {
    expect(withoutKeypadOffer("Acme Plumbing. We're closed, but for emergencies press 1.")).toBe(
      "Acme Plumbing. We're closed.",
    );
  });

  it('leaves a greeting without a keypad offer as it is', () => {
    expect(withoutKeypadOffer('Bright Smiles, how can I help?')).toBe('Bright Smiles, how can I help?');
  });
});
