import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrainOutput, ConversationContext, TurnInput } from '../../src/agent/brain.js';
import { LlmBrain, type LlmBrainOptions, type LlmTurnMetrics } from '../../src/agent/llm-brain.js';
import { buildMessages, speakable, ThinkFilter } from '../../src/agent/llm-prompt.js';
import { loadLlmState } from '../../src/agent/llm-state.js';
import { RulesBrain } from '../../src/agent/rules/rules-brain.js';
import type { E164 } from '../../src/ids.js';
import { OpenAiChatModel } from '../../src/providers/llm/openai-chat.js';
import {
  chunk,
  errorReply,
  textStream,
  toolCallStream,
  startFakeOpenAiServer,
  type ChatBody,
  type FakeOpenAiServer,
} from '../support/fake-openai-server.js';
import { FakeTools } from './fakes.js';
import { chicago, plumber } from './fixtures/businesses.js';
import { collect, makeCtx, spoken } from './helpers.js';

const WED_MORNING = chicago('2025-06-11T09:15:00');

let fake: FakeOpenAiServer;
beforeAll(async () => {
  fake = await startFakeOpenAiServer();
});
afterAll(async () => fake.close());
afterEach(() => {
  fake.requests.length = 0;
  const errors = fake.errors.splice(0);
  expect(errors).toEqual([]);
});

function setup(extra: Partial<LlmBrainOptions> = {}, docs: { title: string; text: string }[] = []) {
  const tools = new FakeTools(plumber, () => WED_MORNING, { docs });
  const metrics: LlmTurnMetrics[] = [];
  const brain = new LlmBrain({
    model: new OpenAiChatModel({ baseUrl: fake.baseUrl, model: 'fake-model', apiKey: 'k' }),
    fallback: new RulesBrain({ tools }),
    tools,
    onTurn: (m) => metrics.push(m),
    ...extra,
  });
  return { brain, tools, metrics };
}

const speech = (text: string): TurnInput => ({ kind: 'speech', text });
const ctx = (extra: Partial<ConversationContext> = {}) => makeCtx(plumber, WED_MORNING, extra);
const says = (outs: readonly BrainOutput[]) =>
  outs.filter((o) => o.type === 'say').map((o) => (o as { text: string }).text);
const lastMessage = (body: ChatBody) => body.messages?.[body.messages.length - 1];

describe('LLM brain: conversation with tools', () => {
  it('asks search_knowledge, feeds the result back, and speaks the answer', async () => {
    const { brain } = setup({}, [{ title: 'Estimates', text: 'Estimates are free for jobs over $500.' }]);
    fake.replyChat(
      toolCallStream([{ id: 'call_1', name: 'search_knowledge', args: ['{"query":', '"free estimates"}'] }]),
      (body) => {
        const tool = lastMessage(body);
        expect(tool?.role).toBe('tool');
        const result = JSON.parse(tool?.content ?? '{}') as { results: { text: string }[] };
        return textStream([`Good news. ${result.results[0]?.text} `, 'Anything else I can help with?']);
      },
    );
    const outs = await collect(brain, speech('Do you do free estimates?'), ctx());
    expect(says(outs)).toEqual([
      'Good news.',
      'Estimates are free for jobs over $500.',
      'Anything else I can help with?',
    ]);
    expect(outs.at(-1)).toEqual({ type: 'listen', hint: 'open' });

    const [first, second] = fake.chatRequests();
    expect(first?.body.tools?.map((t) => t.function.name)).toContain('search_knowledge');
    expect(second?.body.messages?.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'search_knowledge', arguments: '{"query":"free estimates"}' },
          },
        ],
      },
      {
        role: 'tool',
        tool_call_id: 'call_1',
        content: JSON.stringify({
          ok: true,
          results: [{ title: 'Estimates', text: 'Estimates are free for jobs over $500.' }],
        }),
      },
    ]);
  });

  it('books a slot find_slots offered and reports the booking', async () => {
    const { brain, tools } = setup();
    let start = '';
    fake.replyChat(
      toolCallStream([
        { id: 'c1', name: 'find_slots', args: ['{"service_id":"drain","date":"2025-06-12"}'] },
      ]),
      (body) => {
        const result = JSON.parse(lastMessage(body)?.content ?? '{}') as {
          slots: { start: string; spoken: string }[];
        };
        start = result.slots[0]?.start ?? '';
        expect(result.slots[0]?.spoken).toBe('tomorrow at 8 a.m.');
        return toolCallStream([
          {
            id: 'c2',
            name: 'book_appointment',
            args: [JSON.stringify({ service_id: 'drain', start, name: 'Dana' })],
          },
        ]);
      },
      textStream(["You're booked for tomorrow at 8 a.m. See you then."]),
    );
    const outs = await collect(
      brain,
      speech('Can you clean my drain tomorrow morning? My name is Dana.'),
      ctx(),
    );
    const booking = outs.find((o) => o.type === 'booking');
    expect(booking).toMatchObject({ type: 'booking', action: 'booked', serviceId: 'drain', start });
    expect(tools.bookings).toHaveLength(1);
    expect(tools.bookings[0]?.customerName).toBe('Dana');
    expect(spoken(outs)).toBe("You're booked for tomorrow at 8 a.m. See you then.");
  });

  it('refuses to book a start find_slots never offered', async () => {
    const { brain, tools } = setup();
    fake.replyChat(
      toolCallStream([
        {
          id: 'c1',
          name: 'book_appointment',
          args: ['{"service_id":"drain","start":"2025-06-12T13:00:00Z"}'],
        },
      ]),
      (body) => {
        expect(JSON.parse(lastMessage(body)?.content ?? '{}')).toMatchObject({ ok: false });
        return textStream(['Let me check the times first.']);
      },
    );
    await collect(brain, speech('book me for 8 tomorrow'), ctx());
    expect(tools.bookings).toHaveLength(0);
  });

  it('saves the lead with the caller ID the caller agreed to, and says it is complete only when it is', async () => {
    const { brain, tools } = setup();
    fake.replyChat(
      toolCallStream([
        {
          id: 'c1',
          name: 'save_lead',
          args: ['{"name":"Sam Lee","use_caller_id":true,"need":"leaky faucet"}'],
        },
      ]),
      textStream(["Thanks Sam. What's the address?"]),
    );
    const outs = await collect(
      brain,
      speech("yes that's the best number, I'm Sam Lee"),
      ctx({ callerId: '+13125550199' as E164 }),
    );
    expect(outs).toContainEqual({
      type: 'lead',
      fields: { name: 'Sam Lee', phone: '+13125550199', need: 'leaky faucet' },
      complete: false,
    });
    expect(tools.lastLead?.fields.phone).toBe('+13125550199');
    // The number goes to the store, never into the prompt.
    expect(JSON.stringify(fake.chatRequests()[0]?.body)).not.toContain('5550199');
  });

  it('says a closing line and ends the call when the model only calls end_call', async () => {
    const { brain } = setup();
    fake.replyChat(toolCallStream([{ id: 'c1', name: 'end_call', args: ['{}'] }]));
    const outs = await collect(brain, speech("no that's all, bye"), ctx());
    expect(outs).toEqual([
      { type: 'say', text: 'Thanks for calling Acme Plumbing.' },
      { type: 'say', text: 'Goodbye!' },
      { type: 'end-call', reason: 'caller-goodbye' },
    ]);
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('transfers on request while open, after its own words', async () => {
    const { brain, tools } = setup();
    fake.replyChat(
      toolCallStream(
        [
          {
            id: 'c1',
            name: 'transfer_to_human',
            args: ['{"reason":"caller-request","summary":"Wants a person."}'],
          },
        ],
        {
          text: ['Sure, putting you through now.'],
        },
      ),
    );
    const outs = await collect(brain, speech('can I talk to a real person'), ctx());
    expect(says(outs)).toEqual(['Sure, putting you through now.']);
    expect(outs.at(-1)).toEqual({
      type: 'transfer',
      to: plumber.transferNumber,
      summary: 'Wants a person.',
      reason: 'caller-request',
    });
    expect(tools.transfers).toHaveLength(1);
  });

  it('raises an emergency the model recognises when the rules detector did not', async () => {
    const { brain, tools } = setup({ detectEmergency: () => undefined });
    fake.replyChat(
      toolCallStream([
        {
          id: 'c1',
          name: 'raise_emergency',
          args: ['{"category":"flooding","summary":"Water coming through the ceiling."}'],
        },
      ]),
      textStream(["I'm alerting our on-call team right now."]),
    );
    const outs = await collect(brain, speech('water is coming through my ceiling'), ctx());
    expect(outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
    expect(tools.emergencies).toHaveLength(1);
  });

  it('tells the model a bad tool call was bad instead of failing the turn', async () => {
    const { brain } = setup();
    fake.replyChat(
      toolCallStream([{ id: 'c1', name: 'find_slots', args: ['{"service_id":"drain","date":"tomorrow"}'] }]),
      (body) => {
        expect(JSON.parse(lastMessage(body)?.content ?? '{}')).toMatchObject({ ok: false });
        return textStream(['Which day works for you?']);
      },
    );
    const outs = await collect(brain, speech('book a drain cleaning'), ctx());
    expect(spoken(outs)).toBe('Which day works for you?');
  });
});

describe('LLM brain: streaming', () => {
  it('hands on each sentence before the completion has ended', async () => {
    const { brain } = setup();
    fake.replyChat(
      textStream(["We're open until 6 today. ", 'We can also ', 'come out tomorrow.'], { delayMs: 300 }),
    );
    const outs: BrainOutput[] = [];
    let firstSayAt = 0;
    let streamEndedAt = 0;
    for await (const out of brain.respond(
      speech('are you open today'),
      ctx(),
      new AbortController().signal,
    )) {
      if (outs.length === 0) {
        firstSayAt = performance.now();
        void fake.chatRequests()[0]?.closed.then(() => {
          streamEndedAt = performance.now();
        });
      }
      outs.push(out);
    }
    expect(outs).toEqual([
      { type: 'say', text: "We're open until 6 today." },
      { type: 'say', text: 'We can also come out tomorrow.' },
      { type: 'listen', hint: 'open' },
    ]);
    // Two more pieces, 300 ms apart, were still to come when the first sentence was handed on.
    expect(streamEndedAt - firstSayAt).toBeGreaterThan(450);
  });

  it('stops output and cancels the model request when the turn is aborted mid-stream', async () => {
    const { brain } = setup();
    fake.replyChat(textStream(['One. ', 'Two. ', 'Three. ', 'Four. ', 'Five.'], { delayMs: 80 }));
    const ac = new AbortController();
    const outs: BrainOutput[] = [];
    for await (const out of brain.respond(speech('tell me everything'), ctx(), ac.signal)) {
      outs.push(out);
      if (out.type === 'say') ac.abort();
    }
    expect(outs).toEqual([{ type: 'say', text: 'One.' }]);
    expect(await fake.chatRequests()[0]?.closed).toEqual({ aborted: true });
  });

  it('drops markdown and reasoning from what is said', async () => {
    const { brain } = setup();
    fake.replyChat(
      textStream(['<think>The user wants', ' prices.</think>', '**Drain cleaning** is from $129. 👍']),
    );
    const outs = await collect(brain, speech('how much is drain cleaning'), ctx());
    expect(says(outs)).toEqual(['Drain cleaning is from $129.']);
  });
});

describe('LLM brain: falling back to the rules brain', () => {
  const hours = 'what are your hours';
  const rulesAnswer = async () => spoken(await collect(new RulesBrain(), speech(hours), ctx()));

  it('answers with the rules brain when the model returns HTTP 500', async () => {
    const { brain, metrics } = setup();
    fake.replyChat(errorReply(500));
    const outs = await collect(brain, speech(hours), ctx());
    expect(spoken(outs)).toBe(await rulesAnswer());
    expect(metrics[0]?.fallback).toBe('error');
  });

  it('answers with the rules brain when the first token does not come in time, and cancels the request', async () => {
    const { brain, metrics } = setup({ firstTokenTimeoutMs: 300 });
    fake.replyChat({
      kind: 'stream',
      parts: [{ data: chunk({ role: 'assistant', content: '' }) }, { stall: true }],
    });
    const t0 = performance.now();
    const outs = await collect(brain, speech(hours), ctx());
    const elapsed = performance.now() - t0;
    expect(spoken(outs)).toBe(await rulesAnswer());
    expect(metrics[0]?.fallback).toBe('first-token-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(await fake.chatRequests()[0]?.closed).toEqual({ aborted: true });
  });

  it('keeps whole sentences and drops the half one when the stream is cut mid-answer', async () => {
    const { brain, metrics } = setup();
    fake.replyChat({
      kind: 'stream',
      parts: [
        { data: chunk({ content: "We're open until 6 today. We also do week" }) },
        { delayMs: 20 },
        { cut: true },
      ],
    });
    const outs = await collect(brain, speech('are you open'), ctx());
    expect(outs).toEqual([
      { type: 'say', text: "We're open until 6 today." },
      { type: 'listen', hint: 'open' },
    ]);
    expect(metrics[0]?.fallback).toBeUndefined();
  });

  it('falls back when the answer after a tool call fails before saying anything', async () => {
    const { brain, metrics } = setup();
    fake.replyChat(
      toolCallStream([{ id: 'c1', name: 'search_knowledge', args: ['{"query":"hours"}'] }]),
      errorReply(503),
    );
    const outs = await collect(brain, speech(hours), ctx());
    expect(spoken(outs)).toBe(await rulesAnswer());
    expect(metrics[0]).toMatchObject({ rounds: 2, fallback: 'error', toolCalls: ['search_knowledge'] });
  });

  it('lets the rules brain handle an emergency it detects, without waiting for the model', async () => {
    const { brain, tools, metrics } = setup();
    const outs = await collect(brain, speech('my basement is flooding'), ctx());
    expect(outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
    expect(tools.emergencies).toHaveLength(1);
    expect(fake.chatRequests()).toHaveLength(0);
    expect(metrics[0]?.fallback).toBe('emergency');
  });

  it('raises the detected emergency itself when the fallback brain does not', async () => {
    const silent = { async *respond() {} };
    const tools = new FakeTools(plumber, () => WED_MORNING);
    const brain = new LlmBrain({
      model: new OpenAiChatModel({ baseUrl: fake.baseUrl, model: 'm' }),
      fallback: { respond: () => silent.respond() },
      tools,
    });
    const outs = await collect(brain, speech('I smell gas in the kitchen'), ctx());
    expect(outs[0]).toMatchObject({ type: 'emergency', category: 'gas' });
    expect(tools.emergencies).toHaveLength(1);
  });

  it('gives silence to the rules brain', async () => {
    const { brain } = setup();
    const outs = await collect(brain, { kind: 'no-input' }, ctx());
    expect(spoken(outs)).toContain('Are you still there?');
    expect(fake.chatRequests()).toHaveLength(0);
  });
});

describe('LLM brain: prompt', () => {
  it('greets with the business greeting without asking the model', async () => {
    const { brain } = setup();
    const outs = await collect(brain, { kind: 'call-started' }, ctx());
    expect(says(outs)).toEqual(['Acme Plumbing, how can I help?', 'For emergencies, press 1.']);
    expect(fake.chatRequests()).toHaveLength(0);
  });

  it('tells the model the business, its local time, hours, services and what is already known', () => {
    const c = ctx({
      transcript: [
        { speaker: 'agent', text: 'Good morning, thanks for calling Acme Plumbing.' },
        { speaker: 'caller', text: 'Hi, my sink is blocked.' },
        { speaker: 'agent', text: 'Sorry to hear that. Can I get', interrupted: true },
      ],
    });
    const st = loadLlmState(c.state);
    st.lead.name = 'Dana';
    st.lead.phone = '+13125550199';
    const msgs = buildMessages(c, speech("it's Dana"), st, { voice: true });
    const system = msgs[0]?.content ?? '';
    expect(system).toContain('Acme Plumbing, a plumbing company');
    expect(system).toContain('Wednesday 2025-06-11');
    expect(system).toContain('9:15 a.m.');
    expect(system).toContain("We're open Monday to Friday, 8 a.m. to 6 p.m.");
    expect(system).toContain('Drain cleaning (id: drain): 60 minutes, from $129.');
    expect(system).toContain('Q: Do you offer free estimates?');
    expect(system).toContain('name: Dana; phone: ending in 0199');
    expect(system).not.toContain('555');
    expect(system).toContain('The call began with you saying');
    expect(msgs.slice(1)).toEqual([
      { role: 'user', content: 'Hi, my sink is blocked.' },
      { role: 'assistant', content: 'Sorry to hear that. Can I get—' },
      { role: 'user', content: "it's Dana" },
    ]);
  });

  it('makes text speakable and filters <think> split across deltas', () => {
    expect(speakable('- **Free** estimates over $500 [see](http://x)')).toBe('Free estimates over $500 see');
    expect(speakable('🙂')).toBe('');
    const f = new ThinkFilter();
    expect(
      ['Hi <th', 'ink>secret', '</thi', 'nk> there', ' <'].map((d) => f.push(d)).join('') + f.flush(),
    ).toBe('Hi  there <');
  });
});
