import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { encodeMulawSample } from '../../src/audio/index.js';

/**
 * A local server speaking ElevenLabs' REST streaming TTS as documented (PROTOCOLS.md 7.3):
 * `POST /v1/text-to-speech/{voice_id}/stream?output_format=...` with an `xi-api-key` header and a
 * JSON body {text, model_id}. It answers with a chunked byte stream: raw mu-law for `ulaw_8000`
 * (a tone ~60 ms per character of text, so longer text is longer audio), MP3 frames when no
 * output_format is given (the vendor's default, so a client that forgets it is caught), and the
 * vendor's error bodies: `{"detail":{"status","message"}}` (401, 404, 429, 500) and FastAPI's
 * validation list (422).
 *
 * Faults (`controls.fail`) apply to the next N requests or to all of them. Every request is
 * recorded with its headers, query, body and whether the client hung up before the reply ended.
 */

export interface FakeElevenLabsOptions {
  /** The key the server accepts. Default 'test-elevenlabs-key'. */
  readonly apiKey?: string;
  /** Voice ids that exist. Default ['voice-test']. */
  readonly voices?: readonly string[];
  /** Audio per character of text. Default 60 ms. */
  readonly msPerChar?: number;
  /** Size of each body chunk. Default 800 bytes (100 ms of mu-law). */
  readonly chunkBytes?: number;
  /** Pause between body chunks. Default 5 ms. */
  readonly chunkDelayMs?: number;
  /** Port to listen on (127.0.0.1). Default: any free port. */
  readonly port?: number;
}

export type FakeElevenLabsFault =
  /** An HTTP error with the vendor's body; 429 carries Retry-After (seconds). */
  | { readonly kind: 'status'; readonly status: 401 | 429 | 500 | 503; readonly retryAfterS?: number }
  /** 502 labelled JSON whose body is cut short, as from a gateway in front of the vendor. */
  | { readonly kind: 'gateway-error' }
  /** Read the request, then never answer (until the client leaves). */
  | { readonly kind: 'stall-before-headers' }
  /** Send 200 and the headers, then no body (until the client leaves). */
  | { readonly kind: 'stall-after-headers' }
  /** Send this many bytes of audio, then destroy the socket. */
  | { readonly kind: 'cut-mid-body'; readonly afterBytes?: number }
  /** Send the headers, then wait this long before the first byte of audio. */
  | { readonly kind: 'slow-first-byte'; readonly ms: number };

export interface FakeElevenLabsRequest {
  readonly method: string;
  readonly path: string;
  /** From the path, when it matched the streaming endpoint. */
  readonly voiceId: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: { text?: unknown; model_id?: unknown; [k: string]: unknown } | undefined;
  /** Status sent (0 until headers are out). */
  status: number;
  /** Audio bytes written. */
  bytesSent: number;
  /** The fault this request was given, if any. */
  readonly fault: FakeElevenLabsFault['kind'] | undefined;
  /** True when the client closed the connection before the reply ended. */
  aborted: boolean;
  /** Resolves when the connection is done with, either way. */
  readonly closed: Promise<{ aborted: boolean }>;
}

export interface FakeElevenLabs {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly requests: FakeElevenLabsRequest[];
  readonly controls: {
    /** The next `times` requests get this fault (queued after faults already set). */
    fail(fault: FakeElevenLabsFault, times?: number): void;
    /** Every request from now on gets this fault, until clear(). */
    failAll(fault: FakeElevenLabsFault): void;
    clear(): void;
    /** Resolves when `count` requests have been received. */
    waitForRequests(count: number): Promise<void>;
  };
  close(): Promise<void>;
}

export const FAKE_ELEVENLABS_KEY = 'test-elevenlabs-key';
const TONE_HZ = 440;
const SAMPLE_RATE = 8000;

/** The mu-law bytes the server sends for `text` with output_format=ulaw_8000. */
export function fakeElevenLabsAudio(text: string, msPerChar = 60): Uint8Array {
  const n = Math.round((text.length * msPerChar * SAMPLE_RATE) / 1000);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = encodeMulawSample(Math.round(8000 * Math.sin((2 * Math.PI * TONE_HZ * i) / SAMPLE_RATE)));
  }
  return out;
}

/** An MP3 stream's start: an ID3v2 tag header, then an MPEG-1 Layer III frame header. */
export function fakeMp3(text: string): Uint8Array {
  const id3 = [0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
  const frame = new Uint8Array(417 * Math.max(1, Math.ceil(text.length / 4)));
  for (let i = 0; i < frame.length; i += 417) {
    frame[i] = 0xff;
    frame[i + 1] = 0xfb;
    frame[i + 2] = 0x90;
    frame[i + 3] = 0x64;
  }
  return new Uint8Array([...id3, ...frame]);
}

const OUTPUT_FORMATS = new Set([
  'mp3_22050_32',
  'mp3_44100_64',
  'mp3_44100_128',
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_44100',
  'ulaw_8000',
  'alaw_8000',
]);

export async function startFakeElevenLabs(opts: FakeElevenLabsOptions = {}): Promise<FakeElevenLabs> {
  const apiKey = opts.apiKey ?? FAKE_ELEVENLABS_KEY;
  const voices = new Set(opts.voices ?? ['voice-test']);
  const msPerChar = opts.msPerChar ?? 60;
  const chunkBytes = opts.chunkBytes ?? 800;
  const chunkDelayMs = opts.chunkDelayMs ?? 5;
  const requests: FakeElevenLabsRequest[] = [];
  const queued: FakeElevenLabsFault[] = [];
  let always: FakeElevenLabsFault | undefined;
  const waiters: Array<{ count: number; resolve: () => void }> = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    let body: FakeElevenLabsRequest['body'];
    try {
      body = JSON.parse(raw) as FakeElevenLabsRequest['body'];
    } catch {
      body = undefined;
    }
    // The start-up key check reads the configured voice (not a speech request: no fault, not recorded).
    const voice = /^\/v1\/voices\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && voice) {
      const id = decodeURIComponent(voice[1] as string);
      const [status, payload] =
        req.headers['xi-api-key'] !== apiKey
          ? [401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } }]
          : voices.has(id)
            ? [200, { voice_id: id, name: 'Test voice', category: 'premade' }]
            : [
                404,
                {
                  detail: {
                    status: 'voice_not_found',
                    message: `A voice with the voice_id ${id} was not found.`,
                  },
                },
              ];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
      return;
    }
    const match = /^\/v1\/text-to-speech\/([^/]+)\/stream$/.exec(url.pathname);
    const fault = queued.shift() ?? always;
    let finished = false;
    let markClosed!: (v: { aborted: boolean }) => void;
    const rec: FakeElevenLabsRequest = {
      method: req.method ?? '',
      path: url.pathname,
      voiceId: match ? decodeURIComponent(match[1] as string) : undefined,
      headers: req.headers,
      query: Object.fromEntries(url.searchParams),
      body,
      status: 0,
      bytesSent: 0,
      fault: fault?.kind,
      aborted: false,
      closed: new Promise((resolve) => (markClosed = resolve)),
    };
    requests.push(rec);
    for (const w of waiters.splice(0)) {
      if (requests.length >= w.count) w.resolve();
      else waiters.push(w);
    }
    res.on('finish', () => (finished = true));
    res.on('close', () => {
      rec.aborted = !finished;
      markClosed({ aborted: rec.aborted });
    });

    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const detail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, { detail: { status: code, message } }, headers);

    if (req.method !== 'POST' || !match) return send(404, { detail: 'Not Found' });
    const key = req.headers['xi-api-key'];
    if (key === undefined) {
      return detail(
        401,
        'needs_authorization',
        'Neither authorization header nor xi-api-key received, please provide one.',
      );
    }
    if (key !== apiKey) return detail(401, 'invalid_api_key', 'Invalid API key');

    switch (fault?.kind) {
      case 'status': {
        if (fault.status === 401) return detail(401, 'invalid_api_key', 'Invalid API key');
        if (fault.status === 429) {
          return detail(
            429,
            'too_many_concurrent_requests',
            'Too many concurrent requests. Your current subscription is associated with a maximum of 2 concurrent requests.',
            fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) },
          );
        }
        return detail(
          fault.status,
          fault.status === 503 ? 'system_busy' : 'internal_server_error',
          'An internal server error occurred.',
          fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) },
        );
      }
      case 'gateway-error':
        rec.status = 502;
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"detail":{"status":"bad_gat');
        return;
      case 'stall-before-headers':
        return; // the client's timeout or abort closes the connection
      default:
        break;
    }

    if (!voices.has(rec.voiceId as string)) {
      return detail(404, 'voice_not_found', `A voice for the voice_id ${rec.voiceId} was not found.`);
    }
    const text = body?.text;
    if (typeof text !== 'string' || text === '') {
      return send(422, {
        detail: [{ loc: ['body', 'text'], msg: 'field required', type: 'value_error.missing' }],
      });
    }
    const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
    if (!OUTPUT_FORMATS.has(format)) {
      return send(422, {
        detail: [
          { loc: ['query', 'output_format'], msg: `invalid output format ${format}`, type: 'value_error' },
        ],
      });
    }
    if (format !== 'ulaw_8000' && !format.startsWith('mp3_')) {
      // Only the two formats tests need are synthesized; anything else is a test's mistake.
      return detail(400, 'unsupported_by_fake', `the fake server does not synthesize ${format}`);
    }
    const audio = format === 'ulaw_8000' ? fakeElevenLabsAudio(text, msPerChar) : fakeMp3(text);

    rec.status = 200;
    res.writeHead(200, {
      'content-type': format === 'ulaw_8000' ? 'audio/basic' : 'audio/mpeg',
      'transfer-encoding': 'chunked',
      'request-id': `req-${requests.length}`,
    });
    res.flushHeaders();
    const gone = () => res.destroyed || res.writableEnded;
    if (fault?.kind === 'stall-after-headers') return;
    if (fault?.kind === 'slow-first-byte') await sleep(fault.ms);
    const cutAt =
      fault?.kind === 'cut-mid-body' ? (fault.afterBytes ?? Math.floor(audio.length / 2)) : Infinity;
    for (let at = 0; at < audio.length; at += chunkBytes) {
      if (gone()) return;
      if (at >= cutAt) {
        res.destroy();
        return;
      }
      const end = Math.min(at + chunkBytes, audio.length, cutAt);
      res.write(audio.subarray(at, end));
      rec.bytesSent += end - at;
      if (end === cutAt) {
        // Let the bytes leave before the socket goes, so the client sees audio then the cut.
        await sleep(chunkDelayMs + 5);
        res.destroy();
        return;
      }
      if (chunkDelayMs > 0) await sleep(chunkDelayMs);
    }
    if (!gone()) res.end();
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    controls: {
      fail(fault, times = 1) {
        for (let i = 0; i < times; i++) queued.push(fault);
      },
      failAll(fault) {
        always = fault;
      },
      clear() {
        queued.length = 0;
        always = undefined;
      },
      waitForRequests(count) {
        if (requests.length >= count) return Promise.resolve();
        return new Promise((resolve) => waiters.push({ count, resolve }));
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Standalone, for a simulated call against a running server:
 * `npx tsx test/support/fake-elevenlabs.ts [--port N] [--key K] [--voice V] [--die-after N]`
 * prints the base URL (ELEVENLABS_BASE_URL); --die-after N closes it after N requests, as an
 * outage in the middle of a call.
 */
async function main(argv: readonly string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(arg('port') ?? 0);
  const dieAfter = arg('die-after') === undefined ? undefined : Number(arg('die-after'));
  const key = arg('key');
  const voice = arg('voice');
  const fake = await startFakeElevenLabs({
    ...(key === undefined ? {} : { apiKey: key }),
    ...(voice === undefined ? {} : { voices: [voice] }),
    ...(port > 0 ? { port } : {}),
  });
  process.stdout.write(`${fake.baseUrl}\n`);
  if (dieAfter !== undefined) {
    await fake.controls.waitForRequests(dieAfter);
    // Let the last reply finish before the server goes.
    await fake.requests[dieAfter - 1]?.closed;
    await fake.close();
    process.stdout.write(`fake ElevenLabs closed after ${dieAfter} requests\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
