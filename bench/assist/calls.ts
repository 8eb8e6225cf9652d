import type { AssistTestCall, Split } from './call-types.js';
import { HELDOUT_CALLS } from './heldout-calls.js';
import { TUNING_CALLS } from './tuning-calls.js';

/**
 * Two-track test calls for agent assist, for the demo business (Acme Plumbing, src/store/seed.ts):
 * what the customer (Twilio's inbound track) and the business's agent (outbound) say, in order.
 * Each call names the intents the coach should find in the customer's words; a call with none is
 * small talk, where any intent card is a false one.
 *
 * Two sets: TUNING_CALLS are the developers' own test calls (the issue's >= 90% target is about
 * these; the coach's author may read them), HELDOUT_CALLS say the same things in other words and
 * are never shown to or tuned on by the coach's author.
 */
export const ALL_CALLS: readonly AssistTestCall[] = [...TUNING_CALLS, ...HELDOUT_CALLS];

export function callsOf(split: Split): readonly AssistTestCall[] {
  return split === 'tuning' ? TUNING_CALLS : HELDOUT_CALLS;
}

export type { AssistTestCall, CallLine, Split } from './call-types.js';
export { HELDOUT_CALLS, TUNING_CALLS };
