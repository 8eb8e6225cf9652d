import { z } from 'zod';
import type { Logger } from '../../shared/index.js';
import type { RedisConnection } from '../redis/index.js';
import {
  topicKey,
  type BusEvent,
  type BusHandler,
  type BusTopic,
  type EventBus,
  type Subscription,
} from './event-bus.js';
import { InProcessBus } from './in-process-bus.js';

export interface RedisBusOptions<E extends BusEvent> {
  /** Publishes on it; the bus opens (and closes) its own subscriber connection beside it. */
  connection: RedisConnection;
  /** This node: its own envelopes coming back from Redis are ignored. */
  nodeId: string;
  /** Prefix of the Redis channels, e.g. `switchboard:bus:call:`; one per kind of event. */
  prefix: string;
  /** What an event from Redis must be: another node's words are checked, never trusted. */
  schema: z.ZodType<E>;
  log: Pick<Logger, 'warn'>;
  /** Per subscriber, as InProcessBus. */
  maxQueued?: number;
  onSubscriberError?(err: unknown, event: BusEvent): void;
  /** Publishes awaiting Redis's reply; past this, events go to this node's subscribers only. */
  maxInFlight?: number;
  /** Names the subscriber connection (logs, CLIENT LIST); default `<connection's name>-sub`. */
  subscriberName?: string;
}

export interface RedisBusStats {
  /** Events published on this node. */
  published: number;
  /** Of those, not sent to other nodes (Redis down, or too many sends waiting). */
  remoteDropped: number;
  /** Events from other nodes handed to this node's subscribers (one per channel). */
  received: number;
  /** Messages on our channels that were not JSON, failed the schema, or sat on another topic's channel. */
  malformed: number;
}

/**
 * The bus across nodes. Subscribers on this node get this node's events through an in-process bus,
 * so a node's own dashboard and assist feed keep working while Redis is away. Each event is also
 * PUBLISHed on its call's and its business's channel (`prefix + topicKey(...)`) in an envelope
 * `{node, event}`; the other nodes hand it to the subscribers of that channel's topic only, and a
 * node skips its own envelopes. Remote delivery is best effort: while Redis is down an event
 * reaches this node only (counted in `stats().remoteDropped`), nothing is queued for later, and
 * publishing never throws into the call. Channels are subscribed again after every reconnect.
 */
export class RedisBus<E extends BusEvent> implements EventBus<E> {
  private readonly local: InProcessBus<E>;
  private readonly sub: RedisConnection;
  private readonly envelope: z.ZodType<{ node: string; event: E }>;
  /** Topic keys with subscribers here, and when their Redis SUBSCRIBE was answered. */
  private readonly wanted = new Map<string, { count: number; ready: Promise<void> }>();
  private readonly counts: RedisBusStats = { published: 0, remoteDropped: 0, received: 0, malformed: 0 };
  private readonly maxInFlight: number;
  private inFlight = 0;
  private closed = false;
  private warnedDrop = false;
  private lastMalformedWarn = 0;
  private readonly offState: Array<() => void> = [];

  constructor(private readonly opts: RedisBusOptions<E>) {
    this.local = new InProcessBus<E>({
      ...(opts.maxQueued !== undefined ? { maxQueued: opts.maxQueued } : {}),
      ...(opts.onSubscriberError ? { onSubscriberError: opts.onSubscriberError } : {}),
    });
    this.maxInFlight = opts.maxInFlight ?? 10_000;
    this.envelope = z.object({ node: z.string().min(1), event: opts.schema }) as z.ZodType<{
      node: string;
      event: E;
    }>;
    this.sub = opts.connection.duplicate(opts.subscriberName ?? `${opts.connection.name}-sub`);
    this.sub.client.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.offState.push(
      this.sub.onStateChange((s) => {
        if (s.connected) void this.resubscribe();
      }),
      opts.connection.onStateChange((s) => {
        if (s.connected) this.warnedDrop = false;
      }),
    );
  }

  async publish(event: E): Promise<void> {
    if (this.closed) return;
    this.counts.published++;
    await this.local.publish(event);
    this.sendRemote(event);
  }

  async subscribe(topic: BusTopic, handler: BusHandler<E>): Promise<Subscription> {
    const key = topicKey(topic);
    const local = await this.local.subscribe(topic, handler);
    if (this.closed) return local;
    let entry = this.wanted.get(key);
    if (entry) entry.count++;
    else this.wanted.set(key, (entry = { count: 1, ready: this.redisSubscribe([key]) }));
    await entry.ready;
    let done = false;
    return {
      unsubscribe: async () => {
        if (done) return;
        done = true;
        await local.unsubscribe();
        const e = this.wanted.get(key);
        if (!e) return;
        if (--e.count > 0) return;
        this.wanted.delete(key);
        if (this.sub.state().connected)
          this.sub.client.unsubscribe(this.opts.prefix + key).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offState) off();
    this.wanted.clear();
    await this.local.close();
    await this.sub.close();
  }

  stats(): RedisBusStats {
    return { ...this.counts };
  }

  /** Both connections are up: events cross between nodes (tests, health). */
  get remoteConnected(): boolean {
    return this.opts.connection.state().connected && this.sub.state().connected;
  }

  /** Subscriptions in place on this node (tests, health). */
  get subscriptions(): number {
    return this.local.subscriptions;
  }

  /** Fire and forget: the call never waits on Redis, and a send that fails is only counted. */
  private sendRemote(event: E): void {
    if (!this.opts.connection.state().connected || this.inFlight >= this.maxInFlight) {
      this.dropped();
      return;
    }
    const wire = JSON.stringify({ node: this.opts.nodeId, event });
    this.inFlight++;
    this.opts.connection.client
      .pipeline()
      .publish(this.opts.prefix + topicKey({ callSid: event.callSid }), wire)
      .publish(this.opts.prefix + topicKey({ businessId: event.businessId }), wire)
      .exec()
      .then(
        (replies) => {
          if (replies?.some(([err]) => err)) this.dropped();
        },
        () => this.dropped(),
      )
      .finally(() => this.inFlight--);
  }

  private dropped(): void {
    this.counts.remoteDropped++;
    if (this.warnedDrop || this.closed) return;
    this.warnedDrop = true;
    this.opts.log.warn(
      { prefix: this.opts.prefix },
      'redis bus: Redis unavailable; events reach this node’s subscribers only until it returns',
    );
  }

  /** Resolves once Redis answered, or at once when it is away (the next reconnect subscribes). */
  private async redisSubscribe(keys: string[]): Promise<void> {
    if (keys.length === 0 || !this.sub.state().connected) return;
    try {
      await this.sub.client.subscribe(...keys.map((k) => this.opts.prefix + k));
    } catch {
      // Lost on the way: the reconnect that follows subscribes everything wanted again.
    }
  }

  private async resubscribe(): Promise<void> {
    if (this.closed) return;
    await this.redisSubscribe([...this.wanted.keys()]);
  }

  private onMessage(channel: string, message: string): void {
    if (this.closed || !channel.startsWith(this.opts.prefix)) return;
    const key = channel.slice(this.opts.prefix.length);
    if (!this.wanted.has(key)) return; // unsubscribed while it was on its way
    let parsed: ReturnType<z.ZodType<{ node: string; event: E }>['safeParse']>;
    try {
      parsed = this.envelope.safeParse(JSON.parse(message));
    } catch {
      return this.malformed();
    }
    if (!parsed.success) return this.malformed();
    const { node, event } = parsed.data;
    if (node === this.opts.nodeId) return;
    // An event on a channel not its own would reach another call's or business's subscribers.
    if (key !== topicKey({ callSid: event.callSid }) && key !== topicKey({ businessId: event.businessId }))
      return this.malformed();
    this.counts.received++;
    this.local.deliver(key, event);
  }

  /** Counted always; logged at most once a minute, without the message (it may hold a caller's words). */
  private malformed(): void {
    this.counts.malformed++;
    const now = Date.now();
    if (now - this.lastMalformedWarn < 60_000) return;
    this.lastMalformedWarn = now;
    this.opts.log.warn(
      { prefix: this.opts.prefix, malformed: this.counts.malformed },
      'redis bus: ignored a message that is not a valid event',
    );
  }
}
