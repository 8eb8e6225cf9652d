import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Every /api operation in /openapi.json, walked with bad input: no key, an unknown query
 * parameter, a malformed path parameter, a tampered cursor, broken and wrong-typed JSON bodies,
 * an id that does not exist. Each answer is the one error shape with the expected status and
 * code, so a new route inherits the check by being documented (openapi.test.ts makes sure it is).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Operation {
  method: string;
  path: string;
  params: Json[];
  hasBody: boolean;
  /** Needs someone signed in (every route but signing in). */
  secured: boolean;
}

let server: TestServer;
let ops: Operation[];

beforeAll(async () => {
  server = await startTestServer({}, { stt: null });
  const doc = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as Json;
  ops = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []) as Json[],
      hasBody: Boolean(op.requestBody),
      secured: Array.isArray(op.security) && op.security.length > 0,
    })),
  );
});
afterAll(async () => {
  await server?.stop();
});

const auth = () => ({ authorization: `Bearer ${server.app.apiKey}` });

/**
 * A body each route accepts, so the query check is reached (Fastify validates params, then the
 * body, then the query). A new route with a body needs one here.
 */
const VALID_BODIES: Record<string, unknown> = {
  'PATCH /api/leads/{id}': { status: 'won' },
  'PUT /api/business/{id}': {},
  'PUT /api/admin/business/notifications': {},
  'POST /api/kb/documents': { title: 'Prices', content: 'A drain unblock is 120 dollars.' },
  'POST /api/assist/tickets': {},
  'POST /api/business': { name: 'Sparks Electric', trade: 'electrical', timezone: 'UTC' },
  'POST /api/auth/login': { email: 'nobody@example.com', password: 'not a real password' },
  'PUT /api/auth/password': { currentPassword: 'not a real password', newPassword: 'another long password' },
  'POST /api/users': { email: 'new@example.com', password: 'a long enough password', role: 'agent' },
  'POST /api/admin/test-email': { email: 'owner@example.com' },
  'POST /api/admin/test-sendgrid': { email: 'owner@example.com' },
  'POST /api/emergencies/{id}/acknowledge': {},
  'POST /api/auth/logout': {},
  'POST /api/auth/logout-everywhere': {},
  'PUT /api/business/{id}/phone-menu': { enabled: false, options: [] },
  'POST /whatsapp/send': { to: '+15555550100', message: 'Your visit is confirmed.' },
  'POST /whatsapp/call': { to: 'whatsapp:+15555550100' },
  'POST /phone/call': { to: '+15555550100' },
  'POST /phone/end/{callSid}': {},
  'POST /room/create': { room: 'api-errors-room' },
  'POST /room/join': { room: 'api-errors-room', identity: 'Dana' },
  'POST /room/{name}/agent': { enabled: true },
  'POST /room/{name}/recording': { enabled: true },
};
const validBody = (op: Operation) => {
  const key = `${op.method} ${op.path}`;
  expect(key in VALID_BODIES, `add a valid body for ${key} to VALID_BODIES`).toBe(true);
  return JSON.stringify(VALID_BODIES[key]);
};
/** Every route refuses a query parameter it does not know. */
const QUERY_NOT_CHECKED = new Set<string>([]);
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

/** The path with each parameter filled: a well-formed value nobody has, or the given one. */
function fill(op: Operation, value?: string): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (value !== undefined) return encodeURIComponent(value);
    const p = op.params.find((x) => x.in === 'path' && x.name === name);
    if (p?.schema?.format === 'uuid') return MISSING_UUID;
    // A live session's id names its type.
    return op.path.startsWith('/sessions/') ? `phone-CA${'0'.repeat(32)}` : `CA${'0'.repeat(32)}`;
  });
}

async function send(
  op: Operation,
  url: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: Json; type: string }> {
  const res = await fetch(server.baseUrl + url, { method: op.method, ...init });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = { unparsed: text };
  }
  return { status: res.status, body, type: res.headers.get('content-type') ?? '' };
}

function expectShape(
  r: { status: number; body: Json; type: string },
  status: number,
  code: string,
  what: string,
): void {
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(status);
  expect(r.type, what).toMatch(/^application\/json/);
  expect(
    Object.keys(r.body).filter((k) => k !== 'details'),
    what,
  ).toEqual(['error', 'message']);
  expect(r.body.error, what).toBe(code);
  expect(typeof r.body.message, what).toBe('string');
  if (r.body.details) {
    for (const d of r.body.details as Json[])
      expect(Object.keys(d).sort(), what).toEqual(['message', 'path']);
  }
}

describe('every /api route answers bad input in the one error shape', () => {
  it('walks at least the admin API', () => {
    expect(ops.length).toBeGreaterThanOrEqual(15);
  });

  it('needs the API key (or a session), before looking at the input', async () => {
    const open = ops.filter((o) => !o.secured).map((o) => `${o.method} ${o.path}`);
    // Only signing in and out, and a visitor joining a room by its name, are open to anyone.
    expect(open.sort()).toEqual(['POST /api/auth/login', 'POST /api/auth/logout', 'POST /room/join']);
    for (const op of ops.filter((o) => o.secured)) {
      const r = await send(op, `${fill(op)}?unknown_filter=1`, {
        headers: { 'content-type': 'application/json' },
        body: op.hasBody ? '{"broken":' : undefined,
      });
      expectShape(r, 401, 'unauthorized', `${op.method} ${op.path}`);
    }
  });

  it('refuses an unknown query parameter, naming it', async () => {
    for (const op of ops.filter((o) => !QUERY_NOT_CHECKED.has(`${o.method} ${o.path}`))) {
      const r = await send(op, `${fill(op)}?unknown_filter=1`, {
        headers: { ...auth(), ...(op.hasBody ? { 'content-type': 'application/json' } : {}) },
        body: op.hasBody ? validBody(op) : undefined,
      });
      const what = `${op.method} ${op.path}`;
      expectShape(r, 400, 'validation_failed', what);
      // Named in the details (the message names the first problem: a required q may come first).
      expect(JSON.stringify(r.body.details), what).toContain('unknown query parameter \\"unknown_filter\\"');
    }
  });

  it('refuses a malformed path parameter with 400 naming it', async () => {
    for (const op of ops.filter((o) => o.params.some((p) => p.in === 'path'))) {
      const r = await send(op, fill(op, 'x'.repeat(65)), {
        headers: { ...auth(), ...(op.hasBody ? { 'content-type': 'application/json' } : {}) },
        body: op.hasBody ? '{}' : undefined,
      });
      const what = `${op.method} ${op.path}`;
      expectShape(r, 400, 'validation_failed', what);
      expect((r.body.details as Json[])[0]!.path, what).toMatch(/^params\./);
    }
  });

  it('answers 404 for an id nobody has', async () => {
    for (const op of ops.filter((o) => o.params.some((p) => p.in === 'path') && !o.hasBody)) {
      expectShape(
        await send(op, fill(op), { headers: auth() }),
        404,
        op.path.startsWith('/api/kb/') ? 'document_not_found' : 'not_found',
        `${op.method} ${op.path}`,
      );
    }
  });

  it('refuses a tampered cursor and an out-of-range limit on every list', async () => {
    const lists = ops.filter((o) => o.params.some((p) => p.in === 'query' && p.name === 'cursor'));
    expect(lists.length).toBeGreaterThanOrEqual(8);
    const tampered = Buffer.from('["2026-01-01T00:00:00.000Z","not-a-uuid"]').toString('base64url');
    for (const op of lists) {
      const what = `${op.method} ${op.path}`;
      const bad = await send(op, `${op.path}?cursor=${tampered}`, { headers: auth() });
      expectShape(bad, 400, 'validation_failed', what);
      expect((bad.body.details as Json[])[0]!.path, what).toBe('query.cursor');
      const limit = await send(op, `${op.path}?limit=0`, { headers: auth() });
      expectShape(limit, 400, 'validation_failed', what);
      expect((limit.body.details as Json[])[0]!.path, what).toBe('query.limit');
    }
  });

  it('refuses broken and wrong-typed JSON bodies', async () => {
    const withBody = ops.filter((o) => o.hasBody);
    expect(withBody.length).toBeGreaterThanOrEqual(4);
    for (const op of withBody) {
      const what = `${op.method} ${op.path}`;
      const url = fill(op);
      const headers = { ...auth(), 'content-type': 'application/json' };
      expectShape(await send(op, url, { headers, body: '{"a":' }), 400, 'invalid_json', what);
      const wrong = await send(op, url, { headers, body: '[1, 2]' });
      expectShape(wrong, 400, 'validation_failed', what);
      expect((wrong.body.details as Json[])[0]!.path, what).toMatch(/^body/);
    }
  });
});
