import { describe, expect, it } from 'vitest';
import { extractPhone, formatPhone, lastFour, phoneFromDigits } from '../../../src/agent/extract/phone.js';
import { spokenDigits } from '../../../src/agent/extract/numbers.js';
import type { E164 } from '../../../src/ids.js';
import { PHONE_ANSWERS } from '../fixtures/lead-answers.js';

describe('phone numbers from speech', () => {
  it.each(PHONE_ANSWERS.map((a) => [a.say, a.expect]))('reads %j as %s', (said, expected) => {
    expect(extractPhone(said)).toBe(expected);
  });

  it('reads "oh" as zero only among digits', () => {
    expect(spokenDigits(['oh', 'it', 'is', 'five'])).toBe('5');
    expect(spokenDigits(['five', 'oh', 'five'])).toBe('505');
  });

  it('reads "to" and "for" as digits only between digits', () => {
    expect(extractPhone('send it to 312 555 0199')).toBe('+13125550199');
    expect(extractPhone('three one two five five five oh one nine for')).toBeUndefined();
    expect(extractPhone('three one to five five five oh one nine nine')).toBe('+13125550199');
  });

  it('refuses numbers too short to call back', () => {
    expect(extractPhone('555 1234')).toBeUndefined();
    expect(extractPhone('my name is John')).toBeUndefined();
  });

  it('keeps an international number said with plus', () => {
    expect(extractPhone('plus 44 20 7946 0958')).toBe('+442079460958');
  });

  it('takes keypad digits, with or without the leading 1', () => {
    expect(phoneFromDigits('3125550199')).toBe('+13125550199');
    expect(phoneFromDigits('13125550199')).toBe('+13125550199');
    expect(phoneFromDigits('123')).toBeUndefined();
  });

  it('formats for reading back', () => {
    expect(formatPhone('+13125550199' as E164)).toBe('312-555-0199');
    expect(lastFour('+15005550006' as E164)).toBe('0 0 0 6');
  });
});
