import { retriedTransaction, type Db } from '../store/index.js';
import { systemClock, type Clock } from '../shared/index.js';
import type { AlertEscalations } from './escalation.js';
import {
  bookingNotifications,
  emergencyNotifications,
  leadNotifications,
  type BookingNotice,
  type EmergencyNotice,
  type LeadNotice,
} from './messages.js';
import { enqueue, type DbOrTx, type DbTx, type Enqueued, type NewNotification } from './outbox.js';
import type { NotificationSettings } from './settings.js';

export interface NotifierDeps {
  db: Db;
  /** The local dispatcher: woken after each commit so the first attempt starts at once. */
  outbox: { wake(): void };
  escalations: AlertEscalations;
  clock?: Clock;
}

/**
 * What the rest of the system calls to notify: each method writes with the caller's transaction
 * (the one storing the emergency, lead or booking), and `wake()` must follow the commit. Or use
 * `transaction()`, which commits and wakes in one go.
 */
export class Notifier {
  private readonly clock: Clock;
  constructor(private readonly deps: NotifierDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Runs `fn` in a transaction, then wakes the dispatcher once it has committed. */
  async transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T> {
    // Callers write through tx only: a transaction cut by a database restart is run again whole.
    const result = await retriedTransaction(this.deps.db, fn);
    this.wake();
    return result;
  }

  wake(): void {
    this.deps.outbox.wake();
  }

  enqueue(tx: DbOrTx, items: readonly NewNotification[]): Promise<Enqueued[]> {
    return enqueue(tx, items, { now: new Date(this.clock.now()) });
  }

  /** SMS, email and Slack to the emergency contacts, and a voice-alert escalation. */
  async emergency(
    tx: DbOrTx,
    settings: NotificationSettings,
    notice: EmergencyNotice,
  ): Promise<{ notifications: Enqueued[]; escalationId: string | undefined }> {
    const plan = emergencyNotifications(settings, notice);
    // The escalation's first call is written first so it is claimed first among equals.
    const escalation = plan.escalation ? await this.deps.escalations.start(tx, plan.escalation) : undefined;
    const notifications = await this.enqueue(tx, plan.notifications);
    return { notifications, escalationId: escalation?.escalationId };
  }

  lead(tx: DbOrTx, settings: NotificationSettings, notice: LeadNotice): Promise<Enqueued[]> {
    return this.enqueue(tx, leadNotifications(settings, notice));
  }

  booking(tx: DbOrTx, settings: NotificationSettings, notice: BookingNotice): Promise<Enqueued[]> {
    return this.enqueue(tx, bookingNotifications(settings, notice));
  }
}
