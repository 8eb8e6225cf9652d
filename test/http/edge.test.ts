import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/http/logger.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The server's edge through the real app: one error shape, hostile input refused with 400,
 * URLs logged without their query string, and slow or idle clients cut by deadlines and a
 * per-address connection limit.
 */

const MAX_PER_IP = 6;
let server: TestServer;
let port: number;
const logLines: string[] = [];

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  server = await startTestServer(
    {
      MAX_CONNECTIONS_PER_IP: String(MAX_PER_IP),
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
    },
    { stt: null, logger: createLogger({ level: 'info', destination }) },
  );
  port = Number(new URL(server.baseUrl).port);
});
afterAll(async () => {
  await server?.stop();
});

const auth = () => ({ authorization: `Bearer ${server.app.apiKey}` });
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(server.baseUrl + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

function expectShape(body: Json, code?: string): void {
  expect(Object.keys(body).filter((k) => k !== 'details')).toEqual(['error', 'message']);
  expect(body.error).toMatch(/^[a-z_]+$/);
  expect(typeof body.message).toBe('string');
  if (code) expect(body.error).toBe(code);
}

describe('one error shape', () => {
  it('answers an unknown route with {error, message} and does not echo the query string', async () => {
    const r = await call('/nowhere?token=s3cr3t-in-url');
    expect(r.status).toBe(404);
    expectShape(r.body, 'not_found');
    expect(JSON.stringify(r.body)).not.toContain('s3cr3t');
  });

  it('answers a missing API key, a bad query and an unknown content type in the same shape', async () => {
    const unauth = await call('/api/calls');
    expect(unauth.status).toBe(401);
    expectShape(unauth.body, 'unauthorized');
    const bad = await call('/api/leads?limit=0', { headers: auth() });
    expect(bad.status).toBe(400);
    expectShape(bad.body, 'validation_failed');
    expect(bad.body.details[0].path).toBe('query.limit');
    const xml = await call('/api/admin/business/notifications', {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/xml' },
      body: '<business/>',
    });
    expect(xml.status).toBe(415);
    expectShape(xml.body, 'unsupported_media_type');
  });
});

describe('hostile input gets 400 with a clear message', () => {
  const put = (body: string) =>
    call('/api/admin/business/notifications', {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/json' },
      body,
    });

  it('refuses a JSON body nested 10,000 deep without crashing', async () => {
    const r = await put('['.repeat(10_000) + ']'.repeat(10_000));
    expect(r.status).toBe(400);
    expectShape(r.body, 'invalid_input');
    expect(r.body.message).toMatch(/nested deeper than/);
    expect((await call('/health')).status).toBe(200);
  });

  const businessId = async () =>
    (await call('/api/business', { headers: auth() })).body.items[0].id as string;
  const putBusiness = async (payload: unknown) =>
    call(`/api/business/${await businessId()}`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });

  it('refuses NUL characters in a body, a query string and a route parameter', async () => {
    // Before: a 500 whose body held the UPDATE statement and every bound value.
    const body = await putBusiness({ name: 'Acme\u0000 Plumbing' });
    expect(body.status).toBe(400);
    expect(body.body.message).toMatch(/NUL/);
    expect(JSON.stringify(body.body)).not.toMatch(/update|Thanks for calling/i);
    const query = await call('/api/leads?callSid=CA%00x', { headers: auth() });
    expect(query.status).toBe(400);
    expect(query.body.message).toMatch(/NUL/);
    const param = await call('/api/calls/CA%00x', { headers: auth() });
    expect(param.status).toBe(400);
    expectShape(param.body, 'invalid_input');
  });

  it('refuses out-of-range numbers', async () => {
    for (const limit of ['1e308', '-5', 'NaN', 'Infinity', '2.5']) {
      const r = await call(`/api/outbox?limit=${limit}`, { headers: auth() });
      expect(r.status, limit).toBe(400);
      expectShape(r.body, 'validation_failed');
    }
    const inf = await put('{"emergency":{"callsPerContact":1e999}}');
    expect(inf.status).toBe(400);
    expect(inf.body.message).toMatch(/out of range/);
  });

  it('refuses absurd holiday dates', async () => {
    for (const date of ['2026-13-45', '2026-02-30', '99999-01-01', 'not-a-date']) {
      const r = await putBusiness({ profile: { hours: { weekly: {}, holidays: [{ date }] } } });
      expect(r.status, date).toBe(400);
      expectShape(r.body, 'validation_failed');
      expect(r.body.details[0].path).toBe('body.profile.hours.holidays.0.date');
    }
  });

  it('refuses absurd dates in cursors', async () => {
    const uuid = '00000000-0000-4000-8000-000000000000';
    for (const after of [
      `99999-01-01T00:00:00Z_${uuid}`,
      `2026-13-45T99:99:99Z_${uuid}`,
      `not-a-date_${uuid}`,
    ]) {
      const r = await call(`/api/outbox?after=${encodeURIComponent(after)}`, { headers: auth() });
      expect(r.status, after).toBe(400);
      expectShape(r.body, 'validation_failed');
    }
    const cursor = Buffer.from(JSON.stringify(['99999-01-01T00:00:00Z', uuid])).toString('base64url');
    const calls = await call(`/api/calls?before=${cursor}`, { headers: auth() });
    expect(calls.status).toBe(400);
    expectShape(calls.body);
  });

  it('refuses a 100 KB string where a short field belongs', async () => {
    const r = await putBusiness({ name: 'x'.repeat(100_000) });
    expect(r.status).toBe(400);
    expectShape(r.body);
    expect(r.body.message).toMatch(/characters/);
  });
});

describe('logs', () => {
  it('logs request URLs without their query string', async () => {
    await call('/health?token=supersecret-log-token');
    await call('/api/calls?token=supersecret-log-token', { headers: auth() });
    await new Promise((r) => setTimeout(r, 50));
    // /health logs at debug; an API request logs at info, its URL without the query string.
    expect(logLines.some((l) => l.includes('"url":"/api/calls"'))).toBe(true);
    expect(logLines.join('\n')).not.toContain('supersecret-log-token');
  });
});

/** A raw socket to the server; resolves `closed` when the server ends it. */
function rawClient(): { socket: Socket; closed: Promise<{ afterMs: number; received: string }> } {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.on('close', () => resolve({ afterMs: Date.now() - started, received })),
  );
  return { socket, closed };
}

const connected = (s: Socket) =>
  new Promise<void>((r) => (s.readyState === 'open' ? r() : s.once('connect', () => r())));

/** Writes `text` one byte at a time, `everyMs` apart, until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const t = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(t);
    socket.write(text[i++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(t));
}

describe('slow and idle clients', () => {
  it('cuts a client sending its headers one byte at a time after the header deadline', async () => {
    const c = rawClient();
    await connected(c.socket);
    trickle(c.socket, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n', 100);
    const { afterMs, received } = await c.closed;
    expect(afterMs).toBeLessThan(4000);
    expect(received).toMatch(/^HTTP\/1.1 408/);
    expect(received).toContain('"error":"request_timeout"');
  });

  it('cuts a body trickled after quick headers at the request deadline', async () => {
    const c = rawClient();
    await connected(c.socket);
    c.socket.write(
      `PUT /api/admin/business/notifications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.app.apiKey}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n',
    );
    trickle(c.socket, '{"notificationEmail":"' + 'a'.repeat(480), 100);
    const { afterMs } = await c.closed;
    expect(afterMs).toBeLessThan(5000);
  });

  it('closes a connection that never sends anything', async () => {
    const c = rawClient();
    const { afterMs } = await c.closed;
    expect(afterMs).toBeLessThan(4000);
  });

  it(`refuses connection ${MAX_PER_IP + 1} from one address before reading from it`, async () => {
    const held = Array.from({ length: MAX_PER_IP }, () => rawClient());
    await Promise.all(held.map((h) => connected(h.socket)));
    await new Promise((r) => setTimeout(r, 50));
    const extra = rawClient();
    extra.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const refused = await extra.closed;
    expect(refused.received).toBe('');
    expect(refused.afterMs).toBeLessThan(500);
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    // Freed: the next one is served.
    expect((await call('/health')).status).toBe(200);
  });
});

describe('shutdown', () => {
  it('closes promptly with a slow client attached (run last: it stops the server)', async () => {
    const slow = rawClient();
    await connected(slow.socket);
    slow.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Partial: ab');
    const idle = rawClient();
    await connected(idle.socket);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.app.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await Promise.all([slow.closed, idle.closed]);
  });
});
