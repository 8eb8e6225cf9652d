import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerHttpEdge } from '../../src/http/edge.js';
import { isDocumented, registerApiDocs } from '../../src/http/openapi.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * GET /openapi.json is a valid OpenAPI 3 document that describes every /api route the server
 * has registered, each with its security, its inputs and a success answer with a schema; a
 * route added without a schema shows up as undocumented. /docs works with no internet.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Route {
  method: string;
  path: string;
}

/** Every route Fastify has, read from its own route tree (printRoutes), HEAD left out. */
export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)(?:├── |└── )(\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') routes.push({ method, path });
  }
  return routes;
}

/** `/api/calls/:callSid` as OpenAPI writes it: `/api/calls/{callSid}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The only documented routes anyone may call unsigned: signing in and out, joining a room by name. */
const OPEN_ROUTES = new Set(['POST /api/auth/login', 'POST /api/auth/logout', 'POST /room/join']);
/** Documented prefixes' WebSockets: a socket's upgrade follows its own protocol, not the API's. */
const SOCKETS = new Set(['GET /room/:name/media']);

/** What is missing from the document for each documented route (empty when all are described). */
export function undocumented(doc: Json, routes: Route[]): string[] {
  const problems: string[] = [];
  for (const r of routes.filter((x) => isDocumented(x.path) && !SOCKETS.has(`${x.method} ${x.path}`))) {
    const name = `${r.method} ${r.path}`;
    const op = doc.paths?.[openApiPath(r.path)]?.[r.method.toLowerCase()] as Json | undefined;
    if (!op) {
      problems.push(`${name}: not in the document`);
      continue;
    }
    const open = OPEN_ROUTES.has(name);
    if (!open && !JSON.stringify(op.security ?? []).includes('bearerAuth'))
      problems.push(`${name}: no bearer security`);
    const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((p) => p[1]);
    for (const p of params) {
      if (!(op.parameters ?? []).some((x: Json) => x.in === 'path' && x.name === p))
        problems.push(`${name}: path parameter ${p} not described`);
    }
    const success = Object.entries((op.responses ?? {}) as Record<string, Json>).filter(([code]) =>
      /^2/.test(code),
    );
    const described = success.some(
      ([code, res]) =>
        code === '204' || Object.values((res.content ?? {}) as Record<string, Json>).some((c) => c.schema),
    );
    if (!described) problems.push(`${name}: no success answer with a schema`);
    if (!open && !op.responses?.['401']) problems.push(`${name}: 401 not described`);
    if (['POST', 'PUT', 'PATCH'].includes(r.method) && !op.requestBody)
      problems.push(`${name}: request body not described`);
  }
  return problems;
}

describe('the OpenAPI document of the running server', () => {
  let server: TestServer;
  let doc: Json;

  beforeAll(async () => {
    server = await startTestServer({}, { stt: null });
    const res = await fetch(`${server.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Json;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('validates as OpenAPI 3', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(doc as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every /api route the server registered, with bearer security and schemas', () => {
    const routes = routesOf(server.app.server);
    const api = routes.filter((r) => r.path.startsWith('/api/'));
    // The route tree was read: the admin API's routes are all there.
    expect(api.length).toBeGreaterThanOrEqual(15);
    expect(api).toContainEqual({ method: 'GET', path: '/api/calls/:callSid' });
    expect(undocumented(doc, routes)).toEqual([]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The admin API and the channels' routes a business's systems call; Twilio's webhooks, Slack's
    // command and the probes follow their own contracts.
    expect(Object.keys(doc.paths).filter((p) => !isDocumented(p))).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/phone/call', '/sessions', '/room/join', '/whatsapp/send', '/whatsapp/call']),
    );
  });

  it('lists the same paging parameters on every list', () => {
    const lists = Object.entries(doc.paths as Record<string, Json>)
      .filter(
        ([, ops]) =>
          ops.get?.responses?.['200']?.content?.['application/json']?.schema?.properties?.nextCursor,
      )
      .map(([path, ops]) => ({ path, names: (ops.get.parameters as Json[]).map((p) => p.name) }));
    expect(lists.map((l) => l.path).sort()).toEqual(
      [
        '/api/business',
        '/api/bookings',
        '/api/calls',
        '/api/emergencies',
        '/api/kb/documents',
        '/api/leads',
        '/api/outbox',
        '/api/questions',
      ].sort(),
    );
    for (const l of lists) expect(l.names, l.path).toEqual(expect.arrayContaining(['limit', 'cursor']));
  });

  it('serves readable docs at /docs from local assets only', async () => {
    const page = await fetch(`${server.baseUrl}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    // Every script and stylesheet is the server's own: nothing is fetched from the internet.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((r) => /^(?:https?:)?\/\//.test(r))).toEqual([]);
    for (const ref of refs.filter((r) => /\.(?:js|css)$/.test(r))) {
      const asset = await fetch(new URL(ref, `${server.baseUrl}/docs/`));
      expect(asset.status, ref).toBe(200);
    }
    const json = await fetch(`${server.baseUrl}/docs/json`);
    expect(((await json.json()) as Json).paths).toEqual(doc.paths);
  });
});

describe('the coverage check', () => {
  it('finds an /api route registered without a schema', async () => {
    const app = Fastify();
    registerHttpEdge(app);
    await registerApiDocs(app);
    app.get('/api/undocumented/:id', async () => ({ ok: true }));
    await app.ready();
    const doc = (await app.inject('/openapi.json')).json() as Json;
    expect(undocumented(doc, routesOf(app))).toEqual([
      'GET /api/undocumented/:id: no bearer security',
      'GET /api/undocumented/:id: no success answer with a schema',
      'GET /api/undocumented/:id: 401 not described',
    ]);
    await app.close();
  });
});
