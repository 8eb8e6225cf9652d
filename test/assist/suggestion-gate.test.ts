import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../src/assist/coach/index.js';
import { SuggestionGate } from '../../src/assist/suggestion-gate.js';

const card = (over: Partial<Candidate> = {}): Candidate => ({
  kind: 'intent',
  intent: 'pricing',
  content: 'Customer asked about pricing — Drain cleaning is $149.',
  confidence: 0.9,
  priority: 'medium',
  basis: 'final',
  evidence: {},
  ...over,
});

describe('SuggestionGate', () => {
  it('shows a card once per call: the same kind and intent again is suppressed, however much later', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 4000 });
    expect(gate.admit(card(), 1000)).toBe(true);
    expect(gate.admit(card({ content: 'Pricing again, other words entirely here' }), 60_000)).toBe(false);
  });

  it('suppresses near-identical content under another kind', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 0 });
    expect(gate.admit(card(), 0)).toBe(true);
    expect(gate.admit(card({ kind: 'next-action' }), 10_000)).toBe(false);
    expect(gate.admit(card({ kind: 'next-action', content: 'Offer to book a visit now.' }), 20_000)).toBe(
      true,
    );
  });

  it('lets at most one new card through per interval', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 4000 });
    expect(gate.admit(card(), 10_000)).toBe(true);
    expect(gate.admit(card({ intent: 'booking', content: 'Customer wants to book.' }), 13_999)).toBe(false);
    expect(gate.admit(card({ intent: 'booking', content: 'Customer wants to book.' }), 14_000)).toBe(true);
  });

  it('never holds back a high-priority card, and a high card does not start the interval', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 4000 });
    expect(gate.admit(card(), 10_000)).toBe(true);
    const emergency = card({
      intent: 'emergency',
      priority: 'high',
      content: 'Possible emergency (flooding).',
    });
    expect(gate.admit(emergency, 10_100)).toBe(true);
    const compliance = card({
      kind: 'compliance',
      intent: undefined,
      priority: 'high',
      content: 'Say the disclosure.',
    });
    expect(gate.admit(compliance, 10_200)).toBe(true);
    expect(gate.admit(card({ intent: 'booking', content: 'Customer wants to book.' }), 14_000)).toBe(true);
  });

  it('takes interim cards only above the interim threshold (default 0.7); finals at any confidence', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 0 });
    expect(gate.admit(card({ basis: 'interim', confidence: 0.65 }), 0)).toBe(false);
    expect(gate.admit(card({ basis: 'final', confidence: 0.65 }), 1)).toBe(true);
    const strict = new SuggestionGate({ cardIntervalMs: 0, minInterimConfidence: 0.95 });
    expect(strict.admit(card({ basis: 'interim', confidence: 0.9 }), 0)).toBe(false);
    expect(strict.admit(card({ basis: 'interim', confidence: 0.96 }), 1)).toBe(true);
  });

  it('lets a final raise the confidence of a card shown on interim words, without showing it twice', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 4000 });
    expect(gate.admit(card({ basis: 'interim', confidence: 0.88 }), 500)).toBe(true);
    expect(gate.admit(card({ basis: 'final', confidence: 0.96 }), 900)).toBe(false);
    expect(gate.shownConfidence({ kind: 'intent', intent: 'pricing' })).toBe(0.96);
  });

  it('a card refused by the interval can still be shown later (it was never seen)', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 4000 });
    gate.admit(card(), 0);
    const booking = card({ intent: 'booking', content: 'Customer wants to book.' });
    expect(gate.admit(booking, 1000)).toBe(false);
    expect(gate.admit(booking, 5000)).toBe(true);
  });

  it('tells knowledge answers apart by their passage: a second question is a new card, the same passage is not', () => {
    const gate = new SuggestionGate({ cardIntervalMs: 0 });
    const answer = (title: string, content: string): Candidate =>
      card({
        kind: 'knowledge',
        intent: undefined,
        content,
        evidence: { passage: { title, text: content } },
      });
    expect(gate.admit(answer('Service area', 'We serve Manhattan, Brooklyn and Queens.'), 0)).toBe(true);
    expect(gate.admit(answer('Payment', 'We accept all major credit cards and cash.'), 1)).toBe(true);
    expect(gate.admit(answer('Payment', 'We accept all major credit cards and cash.'), 2)).toBe(false);
  });
});
