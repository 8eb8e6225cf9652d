import { connect, type Socket } from 'node:net';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConnectionGuard } from '../../src/http/connection-limits.js';
import { registerHttpEdge } from '../../src/http/edge.js';
import { createLogger } from '../../src/http/logger.js';
import { DEFAULT_HTTP_LIMITS, httpServerOptions } from '../../src/http/server-options.js';

/** The connection guard on a bare server built the way app.ts builds it. */

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(maxPerIp: number, limits = DEFAULT_HTTP_LIMITS) {
  const guard = new ConnectionGuard({ maxPerIp, log: createLogger({ level: 'silent' }) });
  app = Fastify(httpServerOptions(limits));
  guard.attach(app.server);
  registerHttpEdge(app, guard);
  await app.register(websocket);
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 300));
    return { done: true };
  });
  app.get('/stream', { websocket: true }, (socket) => {
    socket.on('message', (m) => socket.send(m));
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { guard, address, port: Number(new URL(address).port) };
}

function raw(port: number): { socket: Socket; data: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  return { socket, data: () => received, closed: new Promise((r) => socket.once('close', () => r())) };
}

const opened = (s: Socket) => new Promise<void>((r) => s.once('connect', () => r()));

describe('shutdown with slow clients attached', () => {
  it('close() returns promptly although a client is half way through its headers', async () => {
    const { guard, port } = await serve(64);
    const slow = raw(port);
    await opened(slow.socket);
    slow.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nX-Partial: ab');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const closing = app!.close();
    guard.closeIdleAndSlow();
    await closing;
    app = undefined;
    // Without closeIdleAndSlow close() waits for the 10 s header deadline.
    expect(Date.now() - started).toBeLessThan(1000);
    await slow.closed;
  });

  it('lets a request already in its handler finish, then closes its connection', async () => {
    const { guard, port } = await serve(64);
    const busy = raw(port);
    await opened(busy.socket);
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const closing = app!.close();
    expect(guard.closeIdleAndSlow()).toBe(0);
    await busy.closed;
    await closing;
    app = undefined;
    expect(busy.data()).toMatch(/^HTTP\/1.1 200/);
    expect(busy.data()).toContain('{"done":true}');
  });

  it('refuses new connections once shutdown has begun', async () => {
    const { guard, port } = await serve(64);
    guard.closeIdleAndSlow();
    const late = raw(port);
    late.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await late.closed;
    expect(late.data()).toBe('');
  });
});

describe('per-address limit', () => {
  it('does not count media streams that passed their route checks', async () => {
    const { guard, address, port } = await serve(3);
    const url = address.replace('http', 'ws') + '/stream';
    const streams = await Promise.all(
      Array.from({ length: 5 }, async () => {
        // Opened one after another would also work; at once shows the count never blocks them.
        const ws = new WebSocket(url);
        await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
        return ws;
      }),
    ).catch((err: unknown) => err as Error);
    // 5 streams against a limit of 3: the upgrade requests count only until the handler runs.
    expect(streams).not.toBeInstanceOf(Error);
    expect(guard.countFor('127.0.0.1')).toBe(0);
    const plain = raw(port);
    plain.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await plain.closed;
    expect(plain.data()).toMatch(/^HTTP\/1.1 200/);
    for (const ws of streams as WebSocket[]) ws.close();
  });

  it('counts a connection again only after it closes', async () => {
    const { guard, port } = await serve(2);
    const a = raw(port);
    const b = raw(port);
    await Promise.all([opened(a.socket), opened(b.socket)]);
    await new Promise((r) => setTimeout(r, 30));
    expect(guard.countFor('127.0.0.1')).toBe(2);
    const c = raw(port);
    await c.closed;
    a.socket.destroy();
    await a.closed;
    await new Promise((r) => setTimeout(r, 30));
    expect(guard.countFor('127.0.0.1')).toBe(1);
    const d = raw(port);
    d.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await d.closed;
    expect(d.data()).toMatch(/^HTTP\/1.1 200/);
    b.socket.destroy();
  });
});

describe('deadlines', () => {
  const short = { ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: 1000, requestTimeoutMs: 1500 };

  it('never cut a media stream that lives past them', async () => {
    const { address } = await serve(64, short);
    const ws = new WebSocket(address.replace('http', 'ws') + '/stream');
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    let closed = false;
    ws.once('close', () => (closed = true));
    let echoes = 0;
    ws.on('message', () => echoes++);
    // Quiet for longer than both deadlines, then still answering.
    await new Promise((r) => setTimeout(r, 3500));
    ws.send('still here');
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    expect(echoes).toBe(1);
    ws.close();
  });

  it('answer a malformed request head in the one error shape', async () => {
    const { port } = await serve(64);
    const c = raw(port);
    c.socket.write('NOT HTTP AT ALL\r\n\r\n');
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(c.data()).toContain('{"error":"bad_request","message":"The request is not valid."}');
  });
});
