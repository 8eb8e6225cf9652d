import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { dbfs, mulawToPcm, pcmToMulaw, writeWav } from '../../src/audio/index.js';

/**
 * A local Deepgram speaking the protocol as PROTOCOLS.md 7.1 and 7.2 document it.
 *
 * `/v1/listen` (WebSocket): `Authorization: Token <key>` checked at the handshake (401 with
 * Deepgram's `{"err_code","err_msg"}` body otherwise); raw audio needs `encoding` and
 * `sample_rate` (400 otherwise). Speech is found by energy in the decoded audio, so real
 * synthesized caller audio works; time is audio time (what was sent), so results do not depend
 * on how fast a test pushes. Per utterance: SpeechStarted (vad_events), an interim Results every
 * ~300 ms of audio (interim_results), a final Results with is_final and speech_final after
 * `endpointing` ms of silence, UtteranceEnd `utterance_end_ms` after the last word. The words
 * come from `listen.transcripts`, one entry per caller turn (a turn ends at UtteranceEnd, so a
 * pause shorter than utterance_end_ms stays inside it); with the queue empty the turn is
 * transcribed as ''. A turn's words are revealed by voiced time (`msPerChar`); a pause that
 * endpoints mid-turn finalizes the words heard, cut at a nearby sentence end, as Deepgram splits a
 * caller's turn at a long pause. Finalize flushes (`from_finalize: true`),
 * CloseStream flushes then sends Metadata and closes 1000, no audio or KeepAlive for
 * `idleTimeoutMs` closes 1011 NET-0001, a text frame that is not a control message closes 1008
 * DATA-0000.
 *
 * `/v1/speak` (REST): Token auth; JSON `{text}`; the documented REST default (WAV container,
 * linear16, 24 kHz) unless encoding/container say otherwise; with mulaw, 8000, container=none it
 * streams raw mu-law of a tone ~60 ms per character, in chunks with small delays.
 *
 * Faults, for the next connection/request (queues) or live on a session: HTTP refusals with
 * Retry-After, a handshake never answered, a socket that opens and says nothing, an abrupt kill
 * (no close frame), a close with any code, a malformed message. Everything received is recorded.
 */

export const FAKE_DEEPGRAM_KEY = 'dg-test-key';

export interface FakeDeepgramOptions {
  /** The key clients must send as `Authorization: Token <key>`. Default FAKE_DEEPGRAM_KEY. */
  readonly apiKey?: string;
  /** A 20 ms frame louder than this (dBFS) is speech. Default -40. */
  readonly speechThresholdDbfs?: number;
  /** Wall-clock time without audio or KeepAlive before close 1011 NET-0001. Default 10000 ms. */
  readonly idleTimeoutMs?: number;
  /** An interim Results per this much audio of an utterance. Default 300 ms. */
  readonly interimEveryMs?: number;
  /**
   * Speech heard per character of the transcript (spaces aside): how fast a turn's words are
   * revealed. Default 50 ms, a little faster than espeak-ng or festival speak (~55 ms), so a
   * turn's words are all out by the end of its speech.
   */
  readonly msPerChar?: number;
  /** Speak: tone length per character. Default 60 ms. */
  readonly speakMsPerChar?: number;
  /** Speak: bytes per body chunk (mu-law: 1 byte = 1 sample). Default 800 (100 ms at 8 kHz). */
  readonly speakChunkBytes?: number;
  /** Speak: pause between body chunks. Default 5 ms. */
  readonly speakChunkDelayMs?: number;
}

/** What the next handshake (listen) or request (speak) meets instead of the normal answer. */
export type HttpRefusal = {
  readonly kind: 'reject';
  readonly status: number;
  /** Sent as Retry-After (seconds). */
  readonly retryAfterS?: number;
  /** Default: Deepgram's shape for the status. */
  readonly body?: unknown;
};

export type ListenFault =
  | HttpRefusal
  /** Never answer the upgrade (the client's open timeout). */
  | { readonly kind: 'hang' }
  /** Open, then never send anything and never close (audio is still recorded). */
  | { readonly kind: 'stall' }
  /** Destroy the TCP socket, no close frame, at once or after `afterMs`. */
  | { readonly kind: 'kill'; readonly afterMs?: number }
  /** Close with this code and reason after `afterMs` (default 0). */
  | { readonly kind: 'close'; readonly code: number; readonly reason: string; readonly afterMs?: number }
  /** Send this text (default: not JSON) after `afterMs` (default 0). */
  | { readonly kind: 'malformed'; readonly text?: string; readonly afterMs?: number };

export type SpeakFault =
  | HttpRefusal
  /** Never send the response headers. */
  | { readonly kind: 'hang' }
  /** Send headers and `afterBytes` of audio (default 0), then nothing, keeping the connection. */
  | { readonly kind: 'stall'; readonly afterBytes?: number }
  /** Send `afterBytes` of audio, then destroy the connection (a cut body). */
  | { readonly kind: 'cut'; readonly afterBytes: number }
  /** Answer in a WAV container whatever `container` says (a server that ignores the query). */
  | { readonly kind: 'wav' };

export type Transcript = string | { readonly text: string; readonly confidence?: number };

export interface ListenHandshake {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingMessage['headers'];
  /** The HTTP status answered: 101, or the refusal's. Undefined while hanging. */
  status: number | undefined;
}

export interface ListenSession {
  readonly requestId: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingMessage['headers'];
  /** Control messages received, parsed, in order (KeepAlive, Finalize, CloseStream). */
  readonly controls: { type: string }[];
  /** Every text frame received, raw. */
  readonly textFrames: string[];
  /** Binary frames received. */
  readonly binaryFrames: number;
  /** Every audio byte received, in order. */
  audio(): Uint8Array;
  readonly audioBytes: number;
  /** Every message sent to the client, parsed. */
  readonly sent: Record<string, unknown>[];
  /** Resolves with the close code and reason (1006 when the socket was killed). */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** False once the socket closed or was killed or closed by a fault. */
  readonly open: boolean;
  /** Destroy the socket now: no close frame. */
  kill(): void;
  /** Close with a code and reason now. */
  closeWith(code: number, reason: string): void;
  /** Send a raw text frame now. */
  sendRaw(text: string): void;
  /** Stop answering: audio is still recorded, nothing is sent. */
  stall(): void;
}

export interface SpeakRequest {
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The HTTP status answered (undefined while hanging). */
  status: number | undefined;
  /** Audio bytes written. */
  bytesSent: number;
  /** Resolves when the connection closes; `aborted`: the client left before the reply ended. */
  readonly closed: Promise<{ aborted: boolean }>;
}

export interface FakeDeepgram {
  /** e.g. http://127.0.0.1:41234 (the adapters make the ws:// URL from it). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly listen: {
    /** What the next turns say, one entry per turn. */
    readonly transcripts: Transcript[];
    /** Faults for the next handshakes, one each, in order. */
    readonly faults: ListenFault[];
    readonly handshakes: ListenHandshake[];
    readonly sessions: ListenSession[];
  };
  readonly speak: {
    readonly faults: SpeakFault[];
    readonly requests: SpeakRequest[];
  };
  /** Sessions open now. */
  openSessions(): ListenSession[];
  /** Every open listen socket is destroyed (no close frame): Deepgram died mid-call. */
  killAllSessions(): void;
  /** While down, every new connection (listen or speak) is cut at once, unanswered. */
  setDown(down: boolean): void;
  /** Handler errors (a bug in the fake or a test's callback); tests may check it is empty. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

// ---- listen -------------------------------------------------------------------------------------

const MODEL_UUID = '1dbdfb4d-85b2-4659-b1c6-12c3eb4b7d0e';

function deepgramErrorBody(status: number): Record<string, string> {
  const err: Record<number, [string, string]> = {
    400: ['Bad Request', 'Bad Request: failed to process request'],
    401: ['INVALID_AUTH', 'Invalid credentials.'],
    402: ['ASR_PAYMENT_REQUIRED', 'Project does not have enough credits for an ASR request.'],
    403: ['INSUFFICIENT_PERMISSIONS', 'You do not have permission to perform this action.'],
    429: ['TOO_MANY_REQUESTS', 'Too many requests. Please try again later.'],
  };
  const [code, msg] = err[status] ?? ['INTERNAL_SERVER_ERROR', STATUS_CODES[status] ?? 'Error'];
  return { err_code: code, err_msg: msg, request_id: randomUUID() };
}

function authorized(headers: IncomingMessage['headers'], key: string): boolean {
  return headers.authorization === `Token ${key}`;
}

function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

function rejectUpgrade(socket: Duplex, status: number, body: unknown, retryAfterS?: number): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...(retryAfterS !== undefined ? [`Retry-After: ${retryAfterS}`] : []),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}

interface ListenConfig {
  readonly encoding: 'mulaw' | 'linear16';
  readonly sampleRate: number;
  readonly interim: boolean;
  /** ms of silence that ends an utterance (Deepgram's default is 10). */
  readonly endpointingMs: number | false;
  readonly utteranceEndMs: number | undefined;
  readonly vadEvents: boolean;
  readonly model: string;
}

/** The query as Deepgram reads it, or the 400 message. */
function listenConfig(q: Record<string, string>): ListenConfig | string {
  const encoding = q['encoding'];
  const rate = q['sample_rate'];
  if (encoding === undefined || rate === undefined) {
    return 'Bad Request: raw audio requires both encoding and sample_rate (this fake takes raw audio only)';
  }
  if (encoding !== 'mulaw' && encoding !== 'linear16') {
    return `Bad Request: encoding ${encoding} is not supported by the local fake (mulaw, linear16)`;
  }
  const sampleRate = Number(rate);
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48000) {
    return `Bad Request: sample_rate ${rate} is invalid`;
  }
  if ((q['channels'] ?? '1') !== '1') return 'Bad Request: the local fake takes one channel';
  const ep = q['endpointing'];
  const endpointingMs = ep === 'false' ? false : ep === undefined || ep === 'true' ? 10 : Number(ep);
  if (endpointingMs !== false && !(endpointingMs >= 0)) return `Bad Request: endpointing ${ep} is invalid`;
  const ue = q['utterance_end_ms'];
  const utteranceEndMs = ue === undefined ? undefined : Number(ue);
  if (utteranceEndMs !== undefined && !(utteranceEndMs >= 1000)) {
    return `Bad Request: utterance_end_ms ${ue} is invalid (at least 1000)`;
  }
  return {
    encoding,
    sampleRate,
    interim: q['interim_results'] === 'true',
    endpointingMs,
    utteranceEndMs,
    vadEvents: q['vad_events'] === 'true',
    model: q['model'] ?? 'base',
  };
}

interface Turn {
  words: string[];
  /** Characters (spaces aside) before each word. */
  charsBefore: number[];
  confidence: number;
  /** Words already sent in finals. */
  finalized: number;
  /** Whether any final with words was sent (UtteranceEnd needs one). */
  hadWords: boolean;
}

/** One /v1/listen socket: decodes audio, finds speech by energy, answers as Deepgram does. */
class Session implements ListenSession {
  readonly controls: { type: string }[] = [];
  readonly textFrames: string[] = [];
  readonly sent: Record<string, unknown>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  binaryFrames = 0;
  audioBytes = 0;
  #audio: Buffer[] = [];
  #stalled = false;
  #ended = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #faultTimer: NodeJS.Timeout | undefined;
  // Audio time, in samples, and the speech state machine on it.
  readonly #frame: number;
  #carry = new Int16Array(0);
  #samples = 0;
  #speaking = false;
  /** Sample where the current speech segment (or the last one) started and ended. */
  #speechStart = 0;
  #lastSpeechEnd = 0;
  /** Samples of speech in the turn so far (for revealing words). */
  #turnSpeech = 0;
  #turn: Turn | undefined;
  /** The segment under way has been endpointed (speech_final sent); waiting for UtteranceEnd. */
  #endpointed = false;
  #nextInterimAt = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    readonly requestId: string,
    readonly query: Readonly<Record<string, string>>,
    readonly headers: IncomingMessage['headers'],
    private readonly cfg: ListenConfig,
    private readonly fake: FakeState,
  ) {
    this.#frame = Math.round(cfg.sampleRate / 50);
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.#ended = true;
        this.#clearTimers();
        resolve({ code, reason: reason.toString('utf8') });
      }),
    );
    ws.on('message', (data, isBinary) => {
      try {
        this.#onMessage(data, isBinary);
      } catch (err) {
        fake.errors.push(err);
      }
    });
    ws.on('error', () => {}); // a killed socket or a client gone mid-frame
    this.#touch();
  }

  get open(): boolean {
    return !this.#ended;
  }

  audio(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.#audio));
  }

  kill(): void {
    this.#ended = true;
    this.#clearTimers();
    this.socket.destroy();
  }

  closeWith(code: number, reason: string): void {
    this.#ended = true;
    this.#clearTimers();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  sendRaw(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  stall(): void {
    this.#stalled = true;
    this.#clearTimers();
  }

  /** Runs a fault from the queue on this session. */
  apply(f: Exclude<ListenFault, HttpRefusal | { kind: 'hang' }>): void {
    const later = (ms: number | undefined, fn: () => void) => {
      if (!ms) fn();
      else this.#faultTimer = setTimeout(fn, ms);
    };
    switch (f.kind) {
      case 'stall':
        this.stall();
        return;
      case 'kill':
        later(f.afterMs, () => this.kill());
        return;
      case 'close':
        later(f.afterMs, () => this.closeWith(f.code, f.reason));
        return;
      case 'malformed':
        later(f.afterMs, () => this.sendRaw(f.text ?? '{"type":"Results","channel":'));
        return;
    }
  }

  #clearTimers(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (this.#faultTimer) clearTimeout(this.#faultTimer);
    this.#idleTimer = undefined;
  }

  /** Audio or KeepAlive came: the NET-0001 clock starts again. */
  #touch(): void {
    if (this.#stalled || this.#ended) return;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () =>
        this.closeWith(
          1011,
          'NET-0001: Deepgram did not receive audio data or a text message within the timeout window.',
        ),
      this.fake.idleTimeoutMs,
    );
  }

  #send(msg: Record<string, unknown>): void {
    if (this.#stalled || this.#ended || this.ws.readyState !== WebSocket.OPEN) return;
    this.sent.push(msg);
    this.ws.send(JSON.stringify(msg));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) {
      this.binaryFrames++;
      this.audioBytes += buf.length;
      this.#audio.push(buf);
      this.#touch();
      if (!this.#stalled && !this.#ended) this.#onAudio(buf);
      return;
    }
    const text = buf.toString('utf8');
    this.textFrames.push(text);
    let type: unknown;
    try {
      type = (JSON.parse(text) as { type?: unknown }).type;
    } catch {
      type = undefined;
    }
    if (type !== 'KeepAlive' && type !== 'Finalize' && type !== 'CloseStream') {
      this.closeWith(1008, 'DATA-0000: The payload cannot be decoded as audio or as a control message.');
      return;
    }
    this.controls.push({ type });
    if (this.#stalled || this.#ended) return;
    if (type === 'KeepAlive') this.#touch();
    else if (type === 'Finalize') this.#finalize();
    else this.#closeStream();
  }

  // ---- the recognizer ---------------------------------------------------------------------------

  #decode(buf: Buffer): Int16Array {
    if (this.cfg.encoding === 'mulaw') return mulawToPcm(buf);
    const n = Math.floor(buf.length / 2);
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2);
    return out;
  }

  #onAudio(buf: Buffer): void {
    const pcm = this.#decode(buf);
    let all = pcm;
    if (this.#carry.length > 0) {
      all = new Int16Array(this.#carry.length + pcm.length);
      all.set(this.#carry);
      all.set(pcm, this.#carry.length);
    }
    let o = 0;
    for (; o + this.#frame <= all.length; o += this.#frame) {
      this.#onFrame(dbfs(all.subarray(o, o + this.#frame)) > this.fake.thresholdDbfs);
    }
    this.#carry = all.slice(o);
  }

  #ms(samples: number): number {
    return (samples * 1000) / this.cfg.sampleRate;
  }

  #onFrame(voiced: boolean): void {
    const start = this.#samples;
    this.#samples += this.#frame;
    const now = this.#samples;
    if (voiced) {
      if (!this.#speaking) {
        this.#speaking = true;
        this.#speechStart = start;
        this.#endpointed = false;
        if (!this.#turn) {
          const next = this.fake.transcripts.shift() ?? '';
          const t = typeof next === 'string' ? { text: next } : next;
          const words = t.text.split(/\s+/).filter(Boolean);
          let chars = 0;
          this.#turn = {
            words,
            charsBefore: words.map((w) => ((chars += w.length), chars - w.length)),
            confidence: t.confidence ?? 0.97,
            finalized: 0,
            hadWords: false,
          };
          this.#turnSpeech = 0;
          this.#nextInterimAt = start + this.#samplesFor(this.fake.interimEveryMs);
        }
        if (this.cfg.vadEvents) {
          this.#send({ type: 'SpeechStarted', channel: [0, 1], timestamp: round(this.#ms(start) / 1000) });
        }
      }
      this.#turnSpeech += this.#frame;
      this.#lastSpeechEnd = now;
    } else if (this.#speaking) {
      const silentMs = this.#ms(now - this.#lastSpeechEnd);
      if (this.cfg.endpointingMs !== false && silentMs >= this.cfg.endpointingMs) {
        this.#speaking = false;
        this.#endpointed = true;
        // Without UtteranceEnd the endpoint ends the turn: all its words. Otherwise the words
        // heard so far (cut at a sentence end near by); speech resumed before UtteranceEnd is
        // the same turn and says the rest.
        const turnEnds = this.cfg.utteranceEndMs === undefined || !this.cfg.interim;
        this.#final({ speechFinal: true, fromFinalize: false, cut: turnEnds ? 'all' : 'sentence' });
      }
    }
    if (
      this.#turn &&
      this.cfg.interim &&
      now >= this.#nextInterimAt &&
      (this.#speaking || !this.#endpointed)
    ) {
      this.#nextInterimAt = now + this.#samplesFor(this.fake.interimEveryMs);
      this.#results(this.#revealed(), { isFinal: false, speechFinal: false, fromFinalize: false });
    }
    // UtteranceEnd: utterance_end_ms after the last word (needs interim results to work).
    if (this.#turn && !this.#speaking && this.#endpointed) {
      const ue = this.cfg.utteranceEndMs;
      if (ue === undefined || !this.cfg.interim) {
        this.#turn = undefined; // without UtteranceEnd a turn ends with its endpoint
      } else if (this.#ms(now - this.#lastSpeechEnd) >= ue) {
        // Words the speech ran out before (a voice faster than msPerChar): said now, not lost.
        if (this.#turn.finalized < this.#turn.words.length) {
          this.#final({ speechFinal: true, fromFinalize: false, cut: 'all' });
        }
        if (this.#turn.hadWords) {
          this.#send({
            type: 'UtteranceEnd',
            channel: [0, 1],
            last_word_end: round(this.#ms(this.#lastSpeechEnd) / 1000),
          });
        }
        this.#turn = undefined;
      }
    }
  }

  #samplesFor(ms: number): number {
    return Math.max(1, Math.round((ms * this.cfg.sampleRate) / 1000));
  }

  /** How many of the turn's words have been heard: a word once its first character has. */
  #heardCount(t: Turn): number {
    const chars = this.#ms(this.#turnSpeech) / this.fake.msPerChar;
    let n = 0;
    while (n < t.words.length && t.charsBefore[n]! < chars) n++;
    return Math.max(t.finalized, n);
  }

  /** Words heard so far and not yet finalized. */
  #revealed(): string[] {
    const t = this.#turn;
    return t ? t.words.slice(t.finalized, this.#heardCount(t)) : [];
  }

  /** `sentence`: the heard words, moved to a sentence end (. ? !) within three words, as a pause there is likely. */
  #cut(t: Turn, cut: 'heard' | 'sentence' | 'all'): number {
    if (cut === 'all') return t.words.length;
    const n = this.#heardCount(t);
    if (cut === 'heard') return n;
    let best = n;
    for (let d = 0; d <= 3; d++) {
      const at = [n - d, n + d].find(
        (j) => j > t.finalized && j <= t.words.length && /[.?!]$/.test(t.words[j - 1]!),
      );
      if (at !== undefined) {
        best = at;
        break;
      }
    }
    return best;
  }

  #final(opts: { speechFinal: boolean; fromFinalize: boolean; cut: 'heard' | 'sentence' | 'all' }): void {
    const t = this.#turn;
    const words = t ? t.words.slice(t.finalized, this.#cut(t, opts.cut)) : [];
    if (t) {
      t.finalized += words.length;
      if (words.length > 0) t.hadWords = true;
    }
    this.#results(words, { isFinal: true, speechFinal: opts.speechFinal, fromFinalize: opts.fromFinalize });
  }

  #results(words: string[], f: { isFinal: boolean; speechFinal: boolean; fromFinalize: boolean }): void {
    const start = this.#ms(this.#speechStart) / 1000;
    const end = this.#ms(this.#samples) / 1000;
    const conf = this.#turn?.confidence ?? 0;
    const span = Math.max(0.001, this.#ms(this.#lastSpeechEnd - this.#speechStart) / 1000);
    const step = words.length > 0 ? span / words.length : 0;
    this.#send({
      type: 'Results',
      channel_index: [0, 1],
      duration: round(end - start),
      start: round(start),
      is_final: f.isFinal,
      speech_final: f.speechFinal,
      from_finalize: f.fromFinalize,
      channel: {
        alternatives: [
          {
            transcript: words.join(' '),
            confidence: words.length > 0 ? conf : 0,
            words: words.map((w, i) => ({
              word: w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
              start: round(start + i * step),
              end: round(start + (i + 1) * step),
              confidence: conf,
              punctuated_word: w,
            })),
          },
        ],
      },
      metadata: {
        request_id: this.requestId,
        model_uuid: MODEL_UUID,
        model_info: { name: this.cfg.model, version: '2025-01-01.0', arch: 'fake' },
      },
    });
  }

  /** Finalize: what was heard becomes final now (`from_finalize: true`). */
  #finalize(): void {
    this.#final({ speechFinal: false, fromFinalize: true, cut: 'heard' });
  }

  /** CloseStream: final results for what is pending, Metadata, then close 1000. */
  #closeStream(): void {
    if (this.#turn && this.#turn.finalized < this.#turn.words.length) {
      this.#final({ speechFinal: true, fromFinalize: false, cut: 'all' });
    }
    this.#send({
      type: 'Metadata',
      transaction_key: 'deprecated',
      request_id: this.requestId,
      sha256: '0'.repeat(64),
      created: new Date().toISOString(),
      duration: round(this.#ms(this.#samples) / 1000),
      channels: 1,
      models: [MODEL_UUID],
      model_info: { [MODEL_UUID]: { name: this.cfg.model, version: '2025-01-01.0', arch: 'fake' } },
    });
    this.closeWith(1000, '');
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---- speak --------------------------------------------------------------------------------------

/** A 440 Hz tone with a soft start and end, `ms` long, as PCM at `rate`. */
function tone(ms: number, rate: number): Int16Array {
  const n = Math.round((ms * rate) / 1000);
  const out = new Int16Array(n);
  const ramp = Math.min(n / 2, rate / 100);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / ramp, (n - 1 - i) / ramp);
    out[i] = Math.round(8000 * env * Math.sin((2 * Math.PI * 440 * i) / rate));
  }
  return out;
}

/** The audio a /v1/speak query asks for, or the 400 message. */
function speakAudio(
  q: Record<string, string>,
  text: string,
  msPerChar: number,
): { bytes: Uint8Array; contentType: string } | string {
  const encoding = q['encoding'] ?? 'linear16';
  if (encoding !== 'linear16' && encoding !== 'mulaw') {
    return `encoding ${encoding} is not supported by the local fake (linear16, mulaw)`;
  }
  const container = q['container'] ?? 'wav'; // REST's default for linear16 and mulaw
  if (container !== 'wav' && container !== 'none')
    return `container ${container} is not valid for ${encoding}`;
  const rate = Number(q['sample_rate'] ?? (encoding === 'linear16' ? 24000 : 8000));
  if (!Number.isInteger(rate) || rate < 8000 || rate > 48000)
    return `sample_rate ${q['sample_rate']} is invalid`;
  const pcm = tone(Math.max(1, text.length) * msPerChar, rate);
  if (encoding === 'mulaw') {
    const mu = pcmToMulaw(pcm);
    if (container === 'none') return { bytes: mu, contentType: 'audio/basic' };
    return { bytes: mulawWav(mu, rate), contentType: 'audio/wav' };
  }
  if (container === 'wav')
    return { bytes: writeWav({ sampleRate: rate, channels: [pcm] }), contentType: 'audio/wav' };
  return {
    bytes: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength),
    contentType: 'application/octet-stream',
  };
}

/** A WAV (format 7, G.711 mu-law) around mu-law bytes: what REST answers for mulaw without container=none. */
function mulawWav(mu: Uint8Array, rate: number): Uint8Array {
  const out = Buffer.alloc(44 + mu.length);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + mu.length, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(7, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate, 28);
  out.writeUInt16LE(1, 32);
  out.writeUInt16LE(8, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(mu.length, 40);
  out.set(mu, 44);
  return new Uint8Array(out);
}

// ---- the server ---------------------------------------------------------------------------------

interface FakeState {
  readonly transcripts: Transcript[];
  readonly errors: unknown[];
  readonly idleTimeoutMs: number;
  readonly thresholdDbfs: number;
  readonly interimEveryMs: number;
  readonly msPerChar: number;
}

export async function startFakeDeepgram(opts: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  const apiKey = opts.apiKey ?? FAKE_DEEPGRAM_KEY;
  const state: FakeState = {
    transcripts: [],
    errors: [],
    idleTimeoutMs: opts.idleTimeoutMs ?? 10_000,
    thresholdDbfs: opts.speechThresholdDbfs ?? -40,
    interimEveryMs: opts.interimEveryMs ?? 300,
    msPerChar: opts.msPerChar ?? 50,
  };
  const listenFaults: ListenFault[] = [];
  const speakFaults: SpeakFault[] = [];
  const handshakes: ListenHandshake[] = [];
  const sessions: Session[] = [];
  const speakRequests: SpeakRequest[] = [];
  const sockets = new Set<Socket | Duplex>();
  let closing = false;
  let down = false;

  const wss = new WebSocketServer({ noServer: true });
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    const id = requestIds.get(req);
    if (id) headers.push(`dg-request-id: ${id}`);
  });

  const server = createServer((req, res) => {
    void onRequest(req, res).catch((err: unknown) => {
      state.errors.push(err);
      res.destroy();
    });
  });
  server.on('connection', (s) => {
    if (down) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    try {
      onUpgrade(req, socket, head);
    } catch (err) {
      state.errors.push(err);
      socket.destroy();
    }
  });

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const hs: ListenHandshake = {
      path: url.pathname,
      query: queryOf(url),
      headers: req.headers,
      status: undefined,
    };
    handshakes.push(hs);
    const refuse = (status: number, body: unknown, retryAfterS?: number) => {
      hs.status = status;
      rejectUpgrade(socket, status, body, retryAfterS);
    };
    if (closing) return refuse(503, deepgramErrorBody(503));
    if (url.pathname !== '/v1/listen') return refuse(404, deepgramErrorBody(404));
    if (!authorized(req.headers, apiKey)) return refuse(401, deepgramErrorBody(401));
    const fault = listenFaults.shift();
    if (fault?.kind === 'reject')
      return refuse(fault.status, fault.body ?? deepgramErrorBody(fault.status), fault.retryAfterS);
    if (fault?.kind === 'hang') return; // the socket stays open, unanswered, until close()
    const cfg = listenConfig(hs.query);
    if (typeof cfg === 'string')
      return refuse(400, { err_code: 'Bad Request', err_msg: cfg, request_id: randomUUID() });
    const requestId = randomUUID();
    requestIds.set(req, requestId);
    wss.handleUpgrade(req, socket, head, (ws) => {
      hs.status = 101;
      const s = new Session(ws, socket, requestId, hs.query, req.headers, cfg, state);
      sessions.push(s);
      if (fault) s.apply(fault);
    });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let finished = false;
    const record: SpeakRequest = {
      query: queryOf(url),
      headers: req.headers,
      body,
      status: undefined,
      bytesSent: 0,
      closed: new Promise((resolve) => res.once('close', () => resolve({ aborted: !finished }))),
    };
    const json = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      finished = true;
      res.writeHead(status, { 'content-type': 'application/json', ...extra });
      res.end(JSON.stringify(payload));
    };
    // The start-up key check reads the projects the key can see (not recorded as a speak request).
    if (req.method === 'GET' && url.pathname === '/v1/projects') {
      if (!authorized(req.headers, apiKey)) return json(401, deepgramErrorBody(401));
      return json(200, {
        projects: [{ project_id: 'c0ffee00-0000-4000-8000-000000000001', name: 'Test project' }],
      });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/speak') {
      return json(404, deepgramErrorBody(404));
    }
    speakRequests.push(record);
    if (!authorized(req.headers, apiKey)) return json(401, deepgramErrorBody(401));
    const fault = speakFaults.shift();
    if (fault?.kind === 'reject') {
      return json(
        fault.status,
        fault.body ?? deepgramErrorBody(fault.status),
        fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {},
      );
    }
    if (fault?.kind === 'hang') return; // until the client leaves or close()
    let text: unknown;
    try {
      text = (JSON.parse(body) as { text?: unknown }).text;
    } catch {
      text = undefined;
    }
    if (
      !String(req.headers['content-type'] ?? '').includes('application/json') ||
      typeof text !== 'string' ||
      !text
    ) {
      return json(400, {
        err_code: 'INVALID_JSON',
        err_msg: 'Body must be JSON with a non-empty "text".',
        request_id: randomUUID(),
      });
    }
    const query = fault?.kind === 'wav' ? { ...record.query, container: 'wav' } : record.query;
    const audio = speakAudio(query, text, opts.speakMsPerChar ?? 60);
    if (typeof audio === 'string') {
      return json(400, { err_code: 'INVALID_QUERY_PARAMETER', err_msg: audio, request_id: randomUUID() });
    }
    record.status = 200;
    res.writeHead(200, {
      'content-type': audio.contentType,
      'dg-request-id': randomUUID(),
      'dg-model-name': record.query['model'] ?? 'aura-asteria-en',
      'dg-char-count': String(text.length),
    });
    const chunkBytes = opts.speakChunkBytes ?? 800;
    const delayMs = opts.speakChunkDelayMs ?? 5;
    const limit =
      fault?.kind === 'stall' ? (fault.afterBytes ?? 0) : fault?.kind === 'cut' ? fault.afterBytes : Infinity;
    for (let o = 0; o < audio.bytes.length && o < limit && !res.destroyed; o += chunkBytes) {
      const part = audio.bytes.subarray(o, Math.min(o + chunkBytes, audio.bytes.length, limit));
      res.write(part);
      record.bytesSent += part.length;
      if (delayMs > 0) await sleep(delayMs);
    }
    if (fault?.kind === 'cut') {
      res.destroy();
      return;
    }
    if (fault?.kind === 'stall') return; // headers and maybe some audio, then nothing
    finished = true;
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    listen: { transcripts: state.transcripts, faults: listenFaults, handshakes, sessions },
    speak: { faults: speakFaults, requests: speakRequests },
    errors: state.errors,
    openSessions: () => sessions.filter((s) => s.open),
    killAllSessions() {
      for (const s of sessions) if (s.open) s.kill();
    },
    setDown(d: boolean) {
      down = d;
    },
    async close() {
      closing = true;
      for (const s of sessions) s.kill();
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      wss.close();
    },
  };
}
