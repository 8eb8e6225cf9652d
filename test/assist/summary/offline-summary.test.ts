import { describe, expect, it } from 'vitest';
import { NO_FACTS, type CallFacts } from '../../../src/assist/summary/call-facts.js';
import { formatWhen, summarizeOffline } from '../../../src/assist/summary/offline-summary.js';
import { callDetail } from './call-detail.js';

describe('summarizeOffline', () => {
  it('an AI-answered call with a lead and a booking: who, what, the booking, and a confirm action', () => {
    const detail = callDetail({
      turns: [
        ['agent', 'Thanks for calling Acme Plumbing, how can I help?'],
        ['caller', 'hi my name is maria lopez my kitchen sink is blocked'],
        ['agent', 'I can book a visit. Tuesday at 9 am?'],
        ['caller', 'yes please book it'],
      ],
      events: [
        ['lead', { complete: true, fields: ['name', 'need', 'phone'] }],
        ['booking', { action: 'booked', bookingId: 'b1' }],
      ],
    });
    const facts: CallFacts = {
      timezone: 'America/Chicago',
      lead: { name: 'Maria Lopez', phone: '+14155550100', need: 'blocked kitchen sink', complete: true },
      bookings: [{ service: 'Drain cleaning', startsAt: new Date('2026-03-03T15:00:00Z'), status: 'booked' }],
      emergencies: [],
      questions: [],
    };
    const s = summarizeOffline(detail, facts);
    expect(s.text).toContain('Maria Lopez called about blocked kitchen sink.');
    expect(s.text).toContain('wanted to book a visit');
    expect(s.text).toContain('Drain cleaning was booked for Tue Mar 3, 9 am.');
    expect(s.text).toContain('The call lasted 2 min.');
    expect(s.actionItems).toEqual(['Confirm booking Tue Mar 3, 9 am (Drain cleaning) with Maria Lopez']);
  });

  it('an AI-answered call with a lead and no booking: call back by name and number about the need', () => {
    const detail = callDetail({
      turns: [['caller', 'my water heater makes a banging noise can someone look at it']],
      events: [['lead', { complete: true, fields: ['name', 'need', 'phone'] }]],
    });
    const s = summarizeOffline(detail, {
      ...NO_FACTS,
      lead: { name: 'Tom Reed', phone: '+14155550123', need: 'noisy water heater', complete: true },
    });
    expect(s.text).toMatch(/^Tom Reed called about noisy water heater\./);
    expect(s.text).toContain('The receptionist took their details.');
    expect(s.actionItems).toEqual(['Call back Tom Reed (+14155550123) about noisy water heater']);
  });

  it('without the records, the name comes from the words and the need is quoted', () => {
    const detail = callDetail({
      turns: [
        ['caller', 'hello'],
        ['caller', 'yes my name is john smith how much do you charge for a drain cleaning'],
      ],
      fromNumber: null,
    });
    const s = summarizeOffline(detail);
    expect(s.text).toMatch(/^John Smith called and said: "my name is john smith how much/);
    expect(s.text).toContain('They asked about prices.');
    expect(s.actionItems).toEqual(['Send John Smith a quote']);
  });

  it('an assisted call with a complaint: the agent took it, the suggestions shown, follow up the complaint', () => {
    const detail = callDetail({
      answeredBy: 'human',
      turns: [
        ['human_agent', 'Acme Plumbing, this is Dana'],
        ['caller', 'you came last week and the tap is still leaking, I am not happy'],
        ['human_agent', 'I am sorry to hear that, let me arrange a callback from the owner'],
      ],
      suggestions: [
        {
          kind: 'intent',
          intent: 'complaint',
          content: 'Customer is unhappy — apologise and offer a callback.',
        },
        { kind: 'compliance', intent: null, content: 'Say the recording disclosure.' },
      ],
    });
    const s = summarizeOffline(detail);
    expect(s.text).toContain('A caller called and said: "you came last week and the tap is still leaking');
    expect(s.text).toContain('They were unhappy and complained.');
    expect(s.text).toContain('2 suggestions were shown (complaint, compliance)');
    expect(s.actionItems).toEqual(['Follow up the complaint with the caller (+14155550100)']);
  });

  it('an assisted call about price and a visit: the question quoted as said, a quote and a call back to book', () => {
    const detail = callDetail({
      answeredBy: 'human',
      turns: [
        ['human_agent', 'Acme Plumbing'],
        ['caller', 'hi, how much would it cost to fix a leaking tap, and can you come out tomorrow morning?'],
      ],
      suggestions: [
        { kind: 'intent', intent: 'pricing', content: 'Quote the tap repair.' },
        { kind: 'intent', intent: 'booking', content: 'Offer tomorrow 9 am.' },
      ],
    });
    const s = summarizeOffline(detail);
    expect(s.text).toContain(
      'said: "how much would it cost to fix a leaking tap, and can you come out tomorrow morning?" They',
    );
    expect(s.text).toContain('They wanted to book a visit and asked about prices.');
    expect(s.actionItems).toEqual([
      'Send the caller a quote (+14155550100)',
      'Call back the caller (+14155550100) to book',
    ]);
  });

  it('an emergency comes first, with its category and address', () => {
    const detail = callDetail({
      turns: [['caller', 'a pipe burst in the basement and there is water everywhere']],
      events: [
        ['emergency', { category: 'flooding' }],
        ['transfer', { reason: 'emergency', hasNumber: true, summary: 'burst pipe' }],
      ],
    });
    const s = summarizeOffline(detail, {
      ...NO_FACTS,
      lead: { name: 'Ann Lee', address: '12 Main St', complete: false },
      emergencies: [{ category: 'flooding', summary: 'burst pipe in the basement' }],
    });
    expect(s.text).toContain('They reported an emergency (flooding)');
    expect(s.text).toContain('Emergency: Burst pipe in the basement.');
    expect(s.text).toContain('The call was transferred to a person as an emergency.');
    expect(s.actionItems[0]).toBe(
      'Check on the flooding emergency with Ann Lee (+14155550100) at 12 Main St',
    );
  });

  it('a cancelled booking and a question for the owner each get their follow-up', () => {
    const detail = callDetail({
      turns: [['caller', 'I need to cancel my appointment on friday, and do you service boilers?']],
    });
    const s = summarizeOffline(detail, {
      ...NO_FACTS,
      lead: { name: 'Sam', complete: true },
      bookings: [
        { service: 'Boiler check', startsAt: new Date('2026-03-06T17:30:00Z'), status: 'cancelled' },
      ],
      questions: ['Do you service boilers?'],
    });
    expect(s.text).toContain('The Boiler check booking for Fri Mar 6, 5:30 pm was cancelled.');
    expect(s.actionItems).toEqual([
      'Offer Sam a new time for the cancelled Boiler check',
      "Answer Sam's question: Do you service boilers?",
    ]);
  });

  it('a call where nothing was understood says so and asks nothing of the owner', () => {
    const s = summarizeOffline(callDetail({ turns: [], durationSec: 0 }));
    expect(s.text).toBe('A caller called; nothing was said that could be understood.');
    expect(s.actionItems).toEqual([]);
  });

  it('formats booking times in the business time zone', () => {
    expect(formatWhen(new Date('2026-03-03T15:00:00Z'), 'America/Chicago')).toBe('Tue Mar 3, 9 am');
    expect(formatWhen(new Date('2026-03-03T15:30:00Z'), 'Not/AZone')).toBe('Tue Mar 3, 3:30 pm');
  });
});
