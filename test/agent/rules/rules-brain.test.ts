import { describe, expect, it } from 'vitest';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import { chicago, plumber } from '../fixtures/businesses.js';
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
      { type: 'say', text: 'Thanks for calling Acme Plumbing.' },
      { type: 'say', text: 'For emergencies press 1.' },
      { type: 'say', text: 'How can I help?' },
      { type: 'listen', hint: 'open' },
    ]);
  });

  it('greets after hours with the emergency key, and gives the next opening when asked', async () => {
    const c = new Conversation(brain, { business: plumber, channel: 'phone', now: WED_EVENING });
    expect((await c.turn({ kind: 'call-started' })).said).toBe(
      "Thanks for calling Acme Plumbing. We're closed, but for emergencies press 1.",
    );
    expect((await c.turn('when do you open')).said).toContain('We open again tomorrow at 8 a.m.');
  });
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
    expect(got).toEqual(['Thanks for calling Acme Plumbing.']);
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
