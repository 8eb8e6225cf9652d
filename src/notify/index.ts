export { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.js';
export type { ChannelMap, NotificationChannel, OutboundNotification, SendResult } from './channel.js';
export { buildChannels, LocalOutboxChannel, type ChannelSettings } from './channels/index.js';
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
export {
  AlertEscalations,
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_CALLS_PER_CONTACT,
  type StartEscalation,
} from './escalation.js';
export { enqueue, PRIORITY, type DbOrTx, type Enqueued, type NewNotification } from './outbox.js';
