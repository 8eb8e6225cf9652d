import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Metrics } from '../../src/http/metrics.js';
import { maskAddress, WebSocketRegistry, webSocketKindOf } from '../../src/http/websocket-registry.js';

/**
 * Every WebSocket the server accepts is counted (kind by path, messages in and out), listed
 * without caller data, and kept alive: pinged every WEBSOCKET_PING_INTERVAL, terminated when
 * silent through two.
 */

const silent = { info() {}, warn() {} };
let app: FastifyInstance | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await app?.close();
  app = undefined;
});

async function serve(pingIntervalMs: number, metrics = new Metrics()) {
  app = Fastify();
  await app.register(websocket);
  const registry = new WebSocketRegistry({ pingIntervalMs, log: silent, metrics });
  registry.attach(app);
  // Echo routes of two kinds: each message is answered once.
  for (const path of ['/twilio/stream', '/chat']) {
    app.get(path, { websocket: true }, (socket) => {
      socket.on('message', (m) => socket.send(`echo ${String(m)}`));
    });
  }
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  return { registry, metrics, base };
}

function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, opts);
  clients.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('WebSocketRegistry', () => {
  it('counts open sockets by kind and every message received, and forgets a socket once it closes', async () => {
    const { registry, metrics, base } = await serve(0);
    const twilio = await open(`${base}/twilio/stream`);
    const chat = await open(`${base}/chat`);
    await waitFor(() => registry.activeConnections === 2);
    expect(registry.byKind()).toEqual({ 'twilio-stream': 1, chat: 1 });

    const echoes: string[] = [];
    twilio.on('message', (m) => echoes.push(String(m)));
    for (let i = 0; i < 3; i++) twilio.send(`m${i}`);
    chat.send('hello');
    await waitFor(() => echoes.length === 3 && registry.totalMessages === 4);
    const listed = registry.list();
    expect(listed).toEqual(
      expect.arrayContaining([
        {
          kind: 'twilio-stream',
          remoteAddress: '127.0.0.x',
          openedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          messagesIn: 3,
          messagesOut: 3,
        },
        expect.objectContaining({ kind: 'chat', messagesIn: 1, messagesOut: 1 }),
      ]),
    );

    chat.close();
    await waitFor(() => registry.activeConnections === 1);
    // The total counts since start: a closed socket's messages stay counted.
    expect(registry.totalMessages).toBe(4);
    const open_ = await metrics.wsOpen.get();
    expect(open_.values.find((v) => v.labels.kind === 'chat')?.value).toBe(0);
    expect(open_.values.find((v) => v.labels.kind === 'twilio-stream')?.value).toBe(1);
  });

  it('pings every interval: a peer that answers stays, one that answers no pong through two intervals is terminated', async () => {
    const { registry, metrics, base } = await serve(100);
    const alive = await open(`${base}/chat`);
    // ws answers pings itself unless told not to: this one plays a peer that vanished.
    const dead = await open(`${base}/twilio/stream`, { autoPong: false });
    let pings = 0;
    alive.on('ping', () => pings++);
    const deadClosed = new Promise<number>((resolve) => dead.once('close', (code) => resolve(code)));

    expect(await deadClosed).toBe(1006);
    expect(alive.readyState).toBe(WebSocket.OPEN);
    await waitFor(() => pings >= 3);
    await waitFor(() => registry.activeConnections === 1);
    expect(registry.byKind()).toEqual({ chat: 1 });
    const terminated = await metrics.wsTerminated.get();
    expect(terminated.values).toEqual([
      expect.objectContaining({ labels: { kind: 'twilio-stream' }, value: 1 }),
    ]);
  });

  it('a sweep terminates only sockets silent for two intervals (driven by hand)', async () => {
    let now = 1_000_000;
    const { base } = await serve(0);
    const registry = new WebSocketRegistry({ pingIntervalMs: 1000, log: silent, now: () => now });
    const server = app!.websocketServer;
    server.on('connection', (s, req) => registry.track(s, req));
    const ws = await open(`${base}/chat`, { autoPong: false });
    await waitFor(() => registry.activeConnections === 1);
    now += 1999;
    registry.sweep();
    ws.send('still here');
    await new Promise((r) => setTimeout(r, 50));
    now += 1999;
    // A message is a sign of life too.
    registry.sweep();
    expect(ws.readyState).toBe(WebSocket.OPEN);
    now += 2000;
    registry.sweep();
    await waitFor(() => registry.activeConnections === 0);
  });
});

describe('what a connection is, and where from', () => {
  it.each([
    ['/twilio/stream', 'twilio-stream'],
    ['/twilio/stream/CA123', 'twilio-stream'],
    ['/ws/twilio/abc?x=1', 'twilio-stream'],
    ['/assist/stream', 'assist-stream'],
    ['/assist/agent?ticket=t', 'assist-feed'],
    ['/chat', 'chat'],
    ['/room/blue-fox/media', 'room-media'],
    ['/somewhere', 'other'],
  ])('%s is %s', (url, kind) => expect(webSocketKindOf(url)).toBe(kind));

  it.each([
    ['203.0.113.45', '203.0.113.x'],
    ['::ffff:198.51.100.7', '198.51.100.x'],
    ['2001:db8:85a3:1:8a2e:370:7334:1', '2001:db8:85a3:1::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s is shown as %s', (address, shown) => expect(maskAddress(address)).toBe(shown));
});
