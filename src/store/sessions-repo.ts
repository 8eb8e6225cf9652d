import { and, asc, eq, isNull, notInArray } from 'drizzle-orm';
import type { BusinessId, CallSid } from '../ids.js';
import type { Db } from './database.js';
import type { AnsweredBy, CallChannel, CallDirection, CallStatus } from './schema/index.js';
import { calls, TERMINAL_CALL_STATUSES } from './schema/index.js';

/**
 * Live sessions: the calls (phone, WhatsApp, web, chat) not yet over, from the calls table, so
 * every node sees every node's sessions. A call is live while it has no end: no ended_at, no end
 * reason of ours, and a status that is not final.
 */
export interface LiveSession {
  callSid: CallSid;
  businessId: BusinessId;
  channel: CallChannel;
  direction: CallDirection;
  status: CallStatus;
  answeredBy: AnsweredBy;
  startedAt: Date;
  from: string | null;
  to: string | null;
}

/** More than any one deployment has live at once; a bound so a runaway table cannot flood the answer. */
const MAX_LIVE = 5000;

const columns = {
  callSid: calls.callSid,
  businessId: calls.businessId,
  channel: calls.channel,
  direction: calls.direction,
  status: calls.status,
  answeredBy: calls.answeredBy,
  startedAt: calls.startedAt,
  from: calls.fromNumber,
  to: calls.toNumber,
};

const isLive = and(
  isNull(calls.endedAt),
  isNull(calls.endReason),
  notInArray(calls.status, [...TERMINAL_CALL_STATUSES]),
);

const toSession = (
  r: Omit<LiveSession, 'callSid' | 'businessId'> & { callSid: string; businessId: string },
) => ({
  ...r,
  callSid: r.callSid as CallSid,
  businessId: r.businessId as BusinessId,
});

export class SessionsRepo {
  constructor(private readonly db: Db) {}

  /** Live sessions, oldest first; of one business, or of all when `businessId` is undefined. */
  async list(businessId?: BusinessId): Promise<LiveSession[]> {
    const rows = await this.db
      .select(columns)
      .from(calls)
      .where(businessId ? and(isLive, eq(calls.businessId, businessId)) : isLive)
      .orderBy(asc(calls.startedAt), asc(calls.id))
      .limit(MAX_LIVE);
    return rows.map((r) => toSession(r));
  }

  /** One live session; undefined when unknown, over, or (with `businessId`) another business's. */
  async find(callSid: CallSid, businessId?: BusinessId): Promise<LiveSession | undefined> {
    const [row] = await this.db
      .select(columns)
      .from(calls)
      .where(
        and(isLive, eq(calls.callSid, callSid), ...(businessId ? [eq(calls.businessId, businessId)] : [])),
      )
      .limit(1);
    return row ? toSession(row) : undefined;
  }
}
