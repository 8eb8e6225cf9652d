import { describe, expect, it } from 'vitest';
import type { BrainOutput, TurnInput } from '../../../src/agent/brain.js';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import type { E164 } from '../../../src/ids.js';
import { FakeTools } from '../fakes.js';
import { chicago, dentist, plumber } from '../fixtures/businesses.js';
import { Conversation, collect, makeCtx, spoken } from '../helpers.js';

const brain = new RulesBrain();
const WED_MORNING = chicago('2025-06-11T09:15:00');
const WED_EVENING = chicago('2025-06-11T20:00:00');
const SAT_LATE = chicago('2025-06-14T13:00:00');

async function ask(text: string, now = WED_MORNING) {
  const outs = await collect(brain, { kind: 'speech', text }, makeCtx(plumber, now));
  return { outs, said: spoken(outs) };
}

describe('rules brain: greeting', () => {
  it('greets with the business greeting and then listens', async () => {
    const outs = await collect(brain, { kind: 'call-started' }, makeCtx(plumber, WED_MORNING));
    expect(outs).toEqual([
      { type: 'say', text: 'Acme Plumbing, how can I help?' },
      { type: 'say', text: 'For emergencies, press 1.' },
      { type: 'listen', hint: 'open' },
    ]);
  });

  it('greets after hours with the emergency key, and gives the next opening when asked', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_EVENING });
    expect((await c.turn({ kind: 'call-started' })).said).toBe(
      "Acme Plumbing. We're closed, but for emergencies press 1.",
    );
    expect((await c.turn('when do you open')).said).toContain('We open again tomorrow at 8 a.m.');
  });

  it.each(['chat', 'whatsapp', 'web'] as const)(
    'does not offer the emergency key on %s, which has no keypad',
    async (channel) => {
      const outs = await collect(brain, { kind: 'call-started' }, makeCtx(plumber, WED_MORNING, { channel }));
      expect(outs).toEqual([
        { type: 'say', text: 'Acme Plumbing, how can I help?' },
        { type: 'listen', hint: 'open' },
      ]);
    },
  );
});

describe('rules brain: hours', () => {
  const weekly =
    "We're open Monday to Friday, 8 a.m. to 6 p.m., and Saturday, 9 a.m. to noon. We're closed on Sunday.";
  it.each([
    'what are your hours',
    'What are your hours?',
    'what are your business hours',
    'what are your opening hours please',
    'can you tell me your hours',
    'hi um what hours are you guys',
    'what r your ours', // recogniser noise
    'what are your opening times',
  ])('answers the weekly hours to %j', async (q) => {
    const { said } = await ask(q);
    expect(said).toContain(weekly);
    expect(said).toContain('anything else');
  });

  it.each([
    ['are you open on saturday', "Yes. On Saturday we're open 9 a.m. to noon."],
    ['are you guys open saturdays', "Yes. On Saturday we're open 9 a.m. to noon."],
    ['are you open on sunday', "We're closed on Sunday."],
    ['do you open on sunday', "We're closed on Sunday."],
    ['what time do you close on friday', 'On Friday we close at 6 p.m.'],
    ['what time do you open on monday', 'On Monday we open at 8 a.m.'],
    ['are you open tomorrow', "Yes. Tomorrow we're open 8 a.m. to 6 p.m."],
    ['are you open this weekend', "On Saturday we're open 9 a.m. to noon. We're closed on Sunday."],
  ])('answers %j about a day', async (q, expected) => {
    const { said } = await ask(q);
    expect(said).toContain(expected);
  });

  it.each([
    ['when do you close', "We're open until 6 p.m."],
    ['what time do you close today', "We're open until 6 p.m."],
    ['how late are you open', "We're open until 6 p.m."],
    ['are you open right now', "Yes, we're open right now, until 6 p.m."],
    ['are you open', "Yes, we're open right now, until 6 p.m."],
    ['are you still open', "Yes, we're open right now, until 6 p.m."],
  ])('while open, answers %j', async (q, expected) => {
    const { said } = await ask(q);
    expect(said).toContain(expected);
  });

  it.each([
    ['are you open right now', "We're closed right now. We open again tomorrow at 8 a.m."],
    ['when do you open', "We're closed right now. We open again tomorrow at 8 a.m."],
    ['when do you close', "We're closed right now. We open again tomorrow at 8 a.m."],
  ])('after hours, answers %j', async (q, expected) => {
    const { said } = await ask(q, WED_EVENING);
    expect(said).toContain(expected);
  });

  it('on a Saturday afternoon points to Monday', async () => {
    const { said } = await ask('are you open now', SAT_LATE);
    expect(said).toContain("We're closed right now. We open again Monday at 8 a.m.");
  });

  it('names the holiday when closed for it', async () => {
    const { said } = await ask('are you open today', chicago('2025-12-25T10:00:00'));
    expect(said).toContain("We're closed right now for Christmas Day. We open again tomorrow at 8 a.m.");
  });

  it('before opening says it is not open yet', async () => {
    const { said } = await ask('are you open', chicago('2025-06-11T07:00:00'));
    expect(said).toBe(
      "We're not open yet. We open again today at 8 a.m. Is there anything else I can help you with?",
    );
  });
});

describe('rules brain: goodbye', () => {
  it.each([
    'bye',
    'goodbye',
    "ok that's all thanks",
    'thank you bye',
    "no that's everything",
    "that's it, have a good day",
    'alright thanks bye bye',
  ])('says goodbye and ends the call on %j', async (q) => {
    const { outs } = await ask(q);
    expect(spoken(outs)).toBe('Thanks for calling Acme Plumbing. Goodbye!');
    expect(outs[outs.length - 1]).toEqual({ type: 'end-call', reason: 'caller-goodbye' });
  });

  it('ends the call when the caller has nothing else', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    await c.turn('what are your hours');
    const { outs } = await c.turn('no');
    expect(outs.at(-1)).toEqual({ type: 'end-call', reason: 'caller-goodbye' });
  });

  it('thanks without goodbye gets an offer of more help, not a hang-up', async () => {
    const { outs, said } = await ask('thank you');
    expect(said).toBe("You're welcome. Is there anything else I can help you with?");
    expect(outs.some((o) => o.type === 'end-call')).toBe(false);
  });
});

describe('rules brain: not understood', () => {
  it('says so and offers the likely choices, then offers a message, then takes one', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    expect((await c.turn({ kind: 'unclear' })).said).toBe(
      "Sorry, I didn't catch that. Is it a repair, a quote, our hours, or something else?",
    );
    expect((await c.turn({ kind: 'unclear' })).said).toBe(
      "Sorry, I still didn't get that. If it's an emergency, press 1. Would you like me to take a message so someone can call you back?",
    );
    expect((await c.turn({ kind: 'unclear' })).said).toMatch(
      /Let me take your details so someone can call you back\. Can I get your name, please\?$/,
    );
  });

  it('starts counting again after an understood turn', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    await c.turn({ kind: 'unclear' });
    await c.turn('what are your hours');
    expect((await c.turn({ kind: 'unclear' })).said).toMatch(/^Sorry, I didn't catch that\. Is it a repair/);
  });

  it('repeats the last reply on request', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    const first = await c.turn('are you open on saturday');
    expect((await c.turn('sorry can you say that again')).said).toBe(first.said);
  });

  it('asks whether the caller is there on silence and hangs up after three', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    expect((await c.turn({ kind: 'no-input' })).said).toBe('Are you still there? How can I help?');
    await c.turn({ kind: 'no-input' });
    const third = await c.turn({ kind: 'no-input' });
    expect(third.outs.at(-1)).toEqual({ type: 'end-call', reason: 'no-input' });
  });
});

describe('rules brain: cancellation', () => {
  it('yields nothing once the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await collect(brain, { kind: 'call-started' }, makeCtx(plumber, WED_MORNING), ac.signal)).toEqual(
      [],
    );
  });

  it('stops between sentences when aborted mid-reply', async () => {
    const ac = new AbortController();
    const got: string[] = [];
    for await (const o of brain.respond({ kind: 'call-started' }, makeCtx(plumber, WED_MORNING), ac.signal)) {
      if (o.type === 'say') got.push(o.text);
      ac.abort();
    }
    expect(got).toEqual(['Acme Plumbing, how can I help?']);
  });

  it('keeps its state JSON-serialisable', async () => {
    const ctx = makeCtx(plumber, WED_MORNING);
    await collect(brain, { kind: 'unclear' }, ctx);
    expect(JSON.parse(JSON.stringify(ctx.state))).toEqual(ctx.state);
  });
});

describe('rules brain: garbled questions', () => {
  it('asks whether a half-heard "what are your ..." was about hours, and answers on yes', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    expect((await c.turn('what are your ah learn')).said).toBe(
      "Sorry, I didn't quite catch that. Were you asking about our opening hours?",
    );
    expect((await c.turn('yes')).said).toMatch(/^We're open Monday to Friday, 8 a\.m\. to 6 p\.m\./);
  });
});

describe('rules brain: says what it expects to hear', () => {
  function call(callerId?: string) {
    const tools = new FakeTools(plumber, () => WED_MORNING);
    return new Conversation(new RulesBrain({ tools }), {
      business: plumber,
      channel: 'phone',
      now: WED_MORNING,
      callerId: callerId as E164 | undefined,
    });
  }
  const hintOf = (outs: readonly BrainOutput[]) => {
    const l = outs.filter((o) => o.type === 'listen').at(-1);
    return l?.type === 'listen' ? l.hint : undefined;
  };

  it('asks for the name with a names hint, reads it back with yes-no, and the number with a phone hint', async () => {
    const c = call();
    expect(hintOf((await c.turn('leave a message')).outs)).toBe('name');
    expect(hintOf((await c.turn('Dana Lee')).outs)).toBe('yes-no');
    const phone = await c.turn('yes');
    expect(phone.outs.at(-1)).toEqual({
      type: 'listen',
      hint: 'phone',
      expect: 'digits',
      maxDigits: 15,
      finishOnKey: '#',
    });
    expect(hintOf((await c.turn('three one two five five five oh one nine nine')).outs)).toBe('yes-no');
    expect(hintOf((await c.turn('yes')).outs)).toBe('address');
    expect(hintOf((await c.turn('42 Oak Avenue')).outs)).toBe('open');
  });

  it('asks to spell with a spelling hint', async () => {
    const c = call();
    await c.turn('leave a message');
    await c.turn('Jon');
    expect(hintOf((await c.turn('no')).outs)).toBe('spelling');
  });

  it('offers the caller ID as a yes-no question', async () => {
    const c = call('+15005550006');
    await c.turn('leave a message');
    await c.turn('Sam');
    expect(hintOf((await c.turn('yes')).outs)).toBe('yes-no');
  });

  it('asks day and time with a date-time hint and confirms the booking with yes-no', async () => {
    const c = call();
    expect(hintOf((await c.turn('I want to book a drain cleaning')).outs)).toBe('date-time');
    const offer = await c.turn('tomorrow at 10 am');
    expect(offer.said).toContain('Shall I go ahead?');
    expect(hintOf(offer.outs)).toBe('yes-no');
  });

  it('asks "were you asking about our hours?" and "shall I take a message?" as yes-no', async () => {
    expect(hintOf((await call().turn('what are your ah learn')).outs)).toBe('yes-no');
    const c = call();
    await c.turn({ kind: 'unclear' });
    expect(hintOf((await c.turn({ kind: 'unclear' })).outs)).toBe('yes-no');
  });

  it('listens openly after the greeting, an answer, and "anything else?"', async () => {
    const c = call();
    expect(hintOf((await c.turn({ kind: 'call-started' })).outs)).toBe('open');
    expect(hintOf((await c.turn('what are your hours')).outs)).toBe('open');
  });

  it('puts a hint on every listen', async () => {
    const c = call('+15005550006');
    for (const t of [
      { kind: 'call-started' } as const,
      'I want to book a drain cleaning',
      'tomorrow at 10 am',
      'yes',
      'Dana Lee',
      'yes',
      'yes',
      'what are your hours',
      { kind: 'unclear' } as const,
      { kind: 'no-input' } as const,
      'bye',
    ])
      await c.turn(t);
    const listens = c.outputs.filter((o) => o.type === 'listen');
    expect(listens.length).toBeGreaterThan(5);
    for (const l of listens) expect(l).toHaveProperty('hint');
  });
});

/** The question a reply asks: its last sentence ending in "?", without the apology before it. */
function questionOf(said: string): string | undefined {
  const sentences = said.match(/[^.?!]+[.?!]/g) ?? [];
  return sentences
    .filter((x) => x.trim().endsWith('?'))
    .at(-1)
    ?.trim();
}

describe('rules brain: never asks the same question three times in a row', () => {
  const MISHEARD: Record<string, (i: number) => string | TurnInput> = {
    'answers it cannot take as a name': (i) =>
      ['the mall in', 'uh', 'for the', 'and', 'bill in the', 'um'][i % 6] ?? 'um',
    'read-backs the caller says are wrong': (i) => (i % 2 === 0 ? 'jon smit' : "no, that's not right"),
    'the name again instead of yes or no': () => 'jon smit',
    'sounds the recognizer cannot read': () => ({ kind: 'unclear' }),
  };

  it.each(Object.keys(MISHEARD))(
    'drives 12 misheard name answers (%s) without a third asking',
    async (kind) => {
      const tools = new FakeTools(plumber, () => WED_MORNING);
      const c = new Conversation(new RulesBrain({ tools }), {
        business: plumber,
        channel: 'phone',
        now: WED_MORNING,
      });
      const asked: (string | undefined)[] = [questionOf((await c.turn("I'd like to leave a message")).said)];
      const keys: unknown[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await c.turn(MISHEARD[kind]!(i));
        asked.push(questionOf(r.said));
        keys.push((c.state.rules as { asked?: { times: number } }).asked?.times ?? 0);
        if (r.outs.some((o) => o.type === 'end-call')) break;
      }
      for (let i = 2; i < asked.length; i++) {
        const three = [asked[i - 2], asked[i - 1], asked[i]];
        if (three[0] !== undefined)
          expect(three, `turns ${i - 2}..${i}: ${three.join(' | ')}`).not.toEqual([
            three[0],
            three[0],
            three[0],
          ]);
      }
      for (const times of keys) expect(times).toBeLessThanOrEqual(2);
    },
  );

  it('asks the likely choices at most twice to a caller whose words keep coming out garbled', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    const asked: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await c.turn('i have a hello an about through when can');
      asked.push(questionOf(r.said));
      if (r.outs.some((o) => o.type === 'end-call')) break;
    }
    expect(asked.filter((q) => q?.startsWith('Is it a repair')).length).toBeLessThanOrEqual(2);
    expect(asked.slice(0, 3).some((q) => q?.includes('take a message'))).toBe(true);
  });

  it('does not repeat a question a third time when "say that again" is misheard', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_MORNING });
    await c.turn('I want to book something');
    const asked = [questionOf((await c.turn('repeat')).said), questionOf((await c.turn('repeat that')).said)];
    expect(asked[1]).not.toBe(asked[0]);
    expect((c.state.rules as { asked: { times: number } }).asked.times).toBeLessThanOrEqual(2);
    expect(asked[1]).toMatch(/Can I get your name/);
  });

  it('after two misses on the number, offers the keypad, then moves on', async () => {
    const tools = new FakeTools(plumber, () => WED_MORNING);
    const c = new Conversation(new RulesBrain({ tools }), {
      business: plumber,
      channel: 'phone',
      now: WED_MORNING,
    });
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    expect((await c.turn('uh the')).said).toMatch(/say it digit by digit, or key it in/);
    expect((await c.turn('um')).said).toMatch(/Please key in the number on your keypad/);
  });
});

describe('rules brain: when it does not understand', () => {
  it('says so and offers the likely choices, and takes "a repair" as a call back', async () => {
    const tools = new FakeTools(plumber, () => WED_MORNING);
    const c = new Conversation(new RulesBrain({ tools }), {
      business: plumber,
      channel: 'phone',
      now: WED_MORNING,
    });
    expect((await c.turn('the um')).said).toBe(
      "Sorry, I didn't catch that. Is it a repair, a quote, our hours, or something else?",
    );
    expect((await c.turn('a repair')).said).toMatch(/about the repair\. Can I get your name, please\?$/);
  });

  it('offers an appointment among the choices for a dentist', async () => {
    const c = new Conversation(new RulesBrain(), { business: dentist, channel: 'phone', now: WED_MORNING });
    expect((await c.turn({ kind: 'unclear' })).said).toBe(
      "Sorry, I didn't catch that. Is it an appointment, our hours, or something else?",
    );
  });
});

describe('rules brain: answers only what was asked', () => {
  const docs = [{ title: 'Quotes', text: 'We give quotes over the phone for most small jobs.' }];
  function call() {
    const tools = new FakeTools(plumber, () => WED_MORNING, { docs });
    const c = new Conversation(new RulesBrain({ tools }), {
      business: plumber,
      channel: 'phone',
      now: WED_MORNING,
    });
    return { c, tools };
  }

  it('tries a knowledge question against the knowledge base before taking it as a lead', async () => {
    const { c, tools } = call();
    const r = await c.turn('do you give quotes over the phone');
    expect(r.said).toBe(
      'We give quotes over the phone for most small jobs. Is there anything else I can help you with?',
    );
    expect(tools.leads).toEqual([]);
  });

  it('takes "I wanted to know if..." as a question for the knowledge base', async () => {
    const { c, tools } = call();
    expect((await c.turn('I wanted to know if you give quotes over the phone')).said).toMatch(
      /^We give quotes over the phone/,
    );
    expect(tools.leads).toEqual([]);
  });

  it('answers a FAQ question about estimates instead of starting a call back', async () => {
    const { c, tools } = call();
    expect((await c.turn('do you offer free estimates?')).said).toMatch(/^Yes, estimates are free/);
    expect(tools.leads).toEqual([]);
  });

  it('still takes a request for a quote as a call back', async () => {
    const { c } = call();
    expect((await c.turn('can I get a quote for a new water heater')).said).toMatch(/Can I get your name/);
  });

  it('says honestly that it does not know a price it has not got, without sympathy or an invented figure', async () => {
    const { c, tools } = call();
    const r = await c.turn('how much does it cost to replace a kitchen faucet');
    expect(r.said).not.toMatch(/sorry to hear/i);
    expect(r.said).not.toMatch(/\$/);
    expect(r.said).toMatch(/not sure/);
    expect(tools.questions).toHaveLength(1);
  });

  it('keeps "sorry to hear that" for problems, not for requests', async () => {
    expect((await call().c.turn('I would like a new water softener installed next month')).said).not.toMatch(
      /sorry to hear/i,
    );
    expect((await call().c.turn('my kitchen sink is clogged again')).said).toMatch(/^I'm sorry to hear that/);
  });
});

describe('rules brain: typed channels have no keypad', () => {
  it.each(['chat', 'whatsapp'] as const)(
    'on %s asks for the number without keypad words, and never mentions the pound key or pressing keys',
    async (channel) => {
      const tools = new FakeTools(plumber, () => WED_MORNING);
      const c = new Conversation(new RulesBrain({ tools }), { business: plumber, channel, now: WED_MORNING });
      await c.turn({ kind: 'call-started' });
      await c.turn('I need a leak fixed, can someone call me back');
      const asked = (await c.turn('Dana Whitfield')).said;
      expect(asked).toContain("What's the best number to reach you?");
      const all = c.transcript
        .filter((t) => t.speaker === 'agent')
        .map((t) => t.text)
        .join(' ');
      expect(all).not.toMatch(/pound key|keypad|press 1|key it in/i);
    },
  );

  it('on the phone still offers the keypad for the number', async () => {
    const c = new Conversation(new RulesBrain({ tools: new FakeTools(plumber, () => WED_MORNING) }), {
      business: plumber,
      channel: 'phone',
      now: WED_MORNING,
    });
    await c.turn({ kind: 'call-started' });
    await c.turn('I need a leak fixed, can someone call me back');
    await c.turn('Dana Whitfield');
    // On the phone the name is read back first.
    expect((await c.turn('yes')).said).toContain('key it in followed by the pound key');
  });
});
