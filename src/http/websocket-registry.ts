import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Logger } from '../shared/index.js';
import type { Metrics } from './metrics.js';

/**
 * Every WebSocket this server accepts, whatever route took it: what kind it is (by path), how
 * many are open, how many messages came in since start, and the keepalive. Every
 * WEBSOCKET_PING_INTERVAL each socket is pinged; a socket with no sign of life (a pong or any
 * message: a media stream sends 50 a second) through two intervals is terminated, so a peer that
 * vanished without a close (a dropped NAT, a dead laptop) does not hold a call or a feed open.
 * Twilio and browsers answer pings on their own.
 */

/** What an open socket is, told by the path it was opened on. */
export type WebSocketKind =
  'twilio-stream' | 'assist-stream' | 'assist-feed' | 'chat' | 'room-media' | 'live-dashboard' | 'other';

/**
 * Our WebSocket paths (the edges declare them; this layer sits below them and only reads URLs).
 * The dashboard's live view is server-sent events today: its kind is kept for a socket version.
 */
const KINDS: Array<[RegExp, WebSocketKind]> = [
  [/^\/(twilio\/stream|ws\/twilio)(\/|$)/, 'twilio-stream'],
  [/^\/assist\/stream(\/|$)/, 'assist-stream'],
  [/^\/assist\/agent(\/|$)/, 'assist-feed'],
  [/^\/chat(\/|$)/, 'chat'],
  [/^\/room\/[^/]+\/media$/, 'room-media'],
  [/^\/api\/live(\/|$)/, 'live-dashboard'],
];

export function webSocketKindOf(url: string | undefined): WebSocketKind {
  const path = (url ?? '').split('?')[0] ?? '';
  return KINDS.find(([re]) => re.test(path))?.[1] ?? 'other';
}

/**
 * A client address without what singles out one household: the last IPv4 octet, or all but the
 * first four groups (/64) of an IPv6 address. Enough to see that many sockets come from one
 * network, not who the caller is.
 */
export function maskAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const v4 = address.replace(/^::ffff:/, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return v4.replace(/\.\d+$/, '.x');
  if (address.includes(':')) {
    const groups = expandIpv6(address);
    return groups ? `${groups.slice(0, 4).join(':')}::/64` : 'ipv6';
  }
  return 'unknown';
}

function expandIpv6(address: string): string[] | undefined {
  const [head = '', tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const all = [...h, ...fill, ...t];
  return all.length === 8 ? all : undefined;
}

/** One open socket, as /health?connections=true lists it: nothing the caller said or is. */
export interface WebSocketConnectionInfo {
  kind: WebSocketKind;
  /** Masked (maskAddress). */
  remoteAddress: string;
  openedAt: string;
  messagesIn: number;
  messagesOut: number;
}

interface Tracked {
  kind: WebSocketKind;
  remoteAddress: string;
  openedAt: number;
  messagesIn: number;
  messagesOut: number;
  /** When it last showed it is there (open, a pong or a message). */
  lastSeen: number;
}

export interface WebSocketRegistryOptions {
  /** WEBSOCKET_PING_INTERVAL; 0 turns the keepalive off. */
  pingIntervalMs: number;
  log: Pick<Logger, 'info' | 'warn'>;
  metrics?: Pick<Metrics, 'wsOpen' | 'webSocketMessagesIn' | 'wsTerminated'>;
  now?: () => number;
}

export class WebSocketRegistry {
  private readonly sockets = new Map<WebSocket, Tracked>();
  /** Messages in by kind since start: plain sums on the per-frame path, read by /metrics. */
  private readonly inByKind = new Map<WebSocketKind, number>();
  private messagesIn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: WebSocketRegistryOptions) {
    this.now = opts.now ?? Date.now;
    if (opts.metrics) opts.metrics.webSocketMessagesIn = () => this.inByKind.entries();
  }

  /**
   * Watches the server's accepted sockets and starts the keepalive; stops it when the server
   * closes. Call once, after @fastify/websocket is registered.
   */
  attach(app: FastifyInstance): void {
    const wss = app.websocketServer;
    if (!wss) throw new Error('register @fastify/websocket before the WebSocket registry');
    wss.on('connection', (socket: WebSocket, req: IncomingMessage) => this.track(socket, req));
    this.start();
    app.addHook('onClose', async () => this.stop());
  }

  /** Counts one accepted socket until it closes (attach does this for every socket). */
  track(
    socket: WebSocket,
    req: Pick<IncomingMessage, 'url'> & { socket?: { remoteAddress?: string } },
  ): void {
    const now = this.now();
    const t: Tracked = {
      kind: webSocketKindOf(req.url),
      remoteAddress: maskAddress(req.socket?.remoteAddress),
      openedAt: now,
      messagesIn: 0,
      messagesOut: 0,
      lastSeen: now,
    };
    this.sockets.set(socket, t);
    this.opts.metrics?.wsOpen.inc({ kind: t.kind });
    socket.on('message', () => {
      t.messagesIn++;
      this.messagesIn++;
      this.inByKind.set(t.kind, (this.inByKind.get(t.kind) ?? 0) + 1);
      t.lastSeen = this.now();
    });
    socket.on('pong', () => (t.lastSeen = this.now()));
    // Counted where every route's handler sends: the socket's own send.
    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    socket.send = ((...args: unknown[]) => {
      t.messagesOut++;
      send(...args);
    }) as WebSocket['send'];
    socket.once('close', () => {
      if (this.sockets.delete(socket)) this.opts.metrics?.wsOpen.dec({ kind: t.kind });
    });
  }

  get activeConnections(): number {
    return this.sockets.size;
  }

  /** Messages received on every socket since the server started. */
  get totalMessages(): number {
    return this.messagesIn;
  }

  /** Open sockets by kind (kinds with none are left out). */
  byKind(): Partial<Record<WebSocketKind, number>> {
    const out: Partial<Record<WebSocketKind, number>> = {};
    for (const t of this.sockets.values()) out[t.kind] = (out[t.kind] ?? 0) + 1;
    return out;
  }

  list(): WebSocketConnectionInfo[] {
    return [...this.sockets.values()].map((t) => ({
      kind: t.kind,
      remoteAddress: t.remoteAddress,
      openedAt: new Date(t.openedAt).toISOString(),
      messagesIn: t.messagesIn,
      messagesOut: t.messagesOut,
    }));
  }

  /** One keepalive round: terminate the silent, ping the rest. Runs on its own every interval. */
  sweep(): void {
    const interval = this.opts.pingIntervalMs;
    const now = this.now();
    let terminated = 0;
    for (const [socket, t] of this.sockets) {
      if (socket.readyState !== socket.OPEN) continue;
      if (now - t.lastSeen >= 2 * interval) {
        terminated++;
        this.opts.metrics?.wsTerminated.inc({ kind: t.kind });
        socket.terminate();
        continue;
      }
      try {
        socket.ping();
      } catch {
        // Closing under us: its close event removes it.
      }
    }
    if (terminated > 0)
      this.opts.log.warn(
        { terminated, pingIntervalMs: interval },
        'WebSockets without a pong through two ping intervals terminated',
      );
  }

  private start(): void {
    if (this.timer || this.opts.pingIntervalMs <= 0) return;
    this.timer = setInterval(() => this.sweep(), this.opts.pingIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
