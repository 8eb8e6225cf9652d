import { z } from 'zod';
import { deadline } from '../../shared/index.js';

/**
 * A small Twilio REST client (PROTOCOLS.md 3.5, 4.2): calls and messages (create, update, list),
 * nothing else.
 *
 * Written on fetch rather than the twilio package's client because that client's base URL is fixed
 * per domain (tests could only reach a local server through a URL-rewriting RequestClient), it takes
 * no AbortSignal, and it retries 429s by itself, which would hide them from the outbox that owns
 * retries. Twilio's REST wire format lives in this file only.
 */

export const TWILIO_API_BASE_URL = 'https://api.twilio.com';
const API_VERSION = '2010-04-01';
/** Twilio refuses inline TwiML longer than this (Calls resource, `Twiml`). */
export const MAX_TWIML_CHARS = 4000;

export interface TwilioRestOptions {
  accountSid: string;
  /** The account's auth token, or an API key's secret when `apiKeySid` is set. */
  authToken: string;
  /** Basic-auth user instead of the account SID (SK…); the URL still names the account. */
  apiKeySid?: string | undefined;
  /** Default https://api.twilio.com; tests point it at a local server. */
  baseUrl?: string | undefined;
  /** Per request, ms. */
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
}

export type CallStatusEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface CreateCallParams {
  to: string;
  from: string;
  /** Inline TwiML (≤ 4000 chars; action URLs inside must be absolute) or a URL Twilio fetches it from. */
  twiml?: string | undefined;
  url?: string | undefined;
  method?: 'GET' | 'POST' | undefined;
  statusCallback?: string | undefined;
  statusCallbackEvent?: readonly CallStatusEvent[] | undefined;
  statusCallbackMethod?: 'GET' | 'POST' | undefined;
  /** Seconds to let it ring (Twilio default 60, max 600). */
  timeout?: number | undefined;
  machineDetection?: 'Enable' | 'DetectMessageEnd' | undefined;
  /** Seconds the call may last at most. */
  timeLimit?: number | undefined;
}

export type UpdateCallParams =
  | { twiml: string }
  | { url: string; method?: 'GET' | 'POST' }
  /** completed hangs up a live call; canceled drops one that is still queued or ringing. */
  | { status: 'completed' | 'canceled' };

export interface SendMessageParams {
  /** E.164, or `whatsapp:+E164` for WhatsApp (then `from` is a WhatsApp sender too). */
  to: string;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  body?: string | undefined;
  mediaUrl?: readonly string[] | undefined;
  /** Content API template (HX…) with its variables; required for WhatsApp outside the 24 h window. */
  contentSid?: string | undefined;
  contentVariables?: Record<string, string> | undefined;
  statusCallback?: string | undefined;
}

const CallResource = z.looseObject({
  sid: z.string().min(1),
  status: z.string().optional(),
  to: z.string().nullish(),
  from: z.string().nullish(),
  direction: z.string().nullish(),
  /** RFC 2822, e.g. "Mon, 02 Mar 2026 15:00:00 +0000"; start_time is null until the call is dialled. */
  date_created: z.string().nullish(),
  start_time: z.string().nullish(),
});
export type TwilioCall = z.infer<typeof CallResource>;

const MessageResource = z.looseObject({
  sid: z.string().min(1),
  status: z.string().optional(),
  to: z.string().nullish(),
  from: z.string().nullish(),
  error_code: z.union([z.number(), z.string()]).nullish(),
  error_message: z.string().nullish(),
  body: z.string().nullish(),
  /** RFC 2822; date_sent is null while the message is queued. */
  date_created: z.string().nullish(),
  date_sent: z.string().nullish(),
});
export type TwilioMessage = z.infer<typeof MessageResource>;

/** One page of a list: `{messages|calls: [...], next_page_uri, page, page_size, ...}`. */
const ListPage = (key: 'messages' | 'calls') =>
  z.looseObject({
    [key]: z.array(z.unknown()),
    next_page_uri: z.string().nullish(),
  });

/**
 * Filters of GET Messages.json as Twilio documents them. Dates: `dateSent` that UTC day,
 * `dateSentBefore` on or before (DateSent<), `dateSentAfter` on or after (DateSent>). A queued
 * message has no date_sent yet and matches no date filter.
 */
export interface ListMessagesFilter {
  to?: string | undefined;
  from?: string | undefined;
  dateSent?: Date | undefined;
  dateSentBefore?: Date | undefined;
  dateSentAfter?: Date | undefined;
  pageSize?: number | undefined;
}

/** Filters of GET Calls.json (StartTime, StartTime<, StartTime> like DateSent; null until dialled). */
export interface ListCallsFilter {
  to?: string | undefined;
  from?: string | undefined;
  status?: string | undefined;
  startTime?: Date | undefined;
  startTimeBefore?: Date | undefined;
  startTimeAfter?: Date | undefined;
  pageSize?: number | undefined;
}

/** Twilio's error body: `{code, message, more_info, status}`. */
const ErrorBody = z.looseObject({
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
  more_info: z.string().nullish(),
  status: z.union([z.number(), z.string()]).nullish(),
});

/**
 * Any failure talking to Twilio. `retryable`: the same request may succeed later (429, 5xx, network,
 * timeout); otherwise Twilio refused it for good (4xx: bad number, unverified caller ID, auth).
 */
export class TwilioError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Twilio's numeric error code (e.g. 21211 invalid To), when it sent one. */
    readonly code?: number,
    /** HTTP status; undefined when no response came back. */
    readonly status?: number,
    readonly moreInfo?: string,
    /** From a Retry-After header, ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TwilioError';
  }
}

/** Twilio answered with an error status. */
export class TwilioApiError extends TwilioError {
  override readonly name = 'TwilioApiError';
}

/** No usable answer: connection refused or reset, timeout, or a body that is not Twilio's JSON. */
export class TwilioNetworkError extends TwilioError {
  override readonly name = 'TwilioNetworkError';
}

/** We refused to send it (it could never succeed), e.g. TwiML over 4000 characters. */
export class TwilioRequestError extends TwilioError {
  override readonly name = 'TwilioRequestError';
  constructor(message: string) {
    super(message, false);
  }
}

type Form = Array<[string, string]>;

export class TwilioRestClient {
  private readonly baseUrl: string;
  private readonly authHeader: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: TwilioRestOptions) {
    this.baseUrl = (opts.baseUrl ?? TWILIO_API_BASE_URL).replace(/\/+$/, '');
    const user = opts.apiKeySid ?? opts.accountSid;
    this.authHeader = `Basic ${Buffer.from(`${user}:${opts.authToken}`).toString('base64')}`;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** POST /2010-04-01/Accounts/{AccountSid}/Calls.json */
  async createCall(p: CreateCallParams, signal?: AbortSignal): Promise<TwilioCall> {
    if (!p.twiml === !p.url) throw new TwilioRequestError('createCall needs exactly one of twiml or url');
    checkTwiml(p.twiml);
    const form: Form = [
      ['To', p.to],
      ['From', p.from],
    ];
    if (p.url) {
      form.push(['Url', p.url]);
      if (p.method) form.push(['Method', p.method]);
    }
    if (p.twiml) form.push(['Twiml', p.twiml]);
    if (p.statusCallback) form.push(['StatusCallback', p.statusCallback]);
    // Repeated keys, as Twilio expects (StatusCallbackEvent=answered&StatusCallbackEvent=completed).
    for (const e of p.statusCallbackEvent ?? []) form.push(['StatusCallbackEvent', e]);
    if (p.statusCallbackMethod) form.push(['StatusCallbackMethod', p.statusCallbackMethod]);
    if (p.timeout !== undefined) form.push(['Timeout', String(p.timeout)]);
    if (p.machineDetection) form.push(['MachineDetection', p.machineDetection]);
    if (p.timeLimit !== undefined) form.push(['TimeLimit', String(p.timeLimit)]);
    return accepted(CallResource, await this.post('Calls.json', form, signal));
  }

  /** POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json: redirect, replace TwiML, or end. */
  async updateCall(callSid: string, p: UpdateCallParams, signal?: AbortSignal): Promise<TwilioCall> {
    const form: Form = [];
    if ('twiml' in p) {
      checkTwiml(p.twiml);
      form.push(['Twiml', p.twiml]);
    } else if ('url' in p) {
      form.push(['Url', p.url]);
      if (p.method) form.push(['Method', p.method]);
    } else {
      form.push(['Status', p.status]);
    }
    return accepted(CallResource, await this.post(`Calls/${encodeURIComponent(callSid)}.json`, form, signal));
  }

  /** POST /2010-04-01/Accounts/{AccountSid}/Messages.json (SMS, MMS, WhatsApp). */
  async sendMessage(p: SendMessageParams, signal?: AbortSignal): Promise<TwilioMessage> {
    if (!p.from && !p.messagingServiceSid)
      throw new TwilioRequestError('sendMessage needs from or messagingServiceSid');
    if (!p.body && !p.mediaUrl?.length && !p.contentSid)
      throw new TwilioRequestError('sendMessage needs body, mediaUrl or contentSid');
    const form: Form = [['To', p.to]];
    if (p.from) form.push(['From', p.from]);
    if (p.messagingServiceSid) form.push(['MessagingServiceSid', p.messagingServiceSid]);
    if (p.contentSid) {
      // A content template replaces Body and MediaUrl (PROTOCOLS.md 4.3).
      form.push(['ContentSid', p.contentSid]);
      if (p.contentVariables) form.push(['ContentVariables', JSON.stringify(p.contentVariables)]);
    } else {
      if (p.body) form.push(['Body', p.body]);
      for (const m of p.mediaUrl ?? []) form.push(['MediaUrl', m]);
    }
    if (p.statusCallback) form.push(['StatusCallback', p.statusCallback]);
    return accepted(MessageResource, await this.post('Messages.json', form, signal));
  }

  /**
   * GET /2010-04-01/Accounts/{AccountSid}/Messages.json, newest first, following next_page_uri for
   * up to `maxPages` pages; stop early by breaking out of the loop.
   */
  async *listMessages(
    f: ListMessagesFilter,
    opts: { signal?: AbortSignal | undefined; maxPages?: number | undefined } = {},
  ): AsyncGenerator<TwilioMessage> {
    const q: Form = [];
    if (f.to) q.push(['To', f.to]);
    if (f.from) q.push(['From', f.from]);
    if (f.dateSent) q.push(['DateSent', day(f.dateSent)]);
    if (f.dateSentBefore) q.push(['DateSent<', isoSeconds(f.dateSentBefore)]);
    if (f.dateSentAfter) q.push(['DateSent>', isoSeconds(f.dateSentAfter)]);
    q.push(['PageSize', String(f.pageSize ?? 50)]);
    yield* this.list('Messages.json', 'messages', MessageResource, q, opts);
  }

  /** GET /2010-04-01/Accounts/{AccountSid}/Calls.json, newest first, paged like listMessages. */
  async *listCalls(
    f: ListCallsFilter,
    opts: { signal?: AbortSignal | undefined; maxPages?: number | undefined } = {},
  ): AsyncGenerator<TwilioCall> {
    const q: Form = [];
    if (f.to) q.push(['To', f.to]);
    if (f.from) q.push(['From', f.from]);
    if (f.status) q.push(['Status', f.status]);
    if (f.startTime) q.push(['StartTime', day(f.startTime)]);
    if (f.startTimeBefore) q.push(['StartTime<', isoSeconds(f.startTimeBefore)]);
    if (f.startTimeAfter) q.push(['StartTime>', isoSeconds(f.startTimeAfter)]);
    q.push(['PageSize', String(f.pageSize ?? 50)]);
    yield* this.list('Calls.json', 'calls', CallResource, q, opts);
  }

  private async *list<T>(
    resource: string,
    key: 'messages' | 'calls',
    schema: z.ZodType<T>,
    query: Form,
    opts: { signal?: AbortSignal | undefined; maxPages?: number | undefined },
  ): AsyncGenerator<T> {
    const pageSchema = ListPage(key);
    let url: string | undefined = `${this.accountUrl(resource)}?${new URLSearchParams(query).toString()}`;
    for (let page = 0; url && page < (opts.maxPages ?? 5); page++) {
      const body = pageSchema.safeParse(await this.request('GET', url, undefined, opts.signal));
      if (!body.success) throw new TwilioNetworkError(`Twilio's ${resource} list is not a list page`, true);
      for (const item of body.data[key] as unknown[]) {
        const parsed = schema.safeParse(item);
        if (parsed.success) yield parsed.data;
      }
      // next_page_uri is a path on the same host (Twilio: "/2010-04-01/Accounts/…?…&PageToken=…").
      const next = body.data['next_page_uri'] as string | null | undefined;
      url = next ? new URL(next, `${this.baseUrl}/`).toString() : undefined;
      if (url && !url.startsWith(`${this.baseUrl}/`)) {
        throw new TwilioNetworkError('Twilio gave a next page on another host', false);
      }
    }
  }

  private accountUrl(resource: string): string {
    return `${this.baseUrl}/${API_VERSION}/Accounts/${encodeURIComponent(this.opts.accountSid)}/${resource}`;
  }

  private post(resource: string, form: Form, signal?: AbortSignal): Promise<unknown> {
    return this.request('POST', this.accountUrl(resource), form, signal);
  }

  private async request(
    method: 'GET' | 'POST',
    url: string,
    form: Form | undefined,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const timeout = deadline(this.timeoutMs, signal);
    const combined = timeout.signal;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          authorization: this.authHeader,
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          accept: 'application/json',
        },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
        signal: combined,
      });
    } catch (err) {
      // The caller's own abort is not a Twilio fault: let it through as it is.
      if (signal?.aborted) {
        timeout.clear();
        throw err;
      }
      const what = timeout.timedOut() ? `timed out after ${this.timeoutMs} ms` : (err as Error).message;
      timeout.clear();
      throw new TwilioNetworkError(`Twilio request failed: ${what}`, true);
    }
    // The deadline covers the body too: a server may send its head and then hang.
    const text = await res.text().catch(() => '');
    timeout.clear();
    if (res.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Twilio may well have acted on it: retrying could place a second call, so this is final.
        throw new TwilioNetworkError(
          `Twilio answered ${res.status} with a body that is not JSON`,
          false,
          undefined,
          res.status,
        );
      }
    }
    throw errorFromResponse(res.status, text, res.headers.get('retry-after'));
  }
}

/** A 2xx body without what we need: final for the same reason as a non-JSON one. */
function accepted<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new TwilioNetworkError('Twilio accepted the request but its answer has no sid', false);
  return parsed.data;
}

/** YYYY-MM-DD (UTC), Twilio's form for a day filter. */
function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** ISO 8601 to the second in UTC, as Twilio's SDKs send date-time filters. */
function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function checkTwiml(twiml: string | undefined): void {
  if (twiml !== undefined && twiml.length > MAX_TWIML_CHARS) {
    throw new TwilioRequestError(
      `TwiML is ${twiml.length} characters; Twilio accepts at most ${MAX_TWIML_CHARS}`,
    );
  }
}

/** 429 and 5xx may succeed later; every other 4xx will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function errorFromResponse(status: number, text: string, retryAfter: string | null): TwilioApiError {
  let body: z.infer<typeof ErrorBody> = {};
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    // Not JSON (a proxy's HTML error page): the status alone decides.
  }
  const code = body.code === null || body.code === undefined ? undefined : Number(body.code);
  const message = body.message ?? `HTTP ${status}`;
  return new TwilioApiError(
    `Twilio ${status}${code !== undefined && Number.isFinite(code) ? ` (${code})` : ''}: ${message}`,
    isRetryableStatus(status),
    code !== undefined && Number.isFinite(code) ? code : undefined,
    status,
    body.more_info ?? undefined,
    parseRetryAfter(retryAfter),
  );
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
