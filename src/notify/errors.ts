/**
 * What a channel throws when a send fails. `retryable`: the same notification may go through later
 * (rate limit, provider outage, network); permanent: it never will (bad number, refused address),
 * so the outbox gives up on it at once. Anything else a channel throws counts as retryable.
 * `maybeDelivered`: the request may have reached the provider and been acted on (no answer came:
 * timeout, reset); the next attempt then asks the provider first. Anything else a channel throws,
 * an abort included, counts as maybe delivered.
 */
export class NotificationError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly opts: {
      code?: string | undefined;
      retryAfterMs?: number | undefined;
      cause?: unknown;
      maybeDelivered?: boolean | undefined;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NotificationError';
  }
  get code(): string | undefined {
    return this.opts.code;
  }
  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs;
  }
  get maybeDelivered(): boolean {
    return this.opts.maybeDelivered ?? false;
  }
}

export class RetryableNotificationError extends NotificationError {
  constructor(message: string, opts: NotificationError['opts'] = {}) {
    super(message, true, opts);
    this.name = 'RetryableNotificationError';
  }
}

export class PermanentNotificationError extends NotificationError {
  constructor(message: string, opts: NotificationError['opts'] = {}) {
    super(message, false, opts);
    this.name = 'PermanentNotificationError';
  }
}

export interface FailureInfo {
  retryable: boolean;
  message: string;
  code: string | undefined;
  retryAfterMs: number | undefined;
  maybeDelivered: boolean;
}

const MAX_ERROR_CHARS = 1000;

export function describeFailure(err: unknown): FailureInfo {
  if (err instanceof NotificationError) {
    return {
      retryable: err.retryable,
      message: err.message.slice(0, MAX_ERROR_CHARS),
      code: err.code,
      retryAfterMs: err.retryAfterMs,
      maybeDelivered: err.maybeDelivered,
    };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return {
    retryable: true,
    message: message.slice(0, MAX_ERROR_CHARS),
    code: undefined,
    retryAfterMs: undefined,
    maybeDelivered: true,
  };
}
