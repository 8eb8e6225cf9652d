import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { silentLogger, type Logger } from '../shared/index.js';
import { InProcessQueue } from './in-process-queue.js';
import {
  DEFAULT_RETRY,
  emptyCounts,
  JOB_NAMES,
  MalformedJobError,
  parseJobData,
  reasonOf,
  type AddOptions,
  type AddResult,
  type JobCounts,
  type JobHandler,
  type JobInput,
  type JobName,
  type JobQueue,
  type JobState,
  type JobStatus,
  type ProcessOptions,
  type RetryOptions,
} from './job-queue.js';

export interface BullmqQueueOptions {
  /** REDIS_URL. Never logged (it may carry a password). */
  url: string;
  /** Key prefix of every queue; tests give each their own. Default 'switchboard-jobs'. */
  prefix?: string;
  /** Stamped on every job this node's workers run (a job's processedBy): the node id. */
  workerName: string;
  log?: Logger;
  retry?: Partial<RetryOptions>;
  /** Finished jobs kept per queue in Redis (for status() and jobId dedupe); default 1000 each. */
  keepCompleted?: number;
  keepFailed?: number;
  /** An add that Redis has not answered in this long runs here instead. Default 2 s. */
  addTimeoutMs?: number;
  /** How long close() waits for running jobs before aborting them. Default 10 s. */
  closeGraceMs?: number;
  /**
   * How long a running job's lock lasts without renewal: a node that dies mid-job has its job run
   * again by another node after this (BullMQ's stalled-job check). Default 30 s.
   */
  lockDurationMs?: number;
}

/** Transient states BullMQ has that ours fold into. */
const STATES: Record<string, JobState> = {
  waiting: 'waiting',
  prioritized: 'waiting',
  'waiting-children': 'waiting',
  delayed: 'delayed',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
};

/**
 * Jobs on BullMQ: one Queue and (when this node runs jobs) one Worker per job name, on one Redis
 * shared by every node, so a job queued on one node is run by whichever node's worker is free.
 *
 * Nothing accepted is lost when Redis is away:
 * - The Queue's connection fails fast (no offline queue, one retry per command): an add while
 *   Redis is down, or one it does not answer within addTimeoutMs, runs in this process instead
 *   (an in-process queue with the same handlers, retries and dedupe), also on a node whose
 *   JOB_CONCURRENCY is 0. An add that timed out may still land later: the job then runs twice,
 *   which handlers allow (they are idempotent).
 * - Jobs lost with Redis's memory (a restart without persistence) are found again by the durable
 *   catch-ups: PostCallSummaries.catchUp() at start for calls ended without a summary, and the
 *   outbox dispatcher's poll for every due row (the outbox row, not the job, is the ledger).
 * - Workers' connections retry without limit (maxRetriesPerRequest: null, as BullMQ requires) and
 *   pick up again when Redis returns; a node dying mid-job has its job run again after the lock
 *   lapses (lockDurationMs).
 */
export class BullmqQueue implements JobQueue {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  private readonly retry: RetryOptions;
  private readonly prefix: string;
  /** Adds: fails fast while disconnected. */
  private readonly queueConnection: Redis;
  /** Workers: waits out outages (BullMQ duplicates it for each worker's blocking reads). */
  private workerConnection: Redis | undefined;
  private readonly queues = new Map<JobName, Queue>();
  private readonly workers = new Map<JobName, Worker>();
  /** Jobs Redis could not take, run here. */
  private readonly local: InProcessQueue;
  private readonly lifetime = new AbortController();
  private readonly warnings = new ThrottledWarnings();
  private closed = false;
  private ranLocally = 0;

  constructor(private readonly opts: BullmqQueueOptions) {
    this.log = opts.log ?? silentLogger;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.prefix = opts.prefix ?? 'switchboard-jobs';
    this.queueConnection = new Redis(opts.url, {
      ...connectionBase(`${opts.workerName}-jobs`),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.queueConnection.on('error', (err: Error) => this.warnings.warn(this.log, 'queue', err));
    this.local = new InProcessQueue({
      workerName: opts.workerName,
      log: this.log,
      retry: this.retry,
      ...(opts.closeGraceMs !== undefined ? { closeGraceMs: opts.closeGraceMs } : {}),
    });
  }

  /** Jobs this process ran itself because Redis could not take them. */
  get localRuns(): number {
    return this.ranLocally;
  }

  async add<N extends JobName>(name: N, data: JobInput<N>, opts: AddOptions = {}): Promise<AddResult> {
    if (this.closed) throw new Error('job queue closed');
    parseJobData(name, data);
    const id = opts.jobId ?? randomUUID();
    const timeoutMs = this.opts.addTimeoutMs ?? 2000;
    if (await readyWithin(this.queueConnection, timeoutMs)) {
      try {
        return await withTimeout(this.addToRedis(name, data, id, opts), timeoutMs);
      } catch (err) {
        this.warnings.warn(this.log, 'add', err as Error);
      }
    }
    // Redis cannot take it: run it here rather than lose it.
    this.ranLocally++;
    const local = await this.local.add(name, data, {
      jobId: id,
      ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
    });
    return { id, where: local.where === 'duplicate' ? 'duplicate' : 'local' };
  }

  process<N extends JobName>(name: N, handler: JobHandler<N>, opts: ProcessOptions): void {
    if (this.workers.has(name)) throw new Error(`a handler for ${name} jobs is already registered`);
    // The fallback runs here even where this node takes no jobs from Redis: nothing else would.
    this.local.process(name, handler, { concurrency: Math.max(1, opts.concurrency) });
    if (opts.concurrency <= 0) return;
    this.workerConnection ??= this.openWorkerConnection();
    const worker = new Worker(name, (job, _token, signal) => this.run(name, handler, job, signal), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency: opts.concurrency,
      name: this.opts.workerName,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: this.opts.lockDurationMs ?? 30_000,
    });
    worker.on('error', (err) => this.warnings.warn(this.log, 'worker', err));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const fields = { queue: name, jobId: job.id, attempt: job.attemptsMade, reason: reasonOf(err) };
      const givenUp = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (givenUp) this.log.error(fields, 'job given up');
      else this.log.warn(fields, 'job failed; retrying');
    });
    this.workers.set(name, worker);
  }

  async counts(): Promise<Record<JobName, JobCounts>> {
    const counts = await this.local.counts();
    const all = emptyCounts();
    await withTimeout(
      Promise.all(
        JOB_NAMES.map(async (name) => {
          const c = await this.queue(name).getJobCounts(
            'waiting',
            'prioritized',
            'delayed',
            'active',
            'completed',
            'failed',
          );
          const l = counts[name];
          all[name] = {
            waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + l.waiting,
            delayed: (c.delayed ?? 0) + l.delayed,
            active: (c.active ?? 0) + l.active,
            completed: (c.completed ?? 0) + l.completed,
            failed: (c.failed ?? 0) + l.failed,
          };
        }),
      ),
      this.opts.addTimeoutMs ?? 2000,
    );
    return all;
  }

  async status(name: JobName, id: string): Promise<JobStatus | undefined> {
    const local = await this.local.status(name, id);
    if (local) return local;
    const job = await this.queue(name).getJob(id);
    const state = job ? STATES[await job.getState()] : undefined;
    if (!job || !state) return undefined;
    return {
      state,
      attemptsMade: job.attemptsStarted ?? job.attemptsMade,
      processedBy: job.processedBy,
      failedReason: job.failedReason || undefined,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const grace = this.opts.closeGraceMs ?? 10_000;
    const workers = [...this.workers.values()];
    const closing = Promise.allSettled(workers.map((w) => w.close()));
    if ((await Promise.race([closing, sleep(grace).then(() => 'grace-over' as const)])) === 'grace-over') {
      this.log.warn({ workers: workers.length }, 'jobs still running at close: aborted');
      // Aborted jobs fail their run; BullMQ runs them again (here after a restart, or elsewhere).
      this.lifetime.abort(new Error('job queue closed'));
      for (const w of workers) w.cancelAllJobs('job queue closed');
      await Promise.race([Promise.allSettled(workers.map((w) => w.close(true))), sleep(grace)]);
    }
    await this.local.close();
    await Promise.race([Promise.allSettled([...this.queues.values()].map((q) => q.close())), sleep(grace)]);
    for (const conn of [this.queueConnection, this.workerConnection]) conn?.disconnect();
  }

  private async addToRedis<N extends JobName>(
    name: N,
    data: JobInput<N>,
    id: string,
    opts: AddOptions,
  ): Promise<AddResult> {
    const queue = this.queue(name);
    // Redis keeps the first job of an id; asking first only tells the caller which case it was.
    if (opts.jobId !== undefined && (await queue.getJob(id))) return { id, where: 'duplicate' };
    const jobOpts: JobsOptions = { jobId: id, ...(opts.delayMs ? { delay: opts.delayMs } : {}) };
    await queue.add(name, data, jobOpts);
    return { id, where: 'queued' };
  }

  private async run(
    name: JobName,
    handler: JobHandler<JobName>,
    job: Job,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let data;
    try {
      data = parseJobData(name, job.data);
    } catch (err) {
      if (err instanceof MalformedJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
    await handler({
      id: job.id ?? '',
      data,
      attempt: job.attemptsMade + 1,
      attempts: job.opts.attempts ?? 1,
      signal: signal ? AbortSignal.any([signal, this.lifetime.signal]) : this.lifetime.signal,
    });
  }

  private queue(name: JobName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: this.queueConnection,
        prefix: this.prefix,
        defaultJobOptions: {
          attempts: this.retry.attempts,
          backoff: { type: 'exponential', delay: this.retry.backoffMs },
          removeOnComplete: { count: this.opts.keepCompleted ?? 1000 },
          removeOnFail: { count: this.opts.keepFailed ?? 1000 },
        },
      });
      q.on('error', (err) => this.warnings.warn(this.log, 'queue', err));
      this.queues.set(name, q);
    }
    return q;
  }

  private openWorkerConnection(): Redis {
    const conn = new Redis(this.opts.url, {
      ...connectionBase(`${this.opts.workerName}-workers`),
      maxRetriesPerRequest: null,
    });
    conn.on('error', (err: Error) => this.warnings.warn(this.log, 'worker', err));
    return conn;
  }
}

function connectionBase(connectionName: string): RedisOptions {
  return {
    connectionName,
    connectTimeout: 2000,
    // Never gives up: back off to 5 s between tries while Redis is away.
    retryStrategy: (tries: number) => Math.min(200 * tries, 5000),
  };
}

/** One warning per source per 10 s while Redis is away, with how many were held back. */
class ThrottledWarnings {
  private readonly last = new Map<string, { at: number; held: number }>();
  warn(log: Logger, source: string, err: Error): void {
    const now = Date.now();
    const seen = this.last.get(source);
    if (seen && now - seen.at < 10_000) {
      seen.held++;
      return;
    }
    log.warn({ source, reason: reasonOf(err), heldBack: seen?.held ?? 0 }, 'jobs: Redis unavailable');
    this.last.set(source, { at: now, held: 0 });
  }
}

/**
 * True once the connection is ready; false at once while it is known to be down (between tries),
 * or when a connection under way does not become ready within `ms` (a first connect, a retry).
 */
function readyWithin(conn: Redis, ms: number): Promise<boolean> {
  if (conn.status === 'ready') return Promise.resolve(true);
  if (conn.status !== 'connecting' && conn.status !== 'connect' && conn.status !== 'wait')
    return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      conn.off('ready', onReady);
      conn.off('close', onClose);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    conn.once('ready', onReady);
    conn.once('close', onClose);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
