import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { BusinessId, CallId } from '../ids.js';
import type { Db } from './database.js';
import { leads, LEAD_STATUSES, type LeadStatus, type StoredTranscriptEntry } from './schema/index.js';

type LeadRow = typeof leads.$inferSelect;
export type Lead = Omit<LeadRow, 'businessId'> & { businessId: BusinessId };

const COLUMNS = ['name', 'phone', 'address', 'need', 'urgency', 'email'] as const;

export interface SaveLeadInput {
  businessId: BusinessId;
  /** The conversation; a second save for the same call updates its lead. */
  callId?: CallId | null;
  callSid?: string | null;
  channel?: string | null;
  fields: Record<string, string>;
  complete: boolean;
  transcript: StoredTranscriptEntry[];
}

/** Which leads to read: every filter is optional (none: every business's leads). */
export interface LeadFilter {
  businessId?: BusinessId | undefined;
  status?: LeadStatus | undefined;
  callSid?: string | undefined;
}

/** Leads: one per conversation, saved after every answer (an upsert on the call). */
export class LeadsRepo {
  constructor(private readonly db: Db) {}

  async save(input: SaveLeadInput): Promise<Lead> {
    const columns = Object.fromEntries(COLUMNS.map((c) => [c, input.fields[c] ?? null])) as Record<
      (typeof COLUMNS)[number],
      string | null
    >;
    const values = {
      businessId: input.businessId,
      callId: input.callId ?? null,
      callSid: input.callSid ?? null,
      channel: input.channel ?? null,
      fields: input.fields,
      complete: input.complete,
      transcript: input.transcript,
      ...columns,
    };
    if (!input.callId) {
      const [row] = await this.db.insert(leads).values(values).returning();
      return toLead(row as LeadRow);
    }
    const [row] = await this.db
      .insert(leads)
      .values(values)
      .onConflictDoUpdate({
        target: leads.callId,
        targetWhere: sql`${leads.callId} is not null`,
        set: {
          fields: values.fields,
          complete: values.complete,
          transcript: values.transcript,
          ...columns,
          updatedAt: new Date(),
        },
      })
      .returning();
    return toLead(row as LeadRow);
  }

  async setStatus(businessId: BusinessId, id: string, status: LeadStatus): Promise<boolean> {
    if (!LEAD_STATUSES.includes(status)) throw new RangeError(`unknown lead status ${status}`);
    const rows = await this.db
      .update(leads)
      .set({ status, updatedAt: new Date() })
      .where(and(eq(leads.id, id), eq(leads.businessId, businessId)))
      .returning({ id: leads.id });
    return rows.length > 0;
  }

  async get(id: string): Promise<Lead | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const [row] = await this.db.select().from(leads).where(eq(leads.id, id));
    return row ? toLead(row) : undefined;
  }

  /**
   * Every lead matching `filter`, newest first, read `batch` rows at a time (keyset on created_at,
   * id) so an export of any size holds one batch in memory. Stop iterating to stop reading.
   */
  async *each(filter: LeadFilter, batch = 500): AsyncGenerator<Lead> {
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const conditions: SQL[] = [];
      if (filter.businessId) conditions.push(eq(leads.businessId, filter.businessId));
      if (filter.status) conditions.push(eq(leads.status, filter.status));
      if (filter.callSid) conditions.push(eq(leads.callSid, filter.callSid));
      if (after) {
        const older = or(
          lt(leads.createdAt, after.createdAt),
          and(eq(leads.createdAt, after.createdAt), lt(leads.id, after.id)),
        );
        if (older) conditions.push(older);
      }
      const rows = await this.db
        .select()
        .from(leads)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(leads.createdAt), desc(leads.id))
        .limit(batch);
      for (const row of rows) yield toLead(row);
      const last = rows.at(-1);
      if (!last || rows.length < batch) return;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  async list(
    businessId: BusinessId,
    opts: { callSid?: string; status?: LeadStatus; limit?: number } = {},
  ): Promise<Lead[]> {
    const conditions = [eq(leads.businessId, businessId)];
    if (opts.callSid) conditions.push(eq(leads.callSid, opts.callSid));
    if (opts.status) conditions.push(eq(leads.status, opts.status));
    const rows = await this.db
      .select()
      .from(leads)
      .where(and(...conditions))
      .orderBy(desc(leads.createdAt))
      .limit(opts.limit ?? 200);
    return rows.map(toLead);
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toLead(row: LeadRow): Lead {
  return { ...row, businessId: row.businessId as BusinessId };
}
