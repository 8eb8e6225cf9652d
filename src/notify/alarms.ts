import { z } from 'zod';
import { EmergenciesRepo } from '../store/index.js';
import type { Db } from '../store/index.js';
import type { outbox } from '../store/schema/index.js';
import { alertPayloadSchema } from './alert-payload.js';
import { silentLogger, systemClock, type Clock, type Logger } from '../shared/index.js';
import type { AlertEscalations } from './escalation.js';
import { PRIORITY } from './outbox.js';

type OutboxRow = typeof outbox.$inferSelect;

export interface DeliveryAlarmOptions {
  db: Db;
  escalations?: Pick<AlertEscalations, 'callGaveUp'> | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  /** Counts alarms (the Prometheus counter), by notification kind. */
  onAlarm?: ((kind: OutboxRow['kind']) => void) | undefined;
}

/**
 * What happens when the outbox gives up an emergency notification (the provider refused it, or was
 * down for the whole emergency window): an error in the log, the alarm metric, `alarm` on the
 * emergency record (shown by GET /api/emergencies), and for an alert call, the escalation's next
 * call at once. Ordinary notifications are given up quietly as before (the dashboard shows them).
 * Wire `givenUp` to the dispatcher's onGivenUp.
 */
export class DeliveryAlarms {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly emergencies: EmergenciesRepo;

  constructor(private readonly opts: DeliveryAlarmOptions) {
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.emergencies = new EmergenciesRepo(opts.db);
  }

  async givenUp(row: OutboxRow, why: { code: string | undefined; attempts: number }): Promise<void> {
    if (row.priority < PRIORITY.emergency) return;
    // No recipient, body or provider text here: the log must not carry them.
    this.log.error(
      { id: row.id, kind: row.kind, cause: row.cause, attempts: why.attempts, code: why.code },
      'ALARM: an emergency notification could not be delivered',
    );
    this.opts.onAlarm?.(row.kind);
    const reason =
      `${row.kind} notification ${row.id} not delivered after ${why.attempts} attempts` +
      (why.code ? ` (provider code ${why.code})` : '');
    const emergencyId = z.string().uuid().safeParse(row.causeId);
    if (row.cause === 'emergency' && emergencyId.success) {
      await this.emergencies.raiseAlarm(emergencyId.data, reason, new Date(this.clock.now()));
    }
    const alert = alertPayloadSchema.safeParse(row.payload);
    if (row.kind === 'voice-call' && alert.success && this.opts.escalations) {
      await this.opts.escalations.callGaveUp(alert.data);
    }
  }
}
