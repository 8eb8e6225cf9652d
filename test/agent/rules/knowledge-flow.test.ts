import { describe, expect, it } from 'vitest';
import { answerFromHits } from '../../../src/agent/rules/knowledge-flow.js';
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

describe('reading out a knowledge passage', () => {
  const warranty = {
    title: 'Warranty',
    score: 2,
    text: 'All of our repair work is guaranteed for one year: if the same problem comes back within a year, we fix it free of charge. Parts carry the maker warranty.',
  };
  const serviceCall = {
    title: 'Prices',
    score: 1,
    text: 'Estimates for big jobs are free. For small repairs we charge the $79 service call to diagnose the problem, and we waive it if you go ahead.',
  };
  const pets = {
    title: 'Before we come',
    score: 3,
    text: 'Please keep pets in another room and clear the area around the water heater before we come.',
  };

  it('does not read out a passage that shares only one word with a misheard question', () => {
    expect(answerFromHits('do you have a hundred around the area', [pets])).toBeUndefined();
    expect(answerFromHits('have her what about oral with', [pets, warranty])).toBeUndefined();
  });

  it('answers a price question with the sentence that carries a price, from whichever hit has one', () => {
    expect(answerFromHits('how much do you charge come on what a problem', [warranty, serviceCall])).toBe(
      'For small repairs we charge the $79 service call to diagnose the problem, and we waive it if you go ahead.',
    );
  });

  it('takes one shared word when it is also the passage title', () => {
    expect(
      answerFromHits('can I pay with a flooded a', [
        {
          title: 'Payment',
          score: 1,
          text: 'We accept cash and American Express. Payment is due when the job is done.',
        },
      ]),
    ).toBe('We accept cash and American Express. Payment is due when the job is done.');
  });
});
