import { describe, expect, it } from 'vitest';
import { extractAddress } from '../../../src/agent/extract/address.js';
import { extractEmail } from '../../../src/agent/extract/email.js';
import { extractNeed } from '../../../src/agent/extract/need.js';
import { extractUrgency } from '../../../src/agent/extract/urgency.js';
import { ADDRESS_ANSWERS, NEED_ANSWERS, URGENCY_ANSWERS } from '../fixtures/lead-answers.js';

describe('addresses', () => {
  it.each(ADDRESS_ANSWERS.map((a) => [a.say, a.expect]))('takes %j as %s', (said, expected) => {
    expect(extractAddress(said, { asked: true })).toBe(expected);
  });

  it('finds a volunteered address and stops at the end of it', () => {
    expect(extractAddress('i live at 12 elm street and the sink is blocked', { asked: false })).toBe(
      '12 Elm Street',
    );
  });

  it('needs a house number and a street word when not asked', () => {
    expect(extractAddress('i need a plumber', { asked: false })).toBeUndefined();
    expect(extractAddress('call me at 5 please', { asked: false })).toBeUndefined();
  });
});

describe('need, urgency and email', () => {
  it.each(NEED_ANSWERS.map((a) => [a.say, a.expect]))('takes the need from %j', (said, expected) => {
    expect(extractNeed(said)).toBe(expected);
  });

  it('has no need in a bare request for a message', () => {
    expect(extractNeed('leave a message')).toBeUndefined();
  });

  it.each(URGENCY_ANSWERS.map((a) => [a.say, a.expect]))('reads urgency in %j as %s', (said, expected) => {
    expect(extractUrgency(said)).toBe(expected);
  });

  it('reads spoken and typed email addresses', () => {
    expect(extractEmail('john dot smith at gmail dot com')).toBe('john.smith@gmail.com');
    expect(extractEmail('it is Jo@Example.com')).toBe('jo@example.com');
    expect(extractEmail('no email')).toBeUndefined();
  });
});
