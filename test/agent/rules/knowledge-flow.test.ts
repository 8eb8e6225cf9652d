import { describe, expect, it } from 'vitest';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import { FakeTools } from '../fakes.js';
import { chicago, dentist, plumber } from '../fixtures/businesses.js';
import { Conversation } from '../helpers.js';

const NOW = chicago('2025-06-11T10:00:00');
const docs = [
  {
    title: 'Service area',
    text: 'We serve Springfield, Shelbyville and Capital City. There is no call-out fee inside that area.',
  },
  {
    title: 'Payment',
    text: 'We take cash, checks and all major credit cards. Payment is due when the job is done.',
  },
];

function call(business = plumber) {
  const tools = new FakeTools(business, () => NOW, { docs });
  return { tools, c: new Conversation(new RulesBrain({ tools }), { business, channel: 'phone', now: NOW }) };
}

describe('answering questions', () => {
  it('quotes the knowledge base', async () => {
    const { c } = call();
    const r = await c.turn('what areas do you serve');
    expect(r.said).toBe(
      'We serve Springfield, Shelbyville and Capital City. There is no call-out fee inside that area. Is there anything else I can help you with?',
    );
    expect((await c.turn('do you take credit cards')).said).toMatch(
      /^We take cash, checks and all major credit cards\./,
    );
  });

  it('answers from the FAQ and the price list before searching', async () => {
    const { c, tools } = call();
    expect((await c.turn('do you give free estimates')).said).toMatch(
      /^Yes, estimates are free for jobs over \$500\./,
    );
    expect((await c.turn('how much is drain cleaning')).said).toMatch(/^Drain cleaning is from \$129\./);
    expect((await c.turn('what services do you offer')).said).toMatch(
      /^We offer drain cleaning, water heater repair, and plumbing inspection\./,
    );
    expect(tools.questions).toEqual([]);
  });

  it('passes on what it does not know, records it for the owner, and offers a call back', async () => {
    const { c, tools } = call();
    const r = await c.turn('do you repair garage doors');
    expect(r.outs).toContainEqual({ type: 'question-for-owner', text: 'do you repair garage doors' });
    expect(r.said).toBe(
      "I'm not sure about that one, so I'll pass your question on to the team. Can I take your name and number so someone can get back to you?",
    );
    expect(tools.questions).toEqual(['do you repair garage doors']);
    expect((await c.turn('sure')).said).toBe('Sure. Can I get your name, please?');
  });

  it('answers a dentist FAQ by its own words', async () => {
    const { c } = call(dentist);
    expect((await c.turn('do you accept delta dental')).said).toMatch(/^Yes, we accept Delta Dental/);
  });
});
