import {
  topicKey,
  type BusEvent,
  type BusHandler,
  type BusTopic,
  type EventBus,
  type Subscription,
} from './event-bus.js';

export interface InProcessBusOptions {
  /** Events a subscriber may have waiting; past this it loses the newest (a gap in seq). */
  maxQueued?: number;
  /** A subscriber threw, or fell behind and lost an event. */
  onSubscriberError?(err: unknown, event: BusEvent): void;
}

/**
 * The bus within one process. Each subscriber has its own queue and gets its events one at a
 * time, awaiting an async handler before the next, so a slow subscriber neither blocks the
 * publisher (the call) nor reorders its own events. Events are copied through JSON, as they
 * would be across processes.
 */
export class InProcessBus<E extends BusEvent> implements EventBus<E> {
  private readonly byKey = new Map<string, Set<Subscriber<E>>>();
  private readonly maxQueued: number;
  private closed = false;

  constructor(private readonly opts: InProcessBusOptions = {}) {
    this.maxQueued = opts.maxQueued ?? 10_000;
  }

  async publish(event: E): Promise<void> {
    if (this.closed) return;
    const targets = new Set<Subscriber<E>>();
    for (const key of [topicKey({ callSid: event.callSid }), topicKey({ businessId: event.businessId })])
      for (const s of this.byKey.get(key) ?? []) targets.add(s);
    this.offer(targets, event);
  }

  /**
   * Delivers to the subscribers of exactly one topic key (`topicKey(...)`), not to those of the
   * event's other topic: the Redis bus receives an event once per channel and hands each copy to
   * that channel's subscribers only, so nobody gets it twice.
   */
  deliver(key: string, event: E): void {
    if (this.closed) return;
    this.offer(new Set(this.byKey.get(key) ?? []), event);
  }

  private offer(targets: Set<Subscriber<E>>, event: E): void {
    if (targets.size === 0) return;
    const wire = JSON.stringify(event);
    for (const s of targets) s.offer(JSON.parse(wire) as E);
  }

  async subscribe(topic: BusTopic, handler: BusHandler<E>): Promise<Subscription> {
    const key = topicKey(topic);
    const sub = new Subscriber(handler, this.maxQueued, (err, e) => this.opts.onSubscriberError?.(err, e));
    if (!this.closed) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      set.add(sub);
    }
    return {
      unsubscribe: async () => {
        sub.stop();
        const set = this.byKey.get(key);
        set?.delete(sub);
        if (set?.size === 0) this.byKey.delete(key);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.byKey.values()) for (const s of set) s.stop();
    this.byKey.clear();
  }

  /** Subscriptions in place (tests, health). */
  get subscriptions(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }
}

class Subscriber<E extends BusEvent> {
  private readonly queue: E[] = [];
  private running = false;
  private stopped = false;

  constructor(
    private readonly handler: BusHandler<E>,
    private readonly maxQueued: number,
    private readonly onError: (err: unknown, event: E) => void,
  ) {}

  offer(event: E): void {
    if (this.stopped) return;
    if (this.queue.length >= this.maxQueued) {
      this.onError(new Error('bus subscriber fell behind: event dropped'), event);
      return;
    }
    this.queue.push(event);
    if (!this.running) void this.drain();
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  /** Delivered on a later tick than publish: a handler never runs inside the publisher's call. */
  private async drain(): Promise<void> {
    this.running = true;
    await Promise.resolve();
    while (this.queue.length > 0 && !this.stopped) {
      const event = this.queue.shift()!;
      try {
        await this.handler(event);
      } catch (err) {
        this.onError(err, event);
      }
    }
    this.running = false;
  }
}
