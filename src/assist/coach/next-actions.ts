import { hasAnyPhrase, tokens } from '../../agent/index.js';
import type { AssistIntent } from '../events.js';
import type { Candidate } from './candidate.js';

/**
 * The call's memory of what was raised and what the agent has handled, and the next best action
 * that follows: once the agent has dealt with an intent (quoted a price, booked the visit), the
 * intent's card is not raised again and the step after it is suggested; when the customer raises
 * an intent again without it being handled, a firmer line. One next action per intent per call.
 */

/** What the agent says when it has dealt with an intent. */
const HANDLED_BY_AGENT: Record<AssistIntent, string[]> = {
  // The agent's words come from the recognizer too: amounts arrive spelt out ("a hundred and forty nine dollars").
  pricing: ['dollars', 'bucks', 'hundred', 'price is', 'we charge', 'it costs', 'cost is', 'flat fee|rate'],
  booking: [
    'booked',
    'scheduled',
    'you are all set',
    'have|put|got you down|in',
    'see you',
    'pencil you in',
    'you are booked|confirmed',
    'that is confirmed',
  ],
  cancellation: ['cancelled|canceled', 'cancel that|it|this|your', 'taken care of'],
  complaint: ['sorry', 'apologi*', 'apologis*'],
  emergency: [
    'on the|their|his|her way',
    'dispatch*',
    'send|sending someone|somebody|over',
    'send|sending a plumber|technician|tech',
  ],
};

const AFTER_HANDLED: Record<AssistIntent, string> = {
  pricing: 'Price given — offer to book a visit while the customer is on the line.',
  booking: 'Booked — read the day and time back, and take a phone number for the technician.',
  cancellation: 'Cancelled — note the reason and offer to rebook later.',
  complaint: 'Apologised — agree a callback time with the owner and note the problem.',
  emergency: 'Help is on the way — give an arrival time, and confirm the address and a callback number.',
};

const AFTER_REPEAT: Record<AssistIntent, { content: string; priority: Candidate['priority'] }> = {
  pricing: {
    content: 'Price asked again — give the figure plainly, then offer to book.',
    priority: 'medium',
  },
  booking: { content: 'Booking asked again — propose one specific time now.', priority: 'medium' },
  cancellation: {
    content: 'Customer insists on cancelling — confirm the cancellation without pushing.',
    priority: 'medium',
  },
  complaint: {
    content: 'Still unhappy — offer the owner’s callback with a time, and note the complaint.',
    priority: 'high',
  },
  emergency: { content: 'Still urgent — dispatch now and stay on the line.', priority: 'high' },
};

/** Agent text that quotes an amount: "$149", "149 dollars". */
const AMOUNT = /\$\s?\d|\b\d+\s*(dollars|bucks)\b/i;

export class CallMemory {
  /** Intent → the customer utterance (final count) it was first raised in. */
  private raised = new Map<AssistIntent, number>();
  private handled = new Set<AssistIntent>();
  private nextDone = new Set<AssistIntent>();

  isHandled(intent: AssistIntent): boolean {
    return this.handled.has(intent);
  }

  /**
   * The customer raised `intent` in utterance number `utterance` (0-based count of finals).
   * Returns the next action when this is a repeat in a later utterance of an unhandled intent.
   */
  customerRaised(intent: AssistIntent, utterance: number, words: string): Candidate | undefined {
    const first = this.raised.get(intent);
    if (first === undefined) {
      this.raised.set(intent, utterance);
      return undefined;
    }
    if (first >= utterance || this.handled.has(intent) || this.nextDone.has(intent)) return undefined;
    this.nextDone.add(intent);
    const { content, priority } = AFTER_REPEAT[intent];
    return {
      kind: 'next-action',
      intent,
      content,
      confidence: 0.8,
      priority,
      basis: 'final',
      evidence: { words },
    };
  }

  /** The agent's words: intents raised and now dealt with, and what to do next. */
  agentSaid(text: string): Candidate[] {
    const words = tokens(text);
    const out: Candidate[] = [];
    for (const [intent] of this.raised) {
      if (this.handled.has(intent)) continue;
      const done =
        hasAnyPhrase(words, HANDLED_BY_AGENT[intent], 1) || (intent === 'pricing' && AMOUNT.test(text));
      if (!done) continue;
      this.handled.add(intent);
      if (this.nextDone.has(intent)) continue;
      this.nextDone.add(intent);
      out.push({
        kind: 'next-action',
        intent,
        content: AFTER_HANDLED[intent],
        confidence: 0.8,
        priority: intent === 'emergency' ? 'high' : 'medium',
        basis: 'final',
        evidence: { words: text },
      });
    }
    // A price the agent gave before the customer asked still counts as given.
    // (An amount, not a bare "hundred": "one hundred main street" is no price.)
    if (!this.raised.has('pricing') && (AMOUNT.test(text) || hasAnyPhrase(words, ['dollars', 'bucks'])))
      this.handled.add('pricing');
    return out;
  }
}
