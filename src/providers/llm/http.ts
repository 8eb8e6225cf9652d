/**
 * What the OpenAI-compatible clients (chat here, embeddings in ../embed) share: one typed error,
 * the retry advice a server gives, and a resettable timeout that cancels the request.
 */

export type ProviderErrorKind =
  /** The server answered with a non-2xx status. */
  | 'http'
  /** No response (or no more stream data) within the configured time. */
  | 'timeout'
  /** The connection failed or was cut. */
  | 'network'
  /** The server sent something that is not the documented format. */
  | 'protocol'
  /** The server reported an error inside a 200 response (an `{"error":...}` chunk). */
  | 'api';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  /** HTTP status for kind 'http' (and 'api' when the error carries a numeric code). */
  readonly status: number | undefined;
  /** Worth trying again later (rate limit, overload, server error, timeout, cut connection). */
  readonly retryable: boolean;
  /** The server's Retry-After, when it gave one. */
  readonly retryAfterMs: number | undefined;
  /** The vendor's error type or code, e.g. "rate_limit_exceeded". */
  readonly code: string | undefined;

  constructor(
    message: string,
    opts: {
      kind: ProviderErrorKind;
      retryable: boolean;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      code?: string | undefined;
      cause?: unknown;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = opts.kind;
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.code = opts.code;
  }
}

/** 408, 409 (OpenAI: lock timeout), 425, 429 and every 5xx: the same request may work later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `a/b/` + `/c` -> `a/b/c`: base URLs are given with or without a trailing slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

const MAX_ERROR_BODY = 4096;

/** The error a non-2xx response stands for, with the server's own message when it sent one. */
export async function errorFromResponse(res: Response, what: string): Promise<ProviderError> {
  let detail = '';
  let code: string | undefined;
  try {
    const text = (await res.text()).slice(0, MAX_ERROR_BODY);
    const parsed = parseErrorBody(text);
    detail = parsed?.message ?? text.trim().slice(0, 300);
    code = parsed?.code;
  } catch {
    // The body is only for the message; the status says enough.
  }
  return new ProviderError(`${what}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`, {
    kind: 'http',
    status: res.status,
    retryable: isRetryableStatus(res.status),
    retryAfterMs: retryAfterMs(res.headers),
    code,
  });
}

/** `{"error":{"message","type","code"}}` (OpenAI, vLLM) or `{"error":"text"}` (Ollama, llama.cpp). */
export function parseErrorBody(text: string): { message: string; code: string | undefined } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  return describeError(body);
}

export function describeError(body: unknown): { message: string; code: string | undefined } | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const err = (body as { error: unknown }).error;
  if (typeof err === 'string') return { message: err, code: undefined };
  if (typeof err !== 'object' || err === null) return { message: String(err), code: undefined };
  const e = err as { message?: unknown; type?: unknown; code?: unknown };
  const message = typeof e.message === 'string' ? e.message : JSON.stringify(err);
  const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined;
  return { message, code: code ?? (typeof e.code === 'number' ? String(e.code) : undefined) };
}

/**
 * One request's cancellation: the caller's signal, plus a timer that can be re-armed (time to the
 * response headers, then time between stream reads). `signal` goes to fetch.
 */
export class RequestControl {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOutAfter: number | undefined;
  readonly signal: AbortSignal;

  constructor(private readonly caller: AbortSignal) {
    this.signal = AbortSignal.any([caller, this.controller.signal]);
  }

  /** (Re)start the timer; when it fires the request is cancelled and timedOut() turns true. */
  arm(ms: number): void {
    this.disarm();
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.timer = setTimeout(() => {
      this.timedOutAfter = ms;
      this.controller.abort(new Error(`timed out after ${ms} ms`));
    }, ms);
    this.timer.unref?.();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Cancel the request (leaving a loop early, or done). */
  cancel(): void {
    this.disarm();
    if (!this.controller.signal.aborted) this.controller.abort(new Error('request finished'));
  }

  get callerAborted(): boolean {
    return this.caller.aborted;
  }

  /** The failure a thrown fetch/read error stands for, unless the caller aborted (then undefined). */
  classify(err: unknown, what: string): ProviderError | undefined {
    if (this.caller.aborted) return undefined;
    if (err instanceof ProviderError) return err;
    if (this.timedOutAfter !== undefined) {
      return new ProviderError(`${what}: timed out after ${this.timedOutAfter} ms`, {
        kind: 'timeout',
        retryable: true,
        cause: err,
      });
    }
    const reason = err instanceof Error ? (errorCode(err) ?? err.message) : String(err);
    return new ProviderError(`${what}: connection failed (${reason})`, {
      kind: 'network',
      retryable: true,
      cause: err,
    });
  }
}

/** undici hides the socket error (ECONNREFUSED, ECONNRESET) in `cause`. */
function errorCode(err: Error): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  if (typeof cause === 'object' && cause !== null) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${err.message}: ${code}`;
  }
  return undefined;
}
