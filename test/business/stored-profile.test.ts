import { describe, expect, it } from 'vitest';
import {
  profileFromStored,
  profileIssues,
  profileSettingsOf,
  type StoredBusiness,
} from '../../src/business/stored-profile.js';
import { businessProfileSchema } from '../../src/business/profile.js';
import { DEMO_BUSINESS } from '../../src/store/seed.js';

const row = (settings: unknown, over: Partial<StoredBusiness> = {}): StoredBusiness => ({
  name: 'Acme Plumbing',
  trade: 'plumbing',
  greeting: 'Hello',
  afterHoursGreeting: null,
  timezone: 'America/New_York',
  hours: { weekly: { mon: [{ open: '08:00', close: '18:00' }] }, holidays: [] },
  plan: 'FREE',
  settings,
  ...over,
});

describe('business profile kept in the row and its settings', () => {
  it('reads the demo seed into a full profile: services, FAQ and the emergency number', () => {
    const { profile, problems } = profileFromStored({
      ...row(DEMO_BUSINESS.settings),
      plan: 'PRO',
    });
    expect(problems).toEqual([]);
    expect(profile.services.map((s) => [s.id, s.durationMinutes, s.price])).toEqual([
      ['drain-cleaning', 60, '$149'],
      ['water-heater', 90, 'from $189'],
      ['leak-repair', 60, 'from $129'],
    ]);
    expect(profile.faq.length).toBeGreaterThanOrEqual(3);
    expect(profile.emergencyNumber).toBe('+12125550147');
  });

  it('round-trips: what profileSettingsOf writes, profileFromStored reads back the same', () => {
    const profile = businessProfileSchema.parse({
      name: 'Acme Plumbing',
      trade: 'plumbing',
      greeting: 'Hello',
      timezone: 'America/New_York',
      hours: { weekly: { mon: [{ open: '08:00', close: '18:00' }] } },
      services: [{ id: 'drain', name: 'Drain cleaning', durationMinutes: 60 }],
      faq: [{ question: 'Do you work weekends?', answer: 'Saturdays 9 to 1.' }],
      transferNumber: '+1 (212) 555-0100',
      leadQuestions: [{ field: 'name' }, { field: 'phone' }],
    });
    const back = profileFromStored(row({ profile: profileSettingsOf(profile) })).profile;
    expect(back).toEqual(profile);
    expect(back.transferNumber).toBe('+12125550100');
  });

  it('leaves out a malformed part of settings.profile instead of failing the call', () => {
    const { profile, problems } = profileFromStored(
      row({
        profile: {
          services: [{ id: 'x', name: 'X', durationMinutes: -5 }],
          faq: [{ question: 'Q?', answer: 'A.' }],
          emergencyNumber: 'call Bob',
        },
      }),
    );
    expect(profile.services).toEqual([]);
    expect(profile.faq).toEqual([{ question: 'Q?', answer: 'A.' }]);
    expect(profile.emergencyNumber).toBeUndefined();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^profile\.services\.0\.durationMinutes/);
  });

  it('treats a trade it does not know as general', () => {
    const { profile, problems } = profileFromStored(row({}, { trade: 'roofing' }));
    expect(profile.trade).toBe('general');
    expect(problems).toEqual(['trade: "roofing" is not a known trade; using general']);
  });

  it('caps lead questions at 5 on the FREE plan and refuses duplicate ids and fields', () => {
    const base = profileFromStored(row({})).profile;
    const six = ['name', 'phone', 'address', 'need', 'urgency', 'email'].map((field) => ({
      field: field as 'name',
      required: true,
    }));
    expect(profileIssues({ ...base, leadQuestions: six.slice(0, 5) })).toEqual([]);
    expect(profileIssues({ ...base, leadQuestions: six })).toEqual([
      { path: 'leadQuestions', message: 'the FREE plan allows at most 5 lead questions (got 6)' },
    ]);
    expect(profileIssues({ ...base, plan: 'BASIC', leadQuestions: six })).toEqual([]);
    const svc = { id: 'a', name: 'A', aliases: [], durationMinutes: 30, bookable: true };
    expect(
      profileIssues({ ...base, services: [svc, svc], leadQuestions: [six[0]!, six[0]!] }).map(
        (i) => i.message,
      ),
    ).toEqual(['service id "a" is used twice', 'lead question "name" is asked twice']);
  });
});
