/**
 * ElevenLabs streaming text to speech (PROTOCOLS.md 7.3): POST
 * {baseUrl}/v1/text-to-speech/{voice_id}/stream?output_format=ulaw_8000 with `xi-api-key` and
 * JSON {text, model_id}; the response is raw G.711 mu-law at 8 kHz, streamed as it is generated.
 * Every byte of this vendor's wire format is in this file.
 *
 * Through the official SDK: it takes a base URL, an AbortSignal per request and maxRetries 0 (the
 * TTS chain fails over instead of retrying), and its errors keep the status, the parsed body and
 * the response headers (Retry-After). What it does not do is ours: the timeout between chunks, and
 * turning its errors into ProviderError.
 */
import { ElevenLabsClient, ElevenLabsError, ElevenLabsTimeoutError } from '@elevenlabs/elevenlabs-js';
import { z } from 'zod';
import type { TextToSpeech } from './tts.js';
import { mulawToPcm } from '../../audio/index.js';
import type { Logger } from '../../shared/index.js';
import type { ElevenLabsSettings } from '../cloud-settings.js';
import { ProviderError, RequestControl, isRetryableStatus, retryAfterMs } from '../llm/http.js';

export interface ElevenLabsTtsOptions {
  readonly settings: ElevenLabsSettings;
  readonly logger: Logger;
  /** Longest wait for the response headers, and then between two chunks of audio. Default 5000. */
  readonly readTimeoutMs?: number;
}

export type ElevenLabsTts = TextToSpeech & { close(): Promise<void> };

/** Telephone audio exactly as Twilio carries it: the playout re-encodes it to the same bytes. */
const OUTPUT_FORMAT = 'ulaw_8000';
const SAMPLE_RATE = 8000;
const DEFAULT_READ_TIMEOUT_MS = 5000;
const MAX_MESSAGE = 300;

/**
 * ElevenLabs' error bodies: `{"detail":{"status":"invalid_api_key","message":"..."}}`, FastAPI's
 * validation list `{"detail":[{"loc":[...],"msg":"...","type":"..."}]}`, or `{"detail":"text"}`.
 */
const errorBodySchema = z.object({
  detail: z.union([
    z.object({ status: z.string().optional(), message: z.string().optional() }),
    z.array(
      z.object({ loc: z.array(z.union([z.string(), z.number()])).optional(), msg: z.string().optional() }),
    ),
    z.string(),
  ]),
});

/** A readable line and the vendor's code from an error body (parsed JSON or text). */
export function describeElevenLabsError(body: unknown): { message: string; code: string | undefined } {
  let parsed = errorBodySchema.safeParse(body);
  if (!parsed.success && typeof body === 'string') {
    try {
      parsed = errorBodySchema.safeParse(JSON.parse(body));
    } catch {
      // Not JSON: the text itself is the message.
    }
  }
  if (parsed.success) {
    const d = parsed.data.detail;
    if (typeof d === 'string') return { message: d, code: undefined };
    if (Array.isArray(d)) {
      const parts = d.map((e) => [e.loc?.join('.'), e.msg].filter(Boolean).join(': '));
      return { message: parts.join('; ') || 'invalid request', code: 'validation_error' };
    }
    return { message: d.message ?? d.status ?? 'error', code: d.status };
  }
  if (typeof body === 'string') return { message: body.trim(), code: undefined };
  return { message: '', code: undefined };
}

/**
 * Streaming TTS from ElevenLabs as mono PCM16 at 8 kHz. One HTTP request per synthesize(); the
 * caller's signal cancels it at once. Failures are ProviderError (kind http with status and
 * Retry-After, timeout, network) so the TTS chain can move to the next provider.
 */
export function createElevenLabsTts(opts: ElevenLabsTtsOptions): ElevenLabsTts {
  const { settings, logger } = opts;
  const readTimeoutMs = opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const client = new ElevenLabsClient({
    apiKey: settings.apiKey,
    baseUrl: settings.baseUrl.replace(/\/+$/, ''),
    maxRetries: 0,
    fetch: boundedErrorFetch,
    // The SDK's own timer runs until the headers arrive and is only cleared then: a request
    // aborted earlier leaves it pending, so keep it short (ours fires at the same time anyway).
    timeoutInSeconds: readTimeoutMs / 1000 + 1,
  });
  const inFlight = new Set<RequestControl>();
  let closed = false;
  const what = `ElevenLabs TTS (${settings.modelId})`;

  /** No error message may carry the key, whatever a server or proxy chose to echo. */
  const redact = (text: string): string =>
    settings.apiKey === '' ? text : text.split(settings.apiKey).join('[redacted]');

  const fromSdkError = (err: unknown, ctl: RequestControl): ProviderError | undefined => {
    if (ctl.callerAborted) return undefined;
    if (err instanceof ElevenLabsError && err.statusCode !== undefined && err.statusCode > 0) {
      const status = err.statusCode;
      const { message, code } = describeElevenLabsError(err.body);
      const detail = redact(message).slice(0, MAX_MESSAGE);
      return new ProviderError(`${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`, {
        kind: 'http',
        status,
        retryable: isRetryableStatus(status),
        retryAfterMs: headersOf(err) ? retryAfterMs(headersOf(err) as Headers) : undefined,
        code,
      });
    }
    if (err instanceof ElevenLabsTimeoutError) {
      return new ProviderError(`${what}: no response within ${readTimeoutMs} ms`, {
        kind: 'timeout',
        retryable: true,
      });
    }
    // The SDK wraps fetch's failure; its cause has the socket's code (ECONNREFUSED, ...).
    const inner = err instanceof ElevenLabsError && err.cause !== undefined ? err.cause : err;
    return ctl.classify(inner, what);
  };

  async function* synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted) return;
    if (closed) throw new ProviderError(`${what}: closed`, { kind: 'network', retryable: false });
    // ElevenLabs refuses empty text; nothing to say is no audio, not an error.
    if (text.trim() === '') return;
    const ctl = new RequestControl(signal);
    inFlight.add(ctl);
    const t0 = performance.now();
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let bytes = 0;
    try {
      let body: ReadableStream<Uint8Array>;
      ctl.arm(readTimeoutMs);
      try {
        body = await client.textToSpeech.stream(
          settings.voiceId,
          { text, modelId: settings.modelId, outputFormat: OUTPUT_FORMAT },
          { abortSignal: ctl.signal, maxRetries: 0 },
        );
      } catch (err) {
        const e = fromSdkError(err, ctl);
        if (e) throw e;
        return;
      }
      reader = body.getReader();
      for (;;) {
        ctl.arm(readTimeoutMs);
        let r: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
        try {
          r = await reader.read();
        } catch (err) {
          const e = ctl.classify(err, what);
          if (e) throw e;
          return;
        }
        if (signal.aborted) return;
        if (r.done) break;
        if (r.value.length === 0) continue;
        if (bytes === 0) {
          logger.debug(
            { provider: 'elevenlabs', firstByteMs: Math.round(performance.now() - t0) },
            'tts first audio',
          );
        }
        bytes += r.value.length;
        // One byte per sample: any chunk boundary is a sample boundary.
        yield mulawToPcm(r.value);
        if (signal.aborted) return;
      }
      logger.debug(
        {
          provider: 'elevenlabs',
          chars: text.length,
          audioMs: Math.round((bytes * 1000) / SAMPLE_RATE),
          totalMs: Math.round(performance.now() - t0),
        },
        'tts done',
      );
    } finally {
      // Leaving early (abort, break, error) closes the connection so ElevenLabs stops generating.
      ctl.cancel();
      inFlight.delete(ctl);
      reader?.cancel().catch(() => {});
    }
  }

  return {
    name: 'elevenlabs',
    sampleRate: SAMPLE_RATE,
    synthesize,
    close() {
      closed = true;
      for (const ctl of inFlight) ctl.cancel();
      inFlight.clear();
      return Promise.resolve();
    },
  };
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const MAX_ERROR_BODY = 4096;

/**
 * fetch for the SDK. It parses a JSON-typed error body itself and, when that fails (cut short, or
 * a gateway's HTML labelled JSON), loses the status; and it reads the whole body. So an error
 * reaches it as bounded plain text, which describeElevenLabsError parses.
 */
async function boundedErrorFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, init);
  if (res.ok || NULL_BODY_STATUS.has(res.status)) return res;
  let text = '';
  try {
    text = (await res.text()).slice(0, MAX_ERROR_BODY);
  } catch {
    // Cut or timed out mid-body: the status says enough.
  }
  const headers = new Headers(res.headers);
  headers.set('content-type', 'text/plain; charset=utf-8');
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(text, { status: res.status, statusText: res.statusText, headers });
}

function headersOf(err: ElevenLabsError): Headers | undefined {
  const h = err.rawResponse?.headers as unknown;
  return h instanceof Headers ? h : undefined;
}
