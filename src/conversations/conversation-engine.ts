import { randomBytes } from 'node:crypto';
import type {
  Brain,
  BrainOutput,
  ConversationContext,
  EndReason,
  TranscriptEntry,
  TurnInput,
} from '../agent/index.js';
import { profileFromStored, type BusinessProfile } from '../business/index.js';
import { asCallSid, parseE164, type BusinessId, type CallSid, type E164 } from '../ids.js';
import { storableText, type Logger } from '../shared/index.js';
import {
  CallsRepo,
  ConversationsRepo,
  retriedTransaction,
  type Business,
  type CallTurn,
  type Db,
  type StoredConversation,
} from '../store/index.js';
import {
  ConversationEndedError,
  type ConversationId,
  type ConversationRef,
  type Conversations,
  type OpenConversationInput,
  type TurnChannel,
  type TurnResult,
} from './contract.js';

/** What one conversation's brain is built from; the app decides which brain and which tools. */
export interface ConversationBrainRequest {
  business: Business;
  profile: BusinessProfile;
  callSid: CallSid;
  channel: TurnChannel;
  callerId: E164 | undefined;
  log: Logger;
  /** Aborted when the engine closes: the brain's writes that must outlive a turn's signal use it. */
  lifetime: AbortSignal;
}

export interface ConversationEngineDeps {
  db: Db;
  calls: CallsRepo;
  businesses: { getById(id: BusinessId): Promise<Business | undefined> };
  /** A brain for one turn (built per turn: the brain's state lives in the database between turns). */
  brainFor(req: ConversationBrainRequest): Brain;
  log: Logger;
  now?: () => Date;
}

/** No conversation has this id. */
export class UnknownConversationError extends Error {
  constructor(readonly id: string) {
    super('no such conversation');
    this.name = 'UnknownConversationError';
  }
}

/**
 * Another request (on another node) took a turn in this conversation at the same moment, and this
 * turn could not be replayed on top of it safely. Nothing of this turn was stored; the party may
 * send the message again.
 */
export class ConversationBusyError extends Error {
  constructor(readonly id: ConversationId) {
    super('another turn of this conversation was taken at the same time; send it again');
    this.name = 'ConversationBusyError';
  }
}

/** Thrown inside a turn's transaction when its conditional save lost: rolls the turn back. */
class LostTurn extends Error {}

const CHANNELS: readonly TurnChannel[] = ['chat', 'whatsapp', 'phone'];
/** New calls rows' ids: the channel's own prefix and 32 hex, like a Twilio CallSid. */
const SID_PREFIX: Record<Exclude<TurnChannel, 'phone'>, string> = { chat: 'CH', whatsapp: 'WA' };
/** Outputs whose effects a replayed turn would repeat (a second alert, a second booking). */
const IRREVERSIBLE = new Set<BrainOutput['type']>(['emergency', 'booking', 'transfer', 'question-for-owner']);

/** One conversation's in-process turn queue and lifetime, kept while turns are queued or running. */
interface Live {
  chain: Promise<unknown>;
  pending: number;
  lifetime: AbortController;
}

/**
 * Conversations held turn by turn over requests (chat widget, WhatsApp, record-and-reply calls).
 * Each turn: the conversation's state and transcript come from the database, the brain answers,
 * and both sides, the events and the new state are stored in one transaction. Turns of one
 * conversation run one at a time in this process (a promise chain per conversation) and, across
 * nodes, the state is saved only if no other turn was taken since it was read.
 */
export class ConversationEngine implements Conversations {
  private readonly repo: ConversationsRepo;
  private readonly now: () => Date;
  private readonly live = new Map<string, Live>();
  private closed = false;

  constructor(private readonly deps: ConversationEngineDeps) {
    this.repo = new ConversationsRepo(deps.db);
    this.now = deps.now ?? (() => new Date());
  }

  async open(input: OpenConversationInput): Promise<ConversationRef> {
    if (!CHANNELS.includes(input.channel)) throw new Error(`not a turn-by-turn channel: ${input.channel}`);
    if (!input.partyKey) throw new Error('a conversation needs a party key');
    const at = this.now();
    const existingSid = input.callSid;
    if (existingSid) {
      // A record-and-reply call's conversation lives on the call's own row, made by its webhook.
      const owner = await this.deps.calls.businessOf(existingSid);
      if (owner !== input.businessId) throw new Error('no such call for this business');
    } else if (input.channel === 'phone') {
      throw new Error('a phone conversation is held on its call: give its callSid');
    }
    const { conversation, created } = await this.repo.openOrCreate(
      { businessId: input.businessId, channel: input.channel, partyKey: input.partyKey },
      at,
      async (tx) => {
        const calls = new CallsRepo(tx);
        const callSid = existingSid ?? newSid(input.channel as keyof typeof SID_PREFIX);
        const { call, created: newCall } = await calls.create({
          callSid,
          businessId: input.businessId,
          channel: input.channel,
          direction: 'inbound',
          status: 'in-progress',
          from: input.from ?? input.callerId ?? null,
          to: input.to ?? null,
          startedAt: at,
        });
        // Its status history starts answered, as a call's does, so its duration is known at the end.
        if (newCall)
          await calls.recordStatus({ callSid, status: 'in-progress', source: 'system', occurredAt: at });
        return call;
      },
    );
    if (created)
      this.deps.log.info(
        { conversationId: conversation.id, businessId: input.businessId, channel: input.channel },
        'conversation started',
      );
    return refOf(conversation, created);
  }

  async get(id: ConversationId): Promise<ConversationRef | undefined> {
    const c = await this.repo.get(id);
    return c ? refOf(c, false) : undefined;
  }

  /** The transcript so far, oldest first; empty for an unknown id. */
  async history(id: ConversationId): Promise<TranscriptEntry[]> {
    const c = await this.repo.get(id);
    if (!c) return [];
    return transcriptOf((await this.deps.calls.get(c.callSid))?.turns ?? []);
  }

  take(
    id: ConversationId,
    input: TurnInput,
    opts: { signal: AbortSignal; inbound?: boolean },
  ): Promise<TurnResult> {
    if (this.closed) return Promise.reject(new Error('the conversation engine is closed'));
    let live = this.live.get(id);
    if (!live) {
      live = { chain: Promise.resolve(), pending: 0, lifetime: new AbortController() };
      this.live.set(id, live);
    }
    const entry = live;
    entry.pending++;
    const storable = input.kind === 'speech' ? { ...input, text: storableText(input.text) } : input;
    const run = entry.chain.then(() => this.turn(id, storable, opts, entry.lifetime.signal, 0));
    entry.chain = run.catch(() => undefined);
    return run.finally(() => {
      // The last queued turn is done: nothing of this conversation stays in memory.
      if (--entry.pending === 0 && this.live.get(id) === entry) this.live.delete(id);
    });
  }

  async end(id: ConversationId, reason: string, opts: { idleBefore?: Date } = {}): Promise<void> {
    const ended = await this.deps.db.transaction(async (tx) => {
      const c = await new ConversationsRepo(tx).end(id, this.now(), opts);
      if (c) await closeCall(tx, c, reason, this.now());
      return c;
    });
    if (ended)
      this.deps.log.info(
        { conversationId: id, businessId: ended.businessId, channel: ended.channel, reason },
        'conversation ended',
      );
  }

  lastInboundAt(businessId: BusinessId, channel: TurnChannel, partyKey: string): Promise<Date | undefined> {
    return this.repo.lastInboundAt({ businessId, channel, partyKey });
  }

  /**
   * Takes no more turns, aborts the lifetime of every conversation with a turn under way and waits
   * for those turns to settle. Conversations stay open: their state is in the database.
   */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.live.values()];
    for (const l of running) l.lifetime.abort();
    await Promise.all(running.map((l) => l.chain));
  }

  private async turn(
    id: ConversationId,
    input: TurnInput,
    opts: { signal: AbortSignal; inbound?: boolean },
    lifetime: AbortSignal,
    attempt: number,
  ): Promise<TurnResult> {
    const conv = await this.repo.get(id);
    if (!conv) throw new UnknownConversationError(id);
    if (conv.endedAt) throw new ConversationEndedError(id);
    const inbound = opts.inbound ?? (input.kind === 'speech' || input.kind === 'dtmf');
    const at = this.now();
    // Stamped as the request arrives: the idle sweep leaves a conversation alone while it answers.
    if (!(await this.repo.touch(id, at, { inbound }))) throw new ConversationEndedError(id);
    const business = await this.deps.businesses.getById(conv.businessId);
    if (!business) throw new UnknownConversationError(id);
    const call = await this.deps.calls.get(conv.callSid);
    const channel = conv.channel as TurnChannel;
    const callerId = callerIdOf(call?.fromNumber ?? null);
    const { profile } = profileFromStored(business);
    const ctx: ConversationContext = {
      business: profile,
      channel,
      callerId,
      transcript: transcriptOf(call?.turns ?? []),
      // A copy: a turn that loses the race must not leave its changes in anything reused.
      state: structuredClone(conv.state),
      now: at,
    };
    const brain = this.deps.brainFor({
      business,
      profile,
      callSid: conv.callSid,
      channel,
      callerId,
      log: this.deps.log,
      lifetime,
    });
    const outputs: BrainOutput[] = [];
    for await (const out of brain.respond(input, ctx, opts.signal)) outputs.push(out);

    const replies = outputs.filter((o) => o.type === 'say').map((o) => o.text);
    const end = outputs.find((o): o is Extract<BrainOutput, { type: 'end-call' }> => o.type === 'end-call');
    const transfer = outputs.find(
      (o): o is Extract<BrainOutput, { type: 'transfer' }> => o.type === 'transfer',
    );
    const done = this.now();
    try {
      // Only writes through tx: cut by a database restart, it is run again whole (nothing twice).
      await retriedTransaction(this.deps.db, async (tx) => {
        const saved = await new ConversationsRepo(tx).saveTurn(id, {
          expectedTurns: conv.turns,
          state: ctx.state,
          at: done,
          inbound,
        });
        if (!saved) throw new LostTurn();
        const calls = new CallsRepo(tx);
        const said = callerText(input);
        if (said !== undefined)
          await calls.appendTurn(conv.callSid, { speaker: 'caller', text: said, startedAt: at, endedAt: at });
        for (const out of outputs) {
          const event = eventOf(out);
          if (event) await calls.appendEvent(conv.callSid, event.type, event.payload, done);
        }
        if (replies.length > 0)
          await calls.appendTurn(conv.callSid, {
            speaker: 'agent',
            text: replies.join(' '),
            startedAt: done,
            endedAt: done,
          });
        if (end) {
          const ended = await new ConversationsRepo(tx).end(id, done);
          if (ended) await closeCall(tx, ended, end.reason, done, 'agent-hung-up');
        }
      });
    } catch (err) {
      if (!(err instanceof LostTurn)) throw err;
      // Another node's turn was saved first. Replayed once on top of it, unless this one already
      // did something a replay would do twice.
      const replayable = attempt === 0 && !outputs.some((o) => IRREVERSIBLE.has(o.type));
      this.deps.log.warn(
        { conversationId: id, replay: replayable },
        'a concurrent turn was saved first in this conversation',
      );
      const now = await this.repo.get(id);
      if (now?.endedAt) throw new ConversationEndedError(id);
      if (!replayable) throw new ConversationBusyError(id);
      return this.turn(id, input, opts, lifetime, attempt + 1);
    }
    if (end)
      this.deps.log.info(
        { conversationId: id, businessId: conv.businessId, channel, reason: end.reason },
        'conversation ended by the agent',
      );
    return {
      replies,
      outputs,
      ...(end ? { ended: end.reason } : {}),
      ...(transfer ? { transfer } : {}),
    };
  }
}

function refOf(c: StoredConversation, created: boolean): ConversationRef {
  return {
    id: c.id as ConversationId,
    businessId: c.businessId,
    channel: c.channel as TurnChannel,
    partyKey: c.partyKey,
    callSid: c.callSid,
    created,
    startedAt: c.createdAt,
    lastInboundAt: c.lastInboundAt ?? undefined,
    endedAt: c.endedAt ?? undefined,
  };
}

function newSid(channel: keyof typeof SID_PREFIX): CallSid {
  return asCallSid(`${SID_PREFIX[channel]}${randomBytes(16).toString('hex')}`);
}

/** The caller's number from the calls row's From (a WhatsApp address is whatsapp:+E164). */
function callerIdOf(from: string | null): E164 | undefined {
  return from ? parseE164(from.replace(/^whatsapp:/, '')) : undefined;
}

/** What the party sent, as its turn in the transcript; nothing for a greeting or a silence. */
function callerText(input: TurnInput): string | undefined {
  if (input.kind === 'speech') return input.text;
  if (input.kind === 'dtmf') return `[pressed ${input.digits}]`;
  return undefined;
}

function transcriptOf(turns: readonly CallTurn[]): TranscriptEntry[] {
  return turns.map((t) => ({
    speaker: t.speaker === 'caller' ? 'caller' : 'agent',
    text: t.interrupted && t.heardText !== null ? t.heardText : t.text,
    ...(t.interrupted ? { interrupted: true } : {}),
    at: t.startedAt,
  }));
}

/**
 * The call log's events for the brain's outputs (src/voice/call-log.ts writes the same for a
 * streamed call), so the dashboard shows a chat as it shows a call. No caller details in them.
 */
function eventOf(out: BrainOutput): { type: string; payload: Record<string, unknown> } | undefined {
  switch (out.type) {
    case 'lead':
      return { type: 'lead', payload: { complete: out.complete, fields: Object.keys(out.fields).sort() } };
    case 'emergency':
      return { type: 'emergency', payload: { category: out.category } };
    case 'booking':
      return { type: 'booking', payload: { action: out.action, bookingId: out.bookingId } };
    case 'question-for-owner':
      return { type: 'question-for-owner', payload: {} };
    case 'transfer':
      return {
        type: 'transfer',
        payload: { reason: out.reason, hasNumber: out.to !== undefined, summary: out.summary },
      };
    case 'end-call':
      return { type: 'agent-hangup', payload: { reason: out.reason } };
    case 'say':
    case 'listen':
      return undefined;
  }
}

type Outcome = 'agent-hung-up' | 'caller-hung-up' | 'transferred' | 'dropped';

/**
 * The calls row of an ended conversation: completed, with its reason, summary and end event. A
 * conversation ended as 'transferred' (a record-and-reply call moved to a person) keeps its call
 * open with the reason only, as a streamed call's log does: Twilio reports the call's end.
 */
async function closeCall(
  tx: Db,
  c: StoredConversation,
  reason: EndReason | string,
  at: Date,
  outcome: Outcome = outcomeOf(reason),
): Promise<void> {
  const calls = new CallsRepo(tx);
  await calls.appendEvent(c.callSid, 'conversation-ended', { reason }, at);
  await calls.setSummary(c.callSid, { turns: c.turns, endReason: reason, outcome });
  if (outcome === 'transferred') {
    await calls.setEndReason(c.callSid, reason);
    return;
  }
  await calls.recordStatus({
    callSid: c.callSid,
    status: 'completed',
    source: 'system',
    occurredAt: at,
    endReason: reason,
    onlyIfOpen: true,
  });
}

function outcomeOf(reason: string): Outcome {
  if (reason === 'transferred') return 'transferred';
  if (reason === 'idle') return 'dropped';
  return 'caller-hung-up';
}
