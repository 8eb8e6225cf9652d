/**
 * Twilio's clock and ours differ by a little, and its dates have whole seconds: a resource counts
 * as made by an attempt if Twilio created it no more than this before the attempt started.
 */
export const CLOCK_SLACK_MS = 10_000;

/** Whether Twilio's RFC 2822 date_created is at or after `since` (less the slack). */
export function createdSince(dateCreated: string | null | undefined, since: Date): boolean {
  if (!dateCreated) return false;
  const at = Date.parse(dateCreated);
  return Number.isFinite(at) && at >= since.getTime() - CLOCK_SLACK_MS;
}
