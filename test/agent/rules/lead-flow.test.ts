import { describe, expect, it } from 'vitest';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import { leadQuestionsFor } from '../../../src/agent/rules/lead-flow.js';
import { businessProfileSchema } from '../../../src/business/profile.js';
import type { E164 } from '../../../src/ids.js';
import { FakeTools } from '../fakes.js';
import { chicago, plumber, plumberInput } from '../fixtures/businesses.js';
import { Conversation } from '../helpers.js';
import { runLeadCapture } from '../lead-capture-run.js';

const NOW = chicago('2025-06-11T10:00:00');

function call(opts: { callerId?: string; channel?: 'phone' | 'chat'; business?: typeof plumber } = {}) {
  const business = opts.business ?? plumber;
  const tools = new FakeTools(business, () => NOW);
  const c = new Conversation(new RulesBrain({ tools }), {
    business,
    channel: opts.channel ?? 'phone',
    now: NOW,
    callerId: opts.callerId as E164 | undefined,
  });
  return { c, tools };
}

describe('lead capture', () => {
  it('asks the questions in turn, reads back name and number, and stores a complete lead', async () => {
    const { c, tools } = call();
    expect((await c.turn("I'd like to leave a message")).said).toBe(
      'Sure, I can take a message. Can I get your name, please?',
    );
    expect((await c.turn('Dana Lee')).said).toBe('I have your name as Dana Lee. Is that right?');
    expect((await c.turn('yes')).said).toMatch(/^Thanks, Dana\. What's the best number to reach you\?/);
    expect((await c.turn('three one two five five five oh one nine nine')).said).toBe(
      'I have 312-555-0199. Is that right?',
    );
    expect((await c.turn('yep')).said).toBe("Great. What's the address where you need us?");
    await c.turn('42 Oak Avenue');
    await c.turn('the kitchen sink is clogged');
    const last = await c.turn('no rush');
    expect(last.said).toContain("I've passed your details on");
    expect(tools.lastLead).toMatchObject({
      fields: {
        name: 'Dana Lee',
        phone: '+13125550199',
        address: '42 Oak Avenue',
        need: 'The kitchen sink is clogged',
        urgency: 'flexible',
      },
      complete: true,
    });
    expect(last.outs.filter((o) => o.type === 'lead').at(-1)).toMatchObject({ type: 'lead', complete: true });
  });

  it('offers the caller ID as the callback number', async () => {
    const { c, tools } = call({ callerId: '+15005550006' });
    await c.turn('can someone call me back');
    await c.turn('Sam');
    const offer = await c.turn('yes');
    expect(offer.said).toContain(
      "Is the number you're calling from, ending in 0 0 0 6, the best one to reach you?",
    );
    await c.turn('yes');
    expect(tools.lastLead?.fields.phone).toBe('+15005550006');
  });

  it('asks for the number on the keypad when the caller ID is not the one', async () => {
    const { c, tools } = call({ callerId: '+15005550006' });
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    const ask = await c.turn('no');
    expect(ask.outs).toContainEqual({
      type: 'listen',
      hint: 'phone',
      expect: 'digits',
      maxDigits: 15,
      finishOnKey: '#',
    });
    expect((await c.turn({ kind: 'dtmf', digits: '7735550142#' })).said).toBe(
      'I have 773-555-0142. Is that right?',
    );
    await c.turn('yes');
    expect(tools.lastLead?.fields.phone).toBe('+17735550142');
  });

  it('takes a corrected number in the same breath as the no', async () => {
    const { c } = call();
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    await c.turn('312 555 0199');
    expect((await c.turn("no, it's 312 555 0188")).said).toBe('I have 312-555-0188. Is that right?');
  });

  it('asks to spell a name the caller says is wrong', async () => {
    const { c, tools } = call();
    await c.turn('leave a message');
    await c.turn('Jon');
    expect((await c.turn('no')).said).toBe('Sorry about that. Could you spell it for me?');
    expect((await c.turn('j o h n')).said).toBe('I have your name as John. Is that right?');
    await c.turn('yes');
    expect(tools.lastLead?.fields.name).toBe('John');
  });

  it('keeps the name as first said, not a garbled spelling, when the caller rejects both', async () => {
    const { c, tools } = call();
    await c.turn('leave a message');
    await c.turn('Amy Lee');
    await c.turn("no, that's not right");
    expect((await c.turn('b i b i b l e')).said).toBe('I have your name as Bibible. Is that right?');
    expect((await c.turn('no')).said).toMatch(/^No problem, I'll note it as best I can\./);
    expect(tools.lastLead?.fields.name).toBe('Amy Lee');
  });

  it('saves a partial lead as soon as anything is known, so a hang-up keeps it', async () => {
    const { c, tools } = call();
    await c.turn('hi this is Maria Lopez, my water heater is leaking, can someone call me back');
    expect(tools.lastLead?.fields).toMatchObject({ name: 'Maria Lopez', need: 'My water heater is leaking' });
    // The caller hangs up here: the lead is already stored, marked incomplete.
    expect(tools.lastLead?.complete).toBe(false);
  });

  it('uses what the caller volunteered and skips those questions', async () => {
    const { c } = call();
    const first = await c.turn('this is Maria Lopez, can someone call me back about my water heater');
    expect(first.said).not.toContain('your name');
    expect(first.said).toContain('number');
  });

  it('answers an hours question mid-capture and asks again', async () => {
    const { c } = call();
    await c.turn('leave a message');
    const mid = await c.turn('wait, what time do you close today');
    expect(mid.said).toBe("We're open until 6 p.m. Can I get your name, please?");
  });

  it('skips a question the caller will not answer', async () => {
    const { c, tools } = call();
    await c.turn('leave a message');
    await c.turn('Sam');
    await c.turn('yes');
    await c.turn('312 555 0199');
    await c.turn('yes');
    expect((await c.turn("I'd rather not say")).said).toBe(
      "That's okay. And briefly, what do you need help with?",
    );
    expect(tools.lastLead?.fields.address).toBeUndefined();
  });

  it('does not read back on text channels', async () => {
    const { c, tools } = call({ channel: 'chat' });
    await c.turn('leave a message');
    expect((await c.turn('Dana Lee')).said).toMatch(/^Thanks, Dana\. What's the best number/);
    expect(tools.lastLead?.fields.name).toBe('Dana Lee');
  });

  it('asks at most five questions on the FREE plan and no address for a dentist', () => {
    const many = businessProfileSchema.parse({
      ...plumberInput,
      leadQuestions: ['name', 'phone', 'email', 'address', 'need', 'urgency'].map((field) => ({ field })),
    });
    expect(leadQuestionsFor(many).map((q) => q.field)).toEqual(['name', 'phone', 'email', 'address', 'need']);
    expect(leadQuestionsFor({ ...many, plan: 'PRO' })).toHaveLength(6);
    const dentist = businessProfileSchema.parse({ ...plumberInput, trade: 'dental' });
    expect(leadQuestionsFor(dentist).map((q) => q.field)).toEqual(['name', 'phone', 'need', 'urgency']);
  });

  it('captures >= 95% of the fields on the phrasing set', async () => {
    const r = await runLeadCapture();
    expect(r.fieldsCaptured / r.fieldsGiven).toBeGreaterThanOrEqual(0.95);
  });
});
