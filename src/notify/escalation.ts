import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { OUTBOX_OPEN_STATUSES } from '../store/schema/index.js';
import type { Db } from '../store/index.js';
import { alertEscalations, emergencies, outbox, type NotificationCause } from '../store/schema/index.js';
import { silentLogger, systemClock, type Clock, type Logger } from '../shared/index.js';
import { Sleeper } from './sleeper.js';
import { enqueue, PRIORITY, type DbOrTx } from './outbox.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type EscalationRow = typeof alertEscalations.$inferSelect;

export interface StartEscalation {
  businessId: string;
  cause: NotificationCause;
  causeId?: string | undefined;
  callSid?: string | undefined;
  /** What every alert call says before "press 1 to acknowledge". */
  message: string;
  /** E.164 numbers in the order to call them. */
  contacts: readonly string[];
  /** Calls to each contact before moving to the next (default 2: "call again, then the next contact"). */
  callsPerContact?: number | undefined;
  /** How long a call has to be acknowledged before the next call (default 120 s). */
  ackTimeoutMs?: number | undefined;
}

export type CallEndedResult = 'advanced' | 'ignored';

export interface EscalationOptions {
  db: Db;
  clock?: Clock;
  logger?: Logger;
  /** Woken when a new alert call has been written (the outbox dispatcher). */
  outbox?: { wake(): void } | undefined;
  /** How often to look for alert calls whose acknowledgement time ran out. */
  pollIntervalMs?: number;
  /** Outbox attempts for one alert call; the escalation moves on regardless after ackTimeoutMs. */
  callMaxAttempts?: number;
}

export const DEFAULT_CALLS_PER_CONTACT = 2;
export const DEFAULT_ACK_TIMEOUT_MS = 120_000;

/**
 * Emergency voice alerts that insist until a person acknowledges: each contact is called
 * `callsPerContact` times, each call given `ackTimeoutMs` to be answered with 1 (or cut short by
 * a no-answer/busy/failed status), then the next contact, until someone acknowledges or the list
 * is exhausted. State is in alert_escalations, so any node may advance it; due escalations are
 * claimed with FOR UPDATE SKIP LOCKED like the outbox. Each call is an outbox row (kind
 * 'voice-call', payload {escalationId, step}), so it is retried and visible like any notification.
 *
 * A step moves on only by a conditional update fenced on (status 'calling', step): whichever path
 * gets there first (the ack timeout, a no-answer callback, a call the outbox gave up on, on any
 * node) advances it, the others change nothing, so no step is skipped or called twice. The
 * superseded call is cancelled in the same transaction, even one left 'sending' by a dead node, so
 * two steps never ring at once. The acknowledgement timeout only runs once the current call has
 * been placed: while the provider is down the call keeps being retried (the outbox's emergency
 * window) instead of the list being used up with calls nobody could make.
 */
export class AlertEscalations {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pollIntervalMs: number;
  private readonly callMaxAttempts: number;
  private readonly sleeper: Sleeper;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: EscalationOptions) {
    this.db = opts.db;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.callMaxAttempts = opts.callMaxAttempts ?? 3;
    this.sleeper = new Sleeper(this.clock);
  }

  /**
   * Writes the escalation and its first call with `tx` (the transaction storing the emergency).
   * Wake the outbox after the commit. Returns undefined when there is nobody to call.
   */
  async start(
    tx: DbOrTx,
    s: StartEscalation,
  ): Promise<{ escalationId: string; outboxId: string } | undefined> {
    if (s.contacts.length === 0) return undefined;
    const now = new Date(this.clock.now());
    const id = randomUUID();
    const ackTimeoutMs = s.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    const row: EscalationRow = {
      id,
      businessId: s.businessId,
      cause: s.cause,
      causeId: s.causeId ?? null,
      callSid: s.callSid ?? null,
      message: s.message,
      contacts: [...s.contacts],
      callsPerContact: Math.max(1, s.callsPerContact ?? DEFAULT_CALLS_PER_CONTACT),
      ackTimeoutMs,
      step: 0,
      status: 'calling',
      currentOutboxId: null,
      nextCheckAt: new Date(now.getTime() + ackTimeoutMs),
      acknowledgedAt: null,
      acknowledgedBy: null,
      ackCallSid: null,
      createdAt: now,
      updatedAt: now,
    };
    const outboxId = await this.enqueueCall(tx, row, 0, now);
    await tx.insert(alertEscalations).values({ ...row, currentOutboxId: outboxId });
    this.log.info({ escalationId: id, contacts: row.contacts.length }, 'alert escalation started');
    return { escalationId: id, outboxId };
  }

  async get(escalationId: string): Promise<EscalationRow | undefined> {
    const [row] = await this.db.select().from(alertEscalations).where(eq(alertEscalations.id, escalationId));
    return row;
  }

  async message(escalationId: string): Promise<string | undefined> {
    return (await this.get(escalationId))?.message;
  }

  /**
   * The person on call `step` pressed 1. Accepted even after the escalation moved on or ran out (a
   * late acknowledgement is still one); a next call not yet placed is cancelled.
   */
  async acknowledge(a: {
    escalationId: string;
    step: number;
    callSid: string;
  }): Promise<'acknowledged' | 'already-acknowledged' | 'unknown'> {
    const now = new Date(this.clock.now());
    return this.db.transaction(async (tx) => {
      const [e] = await tx
        .select()
        .from(alertEscalations)
        .where(eq(alertEscalations.id, a.escalationId))
        .for('update');
      if (!e || a.step > e.step || e.status === 'cancelled') return 'unknown';
      if (e.status === 'acknowledged') return 'already-acknowledged';
      await tx
        .update(alertEscalations)
        .set({
          status: 'acknowledged',
          acknowledgedAt: now,
          acknowledgedBy: contactFor(e, a.step) ?? null,
          ackCallSid: a.callSid,
          nextCheckAt: null,
          updatedAt: now,
        })
        .where(eq(alertEscalations.id, e.id));
      await this.cancelUnsentCalls(tx, e.id, now, 'cancelled: alert acknowledged');
      // The emergency itself is acknowledged too (the dashboard shows who pressed 1, and when).
      if (e.cause === 'emergency' && e.causeId && UUID_RE.test(e.causeId))
        await tx
          .update(emergencies)
          .set({ status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: contactFor(e, a.step) ?? null })
          .where(and(eq(emergencies.id, e.causeId), eq(emergencies.status, 'open')));
      this.log.info({ escalationId: e.id, step: a.step }, 'alert acknowledged');
      return 'acknowledged';
    });
  }

  /**
   * An alert call ended. If it was the current call and nobody acknowledged, call the next one now
   * rather than wait for the timeout (no-answer, busy, failed, or answered and hung up). Late or
   * repeated callbacks for an earlier call are ignored.
   */
  async callEnded(a: {
    escalationId: string;
    step: number;
    callSid: string;
    status: string;
  }): Promise<CallEndedResult> {
    return this.advanceIfAt(a, `call ${a.status}`);
  }

  /**
   * The outbox gave up placing call `step` (refused, or the provider was down for the whole
   * emergency window): move on to the next call now. Ignored if the escalation already moved on.
   */
  async callGaveUp(a: { escalationId: string; step: number }): Promise<CallEndedResult> {
    return this.advanceIfAt(a, 'call could not be placed');
  }

  /** Moves escalation `escalationId` past call `step`, only if it is still calling at that step. */
  private async advanceIfAt(
    a: { escalationId: string; step: number },
    why: string,
  ): Promise<CallEndedResult> {
    const now = new Date(this.clock.now());
    const advanced = await this.db.transaction(async (tx) => {
      const [e] = await tx
        .select()
        .from(alertEscalations)
        .where(eq(alertEscalations.id, a.escalationId))
        .for('update');
      if (!e || e.status !== 'calling' || e.step !== a.step) return false;
      return this.advance(tx, e, now, why);
    });
    if (advanced) this.opts.outbox?.wake();
    return advanced ? 'advanced' : 'ignored';
  }

  /** Stops an escalation (e.g. the owner acknowledged in the dashboard instead). */
  async cancel(escalationId: string): Promise<boolean> {
    const now = new Date(this.clock.now());
    return this.db.transaction(async (tx) => {
      const updated = await tx
        .update(alertEscalations)
        .set({ status: 'cancelled', nextCheckAt: null, updatedAt: now })
        .where(and(eq(alertEscalations.id, escalationId), eq(alertEscalations.status, 'calling')))
        .returning({ id: alertEscalations.id });
      if (updated.length > 0)
        await this.cancelUnsentCalls(tx, escalationId, now, 'cancelled: escalation stopped');
      return updated.length > 0;
    });
  }

  /** Advances every escalation whose current call went unacknowledged for too long. */
  async tick(limit = 20): Promise<number> {
    const now = new Date(this.clock.now());
    const n = await this.db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(alertEscalations)
        .where(and(eq(alertEscalations.status, 'calling'), lte(alertEscalations.nextCheckAt, now)))
        .orderBy(asc(alertEscalations.nextCheckAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      let advanced = 0;
      for (const e of due) {
        const checkAt = await this.ackDeadline(tx, e, now);
        if (checkAt) {
          // The call was placed late (or not yet): it gets its whole time to be answered.
          await tx
            .update(alertEscalations)
            .set({ nextCheckAt: checkAt, updatedAt: now })
            .where(and(eq(alertEscalations.id, e.id), eq(alertEscalations.step, e.step)));
          continue;
        }
        if (await this.advance(tx, e, now, 'not acknowledged in time')) advanced++;
      }
      return advanced;
    });
    if (n > 0) this.opts.outbox?.wake();
    return n;
  }

  /** Runs tick() every poll interval until `signal` aborts. */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= (async () => {
      while (!signal.aborted) {
        try {
          await this.tick();
        } catch (err) {
          this.log.error({ err: (err as Error).message }, 'alert escalation tick failed');
        }
        await this.sleeper.sleep(this.pollIntervalMs, signal);
      }
    })();
    return this.running;
  }

  /**
   * When the current call's acknowledgement time really ends, if that is later than now: the call
   * not yet placed (pending, failed, sending: the outbox is still trying) gets another ack timeout
   * to be placed and answered; a placed call gets ack timeout from when it was placed.
   */
  private async ackDeadline(tx: DbOrTx, e: EscalationRow, now: Date): Promise<Date | undefined> {
    if (!e.currentOutboxId) return undefined;
    const [row] = await tx
      .select({ status: outbox.status, sentAt: outbox.sentAt })
      .from(outbox)
      .where(eq(outbox.id, e.currentOutboxId));
    if (!row) return undefined;
    if ((OUTBOX_OPEN_STATUSES as readonly string[]).includes(row.status)) {
      return new Date(now.getTime() + e.ackTimeoutMs);
    }
    const due = row.status === 'sent' && row.sentAt ? row.sentAt.getTime() + e.ackTimeoutMs : 0;
    return due > now.getTime() ? new Date(due) : undefined;
  }

  /**
   * Moves `e` from its step `e.step` to the next call, or ends it when every call has been made.
   * Fenced: it changes nothing (and returns false) unless the row is still 'calling' at that step,
   * so two paths racing to advance the same step advance it once.
   */
  private async advance(tx: DbOrTx, e: EscalationRow, now: Date, why: string): Promise<boolean> {
    const next = e.step + 1;
    const atStep = and(
      eq(alertEscalations.id, e.id),
      eq(alertEscalations.status, 'calling'),
      eq(alertEscalations.step, e.step),
    );
    if (next >= e.contacts.length * e.callsPerContact) {
      const ended = await tx
        .update(alertEscalations)
        .set({ status: 'exhausted', nextCheckAt: null, updatedAt: now })
        .where(atStep)
        .returning({ id: alertEscalations.id });
      if (ended.length === 0) return false;
      await this.cancelUnsentCalls(tx, e.id, now, 'cancelled: escalation moved on');
      this.log.error(
        { escalationId: e.id, calls: next, why },
        'alert escalation exhausted: nobody acknowledged',
      );
      return true;
    }
    const moved = await tx
      .update(alertEscalations)
      .set({ step: next, nextCheckAt: new Date(now.getTime() + e.ackTimeoutMs), updatedAt: now })
      .where(atStep)
      .returning({ id: alertEscalations.id });
    if (moved.length === 0) return false;
    // The superseded call, if its placement is still being retried, is no longer wanted.
    await this.cancelUnsentCalls(tx, e.id, now, 'cancelled: escalation moved on');
    const outboxId = await this.enqueueCall(tx, e, next, now);
    await tx
      .update(alertEscalations)
      .set({ currentOutboxId: outboxId })
      .where(and(eq(alertEscalations.id, e.id), eq(alertEscalations.step, next)));
    this.log.info({ escalationId: e.id, step: next, why }, 'alert escalated to the next call');
    return true;
  }

  private async enqueueCall(tx: DbOrTx, e: EscalationRow, step: number, now: Date): Promise<string> {
    const recipient = contactFor(e, step) ?? '';
    const [row] = await enqueue(
      tx,
      [
        {
          businessId: e.businessId,
          kind: 'voice-call',
          recipient,
          body: e.message,
          payload: { escalationId: e.id, step },
          cause: e.cause,
          causeId: e.causeId ?? undefined,
          callSid: e.callSid ?? undefined,
          priority: PRIORITY.emergency,
          maxAttempts: this.callMaxAttempts,
          dedupeKey: `escalation:${e.id}:${step}`,
        },
      ],
      { now },
    );
    if (!row) {
      // Only a dedupe hit leaves nothing: the call for this step already exists.
      const [existing] = await tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(eq(outbox.dedupeKey, `escalation:${e.id}:${step}`));
      return existing?.id ?? '';
    }
    return row.id;
  }

  /**
   * Cancels the escalation's calls not yet placed. 'sending' is included: a row left so by a dead
   * node would otherwise be placed after the escalation moved on (a live node's send in flight is
   * not stopped by this; its result is kept in the attempt only).
   */
  private async cancelUnsentCalls(tx: DbOrTx, escalationId: string, now: Date, why: string): Promise<void> {
    await tx
      .update(outbox)
      .set({ status: 'cancelled', lastError: why, updatedAt: now })
      .where(
        and(
          eq(outbox.kind, 'voice-call'),
          inArray(outbox.status, ['pending', 'failed', 'sending']),
          sql`${outbox.payload} @> ${JSON.stringify({ escalationId })}::jsonb`,
        ),
      );
  }
}

function contactFor(
  e: Pick<EscalationRow, 'contacts' | 'callsPerContact'>,
  step: number,
): string | undefined {
  return e.contacts[Math.floor(step / e.callsPerContact)];
}
