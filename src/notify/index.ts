export { alertPayloadSchema, type AlertPayload } from './alert-payload.js';
export { DeliveryAlarms, type DeliveryAlarmOptions } from './alarms.js';
export { DEFAULT_RETRY_POLICY, EMERGENCY_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.js';
export type { ChannelMap, NotificationChannel, OutboundNotification, SendResult } from './channel.js';
export { buildChannels, LocalOutboxChannel, type ChannelSettings } from './channels/index.js';
export {
  OutboxDispatcher,
  type AttemptFinished,
  type AttemptStarted,
  type DispatcherOptions,
} from './dispatcher.js';
export { NotificationError, PermanentNotificationError, RetryableNotificationError } from './errors.js';
export {
  AlertEscalations,
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_CALLS_PER_CONTACT,
  type StartEscalation,
} from './escalation.js';
export {
  bookingNotifications,
  emergencyNotifications,
  leadNotifications,
  type BookingNotice,
  type EmergencyNotice,
  type LeadNotice,
} from './messages.js';
export { Notifier, type NotifierDeps } from './notifier.js';
export { enqueue, PRIORITY, type DbOrTx, type DbTx, type Enqueued, type NewNotification } from './outbox.js';
export {
  OutboxRepo,
  type AlertEscalation,
  type OutboxAttempt,
  type OutboxFilter,
  type OutboxItem,
} from './outbox-repo.js';
export {
  notificationSettingsSchema,
  resolveNotificationSettings,
  type NotificationSettings,
  type NotificationSettingsInput,
} from './settings.js';
