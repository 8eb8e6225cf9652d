import { and, desc, eq } from 'drizzle-orm';
import type { BusinessId, CallId } from '../ids.js';
import type { Db } from './database.js';
import { questionsForOwner, type QuestionStatus, type StoredTranscriptEntry } from './schema/index.js';

type QuestionRow = typeof questionsForOwner.$inferSelect;
export type QuestionForOwner = Omit<QuestionRow, 'businessId'> & { businessId: BusinessId };

/** Questions the agent passed on to the owner. */
export class QuestionsRepo {
  constructor(private readonly db: Db) {}

  async create(input: {
    businessId: BusinessId;
    question: string;
    transcript: StoredTranscriptEntry[];
    callId?: CallId | null;
    callSid?: string | null;
  }): Promise<QuestionForOwner> {
    const [row] = await this.db
      .insert(questionsForOwner)
      .values({
        businessId: input.businessId,
        question: input.question,
        transcript: input.transcript,
        callId: input.callId ?? null,
        callSid: input.callSid ?? null,
      })
      .returning();
    return toQuestion(row as QuestionRow);
  }

  async answer(businessId: BusinessId, id: string, answer: string): Promise<boolean> {
    const rows = await this.db
      .update(questionsForOwner)
      .set({ status: 'answered', answer, answeredAt: new Date() })
      .where(and(eq(questionsForOwner.id, id), eq(questionsForOwner.businessId, businessId)))
      .returning({ id: questionsForOwner.id });
    return rows.length > 0;
  }

  async list(
    businessId: BusinessId,
    opts: { status?: QuestionStatus; callSid?: string; limit?: number } = {},
  ): Promise<QuestionForOwner[]> {
    const conditions = [eq(questionsForOwner.businessId, businessId)];
    if (opts.status) conditions.push(eq(questionsForOwner.status, opts.status));
    if (opts.callSid) conditions.push(eq(questionsForOwner.callSid, opts.callSid));
    const rows = await this.db
      .select()
      .from(questionsForOwner)
      .where(and(...conditions))
      .orderBy(desc(questionsForOwner.createdAt))
      .limit(opts.limit ?? 200);
    return rows.map(toQuestion);
  }
}

function toQuestion(row: QuestionRow): QuestionForOwner {
  return { ...row, businessId: row.businessId as BusinessId };
}
