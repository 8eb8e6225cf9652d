import { describe, expect, it } from 'vitest';
import { findIntents } from '../../../src/assist/coach/index.js';
import type { AssistIntent } from '../../../src/assist/events.js';

/**
 * Each intent from clean wordings and from what PocketSphinx made of customers' lines over the
 * phone (transcripts taken from the offline recognizer on synthetic voices).
 */
const WORDINGS: ReadonlyArray<[AssistIntent, string, string]> = [
  ['pricing', 'clean', 'How much does a drain cleaning cost?'],
  ['pricing', 'clean', 'What do you charge for a water heater service?'],
  ['pricing', 'clean', 'Can you give me a quote for fixing a leaking pipe?'],
  ['pricing', 'clean', 'What are your rates?'],
  ['pricing', 'clean', 'Is it expensive to replace a faucet?'],
  ['pricing', 'clean', 'Is there a call out fee?'],
  ['pricing', 'recognizer', 'how much does it cause'],
  ['pricing', 'recognizer', 'what do you charge four water heater serve that'],
  ['pricing', 'recognizer', 'can you get me a quote four thirty the week'],
  ['pricing', 'recognizer', 'what does that coast'],
  ['booking', 'clean', 'I would like to book an appointment for a leak repair.'],
  ['booking', 'clean', 'Can someone come out tomorrow morning?'],
  ['booking', 'clean', 'Do you have any availability on Friday?'],
  ['booking', 'clean', 'I need to schedule a plumber for next week.'],
  ['booking', 'recognizer', 'i would like to the an appointment'],
  ['booking', 'recognizer', 'can someone come on tomorrow morning'],
  ['booking', 'recognizer', 'do you avenue available a davis week'],
  ['booking', 'recognizer', 'i want to make a point meant'],
  ['cancellation', 'clean', 'I need to cancel my appointment for tomorrow.'],
  ['cancellation', 'clean', 'Please call off the visit on Friday.'],
  ['cancellation', 'clean', "We don't need the plumber anymore."],
  ['cancellation', 'clean', 'Please stop the service.'],
  ['cancellation', 'recognizer', 'cancel my point meant'],
  ['cancellation', 'recognizer', 'we do not need a plumber running morning'],
  ['cancellation', 'recognizer', 'i want to council my appointment'],
  ['complaint', 'clean', 'Your plumber came last week and it is still broken.'],
  ['complaint', 'clean', 'I am not happy with the work you did.'],
  ['complaint', 'clean', 'This is unacceptable, I want a refund.'],
  ['complaint', 'clean', 'I want to speak to the manager.'],
  ['complaint', 'clean', 'What a waste of money.'],
  ['complaint', 'recognizer', 'i want to make a complaint about the service hi cost'],
  ['complaint', 'recognizer', 'your plumber came last week at and it is still broken'],
  ['complaint', 'recognizer', 'i want to speak to the manager'],
  ['complaint', 'recognizer', 'this is and acceptable'],
  ['emergency', 'clean', 'My basement is flooding!'],
  ['emergency', 'clean', 'A pipe burst in the kitchen.'],
  ['emergency', 'clean', 'There is water pouring through the ceiling.'],
  ['emergency', 'clean', 'I smell gas in the kitchen.'],
  ['emergency', 'recognizer', 'my basement is flooded'],
  ['emergency', 'recognizer', 'the pipe burst in the address'],
  ['emergency', 'recognizer', 'there is water four through the ceiling'],
  ['emergency', 'recognizer', 'i the week and water really everywhere'],
  ['emergency', 'recognizer', 'do you do backup in to my about about'],
];

const SMALL_TALK = [
  'hi how are you',
  'Hi, how are you doing today?',
  'thanks',
  'okay great thank you',
  'okay correct thank you',
  'okay drain thank you',
  'hi that is john good afternoon your call',
  'i have you',
  'Good morning! Lovely weather today.',
  "I'm looking for a plumber.",
  'Thank you so much, that is all.',
  "No, I don't need anything else.",
];

describe('findIntents', () => {
  it.each(WORDINGS)('finds %s in a %s wording: "%s"', (intent, _kind, text) => {
    const found = findIntents({ text }, 'plumbing');
    expect(found.map((f) => f.intent)).toContain(intent);
  });

  it.each(SMALL_TALK)('finds nothing in small talk: "%s"', (text) => {
    expect(findIntents({ text }, 'plumbing')).toEqual([]);
  });

  it('rates a literal phrase above a misheard one, and a misheard one above one only in another reading', () => {
    const exact = findIntents({ text: 'how much does it cost' }, 'plumbing')[0];
    const misheard = findIntents({ text: 'what does it cause' }, 'plumbing')[0];
    const other = findIntents(
      { text: 'can you give me a card for fixing', alternatives: ['can you give me a quote for fixing'] },
      'plumbing',
    )[0];
    expect(exact).toMatchObject({ intent: 'pricing', evidence: 'exact' });
    expect(misheard).toMatchObject({ intent: 'pricing', evidence: 'fuzzy' });
    expect(other).toMatchObject({ intent: 'pricing', evidence: 'alternative' });
    expect(exact!.confidence).toBeGreaterThan(misheard!.confidence);
    expect(misheard!.confidence).toBeGreaterThan(other!.confidence);
  });

  it('does not take a lone word from another reading (recognizer noise)', () => {
    const found = findIntents(
      {
        text: 'hi are you do included',
        alternatives: ['cost are you do included', 'cost are your do included'],
      },
      'plumbing',
    );
    expect(found).toEqual([]);
  });

  it('reads "cancel my appointment" as a cancellation, not a booking', () => {
    const found = findIntents({ text: 'I need to cancel my appointment' }, 'plumbing').map((f) => f.intent);
    expect(found).toEqual(['cancellation']);
  });

  it('marks a reschedule as a booking to move', () => {
    const [f] = findIntents({ text: 'Can I reschedule my appointment to Monday?' }, 'plumbing');
    expect(f).toMatchObject({ intent: 'booking', reschedule: true });
  });

  it('does not read "no complaints" or "terrible pain" (an emergency) as a complaint', () => {
    expect(findIntents({ text: 'no complaints at all, thanks' }, 'plumbing')).toEqual([]);
    const dental = findIntents({ text: 'I have terrible pain in my tooth' }, 'dental').map((f) => f.intent);
    expect(dental).toEqual(['emergency']);
  });

  it("uses the trade's emergencies: a flood is not a dentist's emergency, swelling is", () => {
    expect(findIntents({ text: 'my face is swollen and it hurts so much' }, 'dental')[0]).toMatchObject({
      intent: 'emergency',
      emergency: { category: 'swelling' },
    });
    expect(findIntents({ text: 'my basement is flooding' }, 'dental')).toEqual([]);
  });

  it('on interim words a lone word counts only when it is the intent on its own', () => {
    expect(findIntents({ text: 'it is about my appointment' }, 'plumbing', true)).toEqual([]);
    expect(findIntents({ text: 'can you cancel my' }, 'plumbing', true).map((f) => f.intent)).toEqual([
      'cancellation',
    ]);
    expect(
      findIntents({ text: 'i want to book an appointment' }, 'plumbing', true).map((f) => f.intent),
    ).toEqual(['booking']);
    // The final takes the lone word.
    expect(findIntents({ text: 'it is about my appointment' }, 'plumbing').map((f) => f.intent)).toEqual([
      'booking',
    ]);
  });

  it('reads interim words without their last one, which the recognizer may still change', () => {
    expect(findIntents({ text: 'can you cancel' }, 'plumbing', true)).toEqual([]);
    expect(findIntents({ text: 'can you cancel my' }, 'plumbing', true).map((f) => f.intent)).toEqual([
      'cancellation',
    ]);
    expect(findIntents({ text: 'can you cancel' }, 'plumbing').map((f) => f.intent)).toEqual([
      'cancellation',
    ]);
  });

  it('on interim words takes literal phrases and strong emergencies only', () => {
    expect(findIntents({ text: 'how much does it' }, 'plumbing', true)[0]).toMatchObject({
      intent: 'pricing',
      evidence: 'exact',
    });
    expect(findIntents({ text: 'what does it cause' }, 'plumbing', true)).toEqual([]);
    expect(findIntents({ text: 'water is pouring through the ceiling' }, 'plumbing', true)[0]).toMatchObject({
      intent: 'emergency',
      emergency: { strong: true },
    });
  });
});
