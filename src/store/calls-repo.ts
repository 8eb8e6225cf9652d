import { and, asc, desc, eq, isNotNull, isNull, lt, ne, notInArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { BusinessId, CallId, CallSid, E164 } from '../ids.js';
import { supersedes, isTerminalStatus } from './call-status-order.js';
import type { Db } from './database.js';
import { rowsOf } from './raw-rows.js';
import type {
  AnsweredBy,
  CallChannel,
  CallDirection,
  CallStatus,
  CallSummary,
  Speaker,
  StatusSource,
  TurnLatency,
} from './schema/index.js';
import {
  assistSuggestions,
  callEvents,
  calls,
  callStatusEvents,
  callTurns,
  TERMINAL_CALL_STATUSES,
} from './schema/index.js';
import type { ShownSuggestion } from './assist-suggestions-repo.js';

type CallRow = typeof calls.$inferSelect;
export type Call = Omit<CallRow, 'id' | 'callSid' | 'businessId' | 'statusSeq' | 'statusAt'> & {
  id: CallId;
  callSid: CallSid;
  businessId: BusinessId;
};
export type StatusEvent = Omit<typeof callStatusEvents.$inferSelect, 'callId'>;
export type CallTurn = Omit<typeof callTurns.$inferSelect, 'callId'>;
export type CallEvent = Omit<typeof callEvents.$inferSelect, 'callId'>;
export interface CallDetail extends Call {
  statusHistory: StatusEvent[];
  turns: CallTurn[];
  events: CallEvent[];
  /** Every suggestion agent assist showed during the call, in order (the audit log). */
  suggestions: ShownSuggestion[];
}

export interface CreateCallInput {
  callSid: CallSid;
  businessId: BusinessId;
  from?: E164 | string | null;
  to?: E164 | string | null;
  direction?: CallDirection;
  channel?: CallChannel;
  /** 'human': a person at the business answers and Switchboard listens in (agent assist). */
  answeredBy?: AnsweredBy;
  /** Status reported with the call's first webhook; Twilio says 'ringing' for inbound calls. */
  status?: CallStatus;
  startedAt?: Date;
}

export interface RecordStatusInput {
  callSid: CallSid;
  status: CallStatus;
  source: StatusSource;
  /** Twilio's SequenceNumber, when given (status callbacks). */
  sequenceNumber?: number | null;
  /** The raw request parameters, kept for audit. */
  params?: Record<string, unknown>;
  /** When it happened (Twilio's Timestamp), not when it arrived. */
  occurredAt: Date;
  /** Twilio's CallDuration, when given with a final status. */
  durationSec?: number | null;
  /** Why we ended the call (shutdown, node-restarted, ...); the first reason given is kept. */
  endReason?: string;
  /** Store nothing when the call already has an end (closing abandoned calls races other nodes). */
  onlyIfOpen?: boolean;
}

/** Why the assist stream may not listen to a call (its token is single-use too). */
export type AssistClaim =
  | { ok: true; fromNumber: string | null }
  | { ok: false; reason: 'unknown-call' | 'already-claimed' | 'call-ended' };

/**
 * Why a media stream may not serve a call (the token is single-use; a finished call takes none).
 * `partyNumber` is the other party, the one the agent talks to: the caller of an inbound call, the
 * person we called on one we placed (whose From is our own number).
 */
export type StreamClaim =
  | { ok: true; fromNumber: string | null; partyNumber: string | null; channel: CallChannel }
  | { ok: false; reason: 'unknown-call' | 'already-claimed' | 'call-ended' };

/** A call this node (or a vanished one) left open, closed as failed at start-up. */
export interface ClosedCall {
  callSid: CallSid;
  nodeId: string;
  endedAt: Date;
}

export type RecordStatusResult =
  | { outcome: 'unknown-call' }
  /** The same callback (call, source, sequence number) was already stored. */
  | { outcome: 'duplicate'; status: CallStatus }
  /** Stored; `applied` says whether it became the call's current status. */
  | { outcome: 'recorded'; applied: boolean; status: CallStatus };

export interface AppendTurnInput {
  speaker: Speaker;
  text: string;
  startOffsetMs?: number | null;
  endOffsetMs?: number | null;
  startedAt?: Date;
  endedAt?: Date | null;
  interrupted?: boolean;
  heardText?: string | null;
  latency?: TurnLatency | null;
}

/** What becomes known once a turn is over (an agent turn ends after playback or barge-in). */
export interface CompleteTurnInput {
  text?: string;
  endOffsetMs?: number | null;
  endedAt?: Date | null;
  interrupted?: boolean;
  heardText?: string | null;
  latency?: TurnLatency | null;
}

export interface ListCallsInput {
  businessId?: BusinessId;
  limit?: number;
  /** `nextCursor` from the previous page. */
  before?: string;
}

export interface CallPage {
  items: Call[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid calls cursor');
    this.name = 'InvalidCursorError';
  }
}

const MAX_PAGE = 200;

export class CallsRepo {
  constructor(private readonly db: Db) {}

  /**
   * Creates the call record for a new call, or returns the existing one: Twilio retries webhooks,
   * so the same CallSid may arrive more than once. `created` tells the first delivery apart.
   */
  async create(input: CreateCallInput): Promise<{ call: Call; created: boolean }> {
    const startedAt = input.startedAt ?? new Date();
    const status = input.status ?? 'ringing';
    const [row] = await this.db
      .insert(calls)
      .values({
        callSid: input.callSid,
        businessId: input.businessId,
        fromNumber: input.from ?? null,
        toNumber: input.to ?? null,
        direction: input.direction ?? 'inbound',
        channel: input.channel ?? 'phone',
        answeredBy: input.answeredBy ?? 'ai',
        status,
        statusAt: startedAt,
        startedAt,
      })
      .onConflictDoNothing({ target: calls.callSid })
      .returning();
    if (row) return { call: toCall(row), created: true };
    const existing = await this.findRow(input.callSid);
    if (!existing) throw new Error('call vanished between insert and select'); // deleted concurrently
    return { call: toCall(existing), created: false };
  }

  createInbound(input: Omit<CreateCallInput, 'direction'>): Promise<{ call: Call; created: boolean }> {
    return this.create({ ...input, direction: 'inbound' });
  }

  /**
   * Stores one status change and moves the call's current status only if this one is newer
   * (see `supersedes`): callbacks arrive out of order and sometimes twice.
   */
  async recordStatus(input: RecordStatusInput): Promise<RecordStatusResult> {
    const seq = input.sequenceNumber ?? null;
    return this.db.transaction(async (tx) => {
      // The row lock serialises concurrent callbacks for one call (several nodes, one database).
      const [call] = await tx.select().from(calls).where(eq(calls.callSid, input.callSid)).for('update');
      if (!call) return { outcome: 'unknown-call' } as const;
      if (input.onlyIfOpen && (call.endedAt !== null || call.endReason !== null))
        return { outcome: 'duplicate', status: call.status } as const;
      const inserted = await tx
        .insert(callStatusEvents)
        .values({
          callId: call.id,
          status: input.status,
          source: input.source,
          sequenceNumber: seq,
          params: input.params ?? {},
          durationSec: input.durationSec ?? null,
          occurredAt: input.occurredAt,
        })
        .onConflictDoNothing()
        .returning({ id: callStatusEvents.id });
      if (inserted.length === 0) return { outcome: 'duplicate', status: call.status } as const;

      const at = input.occurredAt;
      const applied = supersedes(
        { status: input.status, seq, at },
        { status: call.status, seq: call.statusSeq, at: call.statusAt },
      );
      const patch: Partial<typeof calls.$inferInsert> = {};
      if (applied) Object.assign(patch, { status: input.status, statusSeq: seq, statusAt: at });
      // Milestones keep their earliest report, whichever order reports arrive in.
      if (input.status === 'in-progress' && (!call.answeredAt || at < call.answeredAt)) patch.answeredAt = at;
      if (isTerminalStatus(input.status) && (!call.endedAt || at < call.endedAt)) patch.endedAt = at;
      const endedAt = patch.endedAt ?? call.endedAt;
      if (input.endReason !== undefined && call.endReason === null) patch.endReason = input.endReason;
      if (input.durationSec != null) patch.durationSec = input.durationSec;
      else if (endedAt && (patch.answeredAt || patch.endedAt)) {
        // Milestones moved on an ended call: re-estimate, unless Twilio reported the duration before.
        const [reported] = await tx
          .select({ id: callStatusEvents.id })
          .from(callStatusEvents)
          .where(and(eq(callStatusEvents.callId, call.id), isNotNull(callStatusEvents.durationSec)))
          .limit(1);
        if (!reported) patch.durationSec = estimateDuration(patch.answeredAt ?? call.answeredAt, endedAt);
      }
      if (Object.keys(patch).length > 0) await tx.update(calls).set(patch).where(eq(calls.id, call.id));
      return { outcome: 'recorded', applied, status: applied ? input.status : call.status } as const;
    });
  }

  /**
   * The one media stream allowed to serve a call takes it here, atomically: a single conditional
   * update, so two connections with the same token (on one node or on two) cannot both win, and a
   * call that has ended or was already served takes no stream at all.
   */
  async claimStream(input: {
    callSid: CallSid;
    businessId: BusinessId;
    streamSid: string;
    nodeId: string;
  }): Promise<StreamClaim> {
    const [won] = await this.db
      .update(calls)
      .set({
        streamClaimedAt: sql`now()`,
        streamSid: input.streamSid,
        nodeId: input.nodeId,
        lastSeenAt: sql`now()`,
      })
      .where(
        and(
          eq(calls.callSid, input.callSid),
          eq(calls.businessId, input.businessId),
          isNull(calls.streamClaimedAt),
          isNull(calls.endedAt),
          isNull(calls.endReason),
          notInArray(calls.status, [...TERMINAL_CALL_STATUSES]),
        ),
      )
      .returning({
        fromNumber: calls.fromNumber,
        toNumber: calls.toNumber,
        direction: calls.direction,
        channel: calls.channel,
      });
    if (won)
      return {
        ok: true,
        fromNumber: won.fromNumber,
        partyNumber: won.direction === 'inbound' ? won.fromNumber : won.toNumber,
        channel: won.channel,
      };
    const row = await this.findRow(input.callSid);
    if (!row || row.businessId !== input.businessId) return { ok: false, reason: 'unknown-call' };
    return { ok: false, reason: row.streamClaimedAt ? 'already-claimed' : 'call-ended' };
  }

  /**
   * The one assist stream (both tracks, listen-only) of a call takes it here, as claimStream does
   * for the media stream: once, atomically, and only while the call is live. An AI-answered call
   * moved to a person keeps its media-stream claim; the assist claim is separate.
   */
  async claimAssist(input: { callSid: CallSid; businessId: BusinessId }): Promise<AssistClaim> {
    const [won] = await this.db
      .update(calls)
      .set({ assistClaimedAt: sql`now()` })
      .where(
        and(
          eq(calls.callSid, input.callSid),
          eq(calls.businessId, input.businessId),
          isNull(calls.assistClaimedAt),
          isNull(calls.endedAt),
          notInArray(calls.status, [...TERMINAL_CALL_STATUSES]),
        ),
      )
      .returning({ fromNumber: calls.fromNumber });
    if (won) return { ok: true, fromNumber: won.fromNumber };
    const row = await this.findRow(input.callSid);
    if (!row || row.businessId !== input.businessId) return { ok: false, reason: 'unknown-call' };
    return { ok: false, reason: row.assistClaimedAt ? 'already-claimed' : 'call-ended' };
  }

  /** Whether a call has ended or already has its stream: a replayed voice webhook must not restart it. */
  static isFinishedOrServed(call: Call): boolean {
    return (
      call.endedAt !== null ||
      call.endReason !== null ||
      call.streamClaimedAt !== null ||
      isTerminalStatus(call.status)
    );
  }

  /** This node's sign of life on the calls it serves (database time, so node clocks do not matter). */
  async heartbeat(nodeId: string): Promise<number> {
    const rows = await this.db
      .update(calls)
      .set({ lastSeenAt: sql`now()` })
      .where(and(eq(calls.nodeId, nodeId), isNull(calls.endedAt), isNull(calls.endReason)))
      .returning({ id: calls.id });
    return rows.length;
  }

  /**
   * At start-up: the calls this node was serving when it stopped without writing their end (a
   * crash, kill -9) are over; close them as failed, ended at their last sign of life. Other
   * nodes' calls are not touched.
   */
  async closeAbandoned(nodeId: string, reason: string): Promise<ClosedCall[]> {
    return this.closeOpen(eq(calls.nodeId, nodeId), reason);
  }

  /**
   * Calls of other nodes that have given no sign of life for `staleAfterMs` (a node that never
   * came back): closed as failed the same way, by whichever node notices first.
   */
  async closeStale(selfNodeId: string, staleAfterMs: number, reason: string): Promise<ClosedCall[]> {
    return this.closeOpen(
      and(
        isNotNull(calls.nodeId),
        ne(calls.nodeId, selfNodeId),
        lt(
          calls.lastSeenAt,
          sql`now() - ${`${Math.max(0, Math.round(staleAfterMs))} milliseconds`}::interval`,
        ),
      )!,
      reason,
    );
  }

  private async closeOpen(where: SQL, reason: string): Promise<ClosedCall[]> {
    const open = await this.db
      .select({ callSid: calls.callSid, nodeId: calls.nodeId, lastSeenAt: calls.lastSeenAt })
      .from(calls)
      .where(and(where, isNull(calls.endedAt), isNull(calls.endReason)));
    const closed: ClosedCall[] = [];
    for (const c of open) {
      const endedAt = c.lastSeenAt ?? new Date();
      const r = await this.recordStatus({
        callSid: c.callSid as CallSid,
        status: 'failed',
        source: 'system',
        occurredAt: endedAt,
        params: { reason },
        endReason: reason,
        onlyIfOpen: true,
      });
      if (r.outcome === 'recorded')
        closed.push({ callSid: c.callSid as CallSid, nodeId: c.nodeId ?? '', endedAt });
    }
    return closed;
  }

  /** Appends the next turn (seq 1, 2, ...) and returns it; undefined for an unknown call. */
  async appendTurn(callSid: CallSid, input: AppendTurnInput): Promise<CallTurn | undefined> {
    return this.db.transaction(async (tx) => {
      // Lock the call so concurrent appends (caller and human agent at once) get distinct seqs.
      const [call] = await tx
        .select({ id: calls.id })
        .from(calls)
        .where(eq(calls.callSid, callSid))
        .for('update');
      if (!call) return undefined;
      const [last] = await tx
        .select({ seq: sql<number>`coalesce(max(${callTurns.seq}), 0)` })
        .from(callTurns)
        .where(eq(callTurns.callId, call.id));
      const [row] = await tx
        .insert(callTurns)
        .values({
          callId: call.id,
          seq: Number(last?.seq ?? 0) + 1,
          speaker: input.speaker,
          text: input.text,
          startOffsetMs: input.startOffsetMs ?? null,
          endOffsetMs: input.endOffsetMs ?? null,
          startedAt: input.startedAt ?? new Date(),
          endedAt: input.endedAt ?? null,
          interrupted: input.interrupted ?? false,
          heardText: input.heardText ?? null,
          latency: input.latency ?? null,
        })
        .returning();
      return row ? withoutCallId(row) : undefined;
    });
  }

  /** Fills in the end of a turn; undefined when the call or turn does not exist. */
  async completeTurn(callSid: CallSid, seq: number, input: CompleteTurnInput): Promise<CallTurn | undefined> {
    const set = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length === 0) {
      const detail = await this.db
        .select()
        .from(callTurns)
        .where(and(eq(callTurns.callId, this.idOf(callSid)), eq(callTurns.seq, seq)));
      return detail[0] ? withoutCallId(detail[0]) : undefined;
    }
    const [row] = await this.db
      .update(callTurns)
      .set(set)
      .where(and(eq(callTurns.callId, this.idOf(callSid)), eq(callTurns.seq, seq)))
      .returning();
    return row ? withoutCallId(row) : undefined;
  }

  /** Returns false for an unknown call. */
  async appendEvent(
    callSid: CallSid,
    type: string,
    payload: Record<string, unknown> = {},
    occurredAt: Date = new Date(),
  ): Promise<boolean> {
    // One statement: resolve the call and insert, or insert nothing for an unknown call.
    const result = await this.db.execute(sql`
      insert into ${callEvents} (call_id, type, payload, occurred_at)
      select ${calls.id}, ${type}, ${JSON.stringify(payload)}::jsonb, ${occurredAt.toISOString()}::timestamptz
      from ${calls} where ${calls.callSid} = ${callSid}
      returning id`);
    const rows = rowsOf<{ id: unknown }>(result);
    return rows.length > 0;
  }

  /**
   * Our part of a call is over but the call goes on elsewhere (moved to a human by <Dial>): keep the
   * reason so start-up recovery does not take it for an abandoned call; Twilio reports the end.
   */
  async setEndReason(callSid: CallSid, reason: string): Promise<boolean> {
    const rows = await this.db
      .update(calls)
      .set({ endReason: reason })
      .where(and(eq(calls.callSid, callSid), isNull(calls.endReason)))
      .returning({ id: calls.id });
    return rows.length > 0;
  }

  /**
   * Who answers the call from now on (the AI takes an assisted call the agent did not pick up).
   * True only when this changed it: false for an unknown call or one already answered so, which
   * lets a retried webhook record the hand-over once.
   */
  async setAnsweredBy(callSid: CallSid, answeredBy: AnsweredBy): Promise<boolean> {
    const rows = await this.db
      .update(calls)
      .set({ answeredBy })
      .where(and(eq(calls.callSid, callSid), ne(calls.answeredBy, answeredBy)))
      .returning({ id: calls.id });
    return rows.length > 0;
  }

  async setRecording(callSid: CallSid, recordingPath: string): Promise<boolean> {
    return this.patch(callSid, { recordingPath });
  }

  /**
   * Merges `part` into the call's summary (top-level keys replaced, others kept): the session's
   * figures and the written summary come from different writers at different times.
   */
  async setSummary(callSid: CallSid, part: CallSummary): Promise<boolean> {
    const rows = await this.db
      .update(calls)
      .set({ summary: sql`coalesce(${calls.summary}, '{}'::jsonb) || ${JSON.stringify(part)}::jsonb` })
      .where(eq(calls.callSid, callSid))
      .returning({ id: calls.id });
    return rows.length > 0;
  }

  /** Whose call this is and who answers it, while it is live (not ended); else undefined. */
  async liveOwner(callSid: CallSid): Promise<{ businessId: BusinessId; answeredBy: AnsweredBy } | undefined> {
    const [row] = await this.db
      .select({ businessId: calls.businessId, answeredBy: calls.answeredBy })
      .from(calls)
      .where(
        and(
          eq(calls.callSid, callSid),
          isNull(calls.endedAt),
          notInArray(calls.status, [...TERMINAL_CALL_STATUSES]),
        ),
      );
    return row ? { businessId: row.businessId as BusinessId, answeredBy: row.answeredBy } : undefined;
  }

  /** Whose call this is (a cheap check before anything of the call is shown), or undefined. */
  async businessOf(callSid: CallSid): Promise<BusinessId | undefined> {
    const [row] = await this.db
      .select({ businessId: calls.businessId })
      .from(calls)
      .where(eq(calls.callSid, callSid));
    return row ? (row.businessId as BusinessId) : undefined;
  }

  /** The call with its status history, turns and events, each in order. */
  async get(callSid: CallSid): Promise<CallDetail | undefined> {
    const row = await this.findRow(callSid);
    if (!row) return undefined;
    const [statusHistory, turns, events, suggestions] = await Promise.all([
      this.db
        .select()
        .from(callStatusEvents)
        .where(eq(callStatusEvents.callId, row.id))
        .orderBy(
          asc(callStatusEvents.occurredAt),
          sql`${callStatusEvents.sequenceNumber} asc nulls first`,
          asc(callStatusEvents.id),
        ),
      this.db.select().from(callTurns).where(eq(callTurns.callId, row.id)).orderBy(asc(callTurns.seq)),
      this.db
        .select()
        .from(callEvents)
        .where(eq(callEvents.callId, row.id))
        .orderBy(asc(callEvents.occurredAt), asc(callEvents.id)),
      this.db
        .select()
        .from(assistSuggestions)
        .where(eq(assistSuggestions.callId, row.id))
        .orderBy(asc(assistSuggestions.shownAt), asc(assistSuggestions.atMs)),
    ]);
    return {
      ...toCall(row),
      statusHistory: statusHistory.map(withoutCallId),
      turns: turns.map(withoutCallId),
      events: events.map(withoutCallId),
      suggestions: suggestions.map(({ callId: _c, businessId: _b, ...s }) => s),
    };
  }

  /** Newest first, keyset-paginated so pages stay stable while new calls arrive. */
  async list(input: ListCallsInput = {}): Promise<CallPage> {
    const limit = Math.min(Math.max(1, Math.trunc(input.limit ?? 50)), MAX_PAGE);
    const conds: SQL[] = [];
    if (input.businessId) conds.push(eq(calls.businessId, input.businessId));
    if (input.before) {
      const c = decodeCursor(input.before);
      conds.push(sql`(${calls.startedAt}, ${calls.id}) < (${c.at}::timestamptz, ${c.id}::uuid)`);
    }
    const rows = await this.db
      .select()
      .from(calls)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(calls.startedAt), desc(calls.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit).map(toCall);
    const last = items.at(-1);
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  private idOf(callSid: CallSid): SQL {
    return sql`(select ${calls.id} from ${calls} where ${calls.callSid} = ${callSid})`;
  }

  private async findRow(callSid: CallSid): Promise<CallRow | undefined> {
    const [row] = await this.db.select().from(calls).where(eq(calls.callSid, callSid));
    return row;
  }

  private async patch(callSid: CallSid, set: Partial<typeof calls.$inferInsert>): Promise<boolean> {
    const rows = await this.db
      .update(calls)
      .set(set)
      .where(eq(calls.callSid, callSid))
      .returning({ id: calls.id });
    return rows.length > 0;
  }
}

function estimateDuration(answeredAt: Date | null, endedAt: Date): number {
  return answeredAt ? Math.max(0, Math.round((endedAt.getTime() - answeredAt.getTime()) / 1000)) : 0;
}

function toCall(row: CallRow): Call {
  const { statusSeq: _seq, statusAt: _at, ...rest } = row;
  return {
    ...rest,
    id: row.id as CallId,
    callSid: row.callSid as CallSid,
    businessId: row.businessId as BusinessId,
  };
}

function withoutCallId<T extends { callId: string }>(row: T): Omit<T, 'callId'> {
  const { callId: _callId, ...rest } = row;
  return rest;
}

// Cursor: base64url of [ISO time, uuid]. Times are stored at ms precision, so the key is exact.
const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

function encodeCursor(call: Call): string {
  return Buffer.from(JSON.stringify([call.startedAt.toISOString(), call.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at, id };
  } catch {
    throw new InvalidCursorError();
  }
}
