import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A local stand-in for Twilio's REST API (PROTOCOLS.md 3.5, 4.2) on 127.0.0.1: checks HTTP Basic
 * auth and the form encoding, answers 201 with a resource carrying a new SID, or with Twilio's error
 * JSON when a test scripts a fault.
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
  | { hang: true }
  | { destroy: true };

export const sidOf = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

export class FakeTwilioApi {
  readonly requests: RecordedRequest[] = [];
  /** Faults answered to the next requests, in order; then normal answers. */
  readonly faults: Fault[] = [];
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

    const fault = this.faults.shift();
    if (fault && 'hang' in fault) return; // never answers: the client's timeout must fire
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
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return json(res, 400, { code: 20001, message: 'expected a form body', status: 400 });
    }
    const prefix = `/2010-04-01/Accounts/${this.accountSid}/`;
    if (req.method !== 'POST' || !path.startsWith(prefix)) {
      return json(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    }
    const resource = path.slice(prefix.length);
    const f = new Map(recorded.form);
    const now = new Date().toUTCString();
    if (resource === 'Calls.json') {
      return json(res, 201, {
        sid: sidOf('CA'),
        account_sid: this.accountSid,
        to: f.get('To'),
        from: f.get('From'),
        status: 'queued',
        direction: 'outbound-api',
        date_created: now,
        api_version: '2010-04-01',
      });
    }
    const update = /^Calls\/(CA[0-9a-f]{32})\.json$/.exec(resource);
    if (update) {
      return json(res, 200, {
        sid: update[1],
        account_sid: this.accountSid,
        status: f.get('Status') ?? 'in-progress',
        date_updated: now,
      });
    }
    if (resource === 'Messages.json') {
      return json(res, 201, {
        sid: sidOf('SM'),
        account_sid: this.accountSid,
        to: f.get('To'),
        from: f.get('From') ?? null,
        body: f.get('Body') ?? null,
        status: 'queued',
        num_segments: '1',
        error_code: null,
        error_message: null,
        date_created: now,
      });
    }
    return json(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
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
