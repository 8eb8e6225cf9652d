import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { and, asc, desc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db } from '../store/index.js';
import { OUTBOX_OPEN_STATUSES, outbox, outboxAttempts, type AttemptOutcome } from '../store/schema/outbox.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.js';
import type { ChannelMap, OutboundNotification, SendResult } from './channel.js';
import { Sleeper, silentLogger, systemClock, type NotifyClock, type NotifyLogger } from './clock.js';
import { describeFailure, PermanentNotificationError } from './errors.js';
import { PRIORITY } from './outbox.js';

type OutboxRow = typeof outbox.$inferSelect;

export interface AttemptStarted {
  id: string;
  kind: OutboxRow['kind'];
  cause: string;
  attempt: number;
  /** Clock ms when the row was enqueued and when this attempt started. */
  createdAt: number;
  startedAt: number;
}

export interface AttemptFinished extends AttemptStarted {
  outcome: Exclude<AttemptOutcome, 'sending' | 'abandoned'>;
  finishedAt: number;
  /** The row's status after this attempt. */
  status: OutboxRow['status'];
  errorCode?: string | undefined;
}

export interface DispatcherOptions {
  db: Db;
  channels: ChannelMap;
  logger?: NotifyLogger;
  clock?: NotifyClock;
  /** In [0, 1); for jitter. */
  random?: () => number;
  /** Written to claimed rows and attempts; default host-pid-random. */
  nodeId?: string;
  /** How often to look for due rows when nobody calls wake() (other nodes' rows, retries). */
  pollIntervalMs?: number;
  /** Rows claimed per query. */
  batchSize?: number;
  /** Sends in flight at once on this node. */
  maxInFlight?: number;
  /**
   * Extra sends allowed for emergencies only, so a backlog of slow ordinary sends (a stalled SMTP
   * server holding every slot) cannot delay an emergency's first attempt.
   */
  urgentReserve?: number;
  /**
   * How long a claimed row stays this node's. A node that dies mid-send loses it after this and
   * another node retries (so delivery is at least once); keep it well above sendTimeoutMs.
   */
  leaseMs?: number;
  sendTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onAttemptStarted?: (e: AttemptStarted) => void;
  onAttemptFinished?: (e: AttemptFinished) => void;
}

/**
 * Delivers the outbox. Any number of dispatchers (one per node) share the table: each claims due
 * rows with FOR UPDATE SKIP LOCKED in a short transaction, marking them 'sending' under a lease, so
 * no two dispatchers send the same row; then sends outside any transaction and records the attempt.
 * Failed sends are retried with exponential backoff and jitter up to the row's max_attempts.
 */
export class OutboxDispatcher {
  private readonly db: Db;
  private readonly channels: ChannelMap;
  private readonly log: NotifyLogger;
  private readonly clock: NotifyClock;
  private readonly random: () => number;
  readonly nodeId: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly urgentReserve: number;
  private readonly leaseMs: number;
  private readonly sendTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly sleeper: Sleeper;
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: DispatcherOptions) {
    this.db = opts.db;
    this.channels = opts.channels;
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.nodeId = opts.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.batchSize = opts.batchSize ?? 10;
    this.maxInFlight = opts.maxInFlight ?? 16;
    this.urgentReserve = opts.urgentReserve ?? 4;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 30_000;
    this.leaseMs = opts.leaseMs ?? Math.max(120_000, this.sendTimeoutMs * 4);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.sleeper = new Sleeper(this.clock);
  }

  /** Look for due rows now (call after committing an enqueue). */
  wake(): void {
    this.sleeper.wake();
  }

  /**
   * Runs until `signal` aborts, then lets sends in flight finish (they see the abort too) and
   * resolves. Calling it twice returns the same run.
   */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= this.loop(signal);
    return this.running;
  }

  /** One claim and the sends it started, awaited: for tests and command-line tools. */
  async runOnce(signal: AbortSignal = new AbortController().signal): Promise<number> {
    const rows = await this.claim(this.batchSize);
    await Promise.all(rows.map((row) => this.deliver(row, signal)));
    return rows.length;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    this.log.info({ node: this.nodeId }, 'outbox dispatcher started');
    while (!signal.aborted) {
      const free = this.maxInFlight - this.inFlight.size;
      const urgentOnly = free <= 0;
      const room = urgentOnly ? free + this.urgentReserve : free;
      let claimed = 0;
      if (room > 0) {
        try {
          const rows = await this.claim(
            Math.min(room, this.batchSize),
            urgentOnly ? PRIORITY.emergency : undefined,
          );
          claimed = rows.length;
          for (const row of rows) this.track(this.deliver(row, signal));
        } catch (err) {
          // The database is down or busy: try again on the next poll.
          this.log.error({ err: (err as Error).message }, 'outbox claim failed');
        }
      }
      // A full batch means more may be due: go again without sleeping.
      if (claimed === this.batchSize && this.inFlight.size < this.maxInFlight + this.urgentReserve) continue;
      await this.sleeper.sleep(this.pollIntervalMs, signal);
    }
    await Promise.allSettled([...this.inFlight]);
    this.log.info({ node: this.nodeId }, 'outbox dispatcher stopped');
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => {
      const wasFull = this.inFlight.size >= this.maxInFlight;
      this.inFlight.delete(tracked);
      // A slot freed up while the loop may be sleeping on a full house.
      if (wasFull) this.wake();
    });
    this.inFlight.add(tracked);
  }

  /** Takes up to `limit` due rows for this node: open, due, not locked by another claimer. */
  private async claim(limit: number, minPriority?: number): Promise<OutboxRow[]> {
    const now = new Date(this.clock.now());
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    return this.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: outbox.id, status: outbox.status })
        .from(outbox)
        .where(
          and(
            inArray(outbox.status, [...OUTBOX_OPEN_STATUSES]),
            lte(outbox.nextAttemptAt, now),
            minPriority === undefined ? undefined : gte(outbox.priority, minPriority),
          ),
        )
        .orderBy(desc(outbox.priority), asc(outbox.nextAttemptAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      const ids = due.map((d) => d.id);
      const leaseExpired = due.filter((d) => d.status === 'sending').map((d) => d.id);
      if (leaseExpired.length > 0) {
        await tx
          .update(outboxAttempts)
          .set({ outcome: 'abandoned', finishedAt: now, error: 'lease expired: its node stopped or stalled' })
          .where(and(inArray(outboxAttempts.outboxId, leaseExpired), eq(outboxAttempts.outcome, 'sending')));
        await tx
          .update(outbox)
          .set({ status: 'dead', lastError: 'lease expired on its last allowed attempt', updatedAt: now })
          .where(and(inArray(outbox.id, leaseExpired), gte(outbox.attempts, outbox.maxAttempts)));
      }
      const claimed = await tx
        .update(outbox)
        .set({
          status: 'sending',
          attempts: sql`${outbox.attempts} + 1`,
          nextAttemptAt: leaseUntil,
          claimedBy: this.nodeId,
          updatedAt: now,
        })
        .where(and(inArray(outbox.id, ids), lt(outbox.attempts, outbox.maxAttempts)))
        .returning();
      if (claimed.length > 0) {
        await tx.insert(outboxAttempts).values(
          claimed.map((r) => ({
            outboxId: r.id,
            attempt: r.attempts,
            outcome: 'sending' as const,
            node: this.nodeId,
            startedAt: now,
          })),
        );
      }
      // Emergencies first within the batch as well.
      return claimed.sort((a, b) => b.priority - a.priority);
    });
  }

  private async deliver(row: OutboxRow, signal: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    const base: AttemptStarted = {
      id: row.id,
      kind: row.kind,
      cause: row.cause,
      attempt: row.attempts,
      createdAt: row.createdAt.getTime(),
      startedAt,
    };
    this.opts.onAttemptStarted?.(base);
    let result: SendResult | undefined;
    let failure: unknown;
    try {
      const channel = this.channels[row.kind];
      if (!channel) throw new PermanentNotificationError(`no channel delivers ${row.kind}`);
      const sendSignal = AbortSignal.any([signal, AbortSignal.timeout(this.sendTimeoutMs)]);
      result = await channel.send(toOutbound(row), sendSignal);
    } catch (err) {
      failure = err;
    }
    const finishedAt = this.clock.now();
    try {
      const finished = await this.record(row, startedAt, finishedAt, result, failure, signal.aborted);
      this.opts.onAttemptFinished?.({ ...base, ...finished, finishedAt });
    } catch (err) {
      // The lease will expire and another attempt follow: at least once, never lost.
      this.log.error({ id: row.id, err: (err as Error).message }, 'outbox attempt could not be recorded');
    }
  }

  private async record(
    row: OutboxRow,
    startedAt: number,
    finishedAt: number,
    result: SendResult | undefined,
    failure: unknown,
    shuttingDown: boolean,
  ): Promise<Pick<AttemptFinished, 'outcome' | 'status' | 'errorCode'>> {
    const now = new Date(finishedAt);
    let outcome: AttemptFinished['outcome'];
    let status: OutboxRow['status'];
    let nextAttemptAt = now;
    let error: string | null = null;
    let errorCode: string | undefined;
    if (failure === undefined) {
      outcome = 'sent';
      status = 'sent';
    } else if (shuttingDown) {
      // Our own shutdown, not the provider's fault: any node may take it again at once.
      outcome = 'aborted';
      status = 'failed';
      error = 'aborted: dispatcher stopped';
    } else {
      const f = describeFailure(failure);
      error = f.message;
      errorCode = f.code;
      outcome = f.retryable ? 'retryable-error' : 'permanent-error';
      if (!f.retryable || row.attempts >= row.maxAttempts) {
        status = 'dead';
      } else {
        status = 'failed';
        const delay = Math.max(retryDelayMs(this.retry, row.attempts, this.random), f.retryAfterMs ?? 0);
        nextAttemptAt = new Date(finishedAt + delay);
      }
    }
    const providerId = result?.providerId ?? null;
    const stillOurs = await this.db.transaction(async (tx) => {
      const updated = await tx
        .update(outbox)
        .set({
          status,
          nextAttemptAt,
          lastError: error,
          updatedAt: now,
          ...(providerId ? { providerId } : {}),
          ...(status === 'sent' ? { sentAt: now } : {}),
        })
        // Fenced by the attempt number: a node whose lease expired cannot overwrite a newer attempt.
        .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), eq(outbox.attempts, row.attempts)))
        .returning({ id: outbox.id });
      await tx
        .update(outboxAttempts)
        .set({
          outcome,
          error,
          errorCode: errorCode ?? null,
          providerId,
          finishedAt: now,
          durationMs: Math.max(0, Math.round(finishedAt - startedAt)),
        })
        .where(and(eq(outboxAttempts.outboxId, row.id), eq(outboxAttempts.attempt, row.attempts)));
      return updated.length > 0;
    });
    const logFields = {
      id: row.id,
      kind: row.kind,
      cause: row.cause,
      attempt: row.attempts,
      outcome,
      status,
    };
    if (!stillOurs) {
      this.log.warn(
        logFields,
        'outbox row changed hands during the attempt; its result is kept in the attempt only',
      );
    } else if (status === 'dead') {
      this.log.error({ ...logFields, code: errorCode }, 'notification given up');
    } else if (outcome !== 'sent') {
      this.log.warn(
        { ...logFields, code: errorCode, retryAt: nextAttemptAt.toISOString() },
        'notification attempt failed',
      );
    } else {
      this.log.debug(logFields, 'notification sent');
    }
    return { outcome, status: stillOurs ? status : row.status, errorCode };
  }
}

function toOutbound(row: OutboxRow): OutboundNotification {
  return {
    id: row.id,
    businessId: row.businessId,
    kind: row.kind,
    recipient: row.recipient,
    subject: row.subject,
    body: row.body,
    payload: row.payload,
    cause: row.cause,
    causeId: row.causeId,
    callSid: row.callSid,
    attempt: row.attempts,
    createdAt: row.createdAt,
  };
}
