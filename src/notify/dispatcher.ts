import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { and, asc, desc, eq, gte, inArray, lte, ne, not, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../store/index.js';
import { OUTBOX_OPEN_STATUSES, outbox, outboxAttempts, type AttemptOutcome } from '../store/schema/index.js';
import { DEFAULT_RETRY_POLICY, EMERGENCY_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.js';
import type { ChannelMap, NotificationChannel, OutboundNotification, SendResult } from './channel.js';
import { deadline, silentLogger, systemClock, type Clock, type Logger } from '../shared/index.js';
import { Sleeper } from './sleeper.js';
import { describeFailure, PermanentNotificationError } from './errors.js';
import { PRIORITY } from './outbox.js';

type OutboxRow = typeof outbox.$inferSelect;

/** A claimed row, with when an earlier attempt of unknown outcome started (if one did). */
interface Claimed {
  row: OutboxRow;
  unconfirmedSince: Date | null;
}

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
  /** An earlier attempt had gone through after all: found at the provider, not sent again. */
  foundAtProvider?: boolean;
}

export interface DispatcherOptions {
  db: Db;
  channels: ChannelMap;
  logger?: Logger;
  clock?: Clock;
  /** In [0, 1); for jitter. */
  random?: () => number;
  /**
   * Written to claimed rows and attempts. Give the node's stable id (src/node-id.ts): on start the
   * dispatcher takes back at once the rows its previous life left 'sending'. It must be unique
   * among live nodes. Default host-pid-random (nothing to take back).
   */
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
   * How long a claimed row stays this node's without a heartbeat. While a send is in flight the
   * node renews it every heartbeatMs, so a slow send keeps its row, and a node that dies (or
   * stalls) loses its rows within leaseMs: another node, or this one restarted, takes them.
   */
  leaseMs?: number;
  /** How often leases of sends in flight are renewed (default leaseMs / 3). */
  heartbeatMs?: number;
  sendTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Emergency rows (priority >= PRIORITY.emergency): a short capped backoff and send timeout. */
  emergencyRetry?: Partial<RetryPolicy>;
  emergencySendTimeoutMs?: number;
  /**
   * Emergency rows ignore max_attempts and are retried (transient failures) until this long after
   * they were written; only then are they given up. Default 15 minutes.
   */
  emergencyRetryWindowMs?: number;
  onAttemptStarted?: (e: AttemptStarted) => void;
  onAttemptFinished?: (e: AttemptFinished) => void;
  /**
   * Called by every wake() (a new row committed, an escalation moved on): where several nodes
   * share the outbox, the app announces the due rows as jobs (src/app/notifications.ts) so that
   * whichever node is free claims each one (deliverRow). The outbox stays the ledger either way.
   */
  onWake?: () => void;
  /** A row was given up ('dead'): an emergency's raises the alarm and moves its escalation on. */
  onGivenUp?: (row: OutboxRow, why: { code: string | undefined; attempts: number }) => Promise<void> | void;
}

/**
 * Delivers the outbox. Any number of dispatchers (one per node) share the table: each claims due
 * rows with FOR UPDATE SKIP LOCKED in a short transaction, marking them 'sending' under a lease, so
 * no two dispatchers send the same row; then sends outside any transaction and records the attempt.
 * Failed sends are retried with exponential backoff and jitter up to the row's max_attempts.
 *
 * Crashes, several nodes on one PostgreSQL: the lease is short (15 s) and renewed by a heartbeat
 * while a send is in flight, so any live node takes over a dead node's rows within 15 s without
 * ever taking a live node's (renewals fence on claimed_by and the attempt number). A node started
 * again under its stable id takes back its own 'sending' rows at once: its previous life is over,
 * since ids are unique among live nodes (the DATA_DIR lock on the embedded database; one NODE_ID or
 * DATA_DIR per node on PostgreSQL). A row whose last attempt may have reached the provider (timed
 * out, or its node died) is marked unconfirmed_since; its next attempt first asks the provider
 * (channel.findSent) and records a match as sent instead of sending it twice.
 */
export class OutboxDispatcher {
  private readonly db: Db;
  private readonly channels: ChannelMap;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  readonly nodeId: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly urgentReserve: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly sendTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly emergencyRetry: RetryPolicy;
  private readonly emergencySendTimeoutMs: number;
  private readonly emergencyWindowMs: number;
  private readonly sleeper: Sleeper;
  private readonly inFlight = new Set<Promise<void>>();
  /** Rows this node is sending now, by id, with their attempt number: their leases get renewed. */
  private readonly sending = new Map<string, number>();
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
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.emergencyRetry = { ...EMERGENCY_RETRY_POLICY, ...opts.emergencyRetry };
    this.emergencySendTimeoutMs = opts.emergencySendTimeoutMs ?? 4_000;
    this.emergencyWindowMs = opts.emergencyRetryWindowMs ?? 15 * 60_000;
    this.sleeper = new Sleeper(this.clock);
  }

  /** Look for due rows now (call after committing an enqueue). */
  wake(): void {
    this.sleeper.wake();
    this.opts.onWake?.();
  }

  /** Open rows due now, most urgent first, as they stand (no lock taken): what a wake may announce. */
  async dueRows(limit = this.batchSize): Promise<Array<{ id: string; attempts: number }>> {
    const now = new Date(this.clock.now());
    return this.db
      .select({ id: outbox.id, attempts: outbox.attempts })
      .from(outbox)
      .where(and(inArray(outbox.status, [...OUTBOX_OPEN_STATUSES]), lte(outbox.nextAttemptAt, now)))
      .orderBy(desc(outbox.priority), asc(outbox.nextAttemptAt))
      .limit(limit);
  }

  /**
   * Claims this one row if it is still open and due (another node, or this node's loop, may have
   * taken it first: then false) and sends it, awaited: a 'notify' job's work. The send counts
   * among this node's sends in flight and its lease is renewed while run() runs.
   */
  async deliverRow(id: string, signal: AbortSignal): Promise<boolean> {
    const [claimed] = await this.claim(1, undefined, id);
    if (!claimed) return false;
    const sent = this.deliver(claimed, signal);
    this.track(sent);
    await sent;
    return true;
  }

  /**
   * Runs until `signal` aborts, then lets sends in flight finish (they see the abort too) and
   * resolves. Calling it twice returns the same run.
   */
  run(signal: AbortSignal): Promise<void> {
    // Every send in flight listens to this one signal (shutdown aborts them all): up to
    // maxInFlight + urgentReserve at once is the design, not a leak Node should warn about.
    setMaxListeners(this.maxInFlight + this.urgentReserve + 8, signal);
    this.running ??= this.loop(signal);
    return this.running;
  }

  /** One claim and the sends it started, awaited: for tests and command-line tools. */
  async runOnce(signal: AbortSignal = new AbortController().signal): Promise<number> {
    const rows = await this.claim(this.batchSize);
    await Promise.all(rows.map((c) => this.deliver(c, signal)));
    return rows.length;
  }

  /**
   * Makes the rows a previous life of this node left 'sending' due now. Call only when this
   * dispatcher has nothing in flight (run() does, on start).
   */
  async reclaimOwn(): Promise<number> {
    const now = new Date(this.clock.now());
    const rows = await this.db
      .update(outbox)
      .set({ nextAttemptAt: now, updatedAt: now })
      .where(and(eq(outbox.status, 'sending'), eq(outbox.claimedBy, this.nodeId)))
      .returning({ id: outbox.id });
    if (rows.length > 0)
      this.log.warn({ node: this.nodeId, rows: rows.length }, 'outbox: taking back sends left by a crash');
    return rows.length;
  }

  /** Renews the leases of the sends in flight (fenced: only rows still ours, same attempt). */
  async heartbeat(): Promise<number> {
    if (this.sending.size === 0) return 0;
    const leaseUntil = new Date(this.clock.now() + this.leaseMs);
    const ours = [...this.sending].map(([id, attempt]) =>
      and(eq(outbox.id, id), eq(outbox.attempts, attempt)),
    );
    const rows = await this.db
      .update(outbox)
      .set({ nextAttemptAt: leaseUntil })
      .where(and(eq(outbox.status, 'sending'), eq(outbox.claimedBy, this.nodeId), or(...ours)))
      .returning({ id: outbox.id });
    return rows.length;
  }

  private async heartbeatLoop(signal: AbortSignal): Promise<void> {
    const sleeper = new Sleeper(this.clock);
    while (!signal.aborted) {
      await sleeper.sleep(this.heartbeatMs, signal);
      if (signal.aborted) break;
      try {
        await this.heartbeat();
      } catch (err) {
        // The lease may lapse and another node take the row; the fenced record keeps that safe.
        this.log.error({ err: (err as Error).message }, 'outbox lease renewal failed');
      }
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    this.log.info({ node: this.nodeId }, 'outbox dispatcher started');
    // Renewals go on until the sends still in flight at shutdown have been recorded.
    const heartbeats = new AbortController();
    const heartbeatRun = this.heartbeatLoop(heartbeats.signal);
    try {
      await this.reclaimOwn();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'outbox: could not take back rows left by a crash');
    }
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
          for (const c of rows) this.track(this.deliver(c, signal));
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
    heartbeats.abort();
    await heartbeatRun;
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

  /**
   * Rows past their last chance: max_attempts used, except emergency rows, which instead get the
   * whole emergency window (a provider outage must not use up an alert's attempts).
   */
  private exhausted(now: Date): SQL {
    const windowStart = new Date(now.getTime() - this.emergencyWindowMs);
    return and(
      gte(outbox.attempts, outbox.maxAttempts),
      not(
        and(
          gte(outbox.priority, PRIORITY.emergency),
          sql`${outbox.createdAt} > ${windowStart.toISOString()}::timestamptz`,
        )!,
      ),
    )!;
  }

  /** Takes up to `limit` due rows for this node: open, due, not locked by another claimer. */
  private async claim(limit: number, minPriority?: number, onlyId?: string): Promise<Claimed[]> {
    const now = new Date(this.clock.now());
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const givenUp: OutboxRow[] = [];
    const claimed = await this.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: outbox.id, status: outbox.status, unconfirmedSince: outbox.unconfirmedSince })
        .from(outbox)
        .where(
          and(
            inArray(outbox.status, [...OUTBOX_OPEN_STATUSES]),
            lte(outbox.nextAttemptAt, now),
            minPriority === undefined ? undefined : gte(outbox.priority, minPriority),
            onlyId === undefined ? undefined : eq(outbox.id, onlyId),
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
        givenUp.push(
          ...(await tx
            .update(outbox)
            .set({ status: 'dead', lastError: 'lease expired on its last allowed attempt', updatedAt: now })
            .where(and(inArray(outbox.id, leaseExpired), this.exhausted(now)))
            .returning()),
        );
      }
      // An emergency row whose window closed while it waited for its next try: given up now.
      const waiting = due.filter((d) => d.status !== 'sending').map((d) => d.id);
      if (waiting.length > 0) {
        givenUp.push(
          ...(await tx
            .update(outbox)
            .set({ status: 'dead', updatedAt: now })
            .where(and(inArray(outbox.id, waiting), this.exhausted(now)))
            .returning()),
        );
      }
      const rows = await tx
        .update(outbox)
        .set({
          status: 'sending',
          attempts: sql`${outbox.attempts} + 1`,
          nextAttemptAt: leaseUntil,
          claimedBy: this.nodeId,
          // From here until the outcome is known, a send may have happened.
          unconfirmedSince: sql`coalesce(${outbox.unconfirmedSince}, ${now.toISOString()}::timestamptz)`,
          updatedAt: now,
        })
        .where(
          and(
            inArray(outbox.id, ids),
            inArray(outbox.status, [...OUTBOX_OPEN_STATUSES]),
            not(this.exhausted(now)),
          ),
        )
        .returning();
      if (rows.length > 0) {
        await tx.insert(outboxAttempts).values(
          rows.map((r) => ({
            outboxId: r.id,
            attempt: r.attempts,
            outcome: 'sending' as const,
            node: this.nodeId,
            startedAt: now,
          })),
        );
      }
      const before = new Map(due.map((d) => [d.id, d.unconfirmedSince]));
      // Emergencies first within the batch as well.
      return rows
        .sort((a, b) => b.priority - a.priority)
        .map((row) => ({ row, unconfirmedSince: before.get(row.id) ?? null }));
    });
    for (const row of givenUp) await this.givenUp(row, undefined);
    return claimed;
  }

  private async givenUp(row: OutboxRow, code: string | undefined): Promise<void> {
    try {
      await this.opts.onGivenUp?.(row, { code, attempts: row.attempts });
    } catch (err) {
      this.log.error({ id: row.id, err: (err as Error).message }, 'outbox: handling a given-up row failed');
    }
  }

  private async deliver({ row, unconfirmedSince }: Claimed, signal: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    const base: AttemptStarted = {
      id: row.id,
      kind: row.kind,
      cause: row.cause,
      attempt: row.attempts,
      createdAt: row.createdAt.getTime(),
      startedAt,
    };
    this.sending.set(row.id, row.attempts);
    this.opts.onAttemptStarted?.(base);
    let result: SendResult | undefined;
    let failure: unknown;
    let found = false;
    let sent = false;
    const timeoutMs = this.isEmergency(row) ? this.emergencySendTimeoutMs : this.sendTimeoutMs;
    const sendDeadline = deadline(timeoutMs, signal);
    const sendSignal = sendDeadline.signal;
    try {
      const channel = this.channels[row.kind];
      if (!channel) throw new PermanentNotificationError(`no channel delivers ${row.kind}`);
      const outbound = toOutbound(row);
      if (unconfirmedSince && channel.findSent) {
        // An earlier attempt may have gone through: ask before sending it again.
        result = await this.findSent(
          row,
          channel.findSent.bind(channel),
          outbound,
          unconfirmedSince,
          sendSignal,
        );
        found = result !== undefined;
      }
      if (!found) {
        sent = true;
        result = await channel.send(outbound, sendSignal);
      }
    } catch (err) {
      failure = err;
    } finally {
      sendDeadline.clear();
    }
    const finishedAt = this.clock.now();
    try {
      // Known: it went (sent or found), or this attempt's send surely did not.
      const confirmed = failure === undefined || (sent && !describeFailure(failure).maybeDelivered);
      const { stillOurs, ...finished } = await this.record(
        row,
        startedAt,
        finishedAt,
        result,
        failure,
        signal.aborted,
        confirmed,
      );
      this.opts.onAttemptFinished?.({
        ...base,
        ...finished,
        finishedAt,
        ...(found ? { foundAtProvider: true } : {}),
      });
      if (found)
        this.log.info({ id: row.id, kind: row.kind }, 'notification found at the provider: not sent again');
      if (!stillOurs && result?.providerId) await this.recallIfCancelled(row, result.providerId);
    } catch (err) {
      // The lease will expire and another attempt follow: at least once, never lost.
      this.log.error({ id: row.id, err: (err as Error).message }, 'outbox attempt could not be recorded');
    } finally {
      this.sending.delete(row.id);
    }
  }

  /** A send that went out after its row was cancelled (e.g. an alert call superseded) is recalled. */
  private async recallIfCancelled(row: OutboxRow, providerId: string): Promise<void> {
    const channel = this.channels[row.kind];
    if (!channel?.recall) return;
    const [now] = await this.db.select({ status: outbox.status }).from(outbox).where(eq(outbox.id, row.id));
    if (now?.status !== 'cancelled') return;
    try {
      await channel.recall(providerId, AbortSignal.timeout(this.sendTimeoutMs));
      this.log.info(
        { id: row.id, kind: row.kind },
        'outbox: recalled a send made after its row was cancelled',
      );
    } catch (err) {
      this.log.warn({ id: row.id, kind: row.kind, code: describeFailure(err).code }, 'outbox: recall failed');
    }
  }

  /** The provider's record of this row from an earlier attempt, if it has one no other row owns. */
  private async findSent(
    row: OutboxRow,
    find: NonNullable<NotificationChannel['findSent']>,
    n: OutboundNotification,
    since: Date,
    signal: AbortSignal,
  ): Promise<SendResult | undefined> {
    let candidates: SendResult[];
    try {
      candidates = await find(n, since, signal);
    } catch (err) {
      // The provider is down: try again later. Refused for good (an API key that may not list):
      // send after all, since a possible duplicate beats an alert never sent.
      const f = describeFailure(err);
      if (f.retryable || signal.aborted) throw err;
      this.log.warn({ id: row.id, kind: row.kind, code: f.code }, 'outbox: provider lookup refused; sending');
      return undefined;
    }
    for (const candidate of candidates) {
      if (!candidate.providerId) continue;
      const [taken] = await this.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.providerId, candidate.providerId), ne(outbox.id, row.id)))
        .limit(1);
      if (!taken) return candidate;
    }
    return undefined;
  }

  private isEmergency(row: Pick<OutboxRow, 'priority'>): boolean {
    return row.priority >= PRIORITY.emergency;
  }

  private async record(
    row: OutboxRow,
    startedAt: number,
    finishedAt: number,
    result: SendResult | undefined,
    failure: unknown,
    shuttingDown: boolean,
    confirmed: boolean,
  ): Promise<Pick<AttemptFinished, 'outcome' | 'status' | 'errorCode'> & { stillOurs: boolean }> {
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
      const emergency = this.isEmergency(row);
      const outOfTries = emergency
        ? finishedAt - row.createdAt.getTime() >= this.emergencyWindowMs
        : row.attempts >= row.maxAttempts;
      if (!f.retryable || outOfTries) {
        status = 'dead';
      } else {
        status = 'failed';
        const policy = emergency ? this.emergencyRetry : this.retry;
        // An emergency honours Retry-After only up to its cap: the next try stays within seconds.
        const asked = emergency ? Math.min(f.retryAfterMs ?? 0, policy.maxDelayMs) : (f.retryAfterMs ?? 0);
        const delay = Math.max(retryDelayMs(policy, row.attempts, this.random), asked);
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
          ...(confirmed ? { unconfirmedSince: null } : {}),
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
      await this.givenUp({ ...row, status, lastError: error }, errorCode);
    } else if (outcome !== 'sent') {
      this.log.warn(
        { ...logFields, code: errorCode, retryAt: nextAttemptAt.toISOString() },
        'notification attempt failed',
      );
    } else {
      this.log.debug(logFields, 'notification sent');
    }
    return { outcome, status: stillOurs ? status : row.status, errorCode, stillOurs };
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
