import { describe, expect, it } from 'vitest';
import { Coach, type Candidate, type CoachDeps, type Heard } from '../../../src/assist/coach/index.js';
import { SuggestionGate } from '../../../src/assist/suggestion-gate.js';
import { asBusinessId } from '../../../src/ids.js';
import type { KnowledgeHit } from '../../../src/knowledge/index.js';
import { acmeProfile } from './acme.js';

const signal = new AbortController().signal;
/** A Wednesday, 10:00 in New York: the business is open. */
const WEDNESDAY_10AM = new Date('2026-12-02T15:00:00Z');

function coach(over: Partial<CoachDeps> = {}) {
  const searches: string[] = [];
  const c = new Coach({
    business: acmeProfile(),
    businessId: asBusinessId('00000000-0000-4000-8000-000000000001'),
    searchKnowledge: async (q) => {
      searches.push(q);
      return [];
    },
    now: () => WEDNESDAY_10AM,
    ...over,
  });
  return { c, searches };
}

const customer = (text: string, over: Partial<Heard> = {}): Heard => ({
  speaker: 'customer',
  text,
  final: true,
  atMs: 5000,
  voiceEndMs: 4800,
  ...over,
});
const agent = (text: string, over: Partial<Heard> = {}): Heard => ({
  speaker: 'agent',
  text,
  final: true,
  atMs: 6000,
  ...over,
});

const PASSAGES: KnowledgeHit[] = [
  {
    title: 'Service area',
    text: 'We serve Manhattan, Brooklyn and Queens, with no travel charge inside those boroughs. Outside them a $40 travel fee applies.',
    score: 0.9,
  },
];

describe('Coach.hear: intents', () => {
  it("puts the business's price on a pricing card, from the final, with where the voice ended", async () => {
    const { c } = coach();
    const [card] = await c.hear(customer('How much does a drain cleaning cost?'), signal);
    expect(card).toMatchObject({
      kind: 'intent',
      intent: 'pricing',
      priority: 'medium',
      basis: 'final',
      voiceEndMs: 4800,
      evidence: { words: 'How much does a drain cleaning cost?' },
    });
    expect(card!.content).toContain('Drain cleaning is $149');
    expect(card!.confidence).toBeGreaterThan(0.8);
  });

  it('lists the prices when no service is named', async () => {
    const { c } = coach();
    const [card] = await c.hear(customer('what are your rates'), signal);
    expect(card!.content).toMatch(/drain cleaning \$149, water heater service from \$189/);
  });

  it('fires on interim words when the phrase is already there, before the customer finishes', async () => {
    const { c } = coach();
    const cards = await c.hear(customer('so how much does', { final: false, voiceEndMs: undefined }), signal);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ intent: 'pricing', basis: 'interim' });
    expect(cards[0]!.confidence).toBeGreaterThanOrEqual(0.7);
    expect(cards[0]).not.toHaveProperty('voiceEndMs');
  });

  it('does not search the knowledge base on interim words', async () => {
    const { c, searches } = coach();
    await c.hear(customer('do you serve brooklyn and queens', { final: false }), signal);
    expect(searches).toEqual([]);
  });

  it("offers the business's opening on a booking card, and the customer's own day when they gave one", async () => {
    const { c } = coach();
    const [open] = await c.hear(customer('I would like to book an appointment'), signal);
    expect(open!.content).toMatch(/^Customer wants to book — offer a time today \(open until 6 p\.m\.\)/);
    const { c: c2 } = coach();
    const [asked] = await c2.hear(customer('can someone come out tomorrow morning'), signal);
    expect(asked!.content).toContain('check tomorrow morning');
  });

  it('raises an emergency as high priority with the safety step and the on-call number', async () => {
    const { c } = coach();
    const [card] = await c.hear(customer('a pipe burst and water is pouring through the ceiling'), signal);
    expect(card).toMatchObject({ kind: 'intent', intent: 'emergency', priority: 'high' });
    expect(card!.content).toMatch(/Possible emergency \((flooding|burst pipe)\)/);
    expect(card!.content).toContain('shut off the water main');
    expect(card!.content).toContain('(212) 555-0147');
  });

  it('raises a complaint as high priority', async () => {
    const { c } = coach();
    const cards = await c.hear(customer('Your plumber came last week and it is still broken'), signal);
    expect(cards[0]).toMatchObject({ intent: 'complaint', priority: 'high' });
    expect(cards[0]!.content).toMatch(/apologise/);
  });

  it('gives no card on small talk', async () => {
    const { c } = coach();
    for (const text of ['hi, how are you', 'thanks', 'okay great thank you']) {
      expect(await c.hear(customer(text), signal)).toEqual([]);
    }
  });

  it('uses the recognizer’s other readings when the best one missed', async () => {
    const { c } = coach();
    const [card] = await c.hear(
      customer('can you give me a card for fixing', { alternatives: ['can you give me a quote for fixing'] }),
      signal,
    );
    expect(card).toMatchObject({ intent: 'pricing' });
    expect(card!.confidence).toBeLessThan(0.7);
  });

  it('returns nothing once the call is over (signal aborted)', async () => {
    const { c } = coach();
    const done = new AbortController();
    done.abort();
    expect(await c.hear(customer('how much does it cost'), done.signal)).toEqual([]);
  });
});

describe('Coach.hear: knowledge', () => {
  it('answers a question from a relevant passage, with the passage as evidence', async () => {
    const { c } = coach({ searchKnowledge: async () => PASSAGES });
    const cards = await c.hear(customer('Do you serve Brooklyn and Queens?'), signal);
    const card = cards.find((x) => x.kind === 'knowledge');
    expect(card).toMatchObject({
      kind: 'knowledge',
      basis: 'final',
      evidence: { passage: { title: 'Service area' } },
    });
    expect(card!.content).toContain('We serve Manhattan, Brooklyn and Queens');
    expect(card!.content.length).toBeLessThanOrEqual(200);
  });

  it('gives no knowledge card when no hit is about the question (never invents)', async () => {
    const { c } = coach({
      searchKnowledge: async () => [{ title: 'Payment', text: 'We accept cards and cash.', score: 0.5 }],
    });
    const cards = await c.hear(customer('Do you serve Brooklyn and Queens?'), signal);
    expect(cards.filter((x) => x.kind === 'knowledge')).toEqual([]);
  });

  it('gives no knowledge card when the search fails, and still the intent cards', async () => {
    const { c } = coach({
      searchKnowledge: async () => {
        throw new Error('knowledge search timed out');
      },
    });
    const cards = await c.hear(customer('How much does a drain cleaning cost?'), signal);
    expect(cards.map((x) => x.kind)).toEqual(['intent']);
  });

  it("does not hold an intent's card for the search: the answer follows on the next tick", async () => {
    let answer!: (hits: KnowledgeHit[]) => void;
    const { c } = coach({
      searchKnowledge: () => new Promise<KnowledgeHit[]>((resolve) => (answer = resolve)),
    });
    const cards = await c.hear(
      customer('How much do you charge to come out to Brooklyn and Queens?'),
      signal,
    );
    expect(cards.map((x) => x.kind)).not.toContain('knowledge');
    expect(cards.map((x) => x.intent)).toContain('pricing');
    answer(PASSAGES);
    await new Promise((r) => setImmediate(r));
    expect(c.tick(6000).find((x) => x.kind === 'knowledge')).toMatchObject({
      evidence: { passage: { title: 'Service area' } },
    });
  });

  it('searches only for questions', async () => {
    const { c, searches } = coach();
    await c.hear(customer('My name is John and I live in Brooklyn'), signal);
    await c.hear(customer('When can you come to Brooklyn?'), signal);
    expect(searches).toEqual(['When can you come to Brooklyn?']);
  });
});

describe('Coach: already handled, next best action', () => {
  it('after the agent quotes a price: no pricing card again, and the next action is to offer a visit', async () => {
    const { c } = coach();
    await c.hear(customer('how much does a drain cleaning cost'), signal);
    const next = await c.hear(agent('it is a hundred and forty nine dollars'), signal);
    expect(next).toEqual([expect.objectContaining({ kind: 'next-action', intent: 'pricing' })]);
    expect(next[0]!.content).toMatch(/offer to book a visit/i);
    expect(await c.hear(customer('and how much is the water heater service'), signal)).toEqual([]);
  });

  it('a price the agent gave before being asked counts as given', async () => {
    const { c } = coach();
    await c.hear(agent('drain cleaning is a hundred and forty nine dollars'), signal);
    expect(await c.hear(customer('how much does it cost'), signal)).toEqual([]);
  });

  it('after the agent books: read the time back and take a phone number', async () => {
    const { c } = coach();
    await c.hear(customer('I would like to book an appointment'), signal);
    const next = await c.hear(agent('okay you are booked for tomorrow at nine'), signal);
    expect(next[0]).toMatchObject({ kind: 'next-action', intent: 'booking' });
    expect(next[0]!.content).toMatch(/phone number/);
  });

  it('an intent raised again, unhandled, brings a firmer next action once', async () => {
    const { c } = coach();
    await c.hear(customer('how much does it cost'), signal);
    const again = await c.hear(customer('but how much is it going to cost me'), signal);
    expect(again.map((x) => `${x.kind}:${x.intent}`)).toEqual(['intent:pricing', 'next-action:pricing']);
    const third = await c.hear(customer('what is the price'), signal);
    expect(third.map((x) => x.kind)).toEqual(['intent']);
  });

  it('ignores agent interims for next actions', async () => {
    const { c } = coach();
    await c.hear(customer('how much does it cost'), signal);
    expect(await c.hear(agent('it is a hundred dollars', { final: false }), signal)).toEqual([]);
  });
});

describe('Coach.tick: compliance', () => {
  it('reminds of the recording disclosure at 30 s, high priority, once', () => {
    const { c } = coach();
    expect(c.tick(29_000)).toEqual([]);
    const due = c.tick(30_000);
    expect(due).toEqual([expect.objectContaining({ kind: 'compliance', priority: 'high' })]);
    expect(due[0]!.content).toMatch(/recorded/);
    expect(c.tick(31_000)).toEqual([]);
    expect(c.tick(90_000)).toEqual([]);
  });

  it('does not remind when the agent said it', async () => {
    const { c } = coach();
    await c.hear(agent('Acme Plumbing, this call may be recorded for quality', { atMs: 2000 }), signal);
    expect(c.tick(30_000)).toEqual([]);
  });

  it('on an emergency, reminds to confirm the address 20 s later unless the agent asked for it', async () => {
    const { c } = coach();
    await c.hear(agent('this call is recorded'), signal);
    await c.hear(customer('my basement is flooding', { atMs: 40_000 }), signal);
    expect(c.tick(59_000)).toEqual([]);
    expect(c.tick(60_000)).toEqual([
      expect.objectContaining({ kind: 'compliance', intent: 'emergency', priority: 'high' }),
    ]);
    expect(c.tick(61_000)).toEqual([]);

    const { c: asked } = coach();
    await asked.hear(agent('this call is recorded'), signal);
    await asked.hear(customer('my basement is flooding', { atMs: 40_000 }), signal);
    await asked.hear(agent('what is the address there?', { atMs: 45_000 }), signal);
    expect(asked.tick(60_000)).toEqual([]);
  });
});

describe('Coach.sentiment', () => {
  it('is undefined before any final, then follows the customer', async () => {
    const { c } = coach();
    expect(c.sentiment()).toBeUndefined();
    await c.hear(customer('this is terrible', { final: false }), signal);
    expect(c.sentiment()).toBeUndefined();
    await c.hear(customer('hello, I have a question about my water heater'), signal);
    expect(c.sentiment()).toMatchObject({ label: 'neutral', trend: 'steady' });
  });

  it('puts a sentiment card up when the mood turns negative, once', async () => {
    const { c } = coach();
    await c.hear(customer('hello, I have a question about my water heater'), signal);
    const angry = await c.hear(customer('honestly I am so frustrated and annoyed'), signal);
    expect(angry).toEqual([expect.objectContaining({ kind: 'sentiment' })]);
    expect(angry[0]!.content).toMatch(/frustrated — slow down, acknowledge/);
    expect(c.sentiment()).toMatchObject({ label: 'negative', trend: 'worsening' });
    const worse = await c.hear(customer('I am furious and upset'), signal);
    expect(worse.filter((x) => x.kind === 'sentiment')).toEqual([]);
  });

  it('leaves the mood to the complaint card when the angry words are a complaint', async () => {
    const { c } = coach();
    const cards = await c.hear(customer('This is terrible and unacceptable, I am so angry'), signal);
    expect(cards.map((x) => x.kind)).toEqual(['intent']);
    expect(c.sentiment()).toMatchObject({ label: 'negative' });
  });
});

describe('Coach: cards the gate held back are offered again', () => {
  it('offers a medium card again on the next ticks, and the gate shows it once the interval has passed', async () => {
    const { c } = coach();
    const gate = new SuggestionGate({ cardIntervalMs: 4000 });
    const shown: string[] = [];
    const offer = (cards: readonly Candidate[], atMs: number) => {
      for (const card of cards)
        if (gate.admit(card, atMs)) shown.push(`${atMs}:${card.kind}:${card.intent ?? ''}`);
    };
    await c.hear(agent('this call may be recorded', { atMs: 1000 }), signal);
    offer(await c.hear(customer('how much does it cost', { atMs: 10_000 }), signal), 10_000);
    offer(
      await c.hear(customer('and can someone come out tomorrow morning', { atMs: 11_000 }), signal),
      11_000,
    );
    for (let t = 12_000; t <= 20_000; t += 1000) offer(c.tick(t), t);
    expect(shown).toEqual(['10000:intent:pricing', '14000:intent:booking']);
  });

  it('stops offering a card after a few seconds, and at once when the agent dealt with it', async () => {
    const { c } = coach();
    await c.hear(agent('this call may be recorded', { atMs: 1000 }), signal);
    await c.hear(customer('how much does it cost', { atMs: 10_000 }), signal);
    expect(c.tick(11_000).map((x) => x.intent)).toEqual(['pricing']);
    expect(c.tick(18_000).map((x) => x.intent)).toEqual(['pricing']);
    expect(c.tick(18_001)).toEqual([]);

    const { c: handled } = coach();
    await handled.hear(agent('this call may be recorded', { atMs: 1000 }), signal);
    await handled.hear(customer('how much does it cost', { atMs: 10_000 }), signal);
    await handled.hear(agent('that is a hundred and forty nine dollars', { atMs: 11_000 }), signal);
    expect(handled.tick(12_000).filter((x) => x.kind === 'intent')).toEqual([]);
  });

  it('drops a card from words still being spoken once the final says otherwise', async () => {
    const { c } = coach();
    await c.hear(agent('this call may be recorded', { atMs: 1000 }), signal);
    const early = await c.hear(
      customer('i want to book an appointment', { final: false, atMs: 9000 }),
      signal,
    );
    expect(early.map((x) => x.intent)).toEqual(['booking']);
    await c.hear(customer('i want to cancel my appointment', { atMs: 10_000 }), signal);
    expect(c.tick(11_000).map((x) => x.intent)).toEqual(['cancellation']);
  });

  it('does not offer high-priority cards again (the gate never held them back)', async () => {
    const { c } = coach();
    await c.hear(agent('this call may be recorded', { atMs: 1000 }), signal);
    await c.hear(customer('my basement is flooding', { atMs: 10_000 }), signal);
    expect(c.tick(11_000)).toEqual([]);
  });
});
