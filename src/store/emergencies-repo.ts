import { and, desc, eq, sql } from 'drizzle-orm';
import type { BusinessId, CallId } from '../ids.js';
import type { Db } from './database.js';
import { emergencies, type StoredTranscriptEntry } from './schema/index.js';

type EmergencyRow = typeof emergencies.$inferSelect;
export type Emergency = Omit<EmergencyRow, 'businessId'> & { businessId: BusinessId };
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

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

function toEmergency(row: EmergencyRow): Emergency {
  return { ...row, businessId: row.businessId as BusinessId };
}
