import { PermanentNotificationError, RetryableNotificationError } from '../../notify/index.js';
import { TwilioError } from './rest.js';

/** Twilio's failure as the outbox's: same retryability, Twilio's code (or the HTTP status) kept. */
export function fromTwilioError(err: unknown): unknown {
  if (!(err instanceof TwilioError)) return err;
  const opts = {
    code:
      err.code !== undefined ? String(err.code) : err.status !== undefined ? `http-${err.status}` : undefined,
    retryAfterMs: err.retryAfterMs,
    cause: err,
    // No answer at all (timeout, reset): Twilio may have acted on it.
    maybeDelivered: err.status === undefined && err.retryable,
  };
  return err.retryable
    ? new RetryableNotificationError(err.message, opts)
    : new PermanentNotificationError(err.message, opts);
}
