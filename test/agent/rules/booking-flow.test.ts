import { describe, expect, it } from 'vitest';
import type { BrainOutput } from '../../../src/agent/brain.js';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import type { E164 } from '../../../src/ids.js';
import { FakeTools } from '../fakes.js';
import { chicago, plumber } from '../fixtures/businesses.js';
import { Conversation } from '../helpers.js';

const NOW = chicago('2025-06-11T09:15:00'); // Wednesday morning

function caller(tools: FakeTools, callerId = '+15005550006') {
  return new Conversation(new RulesBrain({ tools }), {
    business: plumber,
    channel: 'phone',
    now: NOW,
    callerId: callerId as E164,
  });
}

const bookingOf = (outs: BrainOutput[]) => outs.find((o) => o.type === 'booking');

describe('booking in conversation', () => {
  it('books "tomorrow at 10" at 10 a.m. local time and confirms by text', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    const offer = await c.turn("I'd like to book a drain cleaning tomorrow at 10");
    expect(offer.said).toBe(
      'I can book you in for drain cleaning tomorrow, Thursday, June 12, at 10 a.m. Shall I go ahead?',
    );
    expect((await c.turn('yes please')).said).toBe('Great. Can I get your name, please?');
    await c.turn('Dana Lee');
    await c.turn('yes');
    const done = await c.turn('yes');
    expect(bookingOf(done.outs)).toMatchObject({
      type: 'booking',
      action: 'booked',
      serviceId: 'drain',
      start: chicago('2025-06-12T10:00:00').toISOString(),
      end: chicago('2025-06-12T11:00:00').toISOString(),
    });
    expect(done.said).toContain("You're all set for tomorrow, Thursday, June 12, at 10 a.m.");
    expect(done.said).toContain("We'll text a confirmation to 500-555-0006.");
    expect(tools.bookings).toHaveLength(1);
    expect(tools.bookings[0]).toMatchObject({ customerName: 'Dana Lee', customerPhone: '+15005550006' });
  });

  it('does not give a second caller the same slot, and offers the nearest ones', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const first = caller(tools);
    await first.turn('book a drain cleaning tomorrow at 10');
    await first.turn('yes');
    await first.turn('Dana');
    await first.turn('yes');
    await first.turn('yes');
    const second = caller(tools, '+15005550007');
    const offer = await second.turn('can I book a drain cleaning for tomorrow at 10');
    expect(offer.said).toBe(
      "Sorry, 10 a.m. tomorrow isn't available. The closest times I have are 9 a.m. or 11 a.m. tomorrow. Which would you like?",
    );
    expect((await second.turn('the later one')).said).toContain('tomorrow, Thursday, June 12, at 11 a.m.');
  });

  it('when two callers confirm the same slot, the one refused by the store is offered another', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const a = caller(tools);
    const b = caller(tools, '+15005550007');
    for (const c of [a, b]) {
      await c.turn('book a drain cleaning tomorrow at 10');
      await c.turn('yes');
      await c.turn('Sam');
      await c.turn('yes');
    }
    const aDone = await a.turn('yes');
    expect(bookingOf(aDone.outs)).toBeDefined();
    const bDone = await b.turn('yes');
    expect(bookingOf(bDone.outs)).toBeUndefined();
    expect(bDone.said).toBe(
      "Great. I'm sorry, that time was just taken. The closest times I have are 9 a.m. or 11 a.m. tomorrow. Which would you like?",
    );
    expect(tools.bookings).toHaveLength(1);
  });

  it('asks which service, then when, and lists the hours of the part of the day asked for', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('can I make an appointment')).said).toBe(
      'Sure. Which service would you like to book? We offer drain cleaning, water heater repair, and plumbing inspection.',
    );
    expect((await c.turn('the inspection')).said).toBe(
      'Sure, plumbing inspection. What day and time would suit you?',
    );
    expect((await c.turn('friday afternoon')).said).toBe(
      'On Friday afternoon I have noon, 1 p.m., 2 p.m., 3 p.m. or 4 p.m. Which would you like?',
    );
    expect((await c.turn('two thirty')).said).toContain('Friday, June 13, at 2:30 p.m. Shall I go ahead?');
  });

  it('reads an hour the business is never open ("three a.m.") as misheard and lists the day\'s hours', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('book a drain cleaning tomorrow at three am')).said).toBe(
      'Tomorrow morning I have 8 a.m., 9 a.m., 10 a.m. or 11 a.m. Which would you like?',
    );
    expect((await c.turn('ten am please')).said).toBe(
      'I can book you in for drain cleaning tomorrow, Thursday, June 12, at 10 a.m. Shall I go ahead?',
    );
  });

  it('lists the afternoon of the same day when the caller says no to the morning', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    await c.turn('book a drain cleaning tomorrow at three am');
    expect((await c.turn('no')).said).toBe(
      'Tomorrow afternoon I have noon, 1 p.m., 2 p.m., 3 p.m. or 4 p.m. Which would you like?',
    );
  });

  it("lists the day's hours when the same unavailable time is heard again", async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    const first = await c.turn('book a drain cleaning on friday at 8:15');
    expect(first.said).toMatch(/^Sorry, 8:15 a\.m\. on Friday isn't available\. The closest times/);
    expect((await c.turn('no, friday at 8:15')).said).toBe(
      'On Friday morning I have 8 a.m., 9 a.m., 10 a.m. or 11 a.m. Which would you like?',
    );
  });

  it("keeps the caller's day when a read-back time is refused with a plain no", async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('book a drain cleaning on friday at noon')).said).toContain(
      'Friday, June 13, at noon. Shall I go ahead?',
    );
    expect((await c.turn('no')).said).toBe(
      'On Friday morning I have 8 a.m., 9 a.m., 10 a.m. or 11 a.m. Which would you like?',
    );
    expect((await c.turn('the second one')).said).toContain('Friday, June 13, at 9 a.m. Shall I go ahead?');
  });

  it('books a bookable service asked for even when the booking word was lost', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('I would like to a plumbing inspection')).said).toBe(
      'Sure, plumbing inspection. What day and time would suit you?',
    );
  });

  it('still takes the details for a problem that names a service', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('I want someone to look at my clogged drain')).said).toMatch(
      /^I'm sorry to hear that\. Let me take a few details/,
    );
  });

  it("takes the day and time from the recognizer's other reading when the best one holds none", async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    await c.turn('book a drain cleaning');
    const r = await c.turn({
      kind: 'speech',
      text: 'one nine',
      alternatives: ['friday at nine', 'one nine am'],
    });
    expect(r.said).toContain('Friday, June 13, at 9 a.m. Shall I go ahead?');
  });

  it('does not keep a day the caller never said: a no to its read-back asks for day and time again', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('book a drain cleaning at noon')).said).toContain(
      'today, Wednesday, June 11, at noon',
    );
    expect((await c.turn('no')).said).toBe('No problem. What day and time would suit you better?');
  });

  it('says when the business is closed that day and offers the next opening', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    const r = await c.turn('book an inspection on sunday at 10');
    expect(r.said).toBe(
      "We're closed on Sunday. The next times I have are 8 a.m. or 8:30 a.m. on Monday. Which would you like?",
    );
  });

  it('moves an existing booking found by the caller number', async () => {
    const tools = new FakeTools(plumber, () => NOW, {
      bookings: [
        {
          id: 'b1',
          serviceId: 'drain',
          start: chicago('2025-06-12T10:00:00').toISOString(),
          end: chicago('2025-06-12T11:00:00').toISOString(),
          customerPhone: '+15005550006' as E164,
        },
      ],
    });
    const c = caller(tools);
    expect((await c.turn('I need to reschedule my appointment')).said).toBe(
      'I see your drain cleaning tomorrow, Thursday, June 12, at 10 a.m. What day and time would you like instead?',
    );
    expect((await c.turn('friday at 2')).said).toBe(
      'I can move your drain cleaning to Friday, June 13, at 2 p.m. Shall I go ahead?',
    );
    const done = await c.turn('yes');
    expect(bookingOf(done.outs)).toMatchObject({
      action: 'moved',
      bookingId: 'b1',
      start: chicago('2025-06-13T14:00:00').toISOString(),
    });
    expect(tools.bookings[0]?.start).toBe(chicago('2025-06-13T14:00:00').toISOString());
  });

  it('cancels an existing booking after asking', async () => {
    const tools = new FakeTools(plumber, () => NOW, {
      bookings: [
        {
          id: 'b1',
          serviceId: 'inspect',
          start: chicago('2025-06-16T09:00:00').toISOString(),
          end: chicago('2025-06-16T09:30:00').toISOString(),
          customerPhone: '+15005550006' as E164,
        },
      ],
    });
    const c = caller(tools);
    expect((await c.turn('I want to cancel my appointment')).said).toBe(
      'I see your plumbing inspection Monday, June 16, at 9 a.m. Would you like me to cancel it?',
    );
    const done = await c.turn('yes please');
    expect(bookingOf(done.outs)).toMatchObject({ action: 'cancelled', bookingId: 'b1' });
    expect(tools.bookings).toHaveLength(0);
  });

  it('takes a message when the caller has no booking to change', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = caller(tools);
    expect((await c.turn('I need to cancel my booking')).said).toMatch(
      /^I couldn't find an upcoming booking under that number\./,
    );
  });
});
