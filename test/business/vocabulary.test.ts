import { describe, expect, it } from 'vitest';
import { businessVocabulary, businessProfileSchema } from '../../src/business/index.js';

const profile = businessProfileSchema.parse({
  name: 'Acme Plumbing',
  trade: 'plumbing',
  timezone: 'America/Chicago',
  hours: { weekly: {} },
  services: [
    {
      id: 'wh',
      name: 'Water heater install',
      aliases: ['tankless heater', 'Rheem heater'],
      durationMinutes: 120,
      description: 'We install Rheem and Navien units. Same day in most cases.',
    },
    { id: 'drain', name: 'Drain cleaning', durationMinutes: 60 },
  ],
  faq: [{ question: 'Do you serve Oak Park?', answer: 'Yes, all of Oak Park and Berwyn.' }],
  leadQuestions: [{ field: 'address', prompt: 'What is the service address?' }],
});

describe('businessVocabulary', () => {
  it('takes the name, services with aliases and descriptions, FAQ and lead prompts', () => {
    const phrases = businessVocabulary(profile);
    for (const p of [
      'Acme Plumbing',
      'Water heater install',
      'tankless heater',
      'Rheem heater',
      'We install Rheem and Navien units',
      'Drain cleaning',
      'Do you serve Oak Park',
      'Yes, all of Oak Park and Berwyn',
      'What is the service address',
    ]) {
      expect(phrases, p).toContain(p);
    }
  });

  it('puts services in the sentences callers say about them', () => {
    expect(businessVocabulary(profile)).toContain('i need Drain cleaning');
  });

  it('adds staff, service area and extra terms (e.g. knowledge-base headings)', () => {
    const phrases = businessVocabulary({ ...profile, staff: ['Maria Lopez'], serviceArea: ['Cicero'] }, [
      'Frozen pipe thawing',
    ]);
    expect(phrases).toEqual(expect.arrayContaining(['Maria Lopez', 'Cicero', 'Frozen pipe thawing']));
    expect(phrases).toContain('can i speak to Maria Lopez');
  });

  it('drops blanks and repeats, whatever their case or spacing', () => {
    const phrases = businessVocabulary(profile, ['  ', 'drain  cleaning', 'Drain cleaning']);
    expect(phrases.filter((p) => p.toLowerCase() === 'drain cleaning')).toHaveLength(1);
    expect(phrases.every((p) => p.trim().length > 0 && p === p.trim())).toBe(true);
  });

  it('is pure: the same profile gives the same phrases, the profile untouched', () => {
    const before = JSON.stringify(profile);
    expect(businessVocabulary(profile, ['x'])).toEqual(businessVocabulary(profile, ['x']));
    expect(JSON.stringify(profile)).toBe(before);
  });
});
