import { performance } from 'node:perf_hooks';
import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { z } from 'zod';
import { pcmToMulaw } from '../../audio/index.js';
import type { Logger } from '../../shared/index.js';
import { socketUrl, type DeepgramSettings } from '../cloud-settings.js';
import { ProviderError, errorFromResponse } from '../llm/http.js';
import { EventChannel } from './event-channel.js';
import type {
  SpeechToText,
  SttAlternative,
  SttCapabilities,
  SttEvent,
  SttStream,
  SttStreamOptions,
  Track,
} from './stt.js';

/**
 * Deepgram live speech to text (`/v1/listen`, PROTOCOLS.md 7.1): Twilio's mu-law bytes go up as
 * binary frames, JSON results come back and become SttEvents; Deepgram's own endpointing ends
 * turns.
 *
 * The protocol is spoken directly with `ws`: @deepgram/sdk v5 wraps a reconnecting socket that
 * turns a refused handshake into a bare error event (no status, no Retry-After), reports a
 * synthetic close 1000 for failures, reconnects on its own and queues audio without bound, so
 * the listener could neither see why a stream died nor fail over.
 */

const SAMPLE_RATE = 8000;
const DEFAULT_CONNECT_TIMEOUT_MS = 1500;
const DEFAULT_ENDPOINTING_MS = 300;
const DEFAULT_UTTERANCE_END_MS = 1000;
/** Deepgram closes with NET-0001 after 10 s without audio or KeepAlive; it asks for one every 3-5 s. */
const DEFAULT_KEEPALIVE_MS = 4000;
/** Audio kept while the socket opens (5 s of 8 kHz mu-law); older bytes are dropped. */
const DEFAULT_MAX_BUFFER_BYTES = 5 * SAMPLE_RATE;
/** After CloseStream, how long Deepgram gets to send its last results and close before we do. */
const DEFAULT_CLOSE_GRACE_MS = 1000;
const MAX_HANDSHAKE_BODY = 4096;

export interface DeepgramSttOptions {
  readonly settings: DeepgramSettings;
  readonly logger: Logger;
  /** The socket must open within this (default 1500 ms) or the stream fails with kind 'timeout'. */
  readonly connectTimeoutMs?: number;
  /** Silence that ends an utterance (`endpointing`, default 300 ms). */
  readonly endpointingMs?: number;
  /** Gap after the last word before UtteranceEnd (`utterance_end_ms`, default 1000 ms). */
  readonly utteranceEndMs?: number;
  /** KeepAlive after this long without sending audio (default 4000 ms). */
  readonly keepAliveMs?: number;
  /** Bytes of audio held while connecting (default 5 s worth). */
  readonly maxBufferBytes?: number;
  /** After CloseStream, wait this long for Deepgram's close (default 1000 ms). */
  readonly closeGraceMs?: number;
}

// ---- server messages (zod at the edge) ---------------------------------------------------------

const Alternative = z.object({
  transcript: z.string(),
  confidence: z.number().optional(),
});

const ResultsMessage = z.object({
  type: z.literal('Results'),
  is_final: z.boolean().optional(),
  speech_final: z.boolean().optional(),
  from_finalize: z.boolean().optional(),
  channel: z.object({ alternatives: z.array(Alternative) }),
  metadata: z.object({ request_id: z.string().optional() }).optional(),
});

const ServerMessage = z.discriminatedUnion('type', [
  ResultsMessage,
  z.object({ type: z.literal('SpeechStarted'), timestamp: z.number().optional() }),
  z.object({ type: z.literal('UtteranceEnd'), last_word_end: z.number().optional() }),
  z.object({
    type: z.literal('Metadata'),
    request_id: z.string().optional(),
    duration: z.number().optional(),
  }),
  z.object({
    type: z.literal('Error'),
    variant: z.string().optional(),
    description: z.string().optional(),
    code: z.string().optional(),
  }),
]);
type ServerMessage = z.infer<typeof ServerMessage>;
type ResultsMessage = z.infer<typeof ResultsMessage>;

const KNOWN_TYPES = new Set(['Results', 'SpeechStarted', 'UtteranceEnd', 'Metadata', 'Error']);

/** Deepgram's handshake error body: `{"err_code","err_msg","request_id"}`. */
const HandshakeError = z.object({ err_code: z.string().optional(), err_msg: z.string().optional() });

// ---- the provider -------------------------------------------------------------------------------

export class DeepgramStt implements SpeechToText {
  readonly name = 'deepgram';
  readonly sampleRate = SAMPLE_RATE;
  readonly capabilities: SttCapabilities = { turnEnd: 'engine', interimResults: true };
  readonly #streams = new Set<DeepgramStream>();
  readonly #url: URL;

  constructor(private readonly opts: DeepgramSttOptions) {
    const url = socketUrl(opts.settings.baseUrl, '/v1/listen');
    const q = url.searchParams;
    q.set('model', opts.settings.sttModel);
    q.set('encoding', 'mulaw');
    q.set('sample_rate', String(SAMPLE_RATE));
    q.set('channels', '1');
    q.set('interim_results', 'true');
    q.set('endpointing', String(opts.endpointingMs ?? DEFAULT_ENDPOINTING_MS));
    q.set('utterance_end_ms', String(opts.utteranceEndMs ?? DEFAULT_UTTERANCE_END_MS));
    q.set('vad_events', 'true');
    q.set('smart_format', 'true');
    this.#url = url;
  }

  stream(options: SttStreamOptions): SttStream {
    const s = new DeepgramStream(this.#url, this.opts, options, () => this.#streams.delete(s));
    this.#streams.add(s);
    return s;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#streams].map((s) => s.shutdown()));
  }
}

export function createDeepgramStt(opts: DeepgramSttOptions): DeepgramStt {
  return new DeepgramStt(opts);
}

// ---- one stream ---------------------------------------------------------------------------------

type Phase = 'connecting' | 'open' | 'closing' | 'done';

class DeepgramStream implements SttStream {
  readonly track: Track;
  readonly #out = new EventChannel<SttEvent>();
  readonly #ws: WebSocket;
  readonly #log: Logger;
  readonly #keepAliveMs: number;
  readonly #maxBuffer: number;
  readonly #closeGraceMs: number;
  #phase: Phase = 'connecting';
  /** Audio pushed before the socket opened, oldest first. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #pendingFinalize = false;
  #droppedBytes = 0;
  #sentBytes = 0;
  #lastSentAt = performance.now();
  #connectTimer: NodeJS.Timeout | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #requestId: string | undefined;
  /** Settles when the socket is closed (or never opened). */
  readonly #socketClosed: Promise<void>;
  // The utterance under way: speech-started sent, and whether a final has been sent.
  #inUtterance = false;
  #hadFinal = false;

  constructor(
    url: URL,
    opts: DeepgramSttOptions,
    options: SttStreamOptions,
    private readonly onDone: () => void,
  ) {
    this.track = options.track;
    this.#log = opts.logger;
    this.#keepAliveMs = opts.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.#maxBuffer = opts.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    this.#closeGraceMs = opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;

    this.#ws = new WebSocket(url, { headers: { Authorization: `Token ${opts.settings.apiKey}` } });
    this.#socketClosed = new Promise((resolve) => this.#ws.once('close', () => resolve()));
    this.#ws.on('upgrade', (res: IncomingMessage) => {
      const id = res.headers['dg-request-id'];
      if (typeof id === 'string') this.#requestId = id;
    });
    this.#ws.on('unexpected-response', (req, res) => this.#onRefused(req, res));
    this.#ws.on('open', () => this.#onOpen());
    this.#ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    this.#ws.on('error', (err) => this.#onSocketError(err));
    this.#ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));

    const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#connectTimer = setTimeout(() => {
      this.#fail(
        new ProviderError(`Deepgram listen: the socket did not open within ${connectTimeoutMs} ms`, {
          kind: 'timeout',
          retryable: true,
        }),
      );
    }, connectTimeoutMs);

    if (options.signal.aborted) this.close();
    else options.signal.addEventListener('abort', () => this.close(), { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<SttEvent> {
    return this.#out[Symbol.asyncIterator]();
  }

  push(samples: Int16Array): void {
    if (this.#phase === 'closing' || this.#phase === 'done' || samples.length === 0) return;
    // The listener decoded Twilio's mu-law; encoding it again gives back Twilio's exact bytes.
    const bytes = pcmToMulaw(samples);
    if (this.#phase === 'open') {
      this.#sendAudio(bytes);
      return;
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    while (this.#pendingBytes > this.#maxBuffer) {
      const first = this.#pending[0]!;
      const over = this.#pendingBytes - this.#maxBuffer;
      if (first.length <= over) {
        this.#pending.shift();
        this.#pendingBytes -= first.length;
        this.#droppedBytes += first.length;
      } else {
        this.#pending[0] = first.subarray(over);
        this.#pendingBytes -= over;
        this.#droppedBytes += over;
      }
    }
  }

  flush(): void {
    if (this.#phase === 'open') this.#sendControl('Finalize');
    else if (this.#phase === 'connecting') this.#pendingFinalize = true;
  }

  /** Deepgram decodes with its own open model; the dialogue's expectation does not change it. */
  expect(): void {}

  close(): void {
    if (this.#phase === 'closing' || this.#phase === 'done') return;
    const wasOpen = this.#phase === 'open';
    this.#phase = 'closing';
    this.#out.discard(); // no events after close()
    this.#clearTimers();
    this.#pending = [];
    if (wasOpen) {
      // CloseStream lets Deepgram finish and close cleanly (its results are no longer wanted).
      this.#sendControl('CloseStream');
      this.#graceTimer = setTimeout(() => this.#ws.terminate(), this.#closeGraceMs);
      this.#graceTimer.unref?.();
    } else {
      this.#ws.terminate();
    }
    void this.#socketClosed.then(() => this.#finish());
  }

  /** close(), and wait for the socket to be gone. */
  async shutdown(): Promise<void> {
    this.close();
    await this.#socketClosed;
  }

  // ---- socket events ----------------------------------------------------------------------------

  #onOpen(): void {
    if (this.#phase !== 'connecting') return;
    this.#phase = 'open';
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#log.debug(
      { provider: 'deepgram', track: this.track, requestId: this.#requestId },
      'deepgram listen socket open',
    );
    if (this.#droppedBytes > 0) {
      this.#log.debug(
        { provider: 'deepgram', droppedMs: this.#droppedBytes / 8 },
        'deepgram: audio dropped while connecting',
      );
    }
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const bytes of pending) this.#sendAudio(bytes);
    if (this.#pendingFinalize) this.#sendControl('Finalize');
    this.#pendingFinalize = false;
    this.#lastSentAt = performance.now();
    // Check often, send rarely: a KeepAlive only after keepAliveMs without anything sent.
    const every = Math.max(50, Math.floor(this.#keepAliveMs / 4));
    this.#keepAliveTimer = setInterval(() => {
      if (this.#phase === 'open' && performance.now() - this.#lastSentAt >= this.#keepAliveMs) {
        this.#sendControl('KeepAlive');
      }
    }, every);
    this.#keepAliveTimer.unref?.();
  }

  /** The handshake was answered with an HTTP status instead of 101. */
  #onRefused(req: ClientRequest, res: IncomingMessage): void {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < MAX_HANDSHAKE_BODY) chunks.push(c);
      size += c.length;
    });
    const done = (): void => {
      void this.#refusal(res, Buffer.concat(chunks).subarray(0, MAX_HANDSHAKE_BODY)).then((err) => {
        this.#fail(err);
        req.destroy();
      });
    };
    res.once('end', done);
    res.once('error', done);
  }

  async #refusal(res: IncomingMessage, body: Buffer): Promise<ProviderError> {
    const status = res.statusCode ?? 0;
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (typeof v === 'string') headers.set(k, v);
      else if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    }
    const what = 'Deepgram listen handshake';
    if (status < 200 || status > 599) {
      return new ProviderError(`${what}: HTTP ${status}`, { kind: 'http', status, retryable: false });
    }
    // Deepgram's body is {"err_code","err_msg"}; errorFromResponse knows OpenAI's shape, so the
    // message is rewritten to Deepgram's before it is read.
    let text = body.toString('utf8');
    try {
      const parsed = HandshakeError.safeParse(JSON.parse(text));
      if (parsed.success && (parsed.data.err_msg || parsed.data.err_code)) {
        text = JSON.stringify({
          error: { message: parsed.data.err_msg ?? parsed.data.err_code, code: parsed.data.err_code },
        });
      }
    } catch {
      // Not JSON: the text itself is the message.
    }
    return errorFromResponse(new Response(text, { status, headers }), what);
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    // While closing, messages are still read for Metadata's request id; events are discarded.
    if (this.#phase !== 'open' && this.#phase !== 'closing') return;
    if (isBinary) return; // /v1/listen sends JSON only
    const text = rawText(data);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#fail(protocolError(`a message is not JSON: ${snippet(text)}`));
      return;
    }
    const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return; // unknown types are ignored
    const parsed = ServerMessage.safeParse(json);
    if (!parsed.success) {
      this.#fail(
        protocolError(`a ${type} message does not match the documented shape: ${parsed.error.message}`),
      );
      return;
    }
    this.#handle(parsed.data);
  }

  #handle(m: ServerMessage): void {
    switch (m.type) {
      case 'SpeechStarted':
        this.#startUtterance();
        return;
      case 'Results':
        this.#onResults(m);
        return;
      case 'UtteranceEnd':
        // After speech_final the utterance is already over; without a final there is nothing to end.
        if (this.#inUtterance && this.#hadFinal) this.#endUtterance();
        return;
      case 'Metadata':
        this.#requestId ??= m.request_id;
        this.#log.debug(
          { provider: 'deepgram', requestId: m.request_id, audioSeconds: m.duration },
          'deepgram listen metadata',
        );
        return;
      case 'Error':
        this.#fail(
          new ProviderError(`Deepgram listen error: ${m.variant ?? 'Error'}: ${m.description ?? ''}`.trim(), {
            kind: 'api',
            retryable: false,
            code: m.code ?? m.variant,
          }),
        );
        return;
    }
  }

  #onResults(m: ResultsMessage): void {
    this.#requestId ??= m.metadata?.request_id;
    const alternatives: SttAlternative[] = m.channel.alternatives.map((a) =>
      a.confidence === undefined ? { text: a.transcript } : { text: a.transcript, confidence: a.confidence },
    );
    const best = alternatives[0];
    const text = best?.text.trim() ?? '';
    const confidence = best?.confidence;
    if (!m.is_final) {
      if (!text) return; // Deepgram sends empty interims over silence
      this.#startUtterance();
      this.#out.push({
        type: 'interim',
        track: this.track,
        text,
        ...(confidence !== undefined ? { confidence } : {}),
      });
      return;
    }
    if (text) {
      this.#startUtterance();
      this.#hadFinal = true;
      this.#out.push({
        type: 'final',
        track: this.track,
        text,
        ...(confidence !== undefined ? { confidence } : {}),
        alternatives,
      });
    }
    if (m.speech_final && this.#inUtterance) this.#endUtterance();
    // A flush's answer ends the utterance, as the SttStream contract asks of flush().
    else if (m.from_finalize) this.#endUtterance();
  }

  #startUtterance(): void {
    if (this.#inUtterance) return;
    this.#inUtterance = true;
    this.#hadFinal = false;
    this.#out.push({ type: 'speech-started', track: this.track });
  }

  #endUtterance(): void {
    this.#inUtterance = false;
    this.#hadFinal = false;
    this.#out.push({ type: 'utterance-end', track: this.track });
  }

  #onSocketError(err: Error): void {
    // A refused handshake is reported by #onRefused with its status; this is the rest.
    if (this.#phase === 'closing' || this.#phase === 'done') return;
    const code = (err as { code?: unknown }).code;
    this.#fail(
      new ProviderError(
        `Deepgram listen: connection failed (${typeof code === 'string' ? `${code}: ` : ''}${err.message})`,
        { kind: 'network', retryable: true, cause: err },
      ),
    );
  }

  #onClose(code: number, reason: string): void {
    const closing = this.#phase === 'closing';
    this.#log.debug(
      {
        provider: 'deepgram',
        track: this.track,
        requestId: this.#requestId,
        code,
        reason,
        sentBytes: this.#sentBytes,
      },
      'deepgram listen socket closed',
    );
    if (!closing && this.#phase !== 'done') {
      // Not after our CloseStream: whatever the code, the stream is dead (1011 NET-0001 idle,
      // 1008 DATA-0000 bad data, 1006 cut without a close frame).
      const why =
        code === 1006 ? 'without a close frame (1006)' : `with ${code}${reason ? ` ${reason}` : ''}`;
      this.#fail(
        new ProviderError(`Deepgram listen: the socket closed ${why}`, {
          kind: 'network',
          retryable: code !== 1008 && code !== 1003 && code !== 1007,
          code: String(code),
        }),
      );
    }
    this.#finish();
  }

  // ---- sending ----------------------------------------------------------------------------------

  #sendAudio(bytes: Uint8Array): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(bytes, { binary: true });
    this.#sentBytes += bytes.length;
    this.#lastSentAt = performance.now();
  }

  #sendControl(type: 'KeepAlive' | 'Finalize' | 'CloseStream'): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    // Control messages must be text frames (a binary KeepAlive would be taken for audio).
    this.#ws.send(JSON.stringify({ type }), { binary: false });
    this.#lastSentAt = performance.now();
  }

  // ---- ending -----------------------------------------------------------------------------------

  /** The stream is dead: the reader gets what came before, then `err`; the socket goes. */
  #fail(err: ProviderError): void {
    if (this.#phase === 'closing' || this.#phase === 'done') return;
    this.#phase = 'done';
    this.#out.fail(err);
    this.#clearTimers();
    this.#pending = [];
    this.#ws.terminate();
    this.#log.debug(
      {
        provider: 'deepgram',
        track: this.track,
        requestId: this.#requestId,
        kind: err.kind,
        status: err.status,
      },
      'deepgram listen stream failed',
    );
  }

  #finish(): void {
    if (this.#phase !== 'done') {
      this.#phase = 'done';
      this.#out.end();
    }
    this.#clearTimers();
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.onDone();
  }

  #clearTimers(): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    if (this.#keepAliveTimer) clearInterval(this.#keepAliveTimer);
    this.#connectTimer = undefined;
    this.#keepAliveTimer = undefined;
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function snippet(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

function protocolError(detail: string): ProviderError {
  return new ProviderError(`Deepgram listen: ${detail}`, { kind: 'protocol', retryable: true });
}
