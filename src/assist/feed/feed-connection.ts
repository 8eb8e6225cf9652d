import type { Logger } from '../../shared/index.js';
import { systemClock, type Clock } from '../../shared/index.js';
import type { CallSid } from '../../ids.js';
import type { EventBus, Subscription } from '../../store/bus/index.js';
import { assistEventSchema, type AssistEvent } from '../events.js';
import type { FeedScope } from './feed-credentials.js';
import {
  callStartedMessage,
  errorMessage,
  pongMessage,
  readyMessage,
  statusMessage,
  toFeedMessages,
  type FeedMessage,
} from './feed-messages.js';
import {
  DEFAULT_SENDER_LIMITS,
  FeedSender,
  type FeedSenderLimits,
  type FeedSocketOut,
  type SendOutcome,
} from './feed-sender.js';

/** The ws WebSocket as the feed uses it (a structural subset, so tests can hand in a fake). */
export interface FeedSocket extends FeedSocketOut {
  ping(): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'pong' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** A call already being assisted when the agent connects: announced with call-started. */
export interface LiveCall {
  callSid: CallSid;
  source: 'dial' | 'transfer';
  /** When assist started on it (epoch ms). */
  startedAt: number;
}

export interface FeedConnectionOptions extends FeedSenderLimits {
  /** WebSocket ping every this many ms; a peer that has not answered the previous one is dropped. */
  pingIntervalMs: number;
  /** Frames from the agent larger than this close the socket (1009). */
  maxIncomingBytes: number;
  /** Retry a failed bus subscription after this, doubling up to subscribeRetryMaxMs. */
  subscribeRetryMs: number;
  subscribeRetryMaxMs: number;
  /** `ready` waits for the bus subscription at most this long; past it the agent hears assist is unavailable. */
  readyWithinMs: number;
}

export const DEFAULT_FEED_OPTIONS: FeedConnectionOptions = {
  ...DEFAULT_SENDER_LIMITS,
  pingIntervalMs: 25_000,
  maxIncomingBytes: 4 * 1024,
  subscribeRetryMs: 1_000,
  subscribeRetryMaxMs: 30_000,
  readyWithinMs: 3_000,
};

export interface FeedConnectionDeps {
  bus: Pick<EventBus<AssistEvent>, 'subscribe'>;
  liveCalls?(businessId: FeedScope['businessId']): Promise<readonly LiveCall[]>;
  log: Logger;
  onSend?(type: FeedMessage['type'], outcome: SendOutcome): void;
  clock?: Clock;
  options?: Partial<FeedConnectionOptions>;
}

export const BUS_UNAVAILABLE = 'assist bus unavailable';

/**
 * One agent's socket on the feed: `ready` first, then the bus topic's assist events as feed
 * messages, until the socket closes. Assist failing never closes the socket: when the bus
 * refuses the subscription the agent is told assist is unavailable and the subscription is
 * retried, with backoff, until it holds.
 */
export class FeedConnection {
  private readonly opts: FeedConnectionOptions;
  private readonly clock: Clock;
  private readonly sender: FeedSender;
  private subscription: Subscription | undefined;
  private closed = false;
  private busDown = false;
  private retryMs: number;
  private retryTimer: unknown;
  private pingTimer: unknown;
  private alive = true;
  /** What is to be sent once `ready` has gone (undefined from then on). */
  private early: FeedMessage[] | undefined = [];
  /** Calls announced with call-started on this socket (live calls are not announced twice). */
  private readonly announced = new Set<string>();

  constructor(
    private readonly socket: FeedSocket,
    private readonly scope: FeedScope,
    private readonly deps: FeedConnectionDeps,
  ) {
    this.opts = { ...DEFAULT_FEED_OPTIONS, ...deps.options };
    this.clock = deps.clock ?? systemClock;
    this.retryMs = this.opts.subscribeRetryMs;
    this.sender = new FeedSender(socket, this.opts, deps.onSend);
  }

  /**
   * Sends `ready` once the subscription holds (so an agent that waits for it misses nothing the
   * bus delivers after), or once the first attempt failed or took longer than readyWithinMs: then
   * the agent is told assist is unavailable and the subscription is retried. Resolves when the
   * first attempt is over.
   */
  async start(): Promise<void> {
    this.socket.on('message', (data, isBinary) => this.onIncoming(data, isBinary));
    this.socket.on('pong', () => (this.alive = true));
    this.socket.on('error', (err) => this.deps.log.debug({ err: err.message }, 'assist feed socket error'));
    this.socket.on('close', () => void this.stop());
    this.schedulePing();
    const slow = this.clock.setTimeout(() => {
      this.sendReady();
      if (!this.subscription) this.markDown();
    }, this.opts.readyWithinMs);
    const held = await this.attempt();
    this.clock.clearTimeout(slow);
    this.sendReady();
    if (this.closed) return;
    if (held) {
      if (this.busDown) this.markUp();
    } else {
      this.markDown();
      this.scheduleRetry();
    }
    await this.announceLiveCalls();
  }

  /** Stops timers and the subscription; idempotent. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.early = undefined;
    this.clock.clearTimeout(this.retryTimer);
    this.clock.clearTimeout(this.pingTimer);
    const sub = this.subscription;
    this.subscription = undefined;
    try {
      await sub?.unsubscribe();
    } catch (err) {
      this.deps.log.warn({ err: String(err) }, 'assist feed: unsubscribe failed');
    }
  }

  /** Sends now, or after `ready` while it has not been sent. */
  private send(m: FeedMessage): void {
    if (this.closed) return;
    if (this.early) this.early.push(m);
    else this.sender.send(m);
  }

  private sendReady(): void {
    const early = this.early;
    if (!early || this.closed) return;
    this.early = undefined;
    this.sender.send(
      readyMessage({ businessId: this.scope.businessId, callSid: this.scope.callSid, at: this.clock.now() }),
    );
    for (const m of early) this.sender.send(m);
  }

  /** One subscription attempt: true when it holds. */
  private async attempt(): Promise<boolean> {
    if (this.closed) return false;
    const topic = this.scope.callSid
      ? { callSid: this.scope.callSid }
      : { businessId: this.scope.businessId };
    try {
      const sub = await this.deps.bus.subscribe(topic, (e) => this.onEvent(e));
      if (this.closed) {
        await sub.unsubscribe().catch(() => {});
        return false;
      }
      this.subscription = sub;
      this.retryMs = this.opts.subscribeRetryMs;
      return true;
    } catch (err) {
      if (!this.closed)
        this.deps.log.warn(
          { err: String(err), retryMs: this.retryMs },
          'assist feed: bus subscription failed',
        );
      return false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.opts.subscribeRetryMaxMs);
    this.retryTimer = this.clock.setTimeout(() => void this.retry(), wait);
  }

  private async retry(): Promise<void> {
    const held = await this.attempt();
    if (this.closed) return;
    if (held) this.markUp();
    else this.scheduleRetry();
  }

  /** Told once per outage, not on every failed attempt. */
  private markDown(): void {
    if (this.busDown) return;
    this.busDown = true;
    this.send(statusMessage({ state: 'unavailable', reason: BUS_UNAVAILABLE, at: this.clock.now() }));
  }

  private markUp(): void {
    if (!this.busDown) return;
    this.busDown = false;
    this.send(
      statusMessage({ state: 'available', reason: 'assist bus available again', at: this.clock.now() }),
    );
  }

  private async announceLiveCalls(): Promise<void> {
    if (!this.deps.liveCalls || this.closed) return;
    let live: readonly LiveCall[];
    try {
      live = await this.deps.liveCalls(this.scope.businessId);
    } catch (err) {
      this.deps.log.warn({ err: String(err) }, 'assist feed: live calls unknown');
      return;
    }
    for (const c of live) {
      if (this.scope.callSid !== undefined && c.callSid !== this.scope.callSid) continue;
      if (this.announced.has(c.callSid)) continue;
      this.announced.add(c.callSid);
      this.send(callStartedMessage({ callSid: c.callSid, source: c.source, at: c.startedAt }));
    }
  }

  private onEvent(raw: AssistEvent): void {
    if (this.closed) return;
    // Events may come from another process (Redis): checked, never trusted to have our shape.
    const parsed = assistEventSchema.safeParse(raw);
    if (!parsed.success) {
      this.deps.log.warn({ type: (raw as { type?: unknown })?.type }, 'assist feed: malformed event dropped');
      return;
    }
    const e = parsed.data;
    if (e.businessId !== this.scope.businessId) return;
    if (this.scope.callSid !== undefined && e.callSid !== this.scope.callSid) return;
    if (e.type === 'assist-started') {
      if (this.announced.has(e.callSid)) return;
      this.announced.add(e.callSid);
    }
    for (const m of toFeedMessages(e)) this.send(m);
  }

  private onIncoming(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.alive = true;
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (bytes.length > this.opts.maxIncomingBytes) {
      this.socket.close(1009, 'message too big');
      return;
    }
    if (isBinary) {
      this.send(errorMessage('bad_message', 'The feed reads JSON text frames only.', this.clock.now()));
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(bytes.toString('utf8'));
    } catch {
      this.send(errorMessage('bad_json', 'The message is not JSON.', this.clock.now()));
      return;
    }
    // The agent may only ping for now; anything else is ignored (newer clients, older servers).
    if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ping') {
      this.send(pongMessage(this.clock.now()));
    }
  }

  /** A peer that has not answered one ping by the next is gone (half-open TCP): dropped. */
  private schedulePing(): void {
    this.pingTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      if (!this.alive) {
        this.deps.log.info({}, 'assist feed: peer stopped answering pings; dropped');
        this.socket.terminate();
        void this.stop();
        return;
      }
      this.alive = false;
      try {
        this.socket.ping();
      } catch {
        // The socket is closing; its close event stops us.
      }
      this.schedulePing();
    }, this.opts.pingIntervalMs);
  }
}
