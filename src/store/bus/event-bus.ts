/**
 * Publish/subscribe for live news of calls, by call and by business. The in-process bus serves
 * one node; a Redis one (pub/sub) will serve several with the same interface, so everything here
 * is async and events are plain JSON: what a subscriber gets is a copy, never the publisher's
 * object. Delivery is at most once and in publish order per subscriber; a subscriber that falls
 * too far behind loses events and can tell from a gap in `seq`.
 */

/** What the bus needs of an event to route it. */
export interface BusEvent {
  readonly type: string;
  readonly callSid: string;
  readonly businessId: string;
  /** Per call, 1, 2, 3, ...: order and gaps are visible to subscribers. */
  readonly seq: number;
}

/** One call's events, or every call of one business (a dashboard, an agent's screen). */
export type BusTopic = { readonly callSid: string } | { readonly businessId: string };

export type BusHandler<E> = (event: E) => void | Promise<void>;

export interface Subscription {
  /** No event is delivered after this resolves. */
  unsubscribe(): Promise<void>;
}

export interface EventBus<E extends BusEvent> {
  /** Resolves once the event is handed to the bus (not once subscribers have handled it). */
  publish(event: E): Promise<void>;
  /** Resolves once the subscription is in place: events published after that are delivered. */
  subscribe(topic: BusTopic, handler: BusHandler<E>): Promise<Subscription>;
  /** Stops delivery to every subscriber. */
  close(): Promise<void>;
}

/** The channel name a topic maps to (also the Redis channel name). */
export function topicKey(topic: BusTopic): string {
  return 'callSid' in topic ? `call:${topic.callSid}` : `business:${topic.businessId}`;
}
