import type { AssistIntent } from '../../src/assist/events.js';

/** The shape of the assist benchmark's two-track test calls (see calls.ts). */
export type Split = 'tuning' | 'heldout';

export type CallLine = { speaker: 'customer' | 'agent'; text: string } | { pause: number };

export interface AssistTestCall {
  /** Unique across both sets, e.g. 'tune-pricing-1'. */
  id: string;
  split: Split;
  /** What the coach should find in the customer's words ([] = small talk: no intent card expected). */
  intents: readonly AssistIntent[];
  lines: readonly CallLine[];
}

/** Shorthands for writing calls. */
export const customer = (text: string): CallLine => ({ speaker: 'customer', text });
export const agent = (text: string): CallLine => ({ speaker: 'agent', text });
export const pause = (ms: number): CallLine => ({ pause: ms });
