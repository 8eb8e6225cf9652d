export { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.js';
export type { ChannelMap, NotificationChannel, OutboundNotification, SendResult } from './channel.js';
export { silentLogger, systemClock, type NotifyClock, type NotifyLogger } from './clock.js';
export {
  OutboxDispatcher,
  type AttemptFinished,
  type AttemptStarted,
  type DispatcherOptions,
} from './dispatcher.js';
export {
  NotificationError,
  PermanentNotificationError,
  RetryableNotificationError,
} from './errors.js';
export { enqueue, PRIORITY, type DbOrTx, type Enqueued, type NewNotification } from './outbox.js';
