import { describe, expect, it } from 'vitest';
import { extractName } from '../../../src/agent/extract/name.js';
import { NAME_ANSWERS } from '../fixtures/lead-answers.js';

describe('names', () => {
  it.each(NAME_ANSWERS.map((a) => [a.say, a.expect]))('takes %j as %s when asked', (said, expected) => {
    expect(extractName(said, { asked: true })).toBe(expected);
  });

  it.each([
    ['hi this is John Smith calling about a leak', 'John Smith'],
    ['my name is Priya Patel and my sink is blocked', 'Priya Patel'],
    ['John here, my sink is blocked', 'John'],
  ])('finds a volunteered name in %j', (said, expected) => {
    expect(extractName(said, { asked: false })).toBe(expected);
  });

  it.each(['I am calling about a leak', "it's flooding", 'what are your hours', 'I need a plumber'])(
    'does not take %j for a name unasked',
    (said) => {
      expect(extractName(said, { asked: false })).toBeUndefined();
    },
  );

  it.each(['no', 'what', 'I need a plumber for my kitchen sink please', 'can I talk to a person'])(
    'does not take %j for a name even when asked',
    (said) => {
      expect(extractName(said, { asked: true })).toBeUndefined();
    },
  );

  it('joins a spelt name', () => {
    expect(extractName('j o h n', { asked: true })).toBe('John');
  });
});
