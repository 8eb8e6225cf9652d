import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../shared/index.js';

/**
 * One Redis connection that fails fast. While Redis is away a command rejects at once (no offline
 * queue, one retry at most, a command timeout), so a caller falls back to memory instead of waiting
 * or piling commands up; the client reconnects on its own with a capped backoff and never gives up.
 * `state()` is what /health reports, and a PING every health-check interval notices a Redis that
 * stopped answering while its socket stayed open.
 */

export interface RedisState {
  readonly connected: boolean;
  /** Reconnection attempts since the connection was last lost; 0 while connected. */
  readonly reconnectAttempts: number;
  /** The last failure's message (never the URL or its password). */
  readonly lastError?: string;
}

export interface RedisConnection {
  /** The ioredis client: commands reject at once while disconnected. */
  readonly client: Redis;
  /** Names the connection in logs and in Redis's CLIENT LIST. */
  readonly name: string;
  state(): RedisState;
  /** Called on each change of `connected` and on each attempt; returns the unsubscribe. */
  onStateChange(fn: (state: RedisState) => void): () => void;
  /** A second connection to the same server with the same options (pub/sub needs its own). */
  duplicate(name: string): RedisConnection;
  /** Stops the health check and closes the connection. */
  close(): Promise<void>;
}

export interface OpenRedisOptions {
  log: Pick<Logger, 'info' | 'warn'>;
  name: string;
  /** PING interval (REDIS_HEALTH_CHECK_INTERVAL); 0 turns the check off. */
  healthCheckIntervalMs: number;
  /** Connect and command timeout; default 2000 ms. */
  timeoutMs?: number;
  /** The longest pause between reconnection attempts; default 2000 ms. */
  maxReconnectDelayMs?: number;
}

/** The URL as it may be logged: the password replaced. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

export function openRedis(url: string, opts: OpenRedisOptions): RedisConnection {
  return new FailFastRedis(url, opts);
}

/** 50 ms, 100 ms, 200 ms, ... up to the cap; forever. */
export function reconnectDelay(attempt: number, capMs: number): number {
  return Math.min(capMs, 50 * 2 ** Math.min(attempt - 1, 16));
}

class FailFastRedis implements RedisConnection {
  readonly client: Redis;
  readonly name: string;
  private connected = false;
  private reconnectAttempts = 0;
  private lastError: string | undefined;
  private readonly listeners = new Set<(s: RedisState) => void>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly secret: string;
  private closed = false;
  private pinging = false;
  /** One warning per outage (or per failed start), not one per attempt. */
  private warned = false;

  constructor(
    private readonly url: string,
    private readonly opts: OpenRedisOptions,
  ) {
    this.name = opts.name;
    this.secret = passwordOf(url);
    const timeoutMs = opts.timeoutMs ?? 2000;
    const cap = opts.maxReconnectDelayMs ?? 2000;
    const options: RedisOptions = {
      connectionName: opts.name,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      retryStrategy: (attempt) => reconnectDelay(attempt, cap),
      // Subscribers re-subscribe themselves after a reconnect (they know what they want).
      autoResubscribe: false,
      enableReadyCheck: true,
    };
    this.client = new Redis(url, options);
    this.client.on('ready', () => this.up());
    this.client.on('close', () => this.down());
    this.client.on('end', () => this.down());
    this.client.on('reconnecting', () => {
      this.reconnectAttempts++;
      this.emit();
    });
    this.client.on('error', (err: Error) => {
      this.lastError = this.clean(err.message);
      if (!this.connected && !this.warned && !this.closed) {
        this.warned = true;
        this.opts.log.warn(
          { redis: this.name, url: redactRedisUrl(this.url), reason: this.lastError },
          'redis: cannot connect; running from memory until it answers',
        );
      }
    });
    if (opts.healthCheckIntervalMs > 0) {
      this.timer = setInterval(() => void this.check(), opts.healthCheckIntervalMs);
      this.timer.unref();
    }
  }

  state(): RedisState {
    return {
      connected: this.connected,
      reconnectAttempts: this.reconnectAttempts,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  onStateChange(fn: (state: RedisState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  duplicate(name: string): RedisConnection {
    return new FailFastRedis(this.url, { ...this.opts, name });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.client.status === 'ready') {
      // QUIT lets replies in flight arrive; a Redis that does not answer is cut after a second.
      await Promise.race([this.client.quit().catch(() => undefined), sleep(1000)]);
    }
    this.client.disconnect();
    this.connected = false;
    this.listeners.clear();
  }

  private up(): void {
    if (this.connected) return;
    const attempts = this.reconnectAttempts;
    this.connected = true;
    this.warned = false;
    this.reconnectAttempts = 0;
    this.opts.log.info({ redis: this.name, attempts }, 'redis: connected');
    this.emit();
  }

  private down(): void {
    if (!this.connected || this.closed) {
      this.connected = false;
      return;
    }
    this.connected = false;
    this.warned = true;
    this.opts.log.warn(
      { redis: this.name, url: redactRedisUrl(this.url), reason: this.lastError },
      'redis: connection lost; running from memory until it returns',
    );
    this.emit();
  }

  /** A failed PING marks the connection down until the next one (or a reconnect) succeeds. */
  private async check(): Promise<void> {
    if (this.closed || this.pinging || this.client.status !== 'ready') return;
    this.pinging = true;
    try {
      await this.client.ping();
      this.up();
    } catch (err) {
      this.lastError = this.clean(err instanceof Error ? err.message : String(err));
      this.down();
    } finally {
      this.pinging = false;
    }
  }

  private emit(): void {
    const s = this.state();
    for (const fn of this.listeners) {
      try {
        fn(s);
      } catch (err) {
        this.opts.log.warn({ err, redis: this.name }, 'redis: a state listener failed');
      }
    }
  }

  /** Error messages can quote what was sent (AUTH); the password never leaves. */
  private clean(message: string): string {
    return this.secret ? message.split(this.secret).join('***') : message;
  }
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
