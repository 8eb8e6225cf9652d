import { describe, expect, it } from 'vitest';
import { supersedes } from '../../src/store/call-status-order.js';
import type { StatusPosition } from '../../src/store/call-status-order.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));
const pos = (status: StatusPosition['status'], seq: number | null, second: number): StatusPosition => ({
  status,
  seq,
  at: at(second),
});

describe('which call status is the latest', () => {
  it('a higher sequence number wins even when its timestamp is older', () => {
    expect(supersedes(pos('in-progress', 2, 1), pos('ringing', 1, 5))).toBe(true);
    expect(supersedes(pos('ringing', 1, 9), pos('in-progress', 2, 5))).toBe(false);
  });

  it('without sequence numbers on both sides, the later occurrence wins', () => {
    expect(supersedes(pos('in-progress', null, 6), pos('ringing', 1, 5))).toBe(true);
    expect(supersedes(pos('ringing', null, 4), pos('in-progress', 3, 5))).toBe(false);
  });

  it('a simultaneous report replaces the current one', () => {
    expect(supersedes(pos('in-progress', null, 5), pos('ringing', null, 5))).toBe(true);
  });

  it('an ended call never goes back to a live status', () => {
    expect(supersedes(pos('in-progress', 9, 9), pos('completed', 3, 5))).toBe(false);
  });

  it('an end status beats a live one whatever the ordering keys say', () => {
    expect(supersedes(pos('completed', 1, 1), pos('in-progress', 2, 5))).toBe(true);
  });
});
