import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerChatWidget, type ChatWidgetDeps } from '../../../src/channels/index.js';
import type { BusinessId, E164 } from '../../../src/ids.js';
import type { Business } from '../../../src/store/index.js';
import { ChatClient } from './chat-client.js';
import { FakeConversations } from './fake-conversations.js';

/**
 * The chat widget's server side against a scripted brain (FakeConversations): the socket's
 * protocol from hello to ended, its limits and the origin check, resuming after a reload, and
 * the public HTTP routes (/widget.js, /widget/config, /demo).
 */

const SECRET = 'chat-test-secret-0123456789abcdef0123456789';
const key = (n: number) => `pk_${n.toString(16).padStart(32, '0')}`;

function business(n: number, over: Partial<Business> = {}): Business {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}` as BusinessId,
    name: `Business ${n}`,
    trade: 'plumbing',
    greeting: 'Hello',
    afterHoursGreeting: null,
    timezone: 'UTC',
    hours: { weekly: {}, holidays: [] },
    plan: 'FREE',
    publicKey: key(n),
    settings: {},
    phoneNumbers: ['+15005550006' as E164],
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

const ACME = business(1, { name: 'Acme Plumbing' });
const BASIC = business(2, { plan: 'BASIC' });
const PRO = business(3, {
  plan: 'PRO',
  settings: {
    profile: {
      services: [
        { id: 'drain', name: 'Drain cleaning', durationMinutes: 60 },
        { id: 'heater', name: 'Water heater repair', durationMinutes: 90 },
      ],
    },
  },
});
const LOCKED = business(4, { settings: { widget: { allowedOrigins: ['https://shop.example'] } } });
const BUSINESSES = [ACME, BASIC, PRO, LOCKED];

let app: FastifyInstance;
let base: string;
let conversations: FakeConversations;
let widgetDir: string;
let clock = Date.parse('2026-03-01T12:00:00Z');
const clients: ChatClient[] = [];

async function startServer(over: Partial<ChatWidgetDeps> = {}): Promise<void> {
  await app?.close();
  conversations = new FakeConversations({ slowMs: (t) => (t.startsWith('slow') ? 150 : 0) });
  app = Fastify();
  await app.register(websocket);
  registerChatWidget(app, {
    conversations,
    businesses: {
      findByPublicKey: async (k) => BUSINESSES.find((b) => b.publicKey === k),
      list: async () => BUSINESSES,
    },
    tokenSecret: SECRET,
    log: { info() {}, warn() {}, error() {} },
    publicUrl: 'http://switchboard.test',
    widgetDir,
    now: () => clock,
    ...over,
    // Every test here comes from 127.0.0.1: the per-address limit has its own test.
    limits: { newVisitorsPerMinute: 1000, ...over.limits },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}

async function client(headers: Record<string, string> = {}): Promise<ChatClient> {
  const c = await ChatClient.connect(`${base.replace('http', 'ws')}/chat`, headers);
  clients.push(c);
  return c;
}

/** A client past hello and the greeting. */
async function chatting(k = ACME.publicKey, resume?: string) {
  const c = await client();
  c.send({ type: 'hello', key: k, ...(resume ? { resume } : {}) });
  const ready = await c.until('ready');
  if (ready.history.length === 0) await c.until('reply');
  return { c, ready };
}

beforeAll(async () => {
  widgetDir = mkdtempSync(path.join(tmpdir(), 'sb-widget-'));
  await startServer();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await app.close();
  rmSync(widgetDir, { recursive: true, force: true });
});

describe('the chat socket', () => {
  it('answers hello with ready (business, level, branding, resume token) and then the greeting', async () => {
    const c = await client();
    c.send({ type: 'hello', key: ACME.publicKey });
    const ready = await c.next();
    expect(ready).toMatchObject({
      type: 'ready',
      history: [],
      business: { name: 'Acme Plumbing' },
      level: 'basic',
      branding: true,
      chips: [],
    });
    expect(ready.type === 'ready' && ready.conversation).toMatch(/^ey/);
    expect(await c.next()).toEqual({ type: 'typing' });
    expect(await c.next()).toEqual({ type: 'reply', text: 'Hello, Acme Plumbing here.' });
    const [conv] = [...conversations.refs.values()].slice(-1);
    expect(conv).toMatchObject({ businessId: ACME.id, channel: 'chat' });
    expect(conv!.partyKey).toMatch(/^v_[0-9a-f]{24}$/);
  });

  it("sends each of the brain's replies, in order, after a typing", async () => {
    const { c } = await chatting();
    c.send({ type: 'message', id: 'm1', text: 'my sink leaks' });
    expect(await c.next()).toEqual({ type: 'typing' });
    expect(await c.next()).toEqual({ type: 'reply', text: 'You said: my sink leaks' });
    expect(await c.next()).toEqual({ type: 'reply', text: 'Anything else?' });
  });

  it('keeps the order of messages sent at once, even when the first takes longer', async () => {
    const { c } = await chatting();
    c.send({ type: 'message', id: 'm1', text: 'slow one' });
    c.send({ type: 'message', id: 'm2', text: 'quick two' });
    const replies: string[] = [];
    while (replies.length < 4) {
      const m = await c.next();
      if (m.type === 'reply') replies.push(m.text);
    }
    expect(replies).toEqual([
      'You said: slow one',
      'Anything else?',
      'You said: quick two',
      'Anything else?',
    ]);
  });

  it('answers malformed frames with an error and stays up', async () => {
    const { c } = await chatting();
    for (const bad of ['not json', '{"type":"message","id":"m1","text":""}', '{"type":"nope"}']) {
      c.send(bad);
      expect(await c.next()).toMatchObject({ type: 'error', code: 'bad_message' });
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'bad_message' });
    c.send({ type: 'hello', key: ACME.publicKey });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'already_started' });
    c.send({ type: 'message', id: 'm2', text: 'still there?' });
    expect(await c.until('reply')).toEqual({ type: 'reply', text: 'You said: still there?' });
    expect(c.closed).toBeUndefined();
  });

  it('wants hello first', async () => {
    const c = await client();
    c.send({ type: 'message', id: 'm1', text: 'hi' });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'hello_first' });
    c.send({ type: 'hello', key: ACME.publicKey });
    expect(await c.next()).toMatchObject({ type: 'ready' });
  });

  it('refuses a key no business has, and closes', async () => {
    const c = await client();
    c.send({ type: 'hello', key: key(999) });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'unknown_key' });
    expect((await c.closedBy()).code).toBe(4404);
  });

  it('limits messages per socket per minute, and lets them through again a minute later', async () => {
    await startServer({ limits: { messagesPerMinute: 3 } });
    const { c } = await chatting();
    for (let i = 1; i <= 3; i++) {
      c.send({ type: 'message', id: `m${i}`, text: `message ${i}` });
      await c.until('reply');
      await c.until('reply');
    }
    c.send({ type: 'message', id: 'm4', text: 'one too many' });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(
      conversations.inputs.some((i) => i.input.kind === 'speech' && i.input.text === 'one too many'),
    ).toBe(false);
    clock += 61_000;
    c.send({ type: 'message', id: 'm5', text: 'after a minute' });
    expect(await c.until('reply')).toEqual({ type: 'reply', text: 'You said: after a minute' });
    await startServer();
  });

  it('limits new visitors per address per minute; resuming is not limited', async () => {
    await startServer({ limits: { newVisitorsPerMinute: 2 } });
    const first = await chatting();
    await chatting();
    const third = await client();
    third.send({ type: 'hello', key: ACME.publicKey });
    expect(await third.next()).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect((await third.closedBy()).code).toBe(4429);
    const back = await client();
    back.send({ type: 'hello', key: ACME.publicKey, resume: first.ready.conversation });
    expect(await back.next()).toMatchObject({ type: 'ready' });
    clock += 61_000;
    await chatting();
    await startServer();
  });

  describe('where the business lists the sites allowed to embed it', () => {
    it.each([
      ['another site', { origin: 'https://evil.example' }],
      ['no Origin at all', {}],
    ])('refuses %s', async (_what, headers) => {
      const c = await client(headers);
      c.send({ type: 'hello', key: LOCKED.publicKey });
      expect(await c.next()).toMatchObject({ type: 'error', code: 'origin_not_allowed' });
      expect((await c.closedBy()).code).toBe(4403);
    });

    it.each([
      ['a listed site', 'https://shop.example'],
      ['our own /demo page', 'http://switchboard.test'],
    ])('lets %s chat', async (_what, origin) => {
      const c = await client({ origin });
      c.send({ type: 'hello', key: LOCKED.publicKey });
      expect(await c.next()).toMatchObject({ type: 'ready' });
    });

    it('and any site when it lists none', async () => {
      const c = await client({ origin: 'https://anywhere.example' });
      c.send({ type: 'hello', key: ACME.publicKey });
      expect(await c.next()).toMatchObject({ type: 'ready' });
    });
  });

  it('resumes the conversation with its history from the token (a page reload)', async () => {
    const { c, ready } = await chatting();
    c.send({ type: 'message', id: 'm1', text: 'my sink leaks' });
    await c.until('reply');
    await c.until('reply');
    c.close();

    const again = await client();
    again.send({ type: 'hello', key: ACME.publicKey, resume: ready.conversation });
    const resumed = await again.next();
    expect(resumed).toMatchObject({
      type: 'ready',
      history: [
        { from: 'agent', text: 'Hello, Acme Plumbing here.' },
        { from: 'visitor', text: 'my sink leaks' },
        { from: 'agent', text: 'You said: my sink leaks' },
        { from: 'agent', text: 'Anything else?' },
      ],
    });
    again.send({ type: 'message', id: 'm2', text: 'and the tap' });
    expect(await again.next()).toEqual({ type: 'typing' }); // no second greeting
    expect(await again.next()).toEqual({ type: 'reply', text: 'You said: and the tap' });
    const convs = new Set(conversations.inputs.slice(-3).map((i) => i.id));
    expect(convs.size).toBe(1);
  });

  it.each([
    ['a forged token', (t: string) => t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA')],
    ['garbage', () => 'not-a-token'],
  ])('starts a new conversation on %s, saying so', async (_what, spoil) => {
    const { ready } = await chatting();
    const c = await client();
    c.send({ type: 'hello', key: ACME.publicKey, resume: spoil(ready.conversation) });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'bad_token' });
    expect(await c.next()).toMatchObject({ type: 'ready', history: [] });
    expect(await c.until('reply')).toEqual({ type: 'reply', text: 'Hello, Acme Plumbing here.' });
  });

  it("does not resume another business's conversation with its token", async () => {
    const { ready } = await chatting(BASIC.publicKey);
    const c = await client();
    c.send({ type: 'hello', key: ACME.publicKey, resume: ready.conversation });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'bad_token' });
    expect(await c.next()).toMatchObject({ type: 'ready', history: [], business: { name: 'Acme Plumbing' } });
  });

  it('says ended when the brain ends it, and an ended conversation resumes as a new one', async () => {
    const { c, ready } = await chatting();
    c.send({ type: 'message', id: 'm1', text: 'bye' });
    expect(await c.until('reply')).toEqual({ type: 'reply', text: 'Goodbye!' });
    expect(await c.next()).toEqual({ type: 'ended', reason: 'caller-goodbye' });
    c.send({ type: 'message', id: 'm2', text: 'wait' });
    expect(await c.until('ended')).toEqual({ type: 'ended', reason: 'ended' });

    const again = await client();
    again.send({ type: 'hello', key: ACME.publicKey, resume: ready.conversation });
    const fresh = await again.next();
    expect(fresh).toMatchObject({ type: 'ready', history: [] });
    expect(fresh.type === 'ready' && fresh.conversation).not.toBe(ready.conversation);
    expect(await again.until('reply')).toEqual({ type: 'reply', text: 'Hello, Acme Plumbing here.' });
  });

  it('allows only so many sockets on one conversation', async () => {
    await startServer({ limits: { socketsPerConversation: 1 } });
    const { ready } = await chatting();
    const second = await client();
    second.send({ type: 'hello', key: ACME.publicKey, resume: ready.conversation });
    expect(await second.next()).toMatchObject({ type: 'error', code: 'too_many_sockets' });
    expect((await second.closedBy()).code).toBe(4429);
    await startServer();
  });

  it('closes a socket that never says hello', async () => {
    await startServer({ limits: { helloTimeoutMs: 50 } });
    const c = await client();
    expect(await c.next()).toMatchObject({ type: 'error', code: 'hello_first' });
    expect((await c.closedBy()).code).toBe(4408);
    await startServer();
  });
});

describe('the widget level and branding follow the plan', () => {
  it.each([
    [ACME, 'basic', true, []],
    [BASIC, 'enhanced', true, ['Opening hours', 'Book a visit', 'Talk to a person']],
    [
      PRO,
      'full',
      false,
      ['Opening hours', 'Book a visit', 'Talk to a person', 'Drain cleaning', 'Water heater repair'],
    ],
  ] as const)('%# on the socket and at /widget/config', async (b, level, branding, chipLabels) => {
    const res = await fetch(`${base}/widget/config?key=${b.publicKey}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const config = (await res.json()) as {
      level: string;
      branding: boolean;
      chips: Array<{ label: string }>;
    };
    expect(config).toMatchObject({ business: { name: b.name }, level, branding });
    expect(config.chips.map((c) => c.label)).toEqual(chipLabels);
    const { ready } = await chatting(b.publicKey);
    expect(ready).toMatchObject({ level, branding });
    expect(ready.chips.map((c) => c.label)).toEqual(chipLabels);
  });

  it('/widget/config: 404 for an unknown key, 400 for something not a key', async () => {
    const unknown = await fetch(`${base}/widget/config?key=${key(999)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_key' });
    const bad = await fetch(`${base}/widget/config?key=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_key' });
  });
});

describe('GET /widget.js', () => {
  it('503 with a clear error until the widget is built', async () => {
    const res = await fetch(`${base}/widget.js`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'widget_not_built' });
  });

  it('serves the built script to any site, revalidated by ETag', async () => {
    writeFileSync(path.join(widgetDir, 'widget.js'), '(()=>{})();\n');
    const res = await fetch(`${base}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe('(()=>{})();\n');
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${base}/widget.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const pinned = await fetch(`${base}/widget.js?v=${etag.replaceAll('"', '')}`);
    expect(pinned.headers.get('cache-control')).toContain('immutable');
  });
});

describe('GET /demo', () => {
  it('shows the first business with the widget embedded by its one script tag, under a self-only CSP', async () => {
    const res = await fetch(`${base}/demo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<h1>Acme Plumbing</h1>');
    expect(html).toContain(`<script src="/widget.js" data-key="${ACME.publicKey}" async></script>`);
    expect(html).not.toMatch(/<script>|<style>|style="/);
  });

  it('shows another business by ?key=, its services listed, and 404 for a key no one has', async () => {
    const html = await (await fetch(`${base}/demo?key=${PRO.publicKey}`)).text();
    expect(html).toContain(`data-key="${PRO.publicKey}"`);
    expect(html).toContain('Drain cleaning');
    expect((await fetch(`${base}/demo?key=${key(999)}`)).status).toBe(404);
  });
});
