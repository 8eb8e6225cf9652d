import { and, asc, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { Db } from '../store/index.js';
import {
  alertEscalations,
  outbox,
  outboxAttempts,
  type NotificationKind,
  type OutboxStatus,
} from '../store/schema/index.js';

export type OutboxItem = typeof outbox.$inferSelect;
export type OutboxAttempt = typeof outboxAttempts.$inferSelect;
export type AlertEscalation = typeof alertEscalations.$inferSelect;

export interface OutboxFilter {
  businessId?: string | undefined;
  callSid?: string | undefined;
  status?: readonly OutboxStatus[] | undefined;
  kind?: readonly NotificationKind[] | undefined;
  cause?: string | undefined;
  /** Only rows after this one in the listing order (the previous page's last row). */
  after?: { createdAt: Date; id: string } | undefined;
  limit?: number | undefined;
}

/** Reading the outbox for the dashboard and the admin API: newest first, each with its attempts. */
export class OutboxRepo {
  constructor(private readonly db: Db) {}

  async list(f: OutboxFilter = {}): Promise<Array<OutboxItem & { history: OutboxAttempt[] }>> {
    const where: SQL[] = [];
    if (f.businessId) where.push(eq(outbox.businessId, f.businessId));
    if (f.callSid) where.push(eq(outbox.callSid, f.callSid));
    if (f.status?.length) where.push(inArray(outbox.status, [...f.status]));
    if (f.kind?.length) where.push(inArray(outbox.kind, [...f.kind]));
    if (f.cause) where.push(eq(outbox.cause, f.cause));
    if (f.after) {
      // Keyset on (created_at, id): rows written in one transaction share created_at.
      const keyset = or(
        lt(outbox.createdAt, f.after.createdAt),
        and(eq(outbox.createdAt, f.after.createdAt), lt(outbox.id, f.after.id)),
      );
      if (keyset) where.push(keyset);
    }
    const rows = await this.db
      .select()
      .from(outbox)
      .where(and(...where))
      .orderBy(desc(outbox.createdAt), desc(outbox.id))
      .limit(Math.min(Math.max(f.limit ?? 50, 1), 500));
    const attempts = await this.attemptsOf(rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, history: attempts.get(r.id) ?? [] }));
  }

  async get(id: string): Promise<(OutboxItem & { history: OutboxAttempt[] }) | undefined> {
    const [row] = await this.db.select().from(outbox).where(eq(outbox.id, id));
    if (!row) return undefined;
    return { ...row, history: (await this.attemptsOf([id])).get(id) ?? [] };
  }

  async escalations(
    f: { businessId?: string; callSid?: string; limit?: number } = {},
  ): Promise<AlertEscalation[]> {
    const where: SQL[] = [];
    if (f.businessId) where.push(eq(alertEscalations.businessId, f.businessId));
    if (f.callSid) where.push(eq(alertEscalations.callSid, f.callSid));
    return this.db
      .select()
      .from(alertEscalations)
      .where(and(...where))
      .orderBy(desc(alertEscalations.createdAt))
      .limit(Math.min(Math.max(f.limit ?? 50, 1), 500));
  }

  private async attemptsOf(ids: string[]): Promise<Map<string, OutboxAttempt[]>> {
    const byId = new Map<string, OutboxAttempt[]>();
    if (ids.length === 0) return byId;
    const rows = await this.db
      .select()
      .from(outboxAttempts)
      .where(inArray(outboxAttempts.outboxId, ids))
      .orderBy(asc(outboxAttempts.outboxId), asc(outboxAttempts.attempt));
    for (const a of rows) {
      const list = byId.get(a.outboxId) ?? [];
      list.push(a);
      byId.set(a.outboxId, list);
    }
    return byId;
  }
}
