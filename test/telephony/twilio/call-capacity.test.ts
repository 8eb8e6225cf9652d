import { describe, expect, it } from 'vitest';
import { atCapacity, linesBusyLine } from '../../../src/telephony/twilio/call-capacity.js';

describe('call capacity (MAX_CONCURRENT_CALLS)', () => {
  it('is reached when the live calls equal the maximum; 0 or no capacity is no limit', () => {
    expect(atCapacity({ live: () => 1, max: 2 })).toBe(false);
    expect(atCapacity({ live: () => 2, max: 2 })).toBe(true);
    expect(atCapacity({ live: () => 3, max: 2 })).toBe(true);
    expect(atCapacity({ live: () => 999, max: 0 })).toBe(false);
    expect(atCapacity(undefined)).toBe(false);
  });

  it('the busy line names the business when it has a name', () => {
    expect(linesBusyLine(' Acme Plumbing ')).toBe(
      'Thanks for calling Acme Plumbing. All our lines are busy right now; please call back in a few minutes. Goodbye.',
    );
    expect(linesBusyLine('')).toMatch(/^Thanks for calling\. All our lines are busy/);
  });
});
