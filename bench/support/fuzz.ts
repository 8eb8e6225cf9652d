import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { FRAME_BYTES } from '../../src/audio/index.js';
import { readTwiml } from '../../src/sim/twiml-reader.js';
import { inboundCallParams, signedUpgradeHeaders } from '../../src/sim/twilio-requests.js';
import { DEMO_BUSINESS_ID, DEMO_PHONE_NUMBER } from '../../src/store/index.js';
import { signTwilioRequest, TwilioFrameBuilder } from '../../src/telephony/twilio/index.js';
import { formBody, mutateForm, mutateJson, Rng, oddValue, type FormParams } from './fuzz-mutations.js';

/**
 * Fuzzing a running Switchboard from outside, as its clients reach it: mutated messages on the
 * Twilio media stream, the chat widget's socket and the browser call's media socket; mutated form
 * bodies to every Twilio webhook, unsigned and then signed; mutated JSON bodies to every /api
 * route that takes one, with the API key. What it counts: messages per target, answers by status,
 * 5xx answers and abnormal socket closes (1011) with a sample of what caused them.
 */

export type FuzzTargetName =
  'media-stream' | 'chat' | 'web-call' | 'webhook-unsigned' | 'webhook-signed' | 'api';
export const FUZZ_TARGETS: readonly FuzzTargetName[] = [
  'webhook-unsigned',
  'media-stream',
  'chat',
  'web-call',
  'webhook-signed',
  'api',
];

export interface FuzzServer {
  baseUrl: string;
  authToken: string;
  apiKey: string;
  /** The demo business's widget key (pk_...). */
  publicKey: string;
}

export interface FuzzFinding {
  target: FuzzTargetName;
  what: string;
  /** The first 300 characters of what was sent. */
  sample: string;
}

export interface FuzzReport {
  sent: Record<FuzzTargetName, number>;
  /** Answers (HTTP status, or `close <code>` for sockets) per target. */
  outcomes: Record<FuzzTargetName, Record<string, number>>;
  /** 5xx answers, 1011 closes, and requests that failed at the socket. */
  findings: FuzzFinding[];
  ms: Record<FuzzTargetName, number>;
}

export interface FuzzOptions {
  seed: number;
  /** Messages per target. */
  perTarget: Partial<Record<FuzzTargetName, number>>;
  /** Requests or sockets at once per target. */
  concurrency?: number;
  /** Called after each target (the test checks the store after the unsigned webhooks). */
  afterTarget?: (name: FuzzTargetName, report: FuzzReport) => Promise<void> | void;
}

const hex = (n: number) => randomBytes(n).toString('hex');
const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s);

export async function runFuzz(server: FuzzServer, opts: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = {
    sent: Object.fromEntries(FUZZ_TARGETS.map((t) => [t, 0])) as FuzzReport['sent'],
    outcomes: Object.fromEntries(FUZZ_TARGETS.map((t) => [t, {}])) as FuzzReport['outcomes'],
    findings: [],
    ms: Object.fromEntries(FUZZ_TARGETS.map((t) => [t, 0])) as FuzzReport['ms'],
  };
  const ctx: Ctx = { server, report, concurrency: opts.concurrency ?? 8 };
  const runners: Record<FuzzTargetName, (rng: Rng, n: number) => Promise<void>> = {
    'webhook-unsigned': (rng, n) => fuzzWebhooks(ctx, rng, n, false),
    'media-stream': (rng, n) => fuzzMediaStream(ctx, rng, n),
    chat: (rng, n) => fuzzChat(ctx, rng, n),
    'web-call': (rng, n) => fuzzWebCall(ctx, rng, n),
    'webhook-signed': (rng, n) => fuzzWebhooks(ctx, rng, n, true),
    api: (rng, n) => fuzzApi(ctx, rng, n),
  };
  for (const [i, name] of FUZZ_TARGETS.entries()) {
    const n = opts.perTarget[name] ?? 0;
    if (n <= 0) continue;
    const t0 = performance.now();
    await runners[name](new Rng(opts.seed * 31 + i), n);
    report.ms[name] = performance.now() - t0;
    await opts.afterTarget?.(name, report);
  }
  return report;
}

interface Ctx {
  server: FuzzServer;
  report: FuzzReport;
  concurrency: number;
}

function outcome(ctx: Ctx, target: FuzzTargetName, what: string, sample: string): void {
  const o = ctx.report.outcomes[target];
  o[what] = (o[what] ?? 0) + 1;
  const bad =
    /^5\d\d$/.test(what) ||
    what === 'close 1011' ||
    what.startsWith('failed') ||
    // An unsigned or forged webhook must be refused.
    (target === 'webhook-unsigned' && /^2\d\d$/.test(what));
  if (bad) {
    if (ctx.report.findings.length < 200) ctx.report.findings.push({ target, what, sample: cut(sample) });
  }
}

/** `workers` loops taking jobs until `n` messages have been sent. */
async function pool(ctx: Ctx, target: FuzzTargetName, n: number, job: () => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: ctx.concurrency }, async () => {
      while (ctx.report.sent[target] < n) await job();
    }),
  );
}

// ---- HTTP ---------------------------------------------------------------------------------------

async function post(
  ctx: Ctx,
  target: FuzzTargetName,
  url: string,
  init: { body: string; headers: Record<string, string>; method?: string },
): Promise<void> {
  ctx.report.sent[target]++;
  try {
    const res = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
    await res.arrayBuffer();
    outcome(ctx, target, String(res.status), `${init.method ?? 'POST'} ${url} ${init.body}`);
  } catch (err) {
    outcome(ctx, target, `failed ${(err as Error).message}`, `${url} ${init.body}`);
  }
}

/** Valid parameters for each Twilio webhook: a new call each time. */
function webhookSeeds(): Array<{ path: string; params: Record<string, string> }> {
  const accountSid = `AC${hex(16)}`;
  const callSid = `CA${hex(16)}`;
  const call = inboundCallParams({ accountSid, callSid, from: '+15555550123', to: DEMO_PHONE_NUMBER });
  return [
    { path: '/twilio/voice', params: call },
    {
      path: '/whatsapp/voice',
      params: { ...call, From: 'whatsapp:+15555550123', To: `whatsapp:${DEMO_PHONE_NUMBER}` },
    },
    {
      path: '/twilio/status',
      params: { ...call, CallStatus: 'completed', CallDuration: '12', SequenceNumber: '3' },
    },
    {
      path: '/twilio/stream-status',
      params: {
        AccountSid: accountSid,
        CallSid: callSid,
        StreamSid: `MZ${hex(16)}`,
        StreamEvent: 'stream-stopped',
        Timestamp: new Date().toISOString(),
      },
    },
    {
      path: '/whatsapp/message',
      params: {
        AccountSid: accountSid,
        MessageSid: `SM${hex(16)}`,
        From: 'whatsapp:+15555550123',
        To: `whatsapp:${DEMO_PHONE_NUMBER}`,
        Body: 'Hi, is anyone there?',
        NumMedia: '0',
        ProfileName: 'Fuzz',
      },
    },
    {
      path: '/process-voice',
      params: {
        ...call,
        RecordingSid: `RE${hex(16)}`,
        RecordingUrl: `http://127.0.0.1:9/2010-04-01/Accounts/${accountSid}/Recordings/RE${hex(16)}`,
        RecordingDuration: '3',
      },
    },
    {
      path: '/twilio/message',
      params: { ...call, SpeechResult: 'Please call me back about my sink.', Confidence: '0.9' },
    },
    { path: '/twilio/routing', params: { ...call, Digits: '1' } },
    { path: '/twilio/stream-ended', params: { ...call, CallStatus: 'in-progress' } },
    { path: '/twilio/alert-ack', params: { ...call, Digits: '1' } },
    { path: '/twilio/alert-status', params: { ...call, CallStatus: 'no-answer' } },
    { path: '/twilio/assist/voice', params: call },
    { path: '/twilio/assist/dial-status', params: { ...call, DialCallStatus: 'completed' } },
  ];
}

async function fuzzWebhooks(ctx: Ctx, rng: Rng, n: number, signed: boolean): Promise<void> {
  const target: FuzzTargetName = signed ? 'webhook-signed' : 'webhook-unsigned';
  await pool(ctx, target, n, async () => {
    const seed = rng.pick(webhookSeeds());
    const url = `${ctx.server.baseUrl}${seed.path}${rng.chance(0.1) ? `?${rng.pick(['outboxId=1', 'x=%ff', 'callSid=' + 'a'.repeat(500)])}` : ''}`;
    // A few valid ones among the mutated, so handlers past the schema are reached.
    const params: FormParams = rng.chance(0.15) ? seed.params : mutateForm(rng, seed.params);
    let body = formBody(params);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (signed) headers['x-twilio-signature'] = signTwilioRequest(ctx.server.authToken, url, params);
    else {
      switch (rng.int(4)) {
        case 0:
          break; // no signature
        case 1:
          headers['x-twilio-signature'] = signTwilioRequest('wrong-token-0123456789', url, params);
          break;
        case 2:
          // Signed for other parameters (a replayed signature).
          headers['x-twilio-signature'] = signTwilioRequest(ctx.server.authToken, url, seed.params);
          if (body === formBody(seed.params)) body += '&Extra=1';
          break;
        default:
          headers['x-twilio-signature'] = rng.pick(['', 'x', '='.repeat(300), 'ä']);
      }
    }
    if (!signed && rng.chance(0.1)) {
      // Not a form at all.
      headers['content-type'] = rng.pick([
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded; charset=utf-16',
        'multipart/form-data',
      ]);
      body = rng.pick(['{"CallSid":1}', '%%%%', 'a=b&&&=&', '\u0000\u0001', JSON.stringify(oddValue(rng))]);
    }
    await post(ctx, target, url, { body, headers });
  });
}

// ---- JSON API -----------------------------------------------------------------------------------

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  default?: unknown;
  minimum?: number;
  minLength?: number;
  $ref?: string;
}

/** A value the schema likely accepts (the mutations start from something close to valid). */
function exampleOf(s: JsonSchema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return null;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return exampleOf(alt.find((a) => a.type !== 'null') ?? alt[0], depth + 1);
  if (s.allOf?.length) return exampleOf(s.allOf[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(k) || depth === 0) out[k] = exampleOf(v, depth + 1);
      }
      return out;
    }
    case 'array':
      return [exampleOf(s.items, depth + 1)];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      switch (s.format) {
        case 'uuid':
          return '00000000-0000-4000-8000-00000000ac3e';
        case 'email':
          return `fuzz-${hex(3)}@example.com`;
        case 'date-time':
          return new Date().toISOString();
        case 'uri':
          return 'https://example.com/x';
        default:
          return 'x'.repeat(Math.max(1, s.minLength ?? 1));
      }
    default:
      return null;
  }
}

interface Operation {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** Routes that would end the run's own access or remove what the other targets use. */
const SKIP = /logout|sessions|api-key|password|\/users\/\{[^}]+\}$/;

async function apiOperations(ctx: Ctx): Promise<Operation[]> {
  const res = await fetch(`${ctx.server.baseUrl}/openapi.json`);
  const doc = (await res.json()) as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
    >;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema || !['post', 'put', 'patch'].includes(method) || SKIP.test(path)) continue;
      const body = exampleOf(schema);
      ops.push({
        method: method.toUpperCase(),
        path,
        body: body && typeof body === 'object' ? (body as Record<string, unknown>) : {},
      });
    }
  }
  return ops;
}

async function fuzzApi(ctx: Ctx, rng: Rng, n: number): Promise<void> {
  const ops = await apiOperations(ctx);
  if (ops.length === 0) throw new Error('fuzz: /openapi.json lists no JSON bodies');
  await pool(ctx, 'api', n, async () => {
    const op = rng.pick(ops);
    const path = op.path.replace(/\{[^}]+\}/g, () =>
      rng.pick([
        '00000000-0000-4000-8000-00000000ac3e',
        '00000000-0000-4000-8000-000000000000',
        'x',
        '%ff',
        '1'.repeat(300),
        'lobby',
      ]),
    );
    const body = rng.chance(0.1)
      ? JSON.stringify(op.body)
      : mutateJson(rng, op.body, rng.pick(Object.keys(op.body).concat('type')));
    const headers: Record<string, string> = {
      authorization: `Bearer ${ctx.server.apiKey}`,
      'content-type': rng.chance(0.95)
        ? 'application/json'
        : rng.pick(['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded']),
    };
    await post(ctx, 'api', `${ctx.server.baseUrl}${path}`, { method: op.method, body, headers });
  });
}

// ---- sockets ------------------------------------------------------------------------------------

/** Opens a socket, sends what `next` gives while it stays open, and records how it ended. */
async function socketSession(
  ctx: Ctx,
  target: FuzzTargetName,
  open: () => Promise<WebSocket | string>,
  messages: Array<string | Buffer>,
): Promise<void> {
  const ws = await open();
  if (typeof ws === 'string') {
    ctx.report.sent[target]++;
    outcome(ctx, target, ws, 'upgrade');
    return;
  }
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => {});
  ws.on('message', () => {});
  let last = '';
  for (const m of messages) {
    if (ws.readyState !== WebSocket.OPEN) break;
    ws.send(m);
    ctx.report.sent[target]++;
    last = typeof m === 'string' ? m : `<${m.length} bytes>`;
    // Let the server read between messages now and then, as a network would.
    if (ctx.report.sent[target] % 8 === 0) await new Promise((r) => setImmediate(r));
  }
  // A moment for the server to answer the last message (a crash would show as 1011 or 1006).
  await new Promise((r) => setTimeout(r, 50));
  if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
  if (code === -1) ws.terminate();
  outcome(ctx, target, `close ${code}`, last);
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(String(res.statusCode));
      res.resume();
    });
    ws.once('error', (err) => resolve(`failed ${err.message}`));
  });
}

/** Shuffles, repeats or drops a few messages of a sequence: events out of order. */
function disorder<T>(rng: Rng, xs: T[]): T[] {
  const out = [...xs];
  const k = rng.int(4);
  for (let i = 0; i < k && out.length > 1; i++) {
    const a = rng.int(out.length);
    const b = rng.int(out.length);
    switch (rng.int(3)) {
      case 0:
        [out[a], out[b]] = [out[b]!, out[a]!];
        break;
      case 1:
        out.splice(b, 0, out[a]!);
        break;
      default:
        out.splice(a, 1);
    }
  }
  return out;
}

async function fuzzMediaStream(ctx: Ctx, rng: Rng, n: number): Promise<void> {
  const { baseUrl, authToken } = ctx.server;
  const perSocket = 40;
  await pool(ctx, 'media-stream', n, async () => {
    const accountSid = `AC${hex(16)}`;
    const callSid = `CA${hex(16)}`;
    const streamSid = `MZ${hex(16)}`;
    let streamUrl = `${baseUrl.replace(/^http/, 'ws')}/twilio/stream`;
    let parameters: Record<string, string> = { token: 'none' };
    // Most sockets belong to a real call: the webhook's TwiML gives the URL and the token.
    if (rng.chance(0.9)) {
      const url = `${baseUrl}/twilio/voice`;
      const params = inboundCallParams({ accountSid, callSid, from: '+15555550123', to: DEMO_PHONE_NUMBER });
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilioRequest(authToken, url, params),
        },
        body: formBody(params),
      });
      const twiml = readTwiml(await res.text());
      if (twiml.kind === 'stream') {
        streamUrl = twiml.url;
        parameters = twiml.parameters;
      }
    }
    const frames = new TwilioFrameBuilder(accountSid, callSid, streamSid);
    const audio = () => Uint8Array.from({ length: FRAME_BYTES }, () => rng.int(256));
    const valid: string[] = [frames.connected(), frames.start(parameters)];
    for (let i = 0; i < perSocket; i++) {
      const r = rng.int(10);
      valid.push(
        r < 7
          ? frames.media(audio(), i * 20)
          : r === 7
            ? frames.mark(`m${i}`)
            : r === 8
              ? frames.dtmf(rng.pick(['1', '#', '*', '0']))
              : frames.stop(),
      );
    }
    const sequence = disorder(rng, valid).map((m, i) =>
      // connected and start stay valid more often, so the stream gets past them.
      rng.chance(i < 2 ? 0.15 : 0.5) ? mutateJson(rng, JSON.parse(m) as Record<string, unknown>) : m,
    );
    if (rng.chance(0.05)) sequence.push(Buffer.from(audio()) as unknown as string); // a binary frame
    const signedHeaders = signedUpgradeHeaders(authToken, streamUrl);
    const headers = rng.chance(0.95)
      ? signedHeaders
      : rng.chance(0.5)
        ? {}
        : { 'x-twilio-signature': 'forged' };
    await socketSession(ctx, 'media-stream', () => connect(streamUrl, headers), sequence);
  });
}

async function fuzzChat(ctx: Ctx, rng: Rng, n: number): Promise<void> {
  const url = `${ctx.server.baseUrl.replace(/^http/, 'ws')}/chat`;
  const texts = [
    'What are your hours?',
    'My basement is flooding!',
    'Can someone come tomorrow at 9?',
    'My name is Fuzz, call me at 555 0100.',
    'Thanks, bye.',
  ];
  await pool(ctx, 'chat', n, async () => {
    const hello = { type: 'hello', key: ctx.server.publicKey };
    const valid: Array<Record<string, unknown>> = [hello];
    for (let i = 0; i < 12; i++) valid.push({ type: 'message', id: `m${i}`, text: rng.pick(texts) });
    const sequence = disorder(rng, valid).map((m, i) =>
      rng.chance(i === 0 ? 0.2 : 0.6) ? mutateJson(rng, m, 'type') : JSON.stringify(m),
    );
    const headers: Record<string, string> = rng.chance(0.8)
      ? {}
      : { origin: rng.pick(['https://evil.example', 'null', ctx.server.baseUrl]) };
    await socketSession(ctx, 'chat', () => connect(url, headers), sequence);
  });
}

async function fuzzWebCall(ctx: Ctx, rng: Rng, n: number): Promise<void> {
  const { baseUrl, apiKey } = ctx.server;
  const room = `fuzz-${hex(4)}`;
  const created = await fetch(`${baseUrl}/room/create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ room, businessId: DEMO_BUSINESS_ID }),
  });
  if (created.status !== 201) throw new Error(`fuzz: POST /room/create answered ${created.status}`);
  await pool(ctx, 'web-call', n, async () => {
    let mediaUrl = `${baseUrl.replace(/^http/, 'ws')}/room/${room}/media`;
    let token = 'forged';
    if (rng.chance(0.9)) {
      const res = await fetch(`${baseUrl}/room/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ room, identity: 'Fuzz' }),
      });
      if (res.status === 200) {
        const j = (await res.json()) as { media: { url: string; token: string } };
        mediaUrl = j.media.url;
        token = j.media.token;
      } else await res.arrayBuffer();
    }
    const valid: Array<Record<string, unknown> | Buffer> = [];
    for (let i = 0; i < 30; i++) {
      const r = rng.int(10);
      valid.push(
        r < 6
          ? Buffer.from(Uint8Array.from({ length: FRAME_BYTES }, () => rng.int(256)))
          : r < 8
            ? { type: 'mark', name: `m${i}` }
            : r === 8
              ? { type: 'dtmf', digit: '1' }
              : { type: 'hangup' },
      );
    }
    const sequence = disorder(rng, valid).map((m) => {
      if (Buffer.isBuffer(m)) {
        if (!rng.chance(0.3)) return m;
        return Buffer.from(
          Uint8Array.from({ length: rng.pick([0, 1, 159, 161, 320, 4096, 70_000]) }, () => rng.int(256)),
        );
      }
      return rng.chance(0.6) ? mutateJson(rng, m, 'type') : JSON.stringify(m);
    });
    const q = rng.chance(0.9)
      ? `?token=${encodeURIComponent(token)}`
      : rng.pick(['', '?token=', '?token=a&token=b', `?token=${'x'.repeat(5000)}`]);
    await socketSession(ctx, 'web-call', () => connect(mediaUrl + q), sequence);
  });
}
