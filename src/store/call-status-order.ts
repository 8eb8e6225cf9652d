import type { CallStatus } from './schema/index.js';
import { TERMINAL_CALL_STATUSES } from './schema/index.js';

/** Where a status sits in the call's history, for deciding which one is the latest. */
export interface StatusPosition {
  status: CallStatus;
  /** Twilio's SequenceNumber, when the status came from a status callback. */
  seq: number | null;
  at: Date;
}

export const isTerminalStatus = (s: CallStatus) => TERMINAL_CALL_STATUSES.includes(s);

/**
 * Whether `candidate` should replace `current` as the call's status. Twilio callbacks arrive in
 * any order, so arrival order means nothing: a higher SequenceNumber wins when both have one,
 * otherwise the later occurrence time (ties go to the newcomer). A call that has ended never
 * goes back to a live status, whatever the clocks say.
 */
export function supersedes(candidate: StatusPosition, current: StatusPosition): boolean {
  const candTerminal = isTerminalStatus(candidate.status);
  const curTerminal = isTerminalStatus(current.status);
  if (curTerminal && !candTerminal) return false;
  if (candTerminal && !curTerminal) return true;
  if (candidate.seq !== null && current.seq !== null && candidate.seq !== current.seq) {
    return candidate.seq > current.seq;
  }
  return candidate.at.getTime() >= current.at.getTime();
}
