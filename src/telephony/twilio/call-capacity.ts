/**
 * MAX_CONCURRENT_CALLS: how many live calls one node takes before it turns new ones away with a
 * polite line instead of a pipeline it has no room for. Checked twice, because behind a load
 * balancer the stream may reach another node than the webhook did: at the voice webhook (the
 * caller hears it from Twilio) and at stream start (the caller hears it over the stream).
 */
export interface CallCapacity {
  /** Calls this node holds now (the live-call registry's size). */
  live(): number;
  /** At most this many; 0: no limit. */
  max: number;
}

/** The end reason stored on a call turned away for it, and the refusals metric's reason. */
export const OVER_CAPACITY = 'over-capacity';

/** True when one more call would go past the limit. */
export function atCapacity(capacity: CallCapacity | undefined): boolean {
  return capacity !== undefined && capacity.max > 0 && capacity.live() >= capacity.max;
}

/** What the caller hears: the business by name, busy lines, a time to call back. */
export function linesBusyLine(businessName: string | undefined): string {
  const thanks = businessName?.trim() ? `Thanks for calling ${businessName.trim()}.` : 'Thanks for calling.';
  return `${thanks} All our lines are busy right now; please call back in a few minutes. Goodbye.`;
}
