import { describe, expect, it } from 'vitest';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import type { E164 } from '../../../src/ids.js';
import { FakeTools } from '../fakes.js';
import { chicago, dentist, plumber } from '../fixtures/businesses.js';
import { Conversation, collect, makeCtx } from '../helpers.js';

const NOW = chicago('2025-06-11T22:00:00'); // after hours

describe('emergencies in conversation', () => {
  it('raises the alert before speaking, gives safety advice and transfers to the on-call number', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const ctx = makeCtx(plumber, NOW, { callerId: '+15005550006' as E164 });
    const outs = await collect(
      new RulesBrain({ tools }),
      { kind: 'speech', text: 'help my basement is flooding' },
      ctx,
    );
    expect(outs[0]).toMatchObject({ type: 'emergency', category: 'flooding', trigger: 'flooding' });
    expect(tools.emergencies).toHaveLength(1);
    expect(tools.emergencies[0]).toMatchObject({ category: 'flooding', callerId: '+15005550006' });
    expect(tools.emergencies[0]?.transcript.at(-1)).toMatchObject({
      speaker: 'caller',
      text: 'help my basement is flooding',
    });
    const said = outs.filter((o) => o.type === 'say').map((o) => (o as { text: string }).text);
    expect(said).toContain("I'm alerting our on-call team right now.");
    expect(said.join(' ')).toContain('turn off the main water valve');
    expect(outs.at(-1)).toMatchObject({ type: 'transfer', to: '+15005550002', reason: 'emergency' });
    expect(tools.transfers[0]?.summary).toContain('Emergency: flooding.');
    expect(tools.lastLead?.fields).toMatchObject({
      need: 'Emergency: help my basement is flooding',
      urgency: 'urgent',
    });
  });

  it('keeps the alert going even when the caller talks over the agent', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const ac = new AbortController();
    const brain = new RulesBrain({ tools });
    for await (const o of brain.respond(
      { kind: 'speech', text: 'I smell gas' },
      makeCtx(plumber, NOW),
      ac.signal,
    )) {
      if (o.type === 'say') ac.abort();
    }
    expect(tools.emergencies).toHaveLength(1);
  });

  it('without an on-call number, takes name and number for a fast call back', async () => {
    const now = new Date('2025-06-11T23:00:00-04:00');
    const tools = new FakeTools(dentist, () => now);
    const c = new Conversation(new RulesBrain({ tools }), { business: dentist, channel: 'phone', now });
    const first = await c.turn('my tooth was pulled today and it will not stop bleeding');
    expect(first.outs[0]).toMatchObject({ type: 'emergency', category: 'bleeding' });
    expect(first.said).toContain('call 911');
    expect(first.said).toMatch(
      /So they can reach you fast, I just need a couple of details\. Can I get your name, please\?$/,
    );
    await c.turn('Ana Ruiz');
    await c.turn('yes');
    await c.turn('three one two five five five oh one nine nine');
    const done = await c.turn('yes');
    expect(done.said).toContain('The team has your details and will call you right back.');
    expect(tools.lastLead?.fields).toMatchObject({
      name: 'Ana Ruiz',
      phone: '+13125550199',
      urgency: 'urgent',
    });
  });

  it('raises each emergency once, even when the caller says it again', async () => {
    const tools = new FakeTools(dentist, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business: dentist, channel: 'phone', now: NOW });
    await c.turn('my face is swollen');
    await c.turn('my face is really swollen');
    expect(tools.emergencies).toHaveLength(1);
  });

  it('detects an emergency in an answer to a lead question', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business: plumber, channel: 'chat', now: NOW });
    await c.turn('leave a message');
    await c.turn('Sam');
    const r = await c.turn('actually water is pouring through the ceiling now');
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
  });
});

describe('emergencies from evidence, not one word', () => {
  function call(business = plumber, callerId?: E164) {
    const tools = new FakeTools(business, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business, channel: 'phone', now: NOW, callerId });
    return { c, tools };
  }

  it('asks one directed yes-no question on weak evidence and raises nothing yet ("flush" heard as "flooded")', async () => {
    const { c, tools } = call();
    const r = await c.turn('my toilet flooded');
    expect(r.said).toBe('Is water or gas leaking right now?');
    expect(r.outs.at(-1)).toEqual({ type: 'listen', hint: 'yes-no' });
    expect(r.outs.some((o) => o.type === 'emergency')).toBe(false);
    expect(tools.emergencies).toEqual([]);
  });

  it('raises on yes, with what the caller first said in the alert', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    const r = await c.turn('yes');
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
    expect(tools.emergencies[0]?.summary).toContain('my toilet flooded');
  });

  it('on no, carries on with what the caller wanted and never alerts', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    const r = await c.turn("no, it's just clogged");
    expect(r.said).toMatch(/Can I get your name, please\?$/);
    expect(tools.emergencies).toEqual([]);
  });

  it('takes a no that says more as the request itself, not as a goodbye', async () => {
    const { c, tools } = call();
    await c.turn('what are your hours');
    await c.turn({ kind: 'speech', text: 'yes my toilet flooded' });
    const r = await c.turn('no, I need a quote for a new faucet');
    expect(r.outs.some((o) => o.type === 'end-call')).toBe(false);
    expect(r.said).toMatch(/Can I get your name, please\?$/);
    expect(tools.emergencies).toEqual([]);
  });

  it('takes an emergency heard only in the other readings as weak: one question first', async () => {
    const { c, tools } = call();
    const r = await c.turn({
      kind: 'speech',
      text: 'my basement is full of wood',
      alternatives: ['my basement is flooding', 'my basement is full of food'],
    });
    expect(r.said).toBe('Is water or gas leaking right now?');
    expect(tools.emergencies).toEqual([]);
    await c.turn('yes it is');
    expect(tools.emergencies[0]).toMatchObject({ category: 'flooding' });
  });

  it('raises at once on strong evidence, whatever the other readings say', async () => {
    const { c, tools } = call();
    const r = await c.turn({
      kind: 'speech',
      text: 'water is pouring through the ceiling',
      alternatives: ['water is boring through the sealing'],
      confidence: 0.8,
    });
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
    expect(tools.emergencies).toHaveLength(1);
  });

  it('asks a dental caller about pain or bleeding', async () => {
    const { c } = call(dentist);
    const r = await c.turn({
      kind: 'speech',
      text: 'I need a cleaning',
      alternatives: ['my gum is bleeding a lot'],
    });
    expect(r.said).toBe('Are you in severe pain or bleeding right now?');
  });

  it('asks the directed question once per call', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    await c.turn('no');
    const again = await c.turn({ kind: 'speech', text: 'Sam', alternatives: ['flooding'] });
    expect(again.said).not.toContain('leaking right now');
    expect(tools.emergencies).toEqual([]);
  });

  it('asks again once, with the keypad, when the answer is not understood; then carries on', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    const second = await c.turn({ kind: 'unclear' });
    expect(second.said).toBe(
      "Sorry, I didn't catch that. Is water or gas leaking right now? Say yes or no, or press 1 if it's an emergency.",
    );
    const third = await c.turn('um the');
    expect(third.said).not.toContain('leaking right now');
    expect(tools.emergencies).toEqual([]);
  });

  it('raises on an answer that opens with a plain yes, whatever noise follows it', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    await c.turn('yeah that is have not right');
    expect(tools.emergencies[0]).toMatchObject({ category: 'flooding' });
  });

  it('does not raise on a word noise turns into ("perfect"), only on a plain yes', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    await c.turn('perfect');
    expect(tools.emergencies).toEqual([]);
  });

  it('takes "not emergency" as a no, whatever the other readings of it say', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    await c.turn({
      kind: 'speech',
      text: 'not emergency',
      alternatives: ['an emergency', 'it is an emergency'],
    });
    expect(tools.emergencies).toEqual([]);
  });

  it('raises at once on a clear report said while a number is asked for', async () => {
    const { c, tools } = call();
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    const r = await c.turn('actually water is pouring through the ceiling now');
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
    expect(tools.emergencies).toHaveLength(1);
  });

  it('takes "no water" amid the digits of a number as weak: a question, not an alert', async () => {
    const { c, tools } = call();
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    const r = await c.turn('my number is one two five five five no water five eight');
    expect(tools.emergencies).toEqual([]);
    expect(r.said).toBe('Is water or gas leaking right now?');
  });

  it('takes a lone emergency word in a read-back answer as weak: a question, not an alert', async () => {
    const { c, tools } = call();
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    await c.turn('three one two five five five oh one nine nine');
    const r = await c.turn('no that is not right at everywhere on to a fire fire fire there');
    expect(tools.emergencies).toEqual([]);
    expect(r.said).toBe('Is something on fire right now?');
  });

  it('raises when 1 is keyed in answer to the directed question', async () => {
    const { c, tools } = call();
    await c.turn('my toilet flooded');
    await c.turn({ kind: 'dtmf', digits: '1' });
    expect(tools.emergencies[0]).toMatchObject({ category: 'flooding' });
  });

  it.each([
    ['frozen pipes', 'hi, um, my pipes are frozen', 'burst-pipe'],
    ['no water at all', 'we have no water at all', 'no-water'],
    ['water inside the walls', "I think there's water inside the walls", 'flooding'],
  ] as const)('raises %s at once even said calmly', async (_name, text, category) => {
    const { c } = call();
    const r = await c.turn(text);
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category });
  });

  it('does not answer "we have no water, the pipes are frozen" with a water-heater price', async () => {
    const { c } = call();
    const r = await c.turn('we have no water, the pipes are frozen');
    expect(r.outs[0]).toMatchObject({ type: 'emergency' });
    expect(r.said).not.toMatch(/\$|water heater/i);
  });
});

describe('keyed 1 during the greeting', () => {
  it('is the emergency route: raises and transfers to the on-call number', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business: plumber, channel: 'phone', now: NOW });
    await c.turn({ kind: 'call-started' });
    const r = await c.turn({ kind: 'dtmf', digits: '1' });
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category: 'other' });
    expect(tools.emergencies[0]?.summary).toContain('pressed 1');
    expect(r.outs.at(-1)).toMatchObject({ type: 'transfer', to: '+15005550002', reason: 'emergency' });
  });

  it('without an on-call number, raises and asks what is happening, then the details', async () => {
    const now = new Date('2025-06-11T23:00:00-04:00');
    const tools = new FakeTools(dentist, () => now);
    const c = new Conversation(new RulesBrain({ tools }), { business: dentist, channel: 'phone', now });
    await c.turn({ kind: 'call-started' });
    const r = await c.turn({ kind: 'dtmf', digits: '1' });
    expect(tools.emergencies).toHaveLength(1);
    expect(r.said).toMatch(/Please tell me briefly what's happening\.$/);
    const next = await c.turn('my tooth got knocked out');
    expect(next.said).toMatch(/Can I get your name, please\?$/);
    expect(tools.emergencies).toHaveLength(1);
    expect(tools.lastLead?.fields.need).toBe('My tooth got knocked out');
  });

  it('is part of the number when the caller is keying in a phone number', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business: plumber, channel: 'phone', now: NOW });
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    const r = await c.turn({ kind: 'dtmf', digits: '13125550199#' });
    expect(r.said).toBe('I have 312-555-0199. Is that right?');
    expect(tools.emergencies).toEqual([]);
  });
});
