import { randomUUID } from 'node:crypto';
import type { AssistEvent, AssistEventBody } from '../../../src/assist/events.js';
import { asBusinessId, asCallSid, type BusinessId, type CallSid } from '../../../src/ids.js';

export const BIZ_A = asBusinessId('11111111-1111-4111-8111-111111111111');
export const BIZ_B = asBusinessId('22222222-2222-4222-8222-222222222222');
export const CALL_A1 = asCallSid('CA' + 'a1'.repeat(16));
export const CALL_A2 = asCallSid('CA' + 'a2'.repeat(16));
export const CALL_B1 = asCallSid('CA' + 'b1'.repeat(16));

/** 2026-01-02T03:04:05.678Z */
export const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

/** An event as a publisher would put it on the bus. */
export function assistEvent(
  body: AssistEventBody,
  where: { callSid?: CallSid; businessId?: BusinessId; seq?: number; at?: number } = {},
): AssistEvent {
  return {
    ...body,
    callSid: where.callSid ?? CALL_A1,
    businessId: where.businessId ?? BIZ_A,
    seq: where.seq ?? 1,
    at: where.at ?? AT,
  } as AssistEvent;
}

export const pricingSuggestion = (): AssistEventBody => ({
  type: 'assist-suggestion',
  suggestion: {
    id: randomUUID(),
    kind: 'intent',
    intent: 'pricing',
    content: 'Customer asked about pricing: the standard call-out fee is $89.',
    confidence: 0.85,
    priority: 'high',
    basis: 'interim',
    evidence: { words: 'how much do you charge', passage: { title: 'Pricing', text: 'Call-out fee $89.' } },
    atMs: 1200,
    voiceEndMs: 1500,
  },
});

/** One of each event type, for the mapping tests. */
export const everyEvent = (): AssistEventBody[] => [
  { type: 'assist-started', source: 'dial', tracks: ['customer', 'agent'] },
  { type: 'assist-transcript', speaker: 'customer', text: 'how much', final: false, startMs: 100 },
  pricingSuggestion(),
  { type: 'assist-sentiment', score: -0.4, label: 'negative', trend: 'worsening' },
  { type: 'assist-status', state: 'unavailable', reason: 'speech recognizer down' },
  { type: 'assist-ended', reason: 'call completed' },
];
