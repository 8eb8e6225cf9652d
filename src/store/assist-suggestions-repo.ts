import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { BusinessId, CallSid } from '../ids.js';
import type { Db } from './database.js';
import { rowsOf } from './raw-rows.js';
import { assistSuggestions, calls, type SuggestionKind, type SuggestionPriority } from './schema/index.js';

/** One suggestion as it was shown to the agent (the audit log's row, without its keys). */
export type ShownSuggestion = Omit<typeof assistSuggestions.$inferSelect, 'callId' | 'businessId'>;

export interface NewShownSuggestion {
  /** The suggestion's own id (the one the agent's screen saw); a retried write is stored once. */
  id?: string;
  callSid: CallSid;
  businessId: BusinessId;
  kind: SuggestionKind;
  intent?: string | null;
  content: string;
  confidence: number;
  priority: SuggestionPriority;
  basis: 'interim' | 'final';
  evidence?: Record<string, unknown>;
  atMs: number;
  shownAt: Date;
}

/** The audit log of agent assist: what was shown to whom, for which call, when. */
export class AssistSuggestionsRepo {
  constructor(private readonly db: Db) {}

  /** False when the call is unknown (or belongs to another business): nothing is stored. */
  async record(s: NewShownSuggestion): Promise<boolean> {
    const id = s.id ?? randomUUID();
    const result = await this.db.execute(sql`
      insert into ${assistSuggestions}
        (id, call_id, business_id, kind, intent, content, confidence, priority, basis, evidence, at_ms, shown_at)
      select ${id}::uuid, ${calls.id}, ${calls.businessId}, ${s.kind}, ${s.intent ?? null}, ${s.content},
        ${s.confidence}, ${s.priority}, ${s.basis}, ${JSON.stringify(s.evidence ?? {})}::jsonb,
        ${Math.round(s.atMs)}, ${s.shownAt.toISOString()}::timestamptz
      from ${calls} where ${calls.callSid} = ${s.callSid} and ${calls.businessId} = ${s.businessId}
      on conflict (id) do nothing
      returning id`);
    return rowsOf<{ id: unknown }>(result).length > 0;
  }
}
