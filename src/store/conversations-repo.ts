import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { BusinessId, CallId, CallSid } from '../ids.js';
import type { Db } from './database.js';
import type { CallChannel } from './schema/index.js';
import { calls, conversations } from './schema/index.js';
import { isUniqueViolation } from './unique-violation.js';

type ConversationRow = typeof conversations.$inferSelect;

/** A conversation row with the CallSid of the calls row that holds its transcript. */
export type StoredConversation = Omit<ConversationRow, 'businessId' | 'callId'> & {
  businessId: BusinessId;
  callId: CallId;
  callSid: CallSid;
};

/** Who a conversation is with: one open conversation per key (the partial unique index). */
export interface ConversationKey {
  businessId: BusinessId;
  channel: CallChannel;
  partyKey: string;
}

export interface SaveTurnInput {
  /** The turn count the state was read at: the save wins only if nobody took a turn since. */
  expectedTurns: number;
  state: Record<string, unknown>;
  at: Date;
  /** The other party wrote (stamps lastInboundAt as well as lastActivityAt). */
  inbound: boolean;
}

/** Thrown inside openOrCreate's transaction to roll back the calls row of a lost race. */
class AlreadyOpen extends Error {}

const OPEN_PARTY_INDEX = 'conversations_open_party_key';
const CALL_INDEX = 'conversations_call_key';

/**
 * Conversations held turn by turn (chat, WhatsApp, record-and-reply calls): what the next turn
 * needs between requests. Writes that several requests or nodes could race are conditional: the
 * open-per-party index decides who creates, the turn count decides whose turn is saved.
 */
export class ConversationsRepo {
  constructor(private readonly db: Db) {}

  /**
   * The open conversation for `key`, or a new one held by the calls row `callFor` makes (or finds)
   * in the same transaction. Two concurrent opens give one conversation: the loser's insert meets
   * the open-party index, its transaction (with its calls row) rolls back, and it reads the
   * winner's. A calls row whose conversation has ended gives that ended conversation back.
   */
  async openOrCreate(
    key: ConversationKey,
    at: Date,
    callFor: (tx: Db) => Promise<{ id: CallId }>,
  ): Promise<{ conversation: StoredConversation; created: boolean }> {
    // One retry: the open one we lost to may itself end between our insert and our read.
    for (let attempt = 0; ; attempt++) {
      const open = await this.findOpen(key);
      if (open) return { conversation: open, created: false };
      let callId: CallId | undefined;
      try {
        const id = await this.db.transaction(async (tx) => {
          const call = await callFor(tx);
          callId = call.id;
          const [row] = await tx
            .insert(conversations)
            .values({
              businessId: key.businessId,
              channel: key.channel,
              partyKey: key.partyKey,
              callId: call.id,
              lastActivityAt: at,
              createdAt: at,
            })
            .onConflictDoNothing({
              target: [conversations.businessId, conversations.channel, conversations.partyKey],
              where: sql`ended_at is null`,
            })
            .returning({ id: conversations.id });
          if (!row) throw new AlreadyOpen();
          return row.id;
        });
        const created = await this.get(id);
        if (!created) throw new Error('conversation vanished between insert and select'); // deleted concurrently
        return { conversation: created, created: true };
      } catch (err) {
        if (callId && isUniqueViolation(err, CALL_INDEX)) {
          // The calls row (one that existed before) already holds a conversation: ended, or open
          // under another key.
          const held = await this.byCall(callId);
          if (held) return { conversation: held, created: false };
        }
        const lostRace = err instanceof AlreadyOpen || isUniqueViolation(err, OPEN_PARTY_INDEX);
        if (!lostRace || attempt >= 1) throw err;
      }
    }
  }

  /** The open conversation for `key`, if any. */
  async findOpen(key: ConversationKey): Promise<StoredConversation | undefined> {
    const [row] = await this.select().where(
      and(
        eq(conversations.businessId, key.businessId),
        eq(conversations.channel, key.channel),
        eq(conversations.partyKey, key.partyKey),
        isNull(conversations.endedAt),
      ),
    );
    return row ? toConversation(row) : undefined;
  }

  /** By id; ended ones too. Undefined for an unknown id (or one that is not a uuid). */
  async get(id: string): Promise<StoredConversation | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const [row] = await this.select().where(eq(conversations.id, id));
    return row ? toConversation(row) : undefined;
  }

  private async byCall(callId: CallId): Promise<StoredConversation | undefined> {
    const [row] = await this.select().where(eq(conversations.callId, callId));
    return row ? toConversation(row) : undefined;
  }

  /**
   * Stores the brain's state after a turn and counts the turn, only if the count is still
   * `expectedTurns` and the conversation is open: false means another request took a turn (or
   * ended it) first, and this turn's state must not overwrite that one.
   */
  async saveTurn(id: string, input: SaveTurnInput): Promise<boolean> {
    const rows = await this.db
      .update(conversations)
      .set({
        state: input.state,
        turns: input.expectedTurns + 1,
        lastActivityAt: input.at,
        ...(input.inbound ? { lastInboundAt: input.at } : {}),
      })
      .where(
        and(
          eq(conversations.id, id),
          eq(conversations.turns, input.expectedTurns),
          isNull(conversations.endedAt),
        ),
      )
      .returning({ id: conversations.id });
    return rows.length > 0;
  }

  /**
   * Stamps activity (and an inbound message) on an open conversation as a request arrives, so the
   * idle sweep does not close a conversation whose turn is under way. False if ended or unknown.
   */
  async touch(id: string, at: Date, opts: { inbound: boolean }): Promise<boolean> {
    const rows = await this.db
      .update(conversations)
      .set({
        lastActivityAt: sql`greatest(${conversations.lastActivityAt}, ${at.toISOString()}::timestamptz)`,
        ...(opts.inbound
          ? {
              lastInboundAt: sql`greatest(${conversations.lastInboundAt}, ${at.toISOString()}::timestamptz)`,
            }
          : {}),
      })
      .where(and(eq(conversations.id, id), isNull(conversations.endedAt)))
      .returning({ id: conversations.id });
    return rows.length > 0;
  }

  /**
   * Ends it at `at`. Returns the conversation when this call ended it, undefined when it was
   * already ended (or unknown): whoever gets it back closes the calls row, once. `idleBefore`:
   * only if nothing happened since then (the idle sweep must not close one a message just woke).
   */
  async end(id: string, at: Date, opts: { idleBefore?: Date } = {}): Promise<StoredConversation | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    const [row] = await this.db
      .update(conversations)
      .set({ endedAt: at, lastActivityAt: at })
      .where(
        and(
          eq(conversations.id, id),
          isNull(conversations.endedAt),
          opts.idleBefore ? lt(conversations.lastActivityAt, opts.idleBefore) : undefined,
        ),
      )
      .returning({ id: conversations.id });
    return row ? this.get(row.id) : undefined;
  }

  /** When this party last wrote on this channel, across all its conversations (open or ended). */
  async lastInboundAt(key: ConversationKey): Promise<Date | undefined> {
    const [row] = await this.db
      .select({ at: conversations.lastInboundAt })
      .from(conversations)
      .where(
        and(
          eq(conversations.businessId, key.businessId),
          eq(conversations.channel, key.channel),
          eq(conversations.partyKey, key.partyKey),
          isNotNull(conversations.lastInboundAt),
        ),
      )
      .orderBy(desc(conversations.lastInboundAt))
      .limit(1);
    return row?.at ?? undefined;
  }

  /** Open conversations on `channels` with no activity since `before`, oldest first (the idle sweep). */
  async listIdle(input: {
    before: Date;
    channels: readonly CallChannel[];
    limit?: number;
  }): Promise<StoredConversation[]> {
    if (input.channels.length === 0) return [];
    const rows = await this.select()
      .where(
        and(
          isNull(conversations.endedAt),
          lt(conversations.lastActivityAt, input.before),
          inArray(conversations.channel, [...input.channels]),
        ),
      )
      .orderBy(asc(conversations.lastActivityAt))
      .limit(Math.max(1, Math.min(input.limit ?? 100, 1000)));
    return rows.map(toConversation);
  }

  private select() {
    return this.db
      .select({ conversation: conversations, callSid: calls.callSid })
      .from(conversations)
      .innerJoin(calls, eq(calls.id, conversations.callId));
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toConversation(row: { conversation: ConversationRow; callSid: string }): StoredConversation {
  const c = row.conversation;
  return {
    ...c,
    businessId: c.businessId as BusinessId,
    callId: c.callId as CallId,
    callSid: row.callSid as CallSid,
  };
}
