import pg from 'pg';
import type { Logger } from '../shared/index.js';

/**
 * Riding out a PostgreSQL restart: a statement or a connection that failed because the server
 * went away (or was not back yet) is tried again until the server answers, for a bounded time.
 * Nothing else is retried: a constraint error, a syntax error or a timeout of ours fails at once.
 */

/**
 * SQLSTATEs that mean "the connection, not the statement": admin_shutdown (fast restart),
 * crash_shutdown, cannot_connect_now (starting up or shutting down), and class 08.
 */
const CONNECTION_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'ECONNABORTED']);
/** node-postgres says these in words only (no code). */
const CONNECTION_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** True when `err` says the connection to PostgreSQL was lost or refused, not that the SQL failed. */
export function isConnectionLoss(err: unknown): boolean {
  // drizzle wraps the driver's error as its `cause`.
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_SQLSTATES.has(code) || CONNECTION_ERRNOS.has(code)))
      return true;
    if (CONNECTION_MESSAGES.some((m) => e instanceof Error && e.message === m)) return true;
  }
  return false;
}

export interface RetryWindow {
  /** How long after the first connection failure a statement keeps being tried. */
  readonly retryForMs: number;
  /** First pause between tries; doubled up to `maxDelayMs`. */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, fails with something other than a connection loss, the
 * window closes, or `signal` aborts; the last error is thrown then.
 */
export async function retryOnConnectionLoss<T>(
  attempt: () => Promise<T>,
  window: RetryWindow,
  hooks: {
    signal?: AbortSignal;
    onRetry?: (err: Error, tries: number) => void;
    /** Asked after a connection loss: false throws it instead (the attempt went too far to repeat). */
    retryable?: () => boolean;
  } = {},
): Promise<T> {
  const started = performance.now();
  let delay = window.firstDelayMs ?? 50;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const spent = performance.now() - started;
      if (!isConnectionLoss(err) || spent + delay > window.retryForMs || hooks.signal?.aborted) throw err;
      if (hooks.retryable && !hooks.retryable()) throw err;
      hooks.onRetry?.(err as Error, tries);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, window.maxDelayMs ?? 1000);
    }
  }
}

/** The shape of drizzle's `db.transaction`, on either driver. */
interface Transactional<Tx> {
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * A whole transaction, started again if the connection is lost under it (a PostgreSQL restart or
 * failover): the server rolled the cut one back, so nothing is applied twice. Only for callbacks
 * that do nothing but write through `tx` (and compute): each try runs the callback afresh.
 * Anything accepted then survives a restart instead of failing back to its sender.
 */
export function retriedTransaction<Tx, T>(
  db: Transactional<Tx>,
  fn: (tx: Tx) => Promise<T>,
  retryForMs = 15_000,
): Promise<T> {
  return retryOnConnectionLoss(() => db.transaction(fn), { retryForMs });
}

/**
 * A pg.Pool whose single statements (`pool.query`, what drizzle runs outside a transaction) and
 * connections (`pool.connect`, where a transaction starts) are retried across a server restart.
 *
 * A statement cut by the restart ran in its own implicit transaction, which the server rolled
 * back: trying it again cannot apply it twice. The one exception is a reply lost after the
 * server committed, which a fast shutdown does not do (it ends a backend between statements).
 * Statements inside a transaction are not retried here: only the whole transaction can be, and
 * only its caller knows whether its callback does anything besides writing through `tx`.
 */
export class RetryingPool extends pg.Pool {
  readonly #window: RetryWindow;
  readonly #closing = new AbortController();
  readonly #log: Pick<Logger, 'warn'>;

  constructor(config: pg.PoolConfig, window: RetryWindow, log: Pick<Logger, 'warn'>) {
    super(config);
    this.#window = window;
    this.#log = log;
    // A client checked out (in a transaction) has no error listener of the pool's: without this,
    // a server restart between two of its statements would be an unhandled 'error' event.
    this.on('connect', (client) => {
      client.on('error', (err) => log.warn({ err: err.message }, 'postgres connection lost'));
    });
    // Replaced on the instance, so pg's overloaded types stay as they are. The callback and
    // submittable forms pass straight through; drizzle uses the promise forms.
    const self = this as unknown as Record<'query' | 'connect' | 'end', (...a: unknown[]) => unknown>;
    const base = {
      query: pg.Pool.prototype.query as (...a: unknown[]) => unknown,
      connect: pg.Pool.prototype.connect as (...a: unknown[]) => unknown,
      end: pg.Pool.prototype.end as (...a: unknown[]) => unknown,
    };
    self.query = (...args) => {
      const callback = typeof args.at(-1) === 'function';
      const submittable = typeof (args[0] as { submit?: unknown } | null)?.submit === 'function';
      if (callback || submittable) return base.query.apply(this, args);
      return this.#retry(() => base.query.apply(this, args) as Promise<unknown>);
    };
    self.connect = (...args) => {
      if (typeof args[0] === 'function') return base.connect.apply(this, args);
      return this.#retry(async () =>
        releasedIfFirstStatementLost((await base.connect.apply(this, [])) as pg.PoolClient),
      );
    };
    self.end = (...args) => {
      this.#closing.abort();
      return base.end.apply(this, args);
    };
  }

  /**
   * Runs `transaction` (drizzle's `db.transaction`) again when the connection was lost before its
   * callback began (at `begin`, on a connection the restart had already cut): nothing of the
   * caller's ran, so this is safe for any transaction. Once the callback has begun, a loss is
   * thrown to the caller.
   */
  retryUntilBegun<T>(transaction: (began: () => void) => Promise<T>): Promise<T> {
    let began = false;
    return retryOnConnectionLoss(
      () => {
        began = false;
        return transaction(() => (began = true));
      },
      this.#window,
      { signal: this.#closing.signal, retryable: () => !began },
    );
  }

  /** One statement, tried once: for a health check that must say "down" at once. */
  async queryOnce(text: string): Promise<void> {
    const base = pg.Pool.prototype.query as (t: string) => Promise<unknown>;
    await base.call(this, text);
  }

  #retry<T>(attempt: () => Promise<T>): Promise<T> {
    return retryOnConnectionLoss(attempt, this.#window, {
      signal: this.#closing.signal,
      onRetry: (err, tries) =>
        // The first loss is worth a line; every later try would only repeat it.
        tries === 1 && this.#log.warn({ err: err.message }, 'postgres unreachable: retrying the statement'),
    });
  }
}

/**
 * drizzle (0.45) runs `begin` before the try whose `finally` releases the client: a `begin` that
 * fails on a lost connection would keep the client out of the pool for good. So a checkout whose
 * first statement fails on a lost connection is released (and dropped) here, and the release the
 * caller may still make is ignored.
 */
function releasedIfFirstStatementLost(client: pg.PoolClient): pg.PoolClient {
  const release = client.release.bind(client);
  let released = false;
  client.release = (err?: Error | boolean) => {
    if (released) return;
    released = true;
    release(err);
  };
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  let first = true;
  (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (!first || !(result instanceof Promise)) return result;
    first = false;
    return result.catch((err: unknown) => {
      if (isConnectionLoss(err)) client.release(err as Error);
      throw err;
    });
  };
  return client;
}
