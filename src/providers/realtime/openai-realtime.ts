import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { z } from 'zod';
import type { Logger } from '../../shared/index.js';
import { socketUrl, type OpenAiSettings } from '../cloud-settings.js';
import { ProviderError, describeError, isRetryableStatus, retryAfterMs } from '../llm/http.js';
import { EventChannel } from '../stt/event-channel.js';

/**
 * OpenAI Realtime, GA interface only (PROTOCOLS.md 5, corrections in 5.5): the whole wire format
 * (the client events we send, zod schemas of the server events we read), the URL and auth, and one
 * connection. The preview (beta) shape is retired and refused by the server, so none of it is here.
 *
 * Spoken directly with `ws`: the official SDK's realtime client always dials wss: (5.5), so it
 * cannot reach a local test server or a plain-ws proxy, and it hides the handshake status.
 */

// ---------------------------------------------------------------------------------------------
// What the caller configures

export interface RealtimeTool {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments. */
  readonly parameters: Record<string, unknown>;
}

export type RealtimeTurnDetection =
  | {
      readonly type: 'server_vad';
      /** 0..1; higher needs louder speech. */
      readonly threshold: number;
      readonly prefixPaddingMs: number;
      readonly silenceDurationMs: number;
    }
  | { readonly type: 'semantic_vad'; readonly eagerness: 'low' | 'medium' | 'high' | 'auto' };

export interface RealtimeSessionConfig {
  readonly instructions: string;
  /** OPENAI_REALTIME_VOICE, default 'marin'. Cannot change once the model has spoken. */
  readonly voice: string;
  /** create_response true; interrupt_response false: the bridge decides interruptions itself. */
  readonly turnDetection: RealtimeTurnDetection;
  readonly tools: readonly RealtimeTool[];
  /** Default 'gpt-4o-mini-transcribe'. Without transcription there is no caller transcript (5.5). */
  readonly transcriptionModel?: string;
}

export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';
export const DEFAULT_CONNECT_TIMEOUT_MS = 1500;

// ---------------------------------------------------------------------------------------------
// Client events (5.2, 5.3)

/** The GA `session.update` body (5.2): mu-law both ways, so Twilio's audio passes straight through. */
export function sessionUpdateEvent(config: RealtimeSessionConfig, model: string): Record<string, unknown> {
  const td = config.turnDetection;
  const turnDetection =
    td.type === 'server_vad'
      ? {
          type: 'server_vad',
          threshold: td.threshold,
          prefix_padding_ms: td.prefixPaddingMs,
          silence_duration_ms: td.silenceDurationMs,
          create_response: true,
          interrupt_response: false,
        }
      : { type: 'semantic_vad', eagerness: td.eagerness, create_response: true, interrupt_response: false };
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      model,
      output_modalities: ['audio'],
      instructions: config.instructions,
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: config.transcriptionModel ?? DEFAULT_TRANSCRIPTION_MODEL, language: 'en' },
          turn_detection: turnDetection,
        },
        output: { format: { type: 'audio/pcmu' }, voice: config.voice },
      },
      tools: config.tools.map((t) => ({
        type: 'function',
        name: t.name,
        description: t.description,
        parameters: t.parameters,
      })),
      tool_choice: 'auto',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server events (5.4, 5.5): the ones the bridge uses. Objects are not strict: the server adds
// fields over time, and a new field must not break a call.

const id = z.string();
const errorDetail = z.object({
  type: z.string(),
  code: z.string().nullish(),
  message: z.string(),
  param: z.string().nullish(),
  event_id: z.string().nullish(),
});

/** A conversation item as the server reports it (message, function_call, function_call_output...). */
const item = z.object({
  id,
  /** 'message' | 'function_call' | 'function_call_output' | others (MCP...): kept open on purpose. */
  type: z.string(),
  role: z.enum(['user', 'assistant', 'system']).optional(),
  status: z.string().optional(),
  name: z.string().optional(),
  call_id: z.string().optional(),
  arguments: z.string().optional(),
  output: z.string().optional(),
  content: z.array(z.looseObject({ type: z.string() })).optional(),
});

const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), event_id: z.string().optional(), ...shape });

const serverEventSchemas = [
  ev('session.created', { session: z.looseObject({ id: z.string().optional() }) }),
  ev('session.updated', { session: z.looseObject({ id: z.string().optional() }) }),
  ev('error', { error: errorDetail }),
  ev('input_audio_buffer.speech_started', { audio_start_ms: z.number(), item_id: id }),
  ev('input_audio_buffer.speech_stopped', { audio_end_ms: z.number(), item_id: id }),
  ev('input_audio_buffer.committed', { item_id: id, previous_item_id: z.string().nullish() }),
  ev('conversation.item.input_audio_transcription.delta', {
    item_id: id,
    content_index: z.number().optional(),
    delta: z.string(),
  }),
  ev('conversation.item.input_audio_transcription.completed', {
    item_id: id,
    content_index: z.number().optional(),
    transcript: z.string(),
  }),
  ev('conversation.item.input_audio_transcription.failed', {
    item_id: id,
    content_index: z.number().optional(),
    error: z.looseObject({
      type: z.string().optional(),
      code: z.string().nullish(),
      message: z.string().optional(),
    }),
  }),
  ev('conversation.item.added', { previous_item_id: z.string().nullish(), item }),
  ev('conversation.item.done', { previous_item_id: z.string().nullish(), item }),
  ev('conversation.item.truncated', { item_id: id, content_index: z.number(), audio_end_ms: z.number() }),
  ev('response.created', { response: z.object({ id, status: z.string().optional() }) }),
  ev('response.output_item.added', {
    response_id: z.string().optional(),
    output_index: z.number().optional(),
    item,
  }),
  ev('response.output_audio.delta', {
    response_id: id,
    item_id: id,
    output_index: z.number().optional(),
    content_index: z.number().optional(),
    /** base64 in the session's output format (mu-law here). */
    delta: z.string(),
  }),
  ev('response.output_audio.done', { response_id: z.string().optional(), item_id: id }),
  ev('response.output_audio_transcript.delta', {
    response_id: z.string().optional(),
    item_id: id,
    delta: z.string(),
  }),
  ev('response.output_audio_transcript.done', {
    response_id: z.string().optional(),
    item_id: id,
    transcript: z.string(),
  }),
  ev('response.function_call_arguments.done', {
    response_id: z.string().optional(),
    call_id: id,
    item_id: id,
    name: z.string(),
    /** A JSON string, as the model wrote it (may not parse). */
    arguments: z.string(),
  }),
  ev('response.done', {
    response: z.object({
      id,
      status: z.enum(['completed', 'cancelled', 'failed', 'incomplete', 'in_progress']),
      status_details: z
        .looseObject({
          type: z.string().optional(),
          reason: z.string().nullish(),
          error: z.unknown().optional(),
        })
        .nullish(),
      output: z.array(item).default([]),
      usage: z.looseObject({}).nullish(),
    }),
  }),
  ev('rate_limits.updated', {
    rate_limits: z.array(
      z.looseObject({
        name: z.string(),
        limit: z.number().optional(),
        remaining: z.number().optional(),
        reset_seconds: z.number().optional(),
      }),
    ),
  }),
] as const;

export const realtimeServerEventSchema = z.discriminatedUnion('type', serverEventSchemas);
/** The server events the bridge uses (zod-parsed, discriminated on `type`); others are dropped. */
export type RealtimeServerEvent = z.infer<typeof realtimeServerEventSchema>;
export type RealtimeServerEventType = RealtimeServerEvent['type'];
export type RealtimeServerEventOf<T extends RealtimeServerEventType> = Extract<
  RealtimeServerEvent,
  { type: T }
>;

const schemaByType = new Map<string, z.ZodType<RealtimeServerEvent>>(
  serverEventSchemas.map((s) => [s.shape.type.value, s as unknown as z.ZodType<RealtimeServerEvent>]),
);

/**
 * One text frame: an event the bridge uses, `undefined` for a type it does not (ignored), or a
 * ProviderError 'protocol' for a frame that is not JSON, has no type, or breaks its type's schema.
 */
export function parseServerFrame(text: string): RealtimeServerEvent | undefined | ProviderError {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return protocolError(`a frame that is not JSON (${text.slice(0, 80)})`);
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') {
    return protocolError('a frame without a type');
  }
  const type = (raw as { type: string }).type;
  const schema = schemaByType.get(type);
  if (!schema) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return protocolError(
      `a malformed ${type} (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})`,
    );
  }
  return parsed.data;
}

function protocolError(what: string): ProviderError {
  return new ProviderError(`OpenAI Realtime: the server sent ${what}`, {
    kind: 'protocol',
    retryable: false,
  });
}

// ---------------------------------------------------------------------------------------------
// The connection

export interface RealtimeConnection {
  /**
   * Server events in arrival order. Ends after close(); THROWS a ProviderError when the socket
   * closes unexpectedly (kind 'network', with close code/reason) or a frame breaks the schema of a
   * known type (kind 'protocol'; the socket is then closed). Iterate once.
   */
  readonly events: AsyncIterable<RealtimeServerEvent>;
  /** Hot path: Twilio's base64 mu-law payload passed through unchanged. */
  appendAudio(base64Mulaw: string): void;
  updateSession(config: RealtimeSessionConfig): void;
  /** response.create; with `instructions` for a one-off (e.g. the greeting). */
  createResponse(opts?: { instructions?: string }): void;
  /** response.cancel */
  cancelResponse(): void;
  /** conversation.item.truncate, content_index 0. */
  truncate(itemId: string, audioEndMs: number): void;
  /** conversation.item.create of a function_call_output. */
  sendToolOutput(callId: string, output: string): void;
  /** conversation.item.create of a user/assistant message text (to carry history into a new session). */
  addMessage(role: 'user' | 'assistant', text: string): void;
  /** Idempotent, code 1000. Sends after close are dropped. */
  close(): void;
}

export interface ConnectOpenAiRealtimeOptions {
  readonly settings: OpenAiSettings;
  readonly signal: AbortSignal;
  /** session.created must arrive within this (default 1500 ms), else ProviderError 'timeout'. */
  readonly connectTimeoutMs?: number;
  readonly log: Logger;
}

const WHAT = 'OpenAI Realtime';
const MAX_ERROR_BODY = 4096;

/** The socket URL: base URL + /realtime, http->ws, https->wss, ?model=. */
export function realtimeUrl(settings: OpenAiSettings): URL {
  const url = socketUrl(settings.baseUrl, '/realtime');
  url.searchParams.set('model', settings.realtimeModel);
  return url;
}

/** Resolves after session.created; rejects with a ProviderError (or the signal's reason on abort). */
export function connectOpenAiRealtime(opts: ConnectOpenAiRealtimeOptions): Promise<RealtimeConnection> {
  const { settings, signal, log } = opts;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const url = realtimeUrl(settings);
  // The key must never reach a log line or an error message, even through the server's own words.
  const redact = (s: string): string =>
    settings.apiKey.length >= 4 ? s.split(settings.apiKey).join('[redacted]') : s;

  return new Promise<RealtimeConnection>((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${settings.apiKey}` },
      perMessageDeflate: false,
    });
    const events = new EventChannel<RealtimeServerEvent>();
    let open = false; // session.created seen: the promise is resolved
    let settled = false;
    let closing = false; // close() was called (or we closed on a protocol error)
    let lastError: z.infer<typeof errorDetail> | undefined;

    const timer = setTimeout(() => {
      failConnect(
        new ProviderError(`${WHAT}: no session.created within ${timeoutMs} ms`, {
          kind: 'timeout',
          retryable: true,
        }),
      );
    }, timeoutMs);
    timer.unref?.();

    const onAbort = (): void => {
      if (!open) failConnect(abortReason(signal));
      else conn.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    function settle(): void {
      settled = true;
      clearTimeout(timer);
    }

    function failConnect(err: unknown): void {
      if (settled) return;
      settle();
      signal.removeEventListener('abort', onAbort);
      closing = true;
      ws.removeAllListeners('message');
      ws.on('error', () => {}); // terminate() during the handshake emits an error we have already reported
      ws.terminate();
      reject(err);
    }

    /** After session.created: the reader sees this error once the events before it are read. */
    function failSession(err: ProviderError): void {
      if (closing) return;
      closing = true;
      signal.removeEventListener('abort', onAbort);
      log.warn({ kind: err.kind, code: err.code, message: err.message }, 'openai realtime session failed');
      events.fail(err);
    }

    function send(text: string): void {
      if (closing || ws.readyState !== WebSocket.OPEN) return;
      ws.send(text);
    }
    const sendEvent = (event: Record<string, unknown>): void => send(JSON.stringify(event));

    const conn: RealtimeConnection = {
      events,
      appendAudio(base64Mulaw) {
        // No object, no JSON.stringify: base64 needs no escaping, so the frame is built as text.
        send(`{"type":"input_audio_buffer.append","audio":"${base64Mulaw}"}`);
      },
      updateSession(config) {
        sendEvent(sessionUpdateEvent(config, settings.realtimeModel));
      },
      createResponse(o) {
        if (o?.instructions !== undefined) {
          sendEvent({ type: 'response.create', response: { instructions: o.instructions } });
        } else send('{"type":"response.create"}');
      },
      cancelResponse() {
        send('{"type":"response.cancel"}');
      },
      truncate(itemId, audioEndMs) {
        sendEvent({
          type: 'conversation.item.truncate',
          item_id: itemId,
          content_index: 0,
          // The server wants whole milliseconds, never negative.
          audio_end_ms: Math.max(0, Math.round(audioEndMs)),
        });
      },
      sendToolOutput(callId, output) {
        sendEvent({
          type: 'conversation.item.create',
          item: { type: 'function_call_output', call_id: callId, output },
        });
      },
      addMessage(role, text) {
        // GA content names: a user's text is input_text, an assistant's output_text (5.3).
        const content = [{ type: role === 'user' ? 'input_text' : 'output_text', text }];
        sendEvent({ type: 'conversation.item.create', item: { type: 'message', role, content } });
      },
      close() {
        if (closing) return;
        closing = true;
        signal.removeEventListener('abort', onAbort);
        events.end();
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
      },
    };

    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      readBody(res).then(
        (body) => failConnect(handshakeError(res, body, redact)),
        () => failConnect(handshakeError(res, '', redact)),
      );
    });

    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        onFrameError(protocolError('a binary frame'));
        return;
      }
      const parsed = parseServerFrame(data.toString());
      if (parsed === undefined) return;
      if (parsed instanceof ProviderError) {
        onFrameError(parsed);
        return;
      }
      if (parsed.type === 'error') {
        // Recoverable: the session stays open and the bridge decides. Kept to explain a close after it.
        // The server's words may quote the key: redacted before anyone can log them.
        parsed.error.message = redact(parsed.error.message);
        lastError = parsed.error;
        log.warn(
          { code: parsed.error.code ?? parsed.error.type, message: parsed.error.message },
          'openai realtime error event',
        );
      }
      if (!open) {
        if (parsed.type !== 'session.created') {
          if (parsed.type === 'error') return; // e.g. beta_api_shape_disabled, then close 4000
          failConnect(protocolError(`${parsed.type} before session.created`));
          return;
        }
        open = true;
        settle();
        log.info(
          { model: settings.realtimeModel, session: parsed.session.id },
          'openai realtime session created',
        );
        events.push(parsed);
        resolve(conn);
        return;
      }
      events.push(parsed);
    });

    function onFrameError(err: ProviderError): void {
      if (!open) {
        failConnect(err);
        return;
      }
      failSession(err);
      ws.close(1002, 'protocol error');
    }

    ws.on('error', (err) => {
      const reason = (err as { code?: unknown }).code ?? err.message;
      const e = new ProviderError(`${WHAT}: connection failed (${redact(String(reason))})`, {
        kind: 'network',
        retryable: true,
        cause: err,
      });
      if (!open) failConnect(e);
      else failSession(e);
    });

    ws.on('close', (code, reasonBuf) => {
      const err = closeError(code, redact(reasonBuf.toString()), lastError);
      if (!open) failConnect(err);
      else if (!closing) failSession(err);
      else events.end();
    });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** 4000 (beta shape), policy and protocol closes will not heal by trying again; a dropped link may. */
function closeError(
  code: number,
  reason: string,
  lastError: z.infer<typeof errorDetail> | undefined,
): ProviderError {
  const last = lastError ? `; last error ${lastError.code ?? lastError.type}: ${lastError.message}` : '';
  const retryable = !(code >= 4000 || code === 1002 || code === 1003 || code === 1007 || code === 1008);
  return new ProviderError(`${WHAT}: the socket closed (${code}${reason ? ` ${reason}` : ''})${last}`, {
    kind: 'network',
    retryable,
    code: lastError?.code ?? String(code),
  });
}

/** 401/403: not retryable; 429: retryable with the server's Retry-After; 5xx retryable. */
function handshakeError(res: IncomingMessage, body: string, redact: (s: string) => string): ProviderError {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (typeof v === 'string') headers.set(k, v);
    else if (Array.isArray(v)) for (const x of v) headers.append(k, x);
  }
  let parsed: ReturnType<typeof describeError>;
  try {
    parsed = describeError(JSON.parse(body));
  } catch {
    parsed = undefined;
  }
  const detail = redact(parsed?.message ?? body.trim().slice(0, 300));
  return new ProviderError(`${WHAT}: handshake refused: HTTP ${status}${detail ? `: ${detail}` : ''}`, {
    kind: 'http',
    status,
    retryable: isRetryableStatus(status),
    retryAfterMs: retryAfterMs(headers),
    code: parsed?.code,
  });
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < MAX_ERROR_BODY) chunks.push(c);
      size += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY)));
    res.on('error', reject);
  });
}
