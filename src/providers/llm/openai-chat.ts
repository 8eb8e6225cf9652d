import { z } from 'zod';
import { ProviderError, RequestControl, describeError, errorFromResponse, joinUrl } from './http.js';
import type { ChatDelta, ChatMessage, ChatModel, FinishReason, ToolCall, ToolSpec, Usage } from './llm.js';
import { SseDecoder } from './sse.js';

/**
 * A streaming client for any OpenAI-compatible `/v1/chat/completions` (OpenAI, Ollama, vLLM,
 * llama.cpp). The wire format lives here and nowhere else (PROTOCOLS.md 6.1, 6.2): SSE chunks,
 * tool-call fragments accumulated per index with Ollama's quirks tolerated, the include_usage
 * final chunk, `[DONE]`, `{"error":...}` chunks. A server that answers a streaming request with a
 * plain JSON completion (some do when tools are given) is read as one big delta.
 */

export interface OpenAiChatOptions {
  /** Up to and including the version path, e.g. "http://127.0.0.1:11434/v1". */
  readonly baseUrl: string;
  /** Sent as a bearer token when set (Ollama and llama.cpp accept anything or nothing). */
  readonly apiKey?: string | undefined;
  readonly model: string;
  /** Time allowed until the response headers. Default 30 s. */
  readonly timeoutMs?: number;
  /** Time allowed between two reads of the stream (a stall). Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Ask for the usage chunk (`stream_options.include_usage`). Default true. */
  readonly includeUsage?: boolean;
  readonly temperature?: number | undefined;
  /** Sent as `max_tokens` when set. */
  readonly maxTokens?: number | undefined;
  /** Merged into the request body last, for vendor options (e.g. Ollama's `options`). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Milliseconds clock for timing; default performance.now. */
  readonly clock?: () => number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

// ---- wire schemas (lenient: servers differ in what they leave out or set to null) ------------

const toolFragmentSchema = z.object({
  index: z.number().int().nullish(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z
    .object({
      name: z.string().nullish(),
      // Some servers send the arguments as an object rather than JSON text.
      arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
    })
    .nullish(),
});
type ToolFragment = z.infer<typeof toolFragmentSchema>;

const usageSchema = z.object({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
});

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z.array(toolFragmentSchema).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
});

const completionSchema = z.object({
  choices: z.array(
    z.object({
      message: z.object({
        content: z.string().nullish(),
        refusal: z.string().nullish(),
        tool_calls: z.array(toolFragmentSchema).nullish(),
      }),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema.nullish(),
});

const FINISH_REASONS: ReadonlySet<string> = new Set([
  'stop',
  'length',
  'tool_calls',
  'content_filter',
  'function_call',
]);

function finishReason(raw: string): FinishReason {
  return FINISH_REASONS.has(raw) ? (raw as FinishReason) : 'unknown';
}

function toUsage(u: z.infer<typeof usageSchema>): Usage {
  const promptTokens = u.prompt_tokens ?? 0;
  const completionTokens = u.completion_tokens ?? 0;
  return { promptTokens, completionTokens, totalTokens: u.total_tokens ?? promptTokens + completionTokens };
}

// ---- tool-call accumulation ------------------------------------------------------------------

interface PartialCall {
  id: string | undefined;
  name: string;
  args: string;
}

/**
 * Joins tool-call fragments into whole calls. OpenAI: fragments carry `index`; the first has
 * `id` and `name`, later ones only argument text. Tolerated quirks (Ollama): `index` missing
 * (a fragment with a new id is a new call, one without continues the last); every call at
 * index 0 (a new id at an occupied index is a new call); the whole arguments in the first
 * fragment; arguments as an object.
 */
export class ToolCallAccumulator {
  private readonly calls: PartialCall[] = [];
  private readonly byIndex = new Map<number, PartialCall>();

  add(f: ToolFragment): void {
    const id = f.id ? f.id : undefined;
    const rawArgs = f.function?.arguments;
    const args = typeof rawArgs === 'string' ? rawArgs : rawArgs ? JSON.stringify(rawArgs) : '';
    const index = typeof f.index === 'number' ? f.index : undefined;
    const current = index === undefined ? this.calls[this.calls.length - 1] : this.byIndex.get(index);
    let call = current && !(id && current.id && id !== current.id) ? current : undefined;
    if (!call) {
      call = { id, name: '', args: '' };
      this.calls.push(call);
      if (index !== undefined) this.byIndex.set(index, call);
    }
    if (id && !call.id) call.id = id;
    if (f.function?.name) call.name = f.function.name;
    call.args += args;
  }

  get size(): number {
    return this.calls.length;
  }

  /** The calls in the order they started, arguments parsed; nameless fragments are dropped. */
  finish(): ToolCall[] {
    const out: ToolCall[] = [];
    this.calls.forEach((c, i) => {
      if (!c.name) return;
      const id = c.id ?? `call_${i}`;
      const text = c.args.trim();
      if (text === '') {
        out.push({ id, name: c.name, arguments: {}, rawArguments: c.args });
        return;
      }
      try {
        out.push({ id, name: c.name, arguments: JSON.parse(text) as unknown, rawArguments: c.args });
      } catch (err) {
        const invalid = err instanceof Error ? err.message : 'invalid JSON';
        out.push({ id, name: c.name, arguments: undefined, rawArguments: c.args, invalid });
      }
    });
    this.calls.length = 0;
    this.byIndex.clear();
    return out;
  }
}

// ---- the client ------------------------------------------------------------------------------

export class OpenAiChatModel implements ChatModel {
  readonly name: string;
  private readonly url: string;
  private readonly clock: () => number;

  constructor(private readonly opts: OpenAiChatOptions) {
    this.name = `openai-chat:${opts.model}`;
    this.url = joinUrl(opts.baseUrl, 'chat/completions');
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** The request body, exported for tests and logs (it holds no key). */
  body(messages: readonly ChatMessage[], tools: readonly ToolSpec[]): Record<string, unknown> {
    const o = this.opts;
    return {
      model: o.model,
      messages: messages.map(wireMessage),
      ...(tools.length > 0
        ? {
            tools: tools.map((t) => ({
              type: 'function',
              function: { name: t.name, description: t.description, parameters: t.parameters },
            })),
          }
        : {}),
      stream: true,
      ...(o.includeUsage === false ? {} : { stream_options: { include_usage: true } }),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.maxTokens !== undefined ? { max_tokens: o.maxTokens } : {}),
      ...o.extraBody,
    };
  }

  async *stream(
    messages: readonly ChatMessage[],
    tools: readonly ToolSpec[],
    signal: AbortSignal,
  ): AsyncIterable<ChatDelta> {
    if (signal.aborted) return;
    const what = `chat completion (${this.opts.model})`;
    const ctl = new RequestControl(signal);
    const t0 = this.clock();
    let firstTokenMs: number | undefined;
    const sawToken = () => {
      firstTokenMs ??= this.clock() - t0;
    };
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      let res: Response;
      ctl.arm(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      try {
        res = await fetch(this.url, {
          method: 'POST',
          headers: this.headers(),
          body: JSON.stringify(this.body(messages, tools)),
          signal: ctl.signal,
        });
      } catch (err) {
        const e = ctl.classify(err, what);
        if (e) throw e;
        return;
      }
      if (!res.ok) throw await errorFromResponse(res, what);
      ctl.arm(this.opts.idleTimeoutMs ?? DEFAULT_TIMEOUT_MS);

      const type = res.headers.get('content-type') ?? '';
      if (type.includes('application/json')) {
        let text: string;
        try {
          text = await res.text();
        } catch (err) {
          const e = ctl.classify(err, what);
          if (e) throw e;
          return;
        }
        const whole = readCompletion(text, what);
        if (whole.deltas.some((d) => d.type === 'text' || d.type === 'tool-call')) sawToken();
        for (const d of whole.deltas) {
          if (signal.aborted) return;
          yield d;
        }
        if (signal.aborted) return;
        yield {
          type: 'done',
          finishReason: whole.finish,
          timing: { firstTokenMs, totalMs: this.clock() - t0 },
        };
        return;
      }
      if (!res.body)
        throw new ProviderError(`${what}: response has no body`, { kind: 'protocol', retryable: true });

      reader = res.body.getReader();
      const sse = new SseDecoder();
      const calls = new ToolCallAccumulator();
      let finish: FinishReason | undefined;
      let sawDone = false;
      for (;;) {
        let r: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
        try {
          r = await reader.read();
        } catch (err) {
          const e = ctl.classify(err, what);
          if (e) throw e;
          return;
        }
        if (signal.aborted) return;
        ctl.arm(this.opts.idleTimeoutMs ?? DEFAULT_TIMEOUT_MS);
        const events = r.done ? sse.end() : sse.push(r.value);
        for (const ev of events) {
          if (ev.data.startsWith('[DONE]')) {
            sawDone = true;
            break;
          }
          const chunk = parseChunk(ev.data, what);
          for (const choice of chunk.choices ?? []) {
            // We ask for one choice; a server that sends more is ignored beyond the first.
            if ((choice.index ?? 0) !== 0) continue;
            const delta = choice.delta;
            const text = (delta?.content ?? '') + (delta?.refusal ?? '');
            if (text !== '') {
              sawToken();
              yield { type: 'text', text };
              if (signal.aborted) return;
            }
            for (const f of delta?.tool_calls ?? []) {
              sawToken();
              calls.add(f);
            }
            if (choice.finish_reason) {
              finish = finishReason(choice.finish_reason);
              for (const call of calls.finish()) {
                yield { type: 'tool-call', call };
                if (signal.aborted) return;
              }
            }
          }
          if (chunk.usage) {
            yield { type: 'usage', usage: toUsage(chunk.usage) };
            if (signal.aborted) return;
          }
        }
        if (sawDone || r.done) break;
      }
      if (!sawDone && finish === undefined) {
        throw new ProviderError(`${what}: the stream ended before the completion did`, {
          kind: 'network',
          retryable: true,
        });
      }
      // `[DONE]` without a finish_reason (seen from some servers): the calls are complete anyway.
      for (const call of calls.finish()) {
        yield { type: 'tool-call', call };
        if (signal.aborted) return;
      }
      yield {
        type: 'done',
        finishReason: finish ?? 'unknown',
        timing: { firstTokenMs, totalMs: this.clock() - t0 },
      };
    } finally {
      // Leaving early (abort, break, error) closes the connection so the server stops generating.
      ctl.cancel();
      reader?.cancel().catch(() => {});
    }
  }

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'text/event-stream, application/json',
      ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
      ...this.opts.headers,
    };
  }
}

function wireMessage(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    case 'assistant': {
      const calls = m.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: m.content };
      return {
        role: 'assistant',
        content: m.content === '' ? null : m.content,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          // Invalid argument text is not echoed: some servers parse it in their chat template.
          function: {
            name: c.name,
            arguments: c.invalid || c.rawArguments.trim() === '' ? '{}' : c.rawArguments,
          },
        })),
      };
    }
  }
}

function parseChunk(data: string, what: string): z.infer<typeof chunkSchema> {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (err) {
    throw new ProviderError(`${what}: malformed chunk in the stream`, {
      kind: 'protocol',
      retryable: true,
      cause: err,
    });
  }
  throwIfError(json, what);
  const parsed = chunkSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(
      `${what}: unexpected chunk shape (${parsed.error.issues[0]?.message ?? 'invalid'})`,
      {
        kind: 'protocol',
        retryable: false,
      },
    );
  }
  return parsed.data;
}

const RETRYABLE_CODES = /rate|overload|server_error|timeout|unavailable|capacity/i;

function throwIfError(json: unknown, what: string): void {
  const err = describeError(json);
  if (!err) return;
  const status = Number(err.code);
  throw new ProviderError(`${what}: the server reported an error: ${err.message}`, {
    kind: 'api',
    status: Number.isInteger(status) && status >= 400 ? status : undefined,
    code: err.code,
    retryable:
      (Number.isInteger(status) && status >= 500) || RETRYABLE_CODES.test(`${err.code ?? ''} ${err.message}`),
  });
}

/** A plain (non-streamed) completion as deltas. */
function readCompletion(text: string, what: string): { deltas: ChatDelta[]; finish: FinishReason } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProviderError(`${what}: malformed JSON response`, {
      kind: 'protocol',
      retryable: true,
      cause: err,
    });
  }
  throwIfError(json, what);
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(`${what}: unexpected response shape`, { kind: 'protocol', retryable: false });
  }
  const deltas: ChatDelta[] = [];
  const choice = parsed.data.choices[0];
  if (choice) {
    const content = (choice.message.content ?? '') + (choice.message.refusal ?? '');
    if (content !== '') deltas.push({ type: 'text', text: content });
    const calls = new ToolCallAccumulator();
    choice.message.tool_calls?.forEach((f, i) => calls.add({ ...f, index: f.index ?? i }));
    for (const call of calls.finish()) deltas.push({ type: 'tool-call', call });
  }
  if (parsed.data.usage) deltas.push({ type: 'usage', usage: toUsage(parsed.data.usage) });
  return { deltas, finish: choice?.finish_reason ? finishReason(choice.finish_reason) : 'unknown' };
}
