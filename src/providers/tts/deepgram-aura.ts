import { z } from 'zod';
import { mulawToPcm } from '../../audio/index.js';
import type { Logger } from '../../shared/index.js';
import type { DeepgramSettings } from '../cloud-settings.js';
import { ProviderError, RequestControl, errorFromResponse, joinUrl } from '../llm/http.js';
import type { TextToSpeech } from './tts.js';

/**
 * Deepgram Aura text to speech over REST (`POST /v1/speak`, PROTOCOLS.md 7.2): the response body
 * is raw 8 kHz mu-law, streamed as Deepgram produces it, decoded chunk by chunk.
 *
 * Spoken directly with fetch: @deepgram/sdk v5 would do, but a single POST needs none of it and
 * fetch gives the AbortSignal, the status and Retry-After, and the body as a stream as they are.
 * The query must ask for mulaw, 8000 and container=none: REST's default is a WAV container of
 * 24 kHz linear16, whose header would play as a click.
 */

const SAMPLE_RATE = 8000;
const DEFAULT_READ_TIMEOUT_MS = 5000;
/** Only the first bytes are looked at: a WAV header means the request asked for the wrong thing. */
const RIFF = [0x52, 0x49, 0x46, 0x46];

export interface DeepgramTtsOptions {
  readonly settings: DeepgramSettings;
  readonly logger: Logger;
  /** Longest wait for the response headers and then between body chunks (default 5000 ms). */
  readonly readTimeoutMs?: number;
}

export class DeepgramTts implements TextToSpeech {
  readonly name = 'deepgram';
  readonly sampleRate = SAMPLE_RATE;
  readonly #url: string;
  readonly #inFlight = new Set<AbortController>();

  constructor(private readonly opts: DeepgramTtsOptions) {
    const q = new URLSearchParams({
      model: opts.settings.ttsModel,
      encoding: 'mulaw',
      sample_rate: String(SAMPLE_RATE),
      container: 'none',
    });
    this.#url = `${joinUrl(opts.settings.baseUrl, '/v1/speak')}?${q.toString()}`;
  }

  async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted || text.trim() === '') return;
    const what = `Deepgram speak (${this.opts.settings.ttsModel})`;
    const readTimeoutMs = this.opts.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    // close() cancels what is in flight, as the caller's signal does.
    const owner = new AbortController();
    this.#inFlight.add(owner);
    const ctl = new RequestControl(AbortSignal.any([signal, owner.signal]));
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const started = performance.now();
    let bytes = 0;
    try {
      let res: Response;
      ctl.arm(readTimeoutMs);
      try {
        res = await fetch(this.#url, {
          method: 'POST',
          headers: {
            Authorization: `Token ${this.opts.settings.apiKey}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ text }),
          signal: ctl.signal,
        });
      } catch (err) {
        const e = ctl.classify(err, what);
        if (e) throw e;
        return;
      }
      if (!res.ok) throw await deepgramError(res, what);
      if (!res.body)
        throw new ProviderError(`${what}: the response has no body`, { kind: 'protocol', retryable: true });
      const requestId = res.headers.get('dg-request-id') ?? undefined;
      reader = res.body.getReader();
      let first = true;
      for (;;) {
        ctl.arm(readTimeoutMs);
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          const e = ctl.classify(err, what);
          if (e) throw e;
          return;
        }
        if (chunk.done) break;
        const value = chunk.value;
        if (value.length === 0) continue;
        if (first && RIFF.every((b, i) => value[i] === b)) {
          throw new ProviderError(`${what}: the audio came in a WAV container, not raw mu-law`, {
            kind: 'protocol',
            retryable: false,
          });
        }
        first = false;
        bytes += value.length;
        ctl.disarm(); // the consumer's pace is not the server's
        yield mulawToPcm(value);
        if (ctl.callerAborted || owner.signal.aborted) return;
      }
      this.opts.logger.debug(
        {
          provider: 'deepgram',
          requestId,
          chars: text.length,
          audioMs: bytes / 8,
          ms: Math.round(performance.now() - started),
        },
        'deepgram speak done',
      );
    } finally {
      ctl.cancel();
      this.#inFlight.delete(owner);
      reader?.cancel().catch(() => {});
    }
  }

  /** Cancels every synthesis in flight. */
  async close(): Promise<void> {
    for (const c of this.#inFlight) c.abort(new Error('Deepgram TTS closed'));
    this.#inFlight.clear();
  }
}

/**
 * errorFromResponse reads OpenAI's `{"error":{...}}`; Deepgram answers `{"err_code","err_msg"}`,
 * so its body is reshaped first (status, Retry-After and the rest stay errorFromResponse's).
 */
async function deepgramError(res: Response, what: string): Promise<ProviderError> {
  let text = '';
  try {
    text = await res.text();
    const body = DeepgramErrorBody.safeParse(JSON.parse(text));
    if (body.success && (body.data.err_msg || body.data.err_code)) {
      text = JSON.stringify({
        error: { message: body.data.err_msg ?? body.data.err_code, code: body.data.err_code },
      });
    }
  } catch {
    // Not JSON (or unreadable): the text as it is.
  }
  return errorFromResponse(new Response(text, { status: res.status, headers: res.headers }), what);
}

const DeepgramErrorBody = z.object({ err_code: z.string().optional(), err_msg: z.string().optional() });

export function createDeepgramTts(opts: DeepgramTtsOptions): DeepgramTts {
  return new DeepgramTts(opts);
}
