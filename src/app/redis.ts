import type { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../shared/index.js';
import { InProcessBus, RedisBus, type BusEvent, type EventBus } from '../store/bus/index.js';
import { MemoryLiveSessions, RedisLiveSessions, type LiveSessions } from '../store/live-sessions/index.js';
import { MemoryOnceKeys, RedisOnceKeys, type OnceKeys } from '../store/once/index.js';
import { openRedis, type RedisConnection } from '../store/redis/index.js';

export interface CallBusOptions {
  /** Names the kind of event on Redis (`call`, `assist`): each kind has its own channels. */
  name: string;
  onSubscriberError?(err: unknown, event: BusEvent): void;
}

export interface RedisWiring {
  /** Set when REDIS_URL is: the shared connection (rate limits and the like may use its client). */
  readonly connection?: RedisConnection;
  /** A bus of one kind of event: Redis pub/sub across nodes, or in-process on the embedded default. */
  callBus<E extends BusEvent>(schema: z.ZodType<E>, opts: CallBusOptions): EventBus<E>;
  readonly liveSessions: LiveSessions;
  readonly onceKeys: OnceKeys;
  /** /health's `redis`; undefined when Redis is not configured. */
  health(): { connected: boolean; reconnectAttempts: number } | undefined;
  /** Closes the buses made here, then the live sessions (flushing them), then the connection. */
  close(): Promise<void>;
}

/**
 * What the app keeps in Redis when REDIS_URL is set (call events across nodes, the deployment's
 * live sessions, claim-once keys), and the in-process versions behind the same interfaces when it
 * is not. Every key and channel is under `keyPrefix` (default `switchboard:`).
 */
export function wireRedis(opts: {
  config: Pick<Config, 'redisUrl' | 'production'>;
  log: Logger;
  nodeId: string;
  keyPrefix?: string;
}): RedisWiring {
  const { config, log, nodeId } = opts;
  const prefix = opts.keyPrefix ?? 'switchboard:';
  const buses: Array<EventBus<BusEvent>> = [];
  const made = <E extends BusEvent>(bus: EventBus<E>): EventBus<E> => {
    buses.push(bus as unknown as EventBus<BusEvent>);
    return bus;
  };
  const closeBuses = () => Promise.all(buses.splice(0).map((b) => b.close()));

  if (!config.redisUrl) {
    const liveSessions = new MemoryLiveSessions();
    return {
      callBus: <E extends BusEvent>(_schema: z.ZodType<E>, o: CallBusOptions) =>
        made(new InProcessBus<E>(o.onSubscriberError ? { onSubscriberError: o.onSubscriberError } : {})),
      liveSessions,
      onceKeys: new MemoryOnceKeys(),
      health: () => undefined,
      close: async () => {
        await closeBuses();
        await liveSessions.close();
      },
    };
  }

  const connection = openRedis(config.redisUrl, {
    log,
    name: `switchboard-${nodeId}`,
    healthCheckIntervalMs: config.production.redisHealthCheckIntervalMs,
  });
  const liveSessions = new RedisLiveSessions({ connection, nodeId, prefix: `${prefix}live:`, log });
  return {
    connection,
    callBus: <E extends BusEvent>(schema: z.ZodType<E>, o: CallBusOptions) =>
      made(
        new RedisBus<E>({
          connection,
          nodeId,
          prefix: `${prefix}bus:${o.name}:`,
          subscriberName: `${connection.name}-${o.name}-sub`,
          schema,
          log,
          ...(o.onSubscriberError ? { onSubscriberError: o.onSubscriberError } : {}),
        }),
      ),
    liveSessions,
    onceKeys: new RedisOnceKeys({ connection, prefix: `${prefix}once:` }),
    health: () => {
      const s = connection.state();
      return { connected: s.connected, reconnectAttempts: s.reconnectAttempts };
    },
    close: async () => {
      await closeBuses();
      await liveSessions.close();
      await connection.close();
    },
  };
}
