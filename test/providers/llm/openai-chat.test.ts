import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/providers/llm/http.js';
import type { ChatDelta, ChatMessage, ToolSpec } from '../../../src/providers/llm/llm.js';
import {
  OpenAiChatModel,
  ToolCallAccumulator,
  type OpenAiChatOptions,
} from '../../../src/providers/llm/openai-chat.js';
import {
  chunk,
  errorReply,
  jsonCompletion,
  startFakeOpenAiServer,
  textStream,
  toolCallStream,
  type FakeOpenAiServer,
} from '../../support/fake-openai-server.js';

let fake: FakeOpenAiServer;
beforeAll(async () => {
  fake = await startFakeOpenAiServer({ apiKey: 'sk-test' });
});
afterAll(async () => fake.close());
afterEach(() => {
  fake.requests.length = 0;
});

const USER: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
const WEATHER: ToolSpec = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function model(extra: Partial<OpenAiChatOptions> = {}): OpenAiChatModel {
  return new OpenAiChatModel({ baseUrl: fake.baseUrl, apiKey: 'sk-test', model: 'fake-model', ...extra });
}

async function collect(
  it: AsyncIterable<ChatDelta>,
  onDelta?: (d: ChatDelta) => void,
): Promise<{ deltas: ChatDelta[]; error: unknown }> {
  const deltas: ChatDelta[] = [];
  try {
    for await (const d of it) {
      deltas.push(d);
      onDelta?.(d);
    }
  } catch (error) {
    return { deltas, error };
  }
  return { deltas, error: undefined };
}

const text = (ds: readonly ChatDelta[]) =>
  ds
    .filter((d): d is Extract<ChatDelta, { type: 'text' }> => d.type === 'text')
    .map((d) => d.text)
    .join('');
const calls = (ds: readonly ChatDelta[]) =>
  ds.filter((d): d is Extract<ChatDelta, { type: 'tool-call' }> => d.type === 'tool-call').map((d) => d.call);
const never = () => new AbortController().signal;

describe('OpenAiChatModel streaming', () => {
  it('streams text deltas, then the include_usage chunk, then done(stop)', async () => {
    fake.replyChat(textStream(['Hel', 'lo ', 'there.']));
    const { deltas, error } = await collect(model().stream(USER, [], never()));
    expect(error).toBeUndefined();
    expect(deltas.map((d) => d.type)).toEqual(['text', 'text', 'text', 'usage', 'done']);
    expect(text(deltas)).toBe('Hello there.');
    expect(deltas[3]).toEqual({
      type: 'usage',
      usage: { promptTokens: 10, completionTokens: 3, totalTokens: 13 },
    });
    const done = deltas[4] as Extract<ChatDelta, { type: 'done' }>;
    expect(done.finishReason).toBe('stop');
    expect(done.timing.firstTokenMs).toBeGreaterThanOrEqual(0);
  });

  it('sends the documented request: model, messages, stream, include_usage, tools, bearer key', async () => {
    fake.replyChat(textStream(['ok']));
    const history: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          {
            id: 'call_1',
            name: 'get_weather',
            arguments: { city: 'Paris' },
            rawArguments: '{"city":"Paris"}',
          },
        ],
      },
      { role: 'tool', toolCallId: 'call_1', content: '{"temp":21}' },
    ];
    await collect(model({ temperature: 0.2, maxTokens: 100 }).stream(history, [WEATHER], never()));
    const req = fake.requests[0];
    expect(req?.headers.authorization).toBe('Bearer sk-test');
    expect(req?.body).toMatchObject({
      model: 'fake-model',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 100,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER.parameters } }],
    });
    expect(req?.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
    ]);
  });

  it('leaves out stream_options and tools when not wanted', async () => {
    fake.replyChat(textStream(['ok']));
    const { deltas } = await collect(model({ includeUsage: false }).stream(USER, [], never()));
    expect(fake.requests[0]?.body.stream_options).toBeUndefined();
    expect(fake.requests[0]?.body.tools).toBeUndefined();
    expect(deltas.map((d) => d.type)).toEqual(['text', 'done']);
  });

  it('reads \\r\\n line endings, comments and data split over several lines', async () => {
    fake.replyChat({
      kind: 'stream',
      lineEnding: '\r\n',
      parts: [
        { raw: ': OPENROUTER PROCESSING\r\n\r\n' },
        { data: chunk({ role: 'assistant', content: 'A' }) },
        {
          raw: `data: {"id":"c","object":"chat.completion.chunk",\r\ndata: "choices":[{"index":0,"delta":{"content":"B"}}]}\r\n\r\n`,
        },
        { data: chunk({}, 'stop') },
        { done: true },
      ],
    });
    const { deltas, error } = await collect(model().stream(USER, [], never()));
    expect(error).toBeUndefined();
    expect(text(deltas)).toBe('AB');
  });

  it('joins tool-call fragments by index into whole calls with parsed arguments', async () => {
    fake.replyChat(
      toolCallStream([
        { id: 'call_1', name: 'get_weather', args: ['{"ci', 'ty":', '"Paris"}'] },
        { id: 'call_2', name: 'get_weather', args: ['{"city":"Oslo"}'] },
      ]),
    );
    const { deltas } = await collect(model().stream(USER, [WEATHER], never()));
    expect(calls(deltas)).toEqual([
      { id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' }, rawArguments: '{"city":"Paris"}' },
      { id: 'call_2', name: 'get_weather', arguments: { city: 'Oslo' }, rawArguments: '{"city":"Oslo"}' },
    ]);
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
  });

  it.each(['all-index-0', 'no-index', 'whole-args-first'] as const)(
    'tolerates the Ollama quirk %s',
    async (quirk) => {
      fake.replyChat(
        toolCallStream(
          [
            { id: 'call_a', name: 'get_weather', args: ['{"city":', '"Paris"}'] },
            { id: 'call_b', name: 'get_weather', args: ['{"city":"Oslo"}'] },
          ],
          { quirk },
        ),
      );
      const { deltas } = await collect(model().stream(USER, [WEATHER], never()));
      expect(calls(deltas).map((c) => [c.id, c.arguments])).toEqual([
        ['call_a', { city: 'Paris' }],
        ['call_b', { city: 'Oslo' }],
      ]);
    },
  );

  it('reports unparseable tool arguments instead of throwing', async () => {
    fake.replyChat(toolCallStream([{ id: 'call_1', name: 'get_weather', args: ['{"city": Par'] }]));
    const { deltas, error } = await collect(model().stream(USER, [WEATHER], never()));
    expect(error).toBeUndefined();
    const [call] = calls(deltas);
    expect(call?.arguments).toBeUndefined();
    expect(call?.invalid).toBeTruthy();
  });

  it('reads a plain JSON completion given in answer to a streaming request', async () => {
    fake.replyChat(
      jsonCompletion('Sure.', [{ id: 'call_9', name: 'get_weather', args: ['{"city":"Rome"}'] }]),
    );
    const { deltas } = await collect(model().stream(USER, [WEATHER], never()));
    expect(text(deltas)).toBe('Sure.');
    expect(calls(deltas)[0]).toMatchObject({ id: 'call_9', arguments: { city: 'Rome' } });
    expect(deltas.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
  });

  it('does not count a role-only chunk as the first token', async () => {
    fake.replyChat(textStream(['Late.'], { firstDelayMs: 150 }));
    const { deltas } = await collect(model().stream(USER, [], never()));
    const done = deltas.at(-1) as Extract<ChatDelta, { type: 'done' }>;
    expect(done.timing.firstTokenMs).toBeGreaterThanOrEqual(140);
    expect(done.timing.totalMs).toBeGreaterThanOrEqual(done.timing.firstTokenMs ?? 0);
  });
});

describe('OpenAiChatModel failures', () => {
  it('turns HTTP 500 into a retryable http error with the server message', async () => {
    fake.replyChat(errorReply(500, 'model crashed'));
    const { error } = await collect(model().stream(USER, [], never()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'http', status: 500, retryable: true, code: 'server_error' });
    expect((error as Error).message).toContain('model crashed');
  });

  it('reads Retry-After on 429', async () => {
    fake.replyChat(errorReply(429, 'slow down', { 'retry-after': '2' }));
    const { error } = await collect(model().stream(USER, [], never()));
    expect(error).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 2000 });
  });

  it('marks 400 and 401 as not retryable', async () => {
    fake.replyChat(errorReply(400, 'bad tools'));
    expect((await collect(model().stream(USER, [], never()))).error).toMatchObject({
      status: 400,
      retryable: false,
    });
    const wrongKey = model({ apiKey: 'sk-wrong' });
    expect((await collect(wrongKey.stream(USER, [], never()))).error).toMatchObject({
      status: 401,
      retryable: false,
    });
  });

  it('raises an {"error":...} chunk as an api error after the text before it', async () => {
    fake.replyChat({
      kind: 'stream',
      parts: [
        { data: chunk({ content: 'Par' }) },
        { data: { error: { message: 'overloaded', type: 'server_error', code: 'server_error' } } },
      ],
    });
    const { deltas, error } = await collect(model().stream(USER, [], never()));
    expect(text(deltas)).toBe('Par');
    expect(error).toMatchObject({ kind: 'api', retryable: true });
    expect((error as Error).message).toContain('overloaded');
  });

  it('raises a malformed JSON chunk as a protocol error', async () => {
    fake.replyChat({
      kind: 'stream',
      parts: [{ data: chunk({ content: 'A' }) }, { raw: 'data: {"choices":[{\n\n' }],
    });
    const { error } = await collect(model().stream(USER, [], never()));
    expect(error).toMatchObject({ kind: 'protocol' });
  });

  it('raises a stream cut before its end as a retryable network error', async () => {
    fake.replyChat({
      kind: 'stream',
      parts: [{ data: chunk({ content: 'Half a sent' }) }, { delayMs: 20 }, { cut: true }],
    });
    const { deltas, error } = await collect(model().stream(USER, [], never()));
    expect(text(deltas)).toBe('Half a sent');
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });

  it('raises a clean end without [DONE] or finish_reason as a cut stream', async () => {
    fake.replyChat({ kind: 'stream', parts: [{ data: chunk({ content: 'Half' }) }] });
    const { error } = await collect(model().stream(USER, [], never()));
    expect(error).toMatchObject({ kind: 'network' });
  });

  it('times out a stream that stalls before the first token', async () => {
    fake.replyChat({
      kind: 'stream',
      parts: [{ data: chunk({ role: 'assistant', content: '' }) }, { stall: true }],
    });
    const t0 = performance.now();
    const { error } = await collect(model({ idleTimeoutMs: 200 }).stream(USER, [], never()));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
  });

  it('times out a server that never sends response headers', async () => {
    fake.replyChat({ kind: 'hang' });
    const { error } = await collect(model({ timeoutMs: 150 }).stream(USER, [], never()));
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('raises a refused connection as a retryable network error', async () => {
    const m = new OpenAiChatModel({ baseUrl: 'http://127.0.0.1:9/v1', model: 'x' });
    const { error } = await collect(m.stream(USER, [], never()));
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });
});

describe('OpenAiChatModel cancellation', () => {
  it('stops yielding and cancels the HTTP request when the signal aborts mid-stream', async () => {
    fake.replyChat(textStream(['one ', 'two ', 'three ', 'four ', 'five'], { delayMs: 50 }));
    const ac = new AbortController();
    const { deltas, error } = await collect(model().stream(USER, [], ac.signal), (d) => {
      if (d.type === 'text' && d.text === 'two ') ac.abort();
    });
    expect(error).toBeUndefined();
    expect(text(deltas)).toBe('one two ');
    expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
  });

  it('cancels the HTTP request when the signal aborts while waiting for the first token', async () => {
    fake.replyChat({ kind: 'stream', parts: [{ stall: true }] });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const { deltas, error } = await collect(model().stream(USER, [], ac.signal));
    expect(error).toBeUndefined();
    expect(deltas).toEqual([]);
    expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
  });

  it('cancels the HTTP request when the consumer stops iterating', async () => {
    fake.replyChat(textStream(['a', 'b', 'c', 'd'], { delayMs: 50 }));
    for await (const d of model().stream(USER, [], never())) {
      if (d.type === 'text') break;
    }
    expect(await fake.requests[0]?.closed).toEqual({ aborted: true });
  });

  it('makes no request at all with an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    const { deltas } = await collect(model().stream(USER, [], ac.signal));
    expect(deltas).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('ToolCallAccumulator', () => {
  it('treats a new id at an occupied index as a new call, and a missing id as more of the same', () => {
    const acc = new ToolCallAccumulator();
    acc.add({ index: 0, id: 'a', function: { name: 'f', arguments: '{"x":' } });
    acc.add({ index: 0, function: { arguments: '1}' } });
    acc.add({ index: 0, id: 'b', function: { name: 'g', arguments: { y: 2 } } });
    expect(acc.finish().map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['a', 'f', { x: 1 }],
      ['b', 'g', { y: 2 }],
    ]);
  });

  it('gives calls without an id one, and empty arguments as {}', () => {
    const acc = new ToolCallAccumulator();
    acc.add({ index: 0, function: { name: 'end_call' } });
    expect(acc.finish()).toEqual([{ id: 'call_0', name: 'end_call', arguments: {}, rawArguments: '' }]);
  });
});
