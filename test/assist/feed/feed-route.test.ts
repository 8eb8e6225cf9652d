import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AssistEvent } from '../../../src/assist/events.js';
import { parseFeedMessage, type FeedMessage } from '../../../src/assist/feed/feed-messages.js';
import { registerAssistFeed, type AssistFeedDeps } from '../../../src/assist/feed/feed-route.js';
import { FeedTickets } from '../../../src/assist/feed/feed-tickets.js';
import { registerAssistTickets } from '../../../src/assist/feed/ticket-route.js';
import { SessionTokens } from '../../../src/auth/index.js';
import { registerAccess } from '../../../src/http/access.js';
import { registerHttpEdge } from '../../../src/http/edge.js';
import { Metrics } from '../../../src/http/metrics.js';
import { registerApiDocs } from '../../../src/http/openapi.js';
import type { CallSid } from '../../../src/ids.js';
import { silentLogger } from '../../../src/shared/index.js';
import { InProcessBus, type EventBus } from '../../../src/store/bus/index.js';
import type { UsersRepo } from '../../../src/store/index.js';
import { BIZ_A, BIZ_B, CALL_A1, CALL_A2, CALL_B1, assistEvent, pricingSuggestion } from './fixtures.js';

/** The feed and the ticket route on a real Fastify with @fastify/websocket, over an in-process bus. */

const ASSIST_KEY = 'assist-key-0123456789abcdef';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const ORIGIN = 'https://agents.example.com';

const CALLS: Record<string, typeof BIZ_A> = { [CALL_A1]: BIZ_A, [CALL_A2]: BIZ_A, [CALL_B1]: BIZ_B };

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(over: Partial<AssistFeedDeps> = {}) {
  const bus = new InProcessBus<AssistEvent>();
  const tickets = new FeedTickets({ secret: 'feed-test-secret-0123456789', ttlSeconds: 60 });
  const metrics = new Metrics();
  const callBusiness = async (c: CallSid) => CALLS[c];
  const defaultBusinessId = async () => BIZ_A;
  app = Fastify();
  registerHttpEdge(app);
  await registerApiDocs(app);
  await app.register(websocket);
  registerAssistFeed(app, {
    bus,
    tickets,
    keys: [ASSIST_KEY],
    allowedOrigins: [ORIGIN],
    callBusiness,
    defaultBusinessId,
    log: silentLogger,
    metrics,
    ...over,
  });
  // Tickets are asked for with the admin key here (users' tickets: test/admin/tenant-isolation.test.ts).
  const access = await registerAccess(app, {
    apiKey: ADMIN_KEY,
    sessions: new SessionTokens('feed-test-session-secret-0123456789', 60),
    users: { get: async () => undefined } as unknown as UsersRepo,
    secureCookies: false,
  });
  registerAssistTickets(app, {
    tickets,
    access,
    callBusiness,
    defaultBusinessId,
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { bus, tickets, metrics, base, ws: base.replace(/^http/, 'ws') };
}

/** An agent's socket that records every message; `next(n)` waits until n have come. */
function agent(url: string, headers: Record<string, string> = {}, protocols?: string[]) {
  const ws = new WebSocket(url, protocols ?? [], { headers });
  const got: FeedMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    const r = parseFeedMessage(data as Buffer);
    if (!r.ok) throw new Error(`bad feed message: ${r.error}`);
    got.push(r.message);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return {
    ws,
    got,
    closed,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
      ws.once('error', reject);
    }),
    async next(n: number): Promise<FeedMessage[]> {
      while (got.length < n) await new Promise<void>((r) => waiters.push(r));
      return got.slice(0, n);
    },
  };
}

/** The HTTP answer to an upgrade the server refuses (failing the test if it accepts). */
function refused(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: unknown; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), headers: res.headers }),
        );
      });
      ws.on('open', () => {
        ws.close();
        reject(new Error('the upgrade was accepted'));
      });
      ws.on('error', () => undefined);
    },
  );
}

const bearer = { authorization: `Bearer ${ASSIST_KEY}` };

async function ticketFor(base: string, body: object = {}) {
  const res = await fetch(`${base}/api/assist/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { ticket: string; expiresAt: string; url: string },
  };
}

describe('WS /assist/agent: who may connect', () => {
  it('accepts a server with the assist key and says ready for the default business', async () => {
    const { ws } = await serve();
    const a = agent(`${ws}/assist/agent`, bearer);
    await a.opened;
    expect(await a.next(1)).toEqual([{ type: 'ready', businessId: BIZ_A, timestamp: expect.any(String) }]);
    a.ws.close();
  });

  it('refuses an upgrade without credentials with 401 in the API error shape', async () => {
    const { ws } = await serve();
    const r = await refused(`${ws}/assist/agent`);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'unauthorized', message: expect.stringContaining('Bearer') });
    expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses a wrong key with 401', async () => {
    const { ws } = await serve();
    expect((await refused(`${ws}/assist/agent`, { authorization: 'Bearer not-the-key' })).status).toBe(401);
    expect((await refused(`${ws}/assist/agent`, { authorization: `Basic ${ASSIST_KEY}` })).status).toBe(401);
  });

  it('accepts any of the keys it was given (the admin key when no assist key is set)', async () => {
    const { ws } = await serve({ keys: ['', ADMIN_KEY] });
    const a = agent(`${ws}/assist/agent`, { authorization: `Bearer ${ADMIN_KEY}` });
    await a.opened;
    a.ws.close();
    expect((await refused(`${ws}/assist/agent`, { authorization: 'Bearer ' })).status).toBe(401);
  });

  it('refuses an Origin that is not allowed with 403, even with a valid key', async () => {
    const { ws } = await serve();
    const r = await refused(`${ws}/assist/agent`, { ...bearer, origin: 'https://evil.example.net' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ error: 'forbidden' });
    expect((await refused(`${ws}/assist/agent`, { ...bearer, origin: 'null' })).status).toBe(403);
  });

  it('opens once with a ticket from POST /api/assist/tickets, from an allowed origin, and never twice', async () => {
    const { base, ws } = await serve();
    const t = await ticketFor(base);
    expect(t.status).toBe(201);
    expect(t.body.url).toBe(`/assist/agent?ticket=${t.body.ticket}`);
    expect(Date.parse(t.body.expiresAt)).toBeGreaterThan(Date.now());
    const a = agent(`${ws}${t.body.url}`, { origin: ORIGIN });
    await a.opened;
    expect((await a.next(1))[0]).toMatchObject({ type: 'ready', businessId: BIZ_A });
    a.ws.close();
    const again = await refused(`${ws}${t.body.url}`, { origin: ORIGIN });
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('used') });
  });

  it('does not spend a ticket on an upgrade refused for its Origin', async () => {
    const { base, ws } = await serve();
    const t = await ticketFor(base);
    expect((await refused(`${ws}${t.body.url}`, { origin: 'https://evil.example.net' })).status).toBe(403);
    const a = agent(`${ws}${t.body.url}`, { origin: ORIGIN });
    await a.opened;
    a.ws.close();
  });

  it('takes a ticket as the subprotocols "bearer, <ticket>" too', async () => {
    const { base, ws } = await serve();
    const t = await ticketFor(base);
    const a = agent(`${ws}/assist/agent`, { origin: ORIGIN }, ['bearer', t.body.ticket]);
    await a.opened;
    expect(a.ws.protocol).toBe('bearer');
    a.ws.close();
  });

  it('refuses a call of another business with 404, by key or by ticket', async () => {
    const { base, ws } = await serve();
    const r = await refused(`${ws}/assist/agent?businessId=${BIZ_A}&callSid=${CALL_B1}`, bearer);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: 'not_found' });
    expect((await refused(`${ws}/assist/agent?callSid=CAunknown`, bearer)).status).toBe(404);
    const t = await ticketFor(base, { businessId: BIZ_A });
    expect((await refused(`${ws}${t.body.url}&callSid=${CALL_B1}`)).status).toBe(404);
  });

  it("refuses a ticket for one call used to open another (403), and another business's ticket", async () => {
    const { base, ws } = await serve();
    const t = await ticketFor(base, { callSid: CALL_A1 });
    expect((await refused(`${ws}${t.body.url}&callSid=${CALL_A2}`)).status).toBe(403);
    const t2 = await ticketFor(base, { businessId: BIZ_A });
    expect((await refused(`${ws}${t2.body.url}&businessId=${BIZ_B}`)).status).toBe(403);
  });

  it('refuses a malformed query with 400 and names the parameter', async () => {
    const { ws } = await serve();
    const r = await refused(`${ws}/assist/agent?businessId=not-a-uuid`, bearer);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: 'validation_failed',
      message: expect.stringContaining('query.businessId'),
    });
    expect((await refused(`${ws}/assist/agent?topic=all`, bearer)).status).toBe(400);
  });
});

describe('WS /assist/agent: what it delivers', () => {
  it('gives a business socket every call of its business and none of another', async () => {
    const { bus, ws } = await serve();
    const a = agent(`${ws}/assist/agent?businessId=${BIZ_A}`, bearer);
    await a.opened;
    await a.next(1);
    await bus.publish(assistEvent(pricingSuggestion(), { callSid: CALL_B1, businessId: BIZ_B }));
    await bus.publish(assistEvent(pricingSuggestion(), { callSid: CALL_A1 }));
    await bus.publish(
      assistEvent(
        { type: 'assist-ended', reason: 'completed' },
        { callSid: CALL_B1, businessId: BIZ_B, seq: 2 },
      ),
    );
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'completed' }, { callSid: CALL_A2 }));
    const got = await a.next(4);
    expect(got.map((m) => [m.type, 'callSid' in m ? m.callSid : undefined])).toEqual([
      ['ready', undefined],
      ['suggestion', CALL_A1],
      ['suggestion-detail', CALL_A1],
      ['call-ended', CALL_A2],
    ]);
    // The suggestion is exactly seed 000's shape on the wire.
    expect(Object.keys(got[1]!).sort()).toEqual([
      'callSid',
      'confidence',
      'content',
      'priority',
      'timestamp',
      'type',
    ]);
    a.ws.close();
  });

  it('gives a call socket that call only', async () => {
    const { bus, ws } = await serve();
    const a = agent(`${ws}/assist/agent?callSid=${CALL_A2}`, bearer);
    await a.opened;
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'completed' }, { callSid: CALL_A1 }));
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'completed' }, { callSid: CALL_A2 }));
    expect(await a.next(2)).toEqual([
      expect.objectContaining({ type: 'ready', businessId: BIZ_A, callSid: CALL_A2 }),
      expect.objectContaining({ type: 'call-ended', callSid: CALL_A2 }),
    ]);
    a.ws.close();
  });

  it('says assist is unavailable when the bus refuses the subscription, and keeps the socket', async () => {
    const down: EventBus<AssistEvent> = {
      publish: async () => {},
      subscribe: async () => {
        throw new Error('bus down');
      },
      close: async () => {},
    };
    const { ws } = await serve({ bus: down });
    const a = agent(`${ws}/assist/agent`, bearer);
    await a.opened;
    expect((await a.next(2))[1]).toEqual({
      type: 'status',
      state: 'unavailable',
      reason: 'assist bus unavailable',
      timestamp: expect.any(String),
    });
    a.ws.send('{"type":"ping"}');
    expect((await a.next(3))[2]).toMatchObject({ type: 'pong' });
    a.ws.close();
  });

  it('answers malformed frames with an error and stays open', async () => {
    const { bus, ws } = await serve();
    const a = agent(`${ws}/assist/agent`, bearer);
    await a.opened;
    a.ws.send('{"type":');
    a.ws.send('[]');
    a.ws.send('{"type":"ping"}');
    const got = await a.next(3);
    expect(got.map((m) => m.type)).toEqual(['ready', 'error', 'pong']);
    await bus.publish(assistEvent({ type: 'assist-ended', reason: 'completed' }));
    expect((await a.next(4))[3]).toMatchObject({ type: 'call-ended' });
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.ws.close();
  });

  it('counts its sockets and messages, and unsubscribes when the agent leaves', async () => {
    const { bus, metrics, ws } = await serve();
    const a = agent(`${ws}/assist/agent`, bearer);
    await a.opened;
    await a.next(1);
    expect((await metrics.wsConnections.get()).values).toEqual([
      expect.objectContaining({ labels: { kind: 'assist-agent' }, value: 1 }),
    ]);
    expect(bus.subscriptions).toBe(1);
    a.ws.close();
    await a.closed;
    for (let i = 0; i < 50 && bus.subscriptions > 0; i++) await new Promise((r) => setImmediate(r));
    expect(bus.subscriptions).toBe(0);
    expect((await metrics.wsConnections.get()).values[0]?.value).toBe(0);
    const sent = (await metrics.assistFeedMessages.get()).values;
    expect(sent).toEqual([expect.objectContaining({ labels: { type: 'ready', outcome: 'sent' }, value: 1 })]);
  });
});

describe('POST /api/assist/tickets', () => {
  it('needs the admin key', async () => {
    const { base } = await serve();
    const res = await fetch(`${base}/api/assist/tickets`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('issues a ticket for a call of the business, and 404 for a call of another', async () => {
    const { base, ws } = await serve();
    expect((await ticketFor(base, { businessId: BIZ_A, callSid: CALL_B1 })).status).toBe(404);
    expect((await ticketFor(base, { callSid: 'CAunknown' })).status).toBe(404);
    const t = await ticketFor(base, { callSid: CALL_B1 });
    expect(t.status).toBe(201);
    const a = agent(`${ws}${t.body.url}`);
    await a.opened;
    expect((await a.next(1))[0]).toMatchObject({ type: 'ready', businessId: BIZ_B, callSid: CALL_B1 });
    a.ws.close();
  });

  it('refuses a body it does not understand', async () => {
    const { base } = await serve();
    const r = await ticketFor(base, { businessId: 'acme' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'validation_failed' });
    expect((await ticketFor(base, { business: BIZ_A })).status).toBe(400);
  });

  it('is in the API document; the WebSocket is not', async () => {
    const { base } = await serve();
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>;
    };
    const post = doc.paths['/api/assist/tickets']?.['post'];
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '404']));
    expect(post?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/assist/agent']).toBeUndefined();
  });
});
