import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { BusinessId, CallId } from '../ids.js';
import type { Db } from './database.js';
import { alertEscalations, emergencies, outbox, type StoredTranscriptEntry } from './schema/index.js';

type EmergencyRow = typeof emergencies.$inferSelect;
export type Emergency = Omit<EmergencyRow, 'businessId'> & { businessId: BusinessId };
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** One notification an emergency caused, as its owner sees it (the recipient is their own contact). */
export interface EmergencyNotification {
  id: string;
  emergencyId: string;
  kind: (typeof outbox.$inferSelect)['kind'];
  recipient: string;
  status: (typeof outbox.$inferSelect)['status'];
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** The outbox causes that name an emergency's id (its SMS, email, Slack and alert calls). */
const EMERGENCY_CAUSES = ['emergency', 'emergency-escalation'];

export interface NewEmergency {
  businessId: BusinessId;
  callId?: CallId | null;
  callSid?: string | null;
  channel?: string | null;
  category: string;
  trigger: string;
  summary: string;
  callerId?: string | null;
  transcript: StoredTranscriptEntry[];
}

/**
 * Emergencies. `create` takes an optional transaction so the notifications can be written to the
 * outbox in the same one (nothing is lost if the process dies between the two).
 */
export class EmergenciesRepo {
  constructor(private readonly db: Db) {}

  async create(input: NewEmergency, tx?: Tx): Promise<Emergency> {
    const [row] = await (tx ?? this.db)
      .insert(emergencies)
      .values({
        businessId: input.businessId,
        callId: input.callId ?? null,
        callSid: input.callSid ?? null,
        channel: input.channel ?? null,
        category: input.category,
        trigger: input.trigger,
        summary: input.summary,
        callerId: input.callerId ?? null,
        transcript: input.transcript,
      })
      .returning();
    return toEmergency(row as EmergencyRow);
  }

  async acknowledge(businessId: BusinessId, id: string, by: string): Promise<boolean> {
    const rows = await this.db
      .update(emergencies)
      .set({ status: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: by })
      .where(
        and(eq(emergencies.id, id), eq(emergencies.businessId, businessId), eq(emergencies.status, 'open')),
      )
      .returning({ id: emergencies.id });
    return rows.length > 0;
  }

  /**
   * Marks an emergency whose owner may not have been told (a notification given up): `alarm` says
   * why (latest), `alarm_at` when it first happened. Any node may call it, any number of times.
   */
  async raiseAlarm(id: string, reason: string, at: Date): Promise<boolean> {
    const rows = await this.db
      .update(emergencies)
      .set({
        alarm: reason,
        alarmAt: sql`coalesce(${emergencies.alarmAt}, ${at.toISOString()}::timestamptz)`,
      })
      .where(eq(emergencies.id, id))
      .returning({ id: emergencies.id });
    return rows.length > 0;
  }

  async get(id: string): Promise<Emergency | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const [row] = await this.db.select().from(emergencies).where(eq(emergencies.id, id));
    return row ? toEmergency(row) : undefined;
  }

  /** Every outbox entry these emergencies caused, oldest first, by emergency id. */
  async notificationsOf(ids: readonly string[]): Promise<Map<string, EmergencyNotification[]>> {
    const byEmergency = new Map<string, EmergencyNotification[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byEmergency;
    const rows = await this.db
      .select({
        id: outbox.id,
        emergencyId: outbox.causeId,
        kind: outbox.kind,
        recipient: outbox.recipient,
        status: outbox.status,
        attempts: outbox.attempts,
        lastError: outbox.lastError,
        createdAt: outbox.createdAt,
        sentAt: outbox.sentAt,
      })
      .from(outbox)
      .where(and(inArray(outbox.cause, EMERGENCY_CAUSES), inArray(outbox.causeId, [...ids])))
      .orderBy(asc(outbox.createdAt), asc(outbox.id));
    for (const r of rows) {
      if (r.emergencyId) byEmergency.get(r.emergencyId)?.push({ ...r, emergencyId: r.emergencyId });
    }
    return byEmergency;
  }

  /** The voice-alert escalations of this emergency still calling its contacts. */
  async activeEscalationIds(id: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: alertEscalations.id })
      .from(alertEscalations)
      .where(
        and(
          inArray(alertEscalations.cause, EMERGENCY_CAUSES),
          eq(alertEscalations.causeId, id),
          eq(alertEscalations.status, 'calling'),
        ),
      );
    return rows.map((r) => r.id);
  }

  async list(businessId: BusinessId, opts: { callSid?: string; limit?: number } = {}): Promise<Emergency[]> {
    const conditions = [eq(emergencies.businessId, businessId)];
    if (opts.callSid) conditions.push(eq(emergencies.callSid, opts.callSid));
    const rows = await this.db
      .select()
      .from(emergencies)
      .where(and(...conditions))
      .orderBy(desc(emergencies.createdAt))
      .limit(opts.limit ?? 200);
    return rows.map(toEmergency);
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toEmergency(row: EmergencyRow): Emergency {
  return { ...row, businessId: row.businessId as BusinessId };
}
