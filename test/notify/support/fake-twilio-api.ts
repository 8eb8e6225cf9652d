import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A local stand-in for Twilio's REST API (PROTOCOLS.md 3.5, 4.2) on 127.0.0.1: checks HTTP Basic
 * auth and the form encoding, answers 201 with a resource carrying a new SID, or with Twilio's error
 * JSON when a test scripts a fault. Created messages and calls are kept and can be listed as Twilio
 * lists them: GET Messages.json (To, From, DateSent, DateSent<, DateSent>) and Calls.json (To, From,
 * Status, StartTime, StartTime<, StartTime>), newest first, paged with PageSize/Page/PageToken and
 * `{messages|calls: [...], next_page_uri, ...}`.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  /** Decoded Basic-auth user and password. */
  user: string;
  password: string;
  /** Raw body, and the form with repeated keys kept in order. */
  raw: string;
  form: Array<[string, string]>;
}

export type Fault =
  | { status: number; code?: number; message?: string; retryAfter?: string; body?: string }
  /** Never answers. With `accept`, Twilio acted on it first (the answer was lost, not the request). */
  | { hang: true; accept?: boolean }
  | { destroy: true };

/** A message or call as stored, with Twilio's resource fields (dates in RFC 2822 like Twilio's). */
export interface StoredResource {
  sid: string;
  to: string;
  from: string | null;
  body: string | null;
  status: string;
  createdAt: number;
  /** date_sent of a message / start_time of a call: null while queued, as at Twilio. */
  sentAt: number | null;
  form: Array<[string, string]>;
}

export const sidOf = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

export class FakeTwilioApi {
  readonly requests: RecordedRequest[] = [];
  /** Faults answered to the next requests, in order; then normal answers. */
  readonly faults: Fault[] = [];
  /** While set, every request gets this fault (a provider outage); faults[] is left alone. */
  outage: Fault | undefined;
  /** Answer normal requests only after this many ms (a slow provider). */
  delayMs = 0;
  /** Resources created, oldest first. */
  readonly messages: StoredResource[] = [];
  readonly calls: StoredResource[] = [];
  /** Time of created resources (tests on a fake clock set it); a message counts as sent at once. */
  now: () => number = () => Date.now();
  /** A new message is 'sent' (date_sent set) at once, or stays 'queued' with date_sent null. */
  queueMessages = false;
  private server: Server | undefined;
  baseUrl = '';

  constructor(
    readonly accountSid = sidOf('AC'),
    readonly authToken = randomBytes(16).toString('hex'),
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Values of one form key, in the order sent. */
  static values(r: RecordedRequest, key: string): string[] {
    return r.form.filter(([k]) => k === key).map(([, v]) => v);
  }
  static value(r: RecordedRequest, key: string): string | undefined {
    return FakeTwilioApi.values(r, key)[0];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user = '', password = ''] = auth ? Buffer.from(auth, 'base64').toString('utf8').split(':') : [];
    const path = req.url ?? '';
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path,
      contentType: req.headers['content-type'],
      user,
      password,
      raw,
      form: [...new URLSearchParams(raw)],
    };
    this.requests.push(recorded);

    const fault = this.outage ?? this.faults.shift();
    if (fault && 'hang' in fault) {
      // Twilio took it and the answer got lost on the way back: it exists for a later list.
      if (fault.accept) this.create(path, recorded.form);
      return; // never answers: the client's timeout must fire
    }
    if (fault && 'destroy' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault) {
      const headers: Record<string, string> = {};
      if (fault.retryAfter) headers['retry-after'] = fault.retryAfter;
      if (fault.body !== undefined) return send(res, fault.status, fault.body, 'text/html', headers);
      return json(
        res,
        fault.status,
        {
          code: fault.code ?? 20001,
          message: fault.message ?? 'error',
          more_info: `https://www.twilio.com/docs/errors/${fault.code ?? 20001}`,
          status: fault.status,
        },
        headers,
      );
    }
    if (user !== this.accountSid || password !== this.authToken) {
      return json(res, 401, {
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const prefix = `/2010-04-01/Accounts/${this.accountSid}/`;
    const url = new URL(path, 'http://fake');
    if (req.method === 'GET' && url.pathname.startsWith(prefix)) {
      const list = url.pathname.slice(prefix.length);
      if (list === 'Messages.json') return json(res, 200, this.page('messages', url));
      if (list === 'Calls.json') return json(res, 200, this.page('calls', url));
    }
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return json(res, 400, { code: 20001, message: 'expected a form body', status: 400 });
    }
    if (req.method !== 'POST' || !path.startsWith(prefix)) {
      return json(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    }
    const resource = path.slice(prefix.length);
    const f = new Map(recorded.form);
    const now = new Date(this.now()).toUTCString();
    const update = /^Calls\/(CA[0-9a-f]{32})\.json$/.exec(resource);
    if (update) {
      return json(res, 200, {
        sid: update[1],
        account_sid: this.accountSid,
        status: f.get('Status') ?? 'in-progress',
        date_updated: now,
      });
    }
    const created = this.create(path, recorded.form);
    if (created?.kind === 'call') return json(res, 201, this.callJson(created.r));
    if (created?.kind === 'message') return json(res, 201, this.messageJson(created.r));
    return json(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
  }

  private create(
    path: string,
    form: Array<[string, string]>,
  ): { kind: 'call' | 'message'; r: StoredResource } | undefined {
    const resource = path.slice(`/2010-04-01/Accounts/${this.accountSid}/`.length);
    const f = new Map(form);
    const at = this.now();
    if (resource === 'Calls.json') {
      const r: StoredResource = {
        sid: sidOf('CA'),
        to: f.get('To') ?? '',
        from: f.get('From') ?? null,
        body: null,
        status: 'queued',
        createdAt: at,
        sentAt: null,
        form,
      };
      this.calls.push(r);
      return { kind: 'call', r };
    }
    if (resource === 'Messages.json') {
      const r: StoredResource = {
        sid: sidOf('SM'),
        to: f.get('To') ?? '',
        from: f.get('From') ?? null,
        body: f.get('Body') ?? null,
        status: this.queueMessages ? 'queued' : 'sent',
        createdAt: at,
        sentAt: this.queueMessages ? null : at,
        form,
      };
      this.messages.push(r);
      return { kind: 'message', r };
    }
    return undefined;
  }

  private callJson(r: StoredResource) {
    return {
      sid: r.sid,
      account_sid: this.accountSid,
      to: r.to,
      from: r.from,
      status: r.status,
      direction: 'outbound-api',
      date_created: new Date(r.createdAt).toUTCString(),
      start_time: r.sentAt === null ? null : new Date(r.sentAt).toUTCString(),
      api_version: '2010-04-01',
    };
  }

  private messageJson(r: StoredResource) {
    return {
      sid: r.sid,
      account_sid: this.accountSid,
      to: r.to,
      from: r.from,
      body: r.body,
      status: r.status,
      direction: 'outbound-api',
      num_segments: '1',
      error_code: null,
      error_message: null,
      date_created: new Date(r.createdAt).toUTCString(),
      date_sent: r.sentAt === null ? null : new Date(r.sentAt).toUTCString(),
    };
  }

  /**
   * One page of a list, newest first. Date filters as Twilio documents them: `DateSent=YYYY-MM-DD`
   * that UTC day, `DateSent<` on or before, `DateSent>` on or after (a date or an ISO date-time);
   * a resource not yet sent (date_sent / start_time null) matches no date filter.
   */
  private page(kind: 'messages' | 'calls', url: URL) {
    const q = url.searchParams;
    const dateKey = kind === 'messages' ? 'DateSent' : 'StartTime';
    const bound = (v: string | null, end: boolean): number | undefined => {
      if (v === null) return undefined;
      const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
      // A bare date as an upper bound means the whole of that day.
      return v.length === 10 && end ? t + 86_400_000 - 1 : t;
    };
    const exact = q.get(dateKey);
    const after = bound(exact ?? q.get(`${dateKey}>`), false);
    const before = bound(exact ?? q.get(`${dateKey}<`), true);
    const all = (kind === 'messages' ? this.messages : this.calls)
      .filter(
        (r) =>
          (q.get('To') === null || r.to === q.get('To')) &&
          (q.get('From') === null || r.from === q.get('From')),
      )
      .filter((r) => q.get('Status') === null || r.status === q.get('Status'))
      .filter((r) => {
        if (after === undefined && before === undefined) return true;
        if (r.sentAt === null) return false;
        return (after === undefined || r.sentAt >= after) && (before === undefined || r.sentAt <= before);
      })
      .slice()
      .reverse();
    const pageSize = Math.min(Math.max(Number(q.get('PageSize') ?? 50) || 50, 1), 1000);
    const pageNo = Math.max(Number(q.get('Page') ?? 0) || 0, 0);
    const items = all.slice(pageNo * pageSize, (pageNo + 1) * pageSize);
    const base = url.pathname;
    const keep = new URLSearchParams([...q].filter(([k]) => !['Page', 'PageToken', 'PageSize'].includes(k)));
    const uriFor = (p: number) => {
      const u = new URLSearchParams(keep);
      u.set('PageSize', String(pageSize));
      u.set('Page', String(p));
      if (p > 0) u.set('PageToken', `PA${p}`);
      return `${base}?${u.toString()}`;
    };
    const hasNext = (pageNo + 1) * pageSize < all.length;
    return {
      [kind]: items.map((r) => (kind === 'messages' ? this.messageJson(r) : this.callJson(r))),
      end: pageNo * pageSize + Math.max(items.length - 1, 0),
      first_page_uri: uriFor(0),
      next_page_uri: hasNext ? uriFor(pageNo + 1) : null,
      page: pageNo,
      page_size: pageSize,
      previous_page_uri: pageNo > 0 ? uriFor(pageNo - 1) : null,
      start: pageNo * pageSize,
      uri: uriFor(pageNo),
    };
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body), 'application/json', headers);
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(body);
}
