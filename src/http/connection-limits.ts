import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from './logger.js';

/**
 * Connections per client address, counted at the socket before any byte is parsed, and the
 * shutdown of plain HTTP connections that would otherwise hold SIGTERM open.
 *
 * What counts: every connection until it is a media stream that passed its signature check
 * (Twilio opens many streams from a few addresses; an authenticated stream is bounded by call
 * capacity, not by this limit). Slow or idle clients cannot get past the signature check, so
 * they stay counted and are cut by the header and request deadlines.
 */

export interface ConnectionGuardOptions {
  /** Most open connections from one address; 0 turns the limit off (e.g. behind a proxy). */
  maxPerIp: number;
  log: Logger;
  /** Called for each connection refused over the limit (a metric). */
  onRefused?: () => void;
}

interface Tracked {
  ip: string;
  /** Counted against its address (false once it is an authenticated media stream). */
  counted: boolean;
  /** A request on it is being handled (its body is in; the handler runs). */
  busy: number;
  /** Upgraded to a WebSocket: the call drain decides its end, not this guard. */
  upgraded: boolean;
}

/** "::ffff:10.0.0.1" and "10.0.0.1" are the same client. */
const normalize = (ip: string | undefined) => (ip ?? 'unknown').replace(/^::ffff:/, '');

const WARN_EVERY_MS = 60_000;

export class ConnectionGuard {
  private readonly sockets = new Map<Socket, Tracked>();
  private readonly perIp = new Map<string, number>();
  private readonly lastWarned = new Map<string, number>();
  private closing = false;

  constructor(private readonly opts: ConnectionGuardOptions) {}

  /** Open connections from an address that count against the limit. */
  countFor(ip: string): number {
    return this.perIp.get(normalize(ip)) ?? 0;
  }

  /** Set once the shutdown has begun closing connections. */
  get isClosing(): boolean {
    return this.closing;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Watches the server's sockets; call once, before it listens. */
  attach(server: Server): void {
    // Prepended: runs before Node's HTTP parser is set up on the socket.
    server.prependListener('connection', (socket: Socket) => this.onConnection(socket));
  }

  /** Fastify hooks that tell a handled request and an upgraded stream from a slow client. */
  hooks(app: FastifyInstance): void {
    app.addHook('preHandler', async (req) => {
      const t = this.sockets.get(req.raw.socket);
      if (!t) return;
      if (req.ws) {
        // Reached only after the route's own checks (the stream signature) passed.
        t.upgraded = true;
        this.uncount(t);
      } else {
        t.busy++;
      }
    });
    const done = (socket: Socket) => {
      const t = this.sockets.get(socket);
      if (!t || t.upgraded) return;
      t.busy = Math.max(0, t.busy - 1);
      // While shutting down a keep-alive socket is not kept for a next request.
      if (this.closing && t.busy === 0) socket.destroySoon();
    };
    app.addHook('onResponse', async (req) => done(req.raw.socket));
    app.addHook('onRequestAbort', async (req) => done(req.raw.socket));
  }

  /**
   * For shutdown: refuses new connections and closes every plain HTTP connection that is not
   * in a handler (idle keep-alive, half-sent headers or body). WebSockets are left to the call
   * drain; connections in a handler close when their response is sent. Returns how many closed.
   */
  closeIdleAndSlow(): number {
    this.closing = true;
    let closed = 0;
    for (const [socket, t] of this.sockets) {
      if (t.upgraded || t.busy > 0) continue;
      socket.destroy();
      closed++;
    }
    return closed;
  }

  /** Every connection that is not a WebSocket, busy or not (the last step of a shutdown). */
  closeAllHttp(): number {
    this.closing = true;
    let closed = 0;
    for (const [socket, t] of this.sockets) {
      if (t.upgraded) continue;
      socket.destroy();
      closed++;
    }
    return closed;
  }

  private onConnection(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const ip = normalize(socket.remoteAddress);
    const n = this.perIp.get(ip) ?? 0;
    if (this.opts.maxPerIp > 0 && n >= this.opts.maxPerIp) {
      this.opts.onRefused?.();
      this.warnOnce(ip);
      socket.destroy();
      return;
    }
    this.perIp.set(ip, n + 1);
    const t: Tracked = { ip, counted: true, busy: 0, upgraded: false };
    this.sockets.set(socket, t);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.uncount(t);
    });
  }

  private uncount(t: Tracked): void {
    if (!t.counted) return;
    t.counted = false;
    const left = (this.perIp.get(t.ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(t.ip);
    else this.perIp.set(t.ip, left);
  }

  private warnOnce(ip: string): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(ip) ?? 0) < WARN_EVERY_MS) return;
    this.lastWarned.set(ip, now);
    if (this.lastWarned.size > 10_000) this.lastWarned.clear();
    this.opts.log.warn(
      { remoteAddress: ip, maxPerIp: this.opts.maxPerIp },
      'connection refused: too many open connections from one address (MAX_CONNECTIONS_PER_IP)',
    );
  }
}
