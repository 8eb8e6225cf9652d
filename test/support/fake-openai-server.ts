import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A local server speaking the OpenAI-compatible chat and embeddings protocol as documented
 * (PROTOCOLS.md 6): SSE chat chunks with `[DONE]`, tool-call fragments, the include_usage final
 * chunk with empty `choices`, plain JSON completions, embeddings as float arrays or base64
 * float32 LE, and the faults clients must survive (HTTP errors with Retry-After, stalls, cut
 * streams, malformed chunks, `{"error":...}` chunks, Ollama's tool-call index quirks).
 *
 * Replies are queued per endpoint (`replyChat`, `replyEmbeddings`); with an empty queue the
 * default handler answers. Every request is recorded, with whether the client hung up early.
 */

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  body: ChatBody & EmbeddingsBody;
  /** Resolves when the connection closes; `aborted`: the client left before the reply ended. */
  readonly closed: Promise<{ aborted: boolean }>;
  /** Milliseconds (server clock) from receiving the request to its closing. */
  durationMs?: number;
}

export interface ChatBody {
  model?: string;
  messages?: { role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [k: string]: unknown;
}

export interface EmbeddingsBody {
  input?: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
}

export type StreamPart =
  /** One `data:` event with this value as JSON. */
  | { readonly data: unknown }
  /** Bytes written as they are (comments, multi-line data, malformed JSON, odd line breaks). */
  | { readonly raw: string }
  /** Pause before the next part. */
  | { readonly delayMs: number }
  /** The include_usage final chunk (`choices: []`), written only if the request asked for it. */
  | { readonly usage: { readonly prompt: number; readonly completion: number } }
  /** `data: [DONE]`. */
  | { readonly done: true }
  /** Destroy the connection here (a stream cut mid-way). */
  | { readonly cut: true }
  /** Write nothing more and keep the connection open until the client leaves. */
  | { readonly stall: true };

export type ChatReply =
  | { readonly kind: 'stream'; readonly parts: readonly StreamPart[]; readonly lineEnding?: '\n' | '\r\n' }
  | { readonly kind: 'json'; readonly body: unknown; readonly delayMs?: number }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Accept the request and never send the response headers. */
  | { readonly kind: 'hang' };

export type EmbeddingsReply =
  /** Vectors; `encoding`: 'honour' (default) answers in the requested format, else forces one. */
  | { readonly kind: 'embeddings'; readonly encoding?: 'honour' | 'float' | 'base64'; readonly dims?: number }
  | Extract<ChatReply, { kind: 'error' | 'json' | 'hang' }>;

export type ChatHandler = (body: ChatBody, req: RecordedRequest) => ChatReply | Promise<ChatReply>;
export type EmbeddingsHandler = (body: EmbeddingsBody, req: RecordedRequest) => EmbeddingsReply;

export interface FakeOpenAiServer {
  /** e.g. http://127.0.0.1:41234/v1 */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Exceptions thrown by reply handlers (a failed expect inside one): tests should check it is empty. */
  readonly errors: unknown[];
  /** Replies for the next chat requests, in order (a function is called with the request). */
  replyChat(...replies: (ChatReply | ChatHandler)[]): void;
  replyEmbeddings(...replies: (EmbeddingsReply | EmbeddingsHandler)[]): void;
  /** The reply when the queue is empty; default: `echoReply`. */
  defaultChat: ChatHandler;
  defaultEmbeddings: EmbeddingsHandler;
  chatRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  /** When set, requests without `Authorization: Bearer <key>` get 401. */
  readonly apiKey?: string;
  /** Length of the default embeddings. Default 8. */
  readonly embeddingDims?: number;
  /** Delay before each default chat reply's first content chunk (a slow model). */
  readonly firstTokenDelayMs?: number;
}

// ---- reply builders -----------------------------------------------------------------------------

const CREATED = 1730000000;

/** A `chat.completion.chunk` for choice 0. */
export function chunk(
  delta: Record<string, unknown>,
  finishReason: string | null = null,
  id = 'chatcmpl-1',
): unknown {
  return {
    id,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'fake-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    usage: null,
  };
}

export interface StreamOptions {
  /** Pause before the first content piece. */
  readonly firstDelayMs?: number;
  /** Pause between content pieces. */
  readonly delayMs?: number;
}

/** A streamed text answer: role chunk, one chunk per piece, stop, usage (if asked), [DONE]. */
export function textStream(pieces: readonly string[], opts: StreamOptions = {}): ChatReply {
  const parts: StreamPart[] = [{ data: chunk({ role: 'assistant', content: '' }) }];
  if (opts.firstDelayMs) parts.push({ delayMs: opts.firstDelayMs });
  pieces.forEach((p, i) => {
    if (i > 0 && opts.delayMs) parts.push({ delayMs: opts.delayMs });
    parts.push({ data: chunk({ content: p }) });
  });
  parts.push(
    { data: chunk({}, 'stop') },
    { usage: { prompt: 10, completion: pieces.length } },
    { done: true },
  );
  return { kind: 'stream', parts };
}

export interface FakeToolCall {
  readonly id: string;
  readonly name: string;
  /** The argument JSON in the fragments it streams in (first fragment: the id and name, args ""). */
  readonly args: readonly string[];
}

/**
 * Streamed tool calls, optionally after some text. Quirks: 'all-index-0' (Ollama: every call at
 * index 0), 'no-index' (old Ollama: no index field), 'whole-args-first' (the whole arguments in
 * the first fragment, with the id and name).
 */
export function toolCallStream(
  calls: readonly FakeToolCall[],
  opts: StreamOptions & {
    text?: readonly string[];
    quirk?: 'all-index-0' | 'no-index' | 'whole-args-first';
  } = {},
): ChatReply {
  const parts: StreamPart[] = [{ data: chunk({ role: 'assistant', content: null }) }];
  if (opts.firstDelayMs) parts.push({ delayMs: opts.firstDelayMs });
  for (const t of opts.text ?? []) parts.push({ data: chunk({ content: t }) });
  calls.forEach((c, n) => {
    const index = opts.quirk === 'all-index-0' ? 0 : n;
    const at = (frag: Record<string, unknown>) => (opts.quirk === 'no-index' ? frag : { index, ...frag });
    if (opts.quirk === 'whole-args-first' || opts.quirk === 'all-index-0' || opts.quirk === 'no-index') {
      parts.push({
        data: chunk({
          tool_calls: [
            at({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args.join('') } }),
          ],
        }),
      });
      return;
    }
    parts.push({
      data: chunk({
        tool_calls: [at({ id: c.id, type: 'function', function: { name: c.name, arguments: '' } })],
      }),
    });
    for (const a of c.args) {
      if (opts.delayMs) parts.push({ delayMs: opts.delayMs });
      parts.push({ data: chunk({ tool_calls: [at({ function: { arguments: a } })] }) });
    }
  });
  parts.push({ data: chunk({}, 'tool_calls') }, { usage: { prompt: 10, completion: 5 } }, { done: true });
  return { kind: 'stream', parts };
}

/** A plain (non-streamed) completion. */
export function jsonCompletion(text: string | null, toolCalls: readonly FakeToolCall[] = []): ChatReply {
  return {
    kind: 'json',
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: CREATED,
      model: 'fake-model',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text,
            ...(toolCalls.length
              ? {
                  tool_calls: toolCalls.map((c) => ({
                    id: c.id,
                    type: 'function',
                    function: { name: c.name, arguments: c.args.join('') },
                  })),
                }
              : {}),
          },
          finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    },
  };
}

/** An OpenAI-style error response. */
export function errorReply(
  status: number,
  message = 'fake failure',
  headers: Record<string, string> = {},
): Extract<ChatReply, { kind: 'error' }> {
  const type =
    status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { kind: 'error', status, body: { error: { message, type, param: null, code: type } }, headers };
}

/** The default: "You said: <last user message>." streamed in two pieces (or as JSON). */
export function echoReply(body: ChatBody, firstDelayMs = 0): ChatReply {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  const text = `You said: ${last?.content ?? ''}.`;
  if (body.stream !== true) return jsonCompletion(text);
  const mid = Math.floor(text.length / 2);
  return textStream([text.slice(0, mid), text.slice(mid)], { firstDelayMs });
}

/** A deterministic vector for a text: the same text always gives the same vector. */
export function fakeVector(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    v[i] = (h % 2000) / 1000 - 1;
  }
  return v;
}

export function float32Base64(v: Float32Array): string {
  const buf = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString('base64');
}

// ---- the server ---------------------------------------------------------------------------------

export async function startFakeOpenAiServer(opts: FakeOpenAiOptions = {}): Promise<FakeOpenAiServer> {
  const chatQueue: (ChatReply | ChatHandler)[] = [];
  const embQueue: (EmbeddingsReply | EmbeddingsHandler)[] = [];
  const dims = opts.embeddingDims ?? 8;
  const requests: RecordedRequest[] = [];
  const errors: unknown[] = [];

  const fake: FakeOpenAiServer = {
    baseUrl: '',
    requests,
    errors,
    replyChat: (...r) => void chatQueue.push(...r),
    replyEmbeddings: (...r) => void embQueue.push(...r),
    defaultChat: (body) => echoReply(body, opts.firstTokenDelayMs ?? 0),
    defaultEmbeddings: () => ({ kind: 'embeddings' }),
    chatRequests: () => requests.filter((r) => r.path.endsWith('/chat/completions')),
    close: async () => {},
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      errors.push(err);
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let finished = false;
    const path = (req.url ?? '').split('?')[0] ?? '';
    const record: RecordedRequest = {
      path,
      headers: req.headers,
      body: {},
      closed: new Promise<{ aborted: boolean }>((resolve) =>
        res.on('close', () => {
          record.durationMs = performance.now() - started;
          resolve({ aborted: !finished });
        }),
      ),
    };
    const raw = await readBody(req);
    let body: ChatBody & EmbeddingsBody = {};
    try {
      body = raw ? (JSON.parse(raw) as ChatBody & EmbeddingsBody) : {};
    } catch {
      sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
      finished = true;
      return;
    }
    record.body = body;
    requests.push(record);

    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      sendJson(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
      finished = true;
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'fake' }] });
      finished = true;
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const next = chatQueue.shift() ?? fake.defaultChat;
      const reply = typeof next === 'function' ? await next(body, record) : next;
      finished = await sendChat(res, reply, body);
      return;
    }
    if (req.method === 'POST' && path === '/v1/embeddings') {
      const next = embQueue.shift() ?? fake.defaultEmbeddings;
      const reply = typeof next === 'function' ? next(body, record) : next;
      if (reply.kind === 'embeddings') {
        sendJson(res, 200, embeddingsBody(body, reply, dims));
        finished = true;
      } else finished = await sendChat(res, reply, body);
      return;
    }
    sendJson(res, 404, {
      error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' },
    });
    finished = true;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  (fake as { baseUrl: string }).baseUrl = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** Writes a chat reply; true when it was written to the end. */
async function sendChat(res: ServerResponse, reply: ChatReply, body: ChatBody): Promise<boolean> {
  const gone = () => res.destroyed || res.writableEnded;
  switch (reply.kind) {
    case 'error':
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body ?? { error: { message: 'error', type: 'server_error' } }));
      return true;
    case 'json':
      if (reply.delayMs) await sleep(reply.delayMs);
      if (gone()) return false;
      sendJson(res, 200, reply.body);
      return true;
    case 'hang':
      await new Promise((resolve) => res.on('close', resolve));
      return false;
    case 'stream': {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.flushHeaders();
      const nl = reply.lineEnding ?? '\n';
      for (const part of reply.parts) {
        if (gone()) return false;
        if ('delayMs' in part) await sleep(part.delayMs);
        else if ('data' in part) res.write(`data: ${JSON.stringify(part.data)}${nl}${nl}`);
        else if ('raw' in part) res.write(part.raw);
        else if ('usage' in part) {
          if (body.stream_options?.include_usage !== true) continue;
          const { prompt, completion } = part.usage;
          res.write(
            `data: ${JSON.stringify({
              id: 'chatcmpl-1',
              object: 'chat.completion.chunk',
              created: CREATED,
              model: 'fake-model',
              choices: [],
              usage: {
                prompt_tokens: prompt,
                completion_tokens: completion,
                total_tokens: prompt + completion,
              },
            })}${nl}${nl}`,
          );
        } else if ('done' in part) res.write(`data: [DONE]${nl}${nl}`);
        else if ('cut' in part) {
          res.socket?.destroy();
          return false;
        } else if ('stall' in part) {
          await new Promise((resolve) => res.on('close', resolve));
          return false;
        }
      }
      if (gone()) return false;
      res.end();
      return true;
    }
  }
}

function embeddingsBody(
  body: EmbeddingsBody,
  reply: Extract<EmbeddingsReply, { kind: 'embeddings' }>,
  defaultDims: number,
): unknown {
  const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
  const dims = reply.dims ?? body.dimensions ?? defaultDims;
  const encoding =
    reply.encoding === 'float' || reply.encoding === 'base64'
      ? reply.encoding
      : (body.encoding_format ?? 'float');
  return {
    object: 'list',
    data: inputs.map((text, index) => {
      const v = fakeVector(text, dims);
      return {
        object: 'embedding',
        index,
        embedding: encoding === 'base64' ? float32Base64(v) : Array.from(v),
      };
    }),
    model: 'fake-embed',
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
