import type { BrainOutput } from '../agent/index.js';
import type { CallEventBody } from './events.js';

/**
 * The call event a brain's decision is told as (lead, emergency, booking, question for the owner,
 * transfer), the same whichever session ran the brain or its tools; undefined for what is not a
 * decision (speech, listening hints, hanging up).
 */
export function decisionEvent(out: BrainOutput): CallEventBody | undefined {
  switch (out.type) {
    case 'lead':
      return { type: 'lead', fields: { ...out.fields }, complete: out.complete };
    case 'emergency':
      return { type: 'emergency', category: out.category, trigger: out.trigger, summary: out.summary };
    case 'booking':
      return {
        type: 'booking',
        action: out.action,
        bookingId: out.bookingId,
        serviceId: out.serviceId,
        start: out.start,
        end: out.end,
      };
    case 'question-for-owner':
      return { type: 'question', text: out.text };
    case 'transfer':
      return {
        type: 'transfer',
        summary: out.summary,
        reason: out.reason,
        ...(out.to ? { to: out.to } : {}),
      };
    default:
      return undefined;
  }
}
