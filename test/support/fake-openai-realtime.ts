import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { decodeMulawSample, encodeMulawSample } from '../../src/audio/index.js';

/**
 * A local server speaking the OpenAI Realtime GA protocol as documented (PROTOCOLS.md 5, with the
 * corrections of 5.5 winning): the stand-in for the vendor in every realtime test and benchmark.
 *
 * - Handshake: `Authorization: Bearer <key>` (401 otherwise), `?model=` required (400), an
 *   `OpenAI-Beta` header gets error beta_api_shape_disabled then close 4000. session.created
 *   first; GA sends no conversation.created.
 * - session.update validated as GA: no session.type -> missing_required_parameter; preview fields
 *   (input_audio_format, modalities, top-level voice...) -> unknown_parameter; then
 *   session.updated with the effective config. Output audio is in the session's output format
 *   (24 kHz PCM16 unless audio/pcmu or audio/pcma is set); caller transcripts only with
 *   audio.input.transcription.
 * - Input audio decoded per the input format; server VAD by energy on the decoded samples, in audio
 *   time (no timers): speech_started (audio_start_ms includes the prefix padding), speech_stopped,
 *   committed, the user item, transcription delta(s) + completed (text from `transcripts`), then a
 *   response when create_response.
 * - Responses from `reply`: a `say` streams a mu-law (or PCM) tone of ~60 ms per character in
 *   100 ms chunks, faster than real time; a `tool` emits a function_call. Cancel, truncate, tool
 *   outputs and their errors as documented.
 * - Faults: for the next connection (`controls.next`) or live on all sessions (`controls.*All`).
 * - Every client event is recorded per session (appends as their base64 text, cheaply).
 *
 * Cheap per session (hundreds at once): no timers but one per streaming response.
 */

// ---------------------------------------------------------------------------------------------
// Public types

export type ReplyContext = {
  readonly session: FakeRealtimeSession;
  /** The latest caller transcript ('' when none, or transcription is off). */
  readonly transcript: string;
  /** The instructions of a one-off response.create, if it had any. */
  readonly instructions: string | undefined;
  readonly sessionInstructions: string;
  readonly items: readonly FakeItem[];
  /** Every function_call_output sent so far in this session, oldest first. */
  readonly toolOutputs: readonly FakeToolOutput[];
};

export type Reply =
  | { readonly say: string }
  /** `arguments` as an object (sent as JSON) or a string sent as it is. */
  | { readonly tool: { readonly name: string; readonly arguments: unknown } };

export type Replier = (ctx: ReplyContext) => Reply;

export interface FakeItem {
  readonly id: string;
  readonly type: 'message' | 'function_call' | 'function_call_output';
  readonly role?: 'user' | 'assistant' | 'system';
  /** Text of a message (typed, transcribed, or what the assistant said, cut by a truncation). */
  text: string;
  /** Audio produced for an assistant item, in ms (what truncation is checked against). */
  audioMs: number;
  readonly name?: string;
  readonly callId?: string;
  readonly arguments?: string;
  readonly output?: string;
}

export interface FakeToolOutput {
  readonly callId: string;
  readonly name: string;
  readonly output: string;
}

export interface FakeTruncation {
  readonly itemId: string;
  readonly audioEndMs: number;
  /** The part of the transcript the caller heard (kept) and the part removed. */
  readonly heard: string;
  readonly cut: string;
}

export interface FakeResponseRecord {
  readonly id: string;
  status: 'in_progress' | 'completed' | 'cancelled';
  readonly kind: 'say' | 'tool';
  readonly text?: string;
  readonly toolName?: string;
  /** Audio sent for it, ms. */
  audioMs: number;
}

export type ClientEvent = { readonly type: string; readonly [k: string]: unknown };

export type HandshakeFault =
  /** Refuse the upgrade with this HTTP status (Retry-After in seconds for a 429). */
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly retryAfterSeconds?: number;
      readonly body?: unknown;
    }
  /** Accept the socket and never send session.created. */
  | { readonly kind: 'silent' }
  /** Destroy the TCP connection (no close frame), at once or this long after session.created. */
  | { readonly kind: 'destroy'; readonly afterMs?: number }
  /** Close with this code/reason, at once or this long after session.created. */
  | { readonly kind: 'close'; readonly code: number; readonly reason?: string; readonly afterMs?: number };

export interface ApiError {
  readonly type?: string;
  readonly code: string;
  readonly message: string;
  readonly param?: string | null;
}

export interface FakeRealtimeControls {
  /** Faults for the next connections, in order (one each). */
  next(fault: HandshakeFault): void;
  /** Destroy every open session's connection (no close frame). */
  destroyAll(): void;
  closeAll(code: number, reason?: string): void;
  /** An `error` server event on every open session (recoverable: the sessions stay open). */
  errorAll(error: ApiError): void;
  /** A raw text frame to every open session (malformed frames). */
  sendRawAll(text: string): void;
  /** While true, speech is accepted and responses never come (no response.created). */
  stallResponses: boolean;
}

export interface FakeRealtimeOptions {
  /** Default 'sk-test-realtime'. */
  readonly apiKey?: string;
  /** ms of tone per character of a `say` (default 60). */
  readonly msPerChar?: number;
  /** Pause between 100 ms audio chunks (default 8 ms: far faster than real time). */
  readonly chunkDelayMs?: number;
  /** Keep every append's base64 (default true; a benchmark turns it off). */
  readonly recordAudio?: boolean;
}

export interface FakeRealtime {
  /** e.g. http://127.0.0.1:41234/v1 */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly sessions: FakeRealtimeSession[];
  readonly controls: FakeRealtimeControls;
  /** Caller transcripts, shared by all sessions, used in order ('' when empty). */
  readonly transcripts: string[];
  reply: Replier;
  /** The next session accepted after this call. */
  nextSession(): Promise<FakeRealtimeSession>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Wire constants (5.2)

const MODELS_TRANSCRIBE = [
  'whisper-1',
  'gpt-4o-mini-transcribe',
  'gpt-4o-transcribe',
  'gpt-4o-transcribe-diarize',
  'gpt-realtime-whisper',
] as const;

const formatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('audio/pcm'), rate: z.literal(24000).optional() }),
  z.strictObject({ type: z.literal('audio/pcmu') }),
  z.strictObject({ type: z.literal('audio/pcma') }),
]);
const turnDetectionSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('server_vad'),
      threshold: z.number().min(0).max(1).optional(),
      prefix_padding_ms: z.number().int().min(0).optional(),
      silence_duration_ms: z.number().int().min(0).optional(),
      idle_timeout_ms: z.number().int().nullish(),
      create_response: z.boolean().optional(),
      interrupt_response: z.boolean().optional(),
    }),
    z.strictObject({
      type: z.literal('semantic_vad'),
      eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
      create_response: z.boolean().optional(),
      interrupt_response: z.boolean().optional(),
    }),
  ])
  .nullable();
const sessionSchema = z.strictObject({
  type: z.literal('realtime'),
  model: z.string().optional(),
  output_modalities: z.union([z.tuple([z.literal('audio')]), z.tuple([z.literal('text')])]).optional(),
  instructions: z.string().optional(),
  audio: z
    .strictObject({
      input: z
        .strictObject({
          format: formatSchema.optional(),
          transcription: z
            .strictObject({
              model: z.enum(MODELS_TRANSCRIBE),
              language: z.string().optional(),
              prompt: z.string().optional(),
            })
            .nullable()
            .optional(),
          noise_reduction: z
            .strictObject({ type: z.enum(['near_field', 'far_field']) })
            .nullable()
            .optional(),
          turn_detection: turnDetectionSchema.optional(),
        })
        .optional(),
      output: z
        .strictObject({
          format: formatSchema.optional(),
          voice: z.union([z.string(), z.strictObject({ id: z.string() })]).optional(),
          speed: z.number().min(0.25).max(1.5).optional(),
        })
        .optional(),
    })
    .optional(),
  tools: z
    .array(
      z.strictObject({
        type: z.literal('function'),
        name: z.string().min(1),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
  tool_choice: z
    .union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.string() })])
    .optional(),
  max_output_tokens: z.union([z.number().int().min(1).max(4096), z.literal('inf')]).optional(),
  tracing: z.unknown().optional(),
  truncation: z.unknown().optional(),
  prompt: z.unknown().optional(),
  include: z.array(z.string()).nullish(),
});
type SessionUpdate = z.infer<typeof sessionSchema>;
type Format = z.infer<typeof formatSchema>;
type TurnDetection = NonNullable<z.infer<typeof turnDetectionSchema>>;

/** The effective session (what session.created/updated carry). */
export interface EffectiveSession {
  type: 'realtime';
  object: 'realtime.session';
  id: string;
  model: string;
  output_modalities: string[];
  instructions: string;
  tools: { type: 'function'; name: string; description?: string; parameters?: Record<string, unknown> }[];
  tool_choice: unknown;
  max_output_tokens: number | 'inf';
  tracing: unknown;
  truncation: unknown;
  prompt: unknown;
  include: string[] | null;
  expires_at: number;
  audio: {
    input: {
      format: Format;
      transcription: { model: string; language?: string; prompt?: string } | null;
      noise_reduction: { type: string } | null;
      turn_detection: TurnDetection | null;
    };
    output: { format: Format; voice: string | { id: string }; speed: number };
  };
}

// ---------------------------------------------------------------------------------------------
// Audio: decoding (energy only) and the tone a `say` speaks

const MULAW_SQ = new Float64Array(256);
const ALAW_SQ = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  MULAW_SQ[i] = (decodeMulawSample(i) / 32768) ** 2;
  ALAW_SQ[i] = (decodeAlawSample(i) / 32768) ** 2;
}

function decodeAlawSample(code: number): number {
  const a = code ^ 0x55;
  const seg = (a >> 4) & 0x07;
  let t = (a & 0x0f) << 4;
  t = seg === 0 ? t + 8 : ((t + 0x108) << (seg - 1)) >>> 0;
  return a & 0x80 ? t : -t;
}

function bytesPerMs(f: Format): number {
  return f.type === 'audio/pcm' ? 48 : 8;
}

const TONE_HZ = 440;
const TONE_AMPLITUDE = 0.3;
/** One 100 ms chunk of tone per output format, base64 (440 Hz fits whole cycles in 100 ms). */
const toneChunkCache = new Map<string, Buffer>();
function toneBytes(f: Format, ms: number): Buffer {
  let full = toneChunkCache.get(f.type);
  if (!full) {
    const rate = f.type === 'audio/pcm' ? 24000 : 8000;
    const n = rate / 10;
    full = Buffer.alloc(f.type === 'audio/pcm' ? n * 2 : n);
    for (let i = 0; i < n; i++) {
      const s = Math.round(Math.sin((2 * Math.PI * TONE_HZ * i) / rate) * TONE_AMPLITUDE * 32767);
      if (f.type === 'audio/pcm') full.writeInt16LE(s, i * 2);
      else if (f.type === 'audio/pcmu') full[i] = encodeMulawSample(s);
      else full[i] = encodeAlawSample(s);
    }
    toneChunkCache.set(f.type, full);
  }
  return full.subarray(0, Math.min(full.length, Math.round(ms * bytesPerMs(f))));
}

function encodeAlawSample(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, sample)) >> 3;
  let mask = 0xd5;
  if (s < 0) {
    mask = 0x55;
    s = -s - 1;
  }
  let seg = 0;
  const ends = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  while (seg < 8 && s > ends[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | (seg < 2 ? (s >> 1) & 0x0f : (s >> seg) & 0x0f);
  return aval ^ mask;
}

/** Test audio for callers: `ms` of a loud mu-law tone (speech to the VAD), base64. */
export function mulawTone(ms: number, amplitude = 0.3): string {
  const n = Math.round(ms * 8);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++)
    b[i] = encodeMulawSample(Math.round(Math.sin((2 * Math.PI * 300 * i) / 8000) * amplitude * 32767));
  return b.toString('base64');
}

/** `ms` of mu-law digital silence, base64. */
export function mulawSilenceB64(ms: number): string {
  return Buffer.alloc(Math.round(ms * 8), 0xff).toString('base64');
}

/** A window is speech when its RMS (full scale 1.0) is above threshold x this (0.5 -> -34 dBFS). */
export const VAD_RMS_PER_THRESHOLD = 0.04;
const VAD_WINDOW_MS = 10;
const SEMANTIC_SILENCE_MS = { low: 1200, medium: 600, auto: 600, high: 300 } as const;

// ---------------------------------------------------------------------------------------------
// A session

export class FakeRealtimeSession {
  readonly id: string;
  readonly model: string;
  readonly headers: IncomingMessage['headers'];
  /** Every client event but appends, parsed, in order. */
  readonly clientEvents: ClientEvent[] = [];
  /** Each input_audio_buffer.append's audio, exactly as sent (when recordAudio). */
  readonly appendedAudio: string[] = [];
  appendCount = 0;
  readonly items: FakeItem[] = [];
  readonly toolOutputs: FakeToolOutput[] = [];
  readonly truncations: FakeTruncation[] = [];
  readonly responses: FakeResponseRecord[] = [];
  /** Caller transcripts for this session only, used before the server's shared queue. */
  readonly transcripts: string[] = [];
  /** Per-session stall (see controls.stallResponses). */
  stallResponses = false;
  /** Errors the server sent, in order. */
  readonly errorsSent: ApiError[] = [];
  config: EffectiveSession;
  /** Resolves when the socket closes (either side). */
  readonly closed: Promise<{ code: number; reason: string }>;

  #ws: WebSocket;
  #server: FakeServerState;
  #seq = 0;
  #lastItemId: string | null = null;
  #lastTranscript = '';
  #pendingCalls = new Map<string, string>(); // call_id -> tool name
  #active: ActiveResponse | undefined;
  #audioProduced = false;
  #waiters: { type: string; count: number; resolve(e: ClientEvent): void }[] = [];
  // Input audio and VAD state, in audio time.
  #inputMs = 0;
  #bufferedMs = 0;
  #winSq = 0;
  #winN = 0;
  #speaking = false;
  #speechItem = '';
  #lastSpeechEndMs = 0;

  constructor(ws: WebSocket, req: IncomingMessage, server: FakeServerState, n: number, model: string) {
    this.#ws = ws;
    this.#server = server;
    this.id = `sess_fake${n}`;
    this.model = model;
    this.headers = req.headers;
    this.config = defaultSession(this.id, model);
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('close', () => this.#stopActive());
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** All appended audio, decoded from base64 (what the client sent, byte for byte). */
  inputAudio(): Buffer {
    return Buffer.concat(this.appendedAudio.map((b) => Buffer.from(b, 'base64')));
  }

  eventsOf(type: string): ClientEvent[] {
    return this.clientEvents.filter((e) => e.type === type);
  }

  /** Resolves with the `count`-th client event of this type (1 = the first), now or when it comes. */
  waitForClientEvent(type: string, count = 1): Promise<ClientEvent> {
    const seen = this.eventsOf(type);
    if (seen.length >= count) return Promise.resolve(seen[count - 1]!);
    return new Promise((resolve) => this.#waiters.push({ type, count, resolve }));
  }

  /** An `error` event (recoverable: the session stays open). */
  sendError(error: ApiError, clientEventId: string | null = null): void {
    this.errorsSent.push(error);
    this.send({
      type: 'error',
      error: {
        type: error.type ?? 'invalid_request_error',
        code: error.code,
        message: error.message,
        param: error.param ?? null,
        event_id: clientEventId,
      },
    });
  }

  #ids = 0;
  /** Ids unique in the session (the session number keeps them unique on the server). */
  #newId(prefix: string): string {
    return `${prefix}_${this.id.slice(5)}_${(++this.#ids).toString(36)}`;
  }

  /** An invalid_request_error answering the client event `eid`. */
  #refuse(eid: string | null, code: string, message: string, param: string | null = null): void {
    this.sendError({ code, message, param }, eid);
  }

  sendRaw(text: string): void {
    if (this.open) this.#ws.send(text);
  }

  send(event: Record<string, unknown>): void {
    if (this.open) this.#ws.send(JSON.stringify({ event_id: `event_${this.id}_${++this.#seq}`, ...event }));
  }

  closeWith(code: number, reason = ''): void {
    this.#ws.close(code, reason);
  }

  /** Cut the TCP connection without a close frame. */
  destroy(): void {
    this.#ws.terminate();
  }

  // -- incoming ---------------------------------------------------------------------------------

  onMessage(text: string): void {
    // Hot path: an append as the client builds it is read without JSON.parse.
    if (text.startsWith(APPEND_PREFIX) && text.endsWith('"}')) {
      const audio = text.slice(APPEND_PREFIX.length, -2);
      if (!audio.includes('"')) {
        this.#append(audio);
        return;
      }
    }
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      this.sendError({ code: 'invalid_json', message: 'The event is not valid JSON.' });
      return;
    }
    if (
      typeof event !== 'object' ||
      event === null ||
      typeof (event as { type?: unknown }).type !== 'string'
    ) {
      this.sendError({
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'type'.",
        param: 'type',
      });
      return;
    }
    const e = event as ClientEvent & { event_id?: string };
    if (e.type === 'input_audio_buffer.append') {
      if (typeof e.audio !== 'string') {
        this.sendError(
          {
            code: 'missing_required_parameter',
            message: "Missing required parameter: 'audio'.",
            param: 'audio',
          },
          e.event_id ?? null,
        );
      } else this.#append(e.audio);
      return;
    }
    this.clientEvents.push(e);
    this.#wake(e);
    const eid = e.event_id ?? null;
    switch (e.type) {
      case 'session.update':
        return this.#sessionUpdate(e, eid);
      case 'input_audio_buffer.commit':
        if (this.#bufferedMs < 100) {
          this.#refuse(
            eid,
            'input_audio_buffer_commit_empty',
            `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${this.#bufferedMs.toFixed(2)}ms of audio.`,
          );
        } else this.#commit(this.#newId('item'));
        return;
      case 'input_audio_buffer.clear':
        this.#bufferedMs = 0;
        this.#speaking = false;
        this.send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        return this.#itemCreate(e, eid);
      case 'conversation.item.truncate':
        return this.#truncate(e, eid);
      case 'response.create':
        return this.#responseCreate(e, eid);
      case 'response.cancel':
        if (!this.#active) {
          this.#refuse(eid, 'response_cancel_not_active', 'Cancellation failed: no active response found');
        } else this.#finish(this.#active, 'cancelled', 'client_cancelled');
        return;
      default:
        this.#refuse(
          eid,
          'invalid_value',
          `Invalid value: '${e.type}'. Supported values are GA client events.`,
          'type',
        );
    }
  }

  #wake(e: ClientEvent): void {
    if (this.#waiters.length === 0) return;
    const n = this.eventsOf(e.type).length;
    this.#waiters = this.#waiters.filter((w) => {
      if (w.type !== e.type || w.count !== n) return true;
      w.resolve(e);
      return false;
    });
  }

  // -- session.update ---------------------------------------------------------------------------

  #sessionUpdate(e: ClientEvent, eid: string | null): void {
    const s = e.session;
    if (typeof s !== 'object' || s === null) {
      this.#refuse(eid, 'missing_required_parameter', "Missing required parameter: 'session'.", 'session');
      return;
    }
    if (!('type' in s)) {
      this.#refuse(
        eid,
        'missing_required_parameter',
        "Missing required parameter: 'session.type'.",
        'session.type',
      );
      return;
    }
    const parsed = sessionSchema.safeParse(s);
    if (!parsed.success) {
      this.sendError(apiErrorFromIssue(parsed.error.issues[0]), eid);
      return;
    }
    const u = parsed.data;
    const newVoice = u.audio?.output?.voice;
    if (
      newVoice !== undefined &&
      this.#audioProduced &&
      JSON.stringify(newVoice) !== JSON.stringify(this.config.audio.output.voice)
    ) {
      this.#refuse(
        eid,
        'cannot_update_voice',
        "Cannot update a conversation's voice if assistant audio is present.",
        'session.audio.output.voice',
      );
      return;
    }
    applyUpdate(this.config, u);
    this.send({ type: 'session.updated', session: this.config });
  }

  // -- input audio and VAD ----------------------------------------------------------------------

  #append(b64: string): void {
    this.appendCount++;
    if (this.#server.recordAudio) this.appendedAudio.push(b64);
    const bytes = Buffer.from(b64, 'base64');
    const f = this.config.audio.input.format;
    const td = this.config.audio.input.turn_detection;
    const samplesPerWindow = (f.type === 'audio/pcm' ? 24 : 8) * VAD_WINDOW_MS;
    const step = f.type === 'audio/pcm' ? 2 : 1;
    const sq = f.type === 'audio/pcmu' ? MULAW_SQ : ALAW_SQ;
    for (let i = 0; i + step <= bytes.length; i += step) {
      this.#winSq += f.type === 'audio/pcm' ? (bytes.readInt16LE(i) / 32768) ** 2 : sq[bytes[i]!]!;
      if (++this.#winN === samplesPerWindow) {
        const rms = Math.sqrt(this.#winSq / this.#winN);
        this.#winSq = 0;
        this.#winN = 0;
        this.#inputMs += VAD_WINDOW_MS;
        this.#bufferedMs += VAD_WINDOW_MS;
        if (td) this.#vadWindow(rms, td);
      }
    }
  }

  #vadWindow(rms: number, td: TurnDetection): void {
    const threshold = td.type === 'server_vad' ? (td.threshold ?? 0.5) : 0.5;
    const prefix = td.type === 'server_vad' ? (td.prefix_padding_ms ?? 300) : 300;
    const silence =
      td.type === 'server_vad'
        ? (td.silence_duration_ms ?? 500)
        : SEMANTIC_SILENCE_MS[td.eagerness ?? 'auto'];
    const speech = rms > threshold * VAD_RMS_PER_THRESHOLD;
    const now = this.#inputMs; // end of this window
    if (speech) {
      this.#lastSpeechEndMs = now;
      if (!this.#speaking) {
        this.#speaking = true;
        this.#speechItem = this.#newId('item');
        this.send({
          type: 'input_audio_buffer.speech_started',
          audio_start_ms: Math.max(0, now - VAD_WINDOW_MS - prefix),
          item_id: this.#speechItem,
        });
        if (td.interrupt_response !== false && this.#active)
          this.#finish(this.#active, 'cancelled', 'turn_detected');
      }
      return;
    }
    if (this.#speaking && now - this.#lastSpeechEndMs >= silence) {
      this.#speaking = false;
      this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: now, item_id: this.#speechItem });
      this.#commit(this.#speechItem);
      if (td.create_response !== false) this.#startResponse(undefined, null);
    }
  }

  #commit(itemId: string): void {
    this.#bufferedMs = 0;
    this.send({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: this.#lastItemId });
    const transcribe = this.config.audio.input.transcription !== null;
    const transcript = transcribe ? (this.transcripts.shift() ?? this.#server.transcripts.shift() ?? '') : '';
    const item: FakeItem = { id: itemId, type: 'message', role: 'user', text: '', audioMs: 0 };
    this.#addItem(item, [{ type: 'input_audio', transcript: null }]);
    if (!transcribe) return;
    const words = transcript.split(/(?<= )/).filter((w) => w !== '');
    for (const w of words) {
      this.send({
        type: 'conversation.item.input_audio_transcription.delta',
        item_id: itemId,
        content_index: 0,
        delta: w,
      });
    }
    item.text = transcript;
    this.#lastTranscript = transcript;
    this.send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: itemId,
      content_index: 0,
      transcript,
      usage: { type: 'duration', seconds: 1 },
    });
  }

  #addItem(item: FakeItem, content: unknown[] | undefined): void {
    this.items.push(item);
    const wire = itemWire(item, content, 'completed');
    this.send({ type: 'conversation.item.added', previous_item_id: this.#lastItemId, item: wire });
    this.send({ type: 'conversation.item.done', previous_item_id: this.#lastItemId, item: wire });
    this.#lastItemId = item.id;
  }

  // -- items ------------------------------------------------------------------------------------

  #itemCreate(e: ClientEvent, eid: string | null): void {
    const item = e.item as Record<string, unknown> | undefined;
    if (typeof item !== 'object' || item === null) {
      this.#refuse(eid, 'missing_required_parameter', "Missing required parameter: 'item'.", 'item');
      return;
    }
    if (item.type === 'function_call_output') {
      const callId = item.call_id;
      const name = typeof callId === 'string' ? this.#pendingCalls.get(callId) : undefined;
      if (typeof callId !== 'string' || name === undefined) {
        this.#refuse(
          eid,
          'invalid_value',
          `Tool call ID '${String(callId)}' not found in conversation.`,
          'item.call_id',
        );
        return;
      }
      if (typeof item.output !== 'string') {
        this.#refuse(
          eid,
          'missing_required_parameter',
          "Missing required parameter: 'item.output'.",
          'item.output',
        );
        return;
      }
      this.#pendingCalls.delete(callId);
      this.toolOutputs.push({ callId, name, output: item.output });
      this.#addItem(
        {
          id: this.#newId('item'),
          type: 'function_call_output',
          callId,
          output: item.output,
          text: '',
          audioMs: 0,
        },
        undefined,
      );
      return;
    }
    if (item.type === 'message') {
      const role = item.role;
      const content = item.content;
      if (role !== 'user' && role !== 'assistant' && role !== 'system') {
        this.#refuse(eid, 'invalid_value', `Invalid value: '${String(role)}'.`, 'item.role');
        return;
      }
      // GA content names (5.3): user/system input_text, assistant output_text (the beta said 'text').
      const want = role === 'assistant' ? 'output_text' : 'input_text';
      if (!Array.isArray(content) || content.length === 0) {
        this.#refuse(
          eid,
          'missing_required_parameter',
          "Missing required parameter: 'item.content'.",
          'item.content',
        );
        return;
      }
      let text = '';
      for (const [i, c] of content.entries()) {
        const part = c as { type?: unknown; text?: unknown };
        if (part.type !== want || typeof part.text !== 'string') {
          this.#refuse(
            eid,
            'invalid_value',
            `Invalid value: '${String(part.type)}'. Supported values are: '${want}'.`,
            `item.content[${i}].type`,
          );
          return;
        }
        text += part.text;
      }
      this.#addItem({ id: this.#newId('item'), type: 'message', role, text, audioMs: 0 }, content);
      return;
    }
    this.#refuse(eid, 'invalid_value', `Invalid value: '${String(item.type)}'.`, 'item.type');
  }

  #truncate(e: ClientEvent, eid: string | null): void {
    const itemId = e.item_id;
    const endMs = e.audio_end_ms;
    const item = this.items.find((i) => i.id === itemId);
    if (typeof itemId !== 'string' || !item) {
      this.#refuse(eid, 'invalid_value', `Item with item_id '${String(itemId)}' not found.`, 'item_id');
      return;
    }
    if (typeof endMs !== 'number' || !Number.isInteger(endMs) || endMs < 0) {
      this.#refuse(eid, 'invalid_value', 'audio_end_ms must be a non-negative integer.', 'audio_end_ms');
      return;
    }
    if (e.content_index !== 0) {
      this.#refuse(eid, 'invalid_value', 'content_index must be 0.', 'content_index');
      return;
    }
    if (item.role !== 'assistant') {
      this.#refuse(eid, 'invalid_value', 'Only assistant messages can be truncated.', 'item_id');
      return;
    }
    if (endMs > item.audioMs) {
      this.#refuse(
        eid,
        'invalid_value',
        `Audio content of ${Math.round(item.audioMs)}ms is already shorter than ${endMs}ms`,
        'audio_end_ms',
      );
      return;
    }
    const keep = Math.floor(endMs / this.#server.msPerChar);
    const heard = item.text.slice(0, keep);
    this.truncations.push({ itemId, audioEndMs: endMs, heard, cut: item.text.slice(keep) });
    item.text = heard;
    item.audioMs = endMs;
    // A response still streaming this item stops producing audio for it.
    if (this.#active?.itemId === itemId) this.#active.truncated = true;
    this.send({
      type: 'conversation.item.truncated',
      item_id: itemId,
      content_index: 0,
      audio_end_ms: endMs,
    });
  }

  // -- responses --------------------------------------------------------------------------------

  #responseCreate(e: ClientEvent, eid: string | null): void {
    const r = e.response as { instructions?: unknown } | undefined;
    const instructions = typeof r?.instructions === 'string' ? r.instructions : undefined;
    if (this.#active) {
      this.#refuse(
        eid,
        'conversation_already_has_active_response',
        `Conversation already has an active response in progress: ${this.#active.id}. Wait until the response is finished before creating a new one.`,
      );
      return;
    }
    this.#startResponse(instructions, eid);
  }

  #startResponse(instructions: string | undefined, _eid: string | null): void {
    if (this.#active) return; // the server does not start a second one on its own
    if (this.stallResponses || this.#server.controls.stallResponses) return;
    const asked = this.#server.reply({
      session: this,
      transcript: this.#lastTranscript,
      instructions,
      sessionInstructions: this.config.instructions,
      items: this.items,
      toolOutputs: this.toolOutputs,
    });
    // 5.5: a tool call is only made for tools declared in session.tools.
    const undeclared = 'tool' in asked && !this.config.tools.some((t) => t.name === asked.tool.name);
    const reply: Reply = undeclared ? defaultReplier({ ...ctxBase(this), instructions }) : asked;
    const responseId = this.#newId('resp');
    this.send({
      type: 'response.created',
      response: {
        object: 'realtime.response',
        id: responseId,
        status: 'in_progress',
        status_details: null,
        output: [],
      },
    });
    if ('say' in reply) this.#say(responseId, reply.say);
    else this.#tool(responseId, reply.tool.name, reply.tool.arguments);
  }

  #say(responseId: string, text: string): void {
    const item: FakeItem = {
      id: this.#newId('item'),
      type: 'message',
      role: 'assistant',
      text: '',
      audioMs: 0,
    };
    const record: FakeResponseRecord = {
      id: responseId,
      status: 'in_progress',
      kind: 'say',
      text,
      audioMs: 0,
    };
    this.responses.push(record);
    this.items.push(item);
    const inProgress = itemWire(item, [], 'in_progress');
    this.send({
      type: 'response.output_item.added',
      response_id: responseId,
      output_index: 0,
      item: inProgress,
    });
    this.send({ type: 'conversation.item.added', previous_item_id: this.#lastItemId, item: inProgress });
    this.#lastItemId = item.id;
    this.send({
      type: 'response.content_part.added',
      response_id: responseId,
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: 'audio', transcript: '' },
    });
    const totalMs = Math.max(1, text.length) * this.#server.msPerChar;
    const format = this.config.audio.output.format;
    const active: ActiveResponse = {
      id: responseId,
      itemId: item.id,
      record,
      item,
      timer: undefined,
      truncated: false,
      text,
      kind: 'say',
    };
    this.#active = active;
    let sentChars = 0;
    const step = (): void => {
      active.timer = undefined;
      if (this.#active !== active || !this.open) return;
      if (!active.truncated && item.audioMs < totalMs) {
        const ms = Math.min(100, totalMs - item.audioMs);
        const delta = toneBytes(format, ms).toString('base64');
        this.#audioProduced = true;
        this.send({
          type: 'response.output_audio.delta',
          response_id: responseId,
          item_id: item.id,
          output_index: 0,
          content_index: 0,
          delta,
        });
        item.audioMs += ms;
        record.audioMs = item.audioMs;
        const chars = Math.min(text.length, Math.ceil(item.audioMs / this.#server.msPerChar));
        if (chars > sentChars) {
          this.send({
            type: 'response.output_audio_transcript.delta',
            response_id: responseId,
            item_id: item.id,
            output_index: 0,
            content_index: 0,
            delta: text.slice(sentChars, chars),
          });
          sentChars = chars;
          item.text = text.slice(0, chars);
        }
        active.timer = setTimeout(step, this.#server.chunkDelayMs);
        return;
      }
      if (!active.truncated) item.text = text;
      this.#finish(active, 'completed', null);
    };
    active.timer = setTimeout(step, this.#server.chunkDelayMs);
  }

  #tool(responseId: string, name: string, args: unknown): void {
    const callId = this.#newId('call');
    const argText = typeof args === 'string' ? args : JSON.stringify(args ?? {});
    const item: FakeItem = {
      id: this.#newId('item'),
      type: 'function_call',
      name,
      callId,
      arguments: argText,
      text: '',
      audioMs: 0,
    };
    const record: FakeResponseRecord = {
      id: responseId,
      status: 'in_progress',
      kind: 'tool',
      toolName: name,
      audioMs: 0,
    };
    this.responses.push(record);
    this.items.push(item);
    this.#pendingCalls.set(callId, name);
    const inProgress = { ...itemWire(item, undefined, 'in_progress'), arguments: '' };
    this.send({
      type: 'response.output_item.added',
      response_id: responseId,
      output_index: 0,
      item: inProgress,
    });
    this.send({ type: 'conversation.item.added', previous_item_id: this.#lastItemId, item: inProgress });
    this.#lastItemId = item.id;
    const active: ActiveResponse = {
      id: responseId,
      itemId: item.id,
      record,
      item,
      timer: undefined,
      truncated: false,
      text: '',
      kind: 'tool',
    };
    this.#active = active;
    active.timer = setTimeout(() => {
      active.timer = undefined;
      if (this.#active !== active) return;
      const half = Math.ceil(argText.length / 2);
      for (const delta of [argText.slice(0, half), argText.slice(half)]) {
        if (delta === '') continue;
        this.send({
          type: 'response.function_call_arguments.delta',
          response_id: responseId,
          item_id: item.id,
          output_index: 0,
          call_id: callId,
          delta,
        });
      }
      this.send({
        type: 'response.function_call_arguments.done',
        response_id: responseId,
        item_id: item.id,
        output_index: 0,
        call_id: callId,
        name,
        arguments: argText,
      });
      this.#finish(active, 'completed', null);
    }, this.#server.chunkDelayMs);
  }

  /** Ends the active response: the closing events, then response.done with this status. */
  #finish(active: ActiveResponse, status: 'completed' | 'cancelled', reason: string | null): void {
    if (this.#active !== active) return;
    this.#stopActive();
    active.record.status = status;
    const { item } = active;
    const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
    if (active.kind === 'say') {
      this.send({
        type: 'response.output_audio.done',
        response_id: active.id,
        item_id: item.id,
        output_index: 0,
        content_index: 0,
      });
      this.send({
        type: 'response.output_audio_transcript.done',
        response_id: active.id,
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        transcript: item.text,
      });
      this.send({
        type: 'response.content_part.done',
        response_id: active.id,
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        part: { type: 'audio', transcript: item.text },
      });
    }
    const content = active.kind === 'say' ? [{ type: 'output_audio', transcript: item.text }] : undefined;
    const wire = itemWire(item, content, itemStatus);
    this.send({ type: 'response.output_item.done', response_id: active.id, output_index: 0, item: wire });
    this.send({ type: 'conversation.item.done', previous_item_id: null, item: wire });
    const outTokens = Math.ceil(item.audioMs / 50);
    this.send({
      type: 'response.done',
      response: {
        object: 'realtime.response',
        id: active.id,
        status,
        status_details: reason === null ? null : { type: status, reason },
        output: [wire],
        usage: {
          total_tokens: 20 + outTokens,
          input_tokens: 20,
          output_tokens: outTokens,
          input_token_details: { text_tokens: 20, audio_tokens: 0, cached_tokens: 0 },
          output_token_details: { text_tokens: Math.ceil(item.text.length / 4), audio_tokens: outTokens },
        },
      },
    });
    this.send({
      type: 'rate_limits.updated',
      rate_limits: [
        { name: 'requests', limit: 5000, remaining: 4999, reset_seconds: 0.012 },
        { name: 'tokens', limit: 400000, remaining: 400000 - 20 - outTokens, reset_seconds: 0.1 },
      ],
    });
  }

  #stopActive(): void {
    const a = this.#active;
    if (!a) return;
    if (a.timer) clearTimeout(a.timer);
    a.timer = undefined;
    this.#active = undefined;
  }

  get activeResponseId(): string | undefined {
    return this.#active?.id;
  }
}

interface ActiveResponse {
  readonly id: string;
  readonly itemId: string;
  readonly record: FakeResponseRecord;
  readonly item: FakeItem;
  timer: NodeJS.Timeout | undefined;
  truncated: boolean;
  readonly text: string;
  readonly kind: 'say' | 'tool';
}

const APPEND_PREFIX = '{"type":"input_audio_buffer.append","audio":"';

function ctxBase(s: FakeRealtimeSession): ReplyContext {
  const users = s.items.filter((i) => i.role === 'user');
  return {
    session: s,
    transcript: users.at(-1)?.text ?? '',
    instructions: undefined,
    sessionInstructions: s.config.instructions,
    items: s.items,
    toolOutputs: s.toolOutputs,
  };
}

/** Echo-like: repeats the caller, greets on a one-off, reports a tool's output. */
export function defaultReplier(ctx: ReplyContext): { say: string } {
  const last = ctx.items.at(-1);
  if (last?.type === 'function_call_output') return { say: `Done: ${(last.output ?? '').slice(0, 60)}.` };
  if (ctx.instructions !== undefined) return { say: 'Hello, how can I help?' };
  return { say: ctx.transcript ? `You said ${ctx.transcript}.` : 'Sorry, could you say that again?' };
}

function itemWire(item: FakeItem, content: unknown[] | undefined, status: string): Record<string, unknown> {
  if (item.type === 'function_call') {
    return {
      id: item.id,
      object: 'realtime.item',
      type: 'function_call',
      status,
      name: item.name,
      call_id: item.callId,
      arguments: item.arguments,
    };
  }
  if (item.type === 'function_call_output') {
    return {
      id: item.id,
      object: 'realtime.item',
      type: 'function_call_output',
      status,
      call_id: item.callId,
      output: item.output,
    };
  }
  return {
    id: item.id,
    object: 'realtime.item',
    type: 'message',
    status,
    role: item.role,
    content: content ?? [],
  };
}

function defaultSession(id: string, model: string): EffectiveSession {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id,
    model,
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24000 },
        transcription: null,
        noise_reduction: null,
        turn_detection: {
          type: 'server_vad',
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 500,
          idle_timeout_ms: null,
          create_response: true,
          interrupt_response: true,
        },
      },
      output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
    },
  };
}

/** Only the fields present are updated (5.2). */
function applyUpdate(c: EffectiveSession, u: SessionUpdate): void {
  if (u.model !== undefined) c.model = u.model;
  if (u.output_modalities !== undefined) c.output_modalities = [...u.output_modalities];
  if (u.instructions !== undefined) c.instructions = u.instructions;
  if (u.tools !== undefined) c.tools = u.tools.map((t) => ({ ...t }));
  if (u.tool_choice !== undefined) c.tool_choice = u.tool_choice;
  if (u.max_output_tokens !== undefined) c.max_output_tokens = u.max_output_tokens;
  if (u.tracing !== undefined) c.tracing = u.tracing;
  if (u.truncation !== undefined) c.truncation = u.truncation;
  if (u.prompt !== undefined) c.prompt = u.prompt;
  if (u.include !== undefined) c.include = u.include ?? null;
  const i = u.audio?.input;
  if (i?.format !== undefined)
    c.audio.input.format = i.format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: 24000 } : i.format;
  if (i?.transcription !== undefined) c.audio.input.transcription = i.transcription;
  if (i?.noise_reduction !== undefined) c.audio.input.noise_reduction = i.noise_reduction;
  if (i?.turn_detection !== undefined) {
    const td = i.turn_detection;
    c.audio.input.turn_detection =
      td === null
        ? null
        : td.type === 'server_vad'
          ? {
              type: 'server_vad',
              threshold: td.threshold ?? 0.5,
              prefix_padding_ms: td.prefix_padding_ms ?? 300,
              silence_duration_ms: td.silence_duration_ms ?? 500,
              idle_timeout_ms: td.idle_timeout_ms ?? null,
              create_response: td.create_response ?? true,
              interrupt_response: td.interrupt_response ?? true,
            }
          : {
              type: 'semantic_vad',
              eagerness: td.eagerness ?? 'auto',
              create_response: td.create_response ?? true,
              interrupt_response: td.interrupt_response ?? true,
            };
  }
  const o = u.audio?.output;
  if (o?.format !== undefined)
    c.audio.output.format = o.format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: 24000 } : o.format;
  if (o?.voice !== undefined) c.audio.output.voice = o.voice;
  if (o?.speed !== undefined) c.audio.output.speed = o.speed;
}

/** The server's words for the first thing wrong with a session.update (5.5's codes). */
function apiErrorFromIssue(issue: z.core.$ZodIssue | undefined): ApiError {
  if (!issue) return { code: 'invalid_value', message: 'Invalid session.' };
  const param = ['session', ...issue.path.map(String)].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  if (issue.code === 'unrecognized_keys') {
    const key = `${param}.${issue.keys[0] ?? ''}`;
    return { code: 'unknown_parameter', message: `Unknown parameter: '${key}'.`, param: key };
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return { code: 'missing_required_parameter', message: `Missing required parameter: '${param}'.`, param };
  }
  return { code: 'invalid_value', message: `Invalid value for '${param}': ${issue.message}`, param };
}

// ---------------------------------------------------------------------------------------------
// The server

interface FakeServerState {
  readonly transcripts: string[];
  readonly controls: FakeRealtimeControls;
  readonly recordAudio: boolean;
  readonly msPerChar: number;
  readonly chunkDelayMs: number;
  reply: Replier;
}

export async function startFakeRealtime(opts: FakeRealtimeOptions = {}): Promise<FakeRealtime> {
  const apiKey = opts.apiKey ?? 'sk-test-realtime';
  const sessions: FakeRealtimeSession[] = [];
  const faults: HandshakeFault[] = [];
  const takers: ((s: FakeRealtimeSession) => void)[] = [];
  const openSessions = (): FakeRealtimeSession[] => sessions.filter((s) => s.open);
  let counter = 0;

  const controls: FakeRealtimeControls = {
    next: (f) => void faults.push(f),
    destroyAll: () => openSessions().forEach((s) => s.destroy()),
    closeAll: (code, reason) => openSessions().forEach((s) => s.closeWith(code, reason)),
    errorAll: (e) => openSessions().forEach((s) => s.sendError(e)),
    sendRawAll: (t) => openSessions().forEach((s) => s.sendRaw(t)),
    stallResponses: false,
  };
  const state: FakeServerState = {
    transcripts: [],
    controls,
    recordAudio: opts.recordAudio ?? true,
    msPerChar: opts.msPerChar ?? 60,
    chunkDelayMs: opts.chunkDelayMs ?? 8,
    reply: defaultReplier,
  };

  const http = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // The start-up key check lists the models, as any valid key may.
    if (req.method === 'GET' && new URL(req.url ?? '/', 'http://fake').pathname === '/v1/models') {
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        return send(401, {
          error: {
            type: 'invalid_request_error',
            code: 'invalid_api_key',
            message: 'Incorrect API key provided.',
          },
        });
      }
      return send(200, {
        object: 'list',
        data: [{ id: 'gpt-realtime', object: 'model', owned_by: 'system' }],
      });
    }
    send(404, { error: { type: 'invalid_request_error', message: 'Not found' } });
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const refuse = (status: number, error: ApiError, extra: Record<string, string> = {}): void => {
      httpRefuse(
        socket,
        status,
        {
          error: {
            type: error.type ?? 'invalid_request_error',
            code: error.code,
            message: error.message,
            param: null,
          },
        },
        extra,
      );
    };
    if (url.pathname !== '/v1/realtime') {
      refuse(404, { code: 'not_found', message: `Unknown path ${url.pathname}` });
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      refuse(401, {
        code: 'invalid_api_key',
        message: 'Incorrect API key provided. You can find your API key in your account settings.',
      });
      return;
    }
    const fault = faults.shift();
    if (fault?.kind === 'http') {
      const extra: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) extra['retry-after'] = String(fault.retryAfterSeconds);
      httpRefuse(
        socket,
        fault.status,
        fault.body ?? {
          error: {
            type: fault.status === 429 ? 'rate_limit_exceeded' : 'server_error',
            code: fault.status === 429 ? 'rate_limit_exceeded' : null,
            message: fault.status === 429 ? 'Rate limit reached for requests.' : 'The server had an error.',
            param: null,
          },
        },
        extra,
      );
      return;
    }
    const model = url.searchParams.get('model');
    if (!model) {
      refuse(400, { code: 'missing_model', message: "Missing required parameter: 'model'." });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new FakeRealtimeSession(ws, req, state, ++counter, model);
      sessions.push(session);
      ws.on('message', (data, isBinary) => {
        if (isBinary)
          session.sendError({ code: 'invalid_value', message: 'Binary frames are not supported.' });
        else session.onMessage(data.toString());
      });
      ws.on('error', () => {}); // a client that vanishes is the client's business
      if (req.headers['openai-beta'] !== undefined) {
        // 5.1/5.5: the retired preview interface is refused, whatever the model.
        session.sendError({
          code: 'beta_api_shape_disabled',
          message: 'The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.',
        });
        session.closeWith(4000, 'beta_api_shape_disabled');
        return;
      }
      if (fault?.kind === 'destroy' && fault.afterMs === undefined) {
        session.destroy();
        return;
      }
      if (fault?.kind === 'close' && fault.afterMs === undefined) {
        session.closeWith(fault.code, fault.reason);
        return;
      }
      if (fault?.kind !== 'silent') session.send({ type: 'session.created', session: session.config });
      if (fault?.kind === 'destroy' || fault?.kind === 'close') {
        const t = setTimeout(() => {
          if (fault.kind === 'destroy') session.destroy();
          else session.closeWith(fault.code, fault.reason);
        }, fault.afterMs);
        void session.closed.then(() => clearTimeout(t));
      }
      for (const take of takers.splice(0)) take(session);
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;

  const fake: FakeRealtime = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    sessions,
    controls,
    transcripts: state.transcripts,
    get reply() {
      return state.reply;
    },
    set reply(r: Replier) {
      state.reply = r;
    },
    nextSession() {
      return new Promise((resolve) => takers.push(resolve));
    },
    async close() {
      for (const s of sessions) if (s.open) s.destroy();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return fake;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function httpRefuse(socket: Duplex, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
