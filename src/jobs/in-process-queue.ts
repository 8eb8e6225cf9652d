import { randomUUID } from 'node:crypto';
import { silentLogger, systemClock, type Clock, type Logger } from '../shared/index.js';
import {
  backoffDelayMs,
  DEFAULT_RETRY,
  emptyCounts,
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
  type JobStatus,
  type ProcessOptions,
  type RetryOptions,
} from './job-queue.js';

export interface InProcessQueueOptions {
  /** Stamped on the jobs this queue runs (processedBy): the node id. */
  workerName: string;
  log?: Logger;
  clock?: Clock;
  retry?: Partial<RetryOptions>;
  /** Finished jobs kept per name (for status() and jobId dedupe); the oldest go first. Default 1000. */
  keepFinished?: number;
  /** How long close() waits for running jobs before aborting them. Default 10 s. */
  closeGraceMs?: number;
}

interface Held {
  id: string;
  name: JobName;
  data: unknown;
  state: JobStatus['state'];
  attemptsMade: number;
  processedBy: string | undefined;
  failedReason: string | undefined;
  timer?: unknown;
}

interface Lane {
  handler: JobHandler<JobName> | undefined;
  concurrency: number;
  waiting: Held[];
  active: Set<Held>;
  delayed: Set<Held>;
  /** Finished jobs in finishing order, bounded. */
  finished: Map<string, Held>;
}

/**
 * The embedded default: jobs held in this process's memory and run here, with the same behaviour
 * as the Redis queue (retries with exponential backoff, bounded concurrency per name, dedupe by
 * jobId, data checked against its schema). What waits here is lost if the process dies: the
 * durable catch-ups (unsummarised calls found at start, the outbox's poll) are the safety net.
 */
export class InProcessQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly retry: RetryOptions;
  private readonly lanes = new Map<JobName, Lane>();
  /** Every job held, by name and id (an id is unique within a name, as in one Redis queue). */
  private readonly held = new Map<string, Held>();
  private readonly running = new Set<Promise<void>>();
  private readonly lifetime = new AbortController();
  private closed = false;

  constructor(private readonly opts: InProcessQueueOptions) {
    this.log = opts.log ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** Async so that a refusal is a rejection, as for Redis. */
  async add<N extends JobName>(name: N, data: JobInput<N>, opts: AddOptions = {}): Promise<AddResult> {
    if (this.closed) throw new Error('job queue closed');
    // Checked on the way in as well: a job that could never run is refused where it is made.
    parseJobData(name, data);
    const id = opts.jobId ?? randomUUID();
    if (this.byIdInLane(name, id)) return { id, where: 'duplicate' };
    const job: Held = {
      id,
      name,
      data,
      state: 'waiting',
      attemptsMade: 0,
      processedBy: undefined,
      failedReason: undefined,
    };
    this.held.set(key(name, id), job);
    const lane = this.lane(name);
    if (opts.delayMs && opts.delayMs > 0) this.delay(lane, job, opts.delayMs);
    else lane.waiting.push(job);
    this.pump(lane);
    return { id, where: 'queued' };
  }

  process<N extends JobName>(name: N, handler: JobHandler<N>, opts: ProcessOptions): void {
    const lane = this.lane(name);
    if (lane.handler) throw new Error(`a handler for ${name} jobs is already registered`);
    lane.handler = handler as unknown as JobHandler<JobName>;
    lane.concurrency = Math.max(0, Math.floor(opts.concurrency));
    this.pump(lane);
  }

  counts(): Promise<Record<JobName, JobCounts>> {
    const counts = emptyCounts();
    for (const [name, lane] of this.lanes) {
      const c = counts[name];
      c.waiting = lane.waiting.length;
      c.delayed = lane.delayed.size;
      c.active = lane.active.size;
      for (const j of lane.finished.values()) c[j.state === 'failed' ? 'failed' : 'completed']++;
    }
    return Promise.resolve(counts);
  }

  status(name: JobName, id: string): Promise<JobStatus | undefined> {
    const j = this.byIdInLane(name, id);
    return Promise.resolve(
      j && {
        state: j.state,
        attemptsMade: j.attemptsMade,
        processedBy: j.processedBy,
        failedReason: j.failedReason,
      },
    );
  }

  /** Resolves once nothing waits, waits out a delay, or runs (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || [...this.lanes.values()].some((l) => l.waiting.length + l.delayed.size)) {
      if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let dropped = 0;
    for (const lane of this.lanes.values()) {
      dropped += lane.waiting.length + lane.delayed.size;
      for (const j of lane.delayed) this.clock.clearTimeout(j.timer);
      lane.waiting.length = 0;
      lane.delayed.clear();
    }
    if (dropped > 0) this.log.warn({ jobs: dropped }, 'jobs not started at close: left to the catch-ups');
    const all = Promise.allSettled([...this.running]);
    let timer: unknown;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('grace-over'), this.opts.closeGraceMs ?? 10_000);
    });
    if ((await Promise.race([all, graceOver])) === 'grace-over') {
      this.log.warn({ jobs: this.running.size }, 'jobs still running at close: aborted');
      this.lifetime.abort(new Error('job queue closed'));
      // A handler that ignores its signal is not waited for past a second grace.
      const secondGrace = new Promise<'grace-over'>((resolve) => {
        timer = this.clock.setTimeout(() => resolve('grace-over'), this.opts.closeGraceMs ?? 10_000);
      });
      if ((await Promise.race([all, secondGrace])) === 'grace-over')
        this.log.error({ jobs: this.running.size }, 'jobs ignored their abort at close: left running');
    }
    this.clock.clearTimeout(timer);
  }

  private lane(name: JobName): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = {
        handler: undefined,
        concurrency: 0,
        waiting: [],
        active: new Set(),
        delayed: new Set(),
        finished: new Map(),
      };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private byIdInLane(name: JobName, id: string): Held | undefined {
    return this.held.get(key(name, id));
  }

  private delay(lane: Lane, job: Held, ms: number): void {
    job.state = 'delayed';
    lane.delayed.add(job);
    job.timer = this.clock.setTimeout(() => {
      lane.delayed.delete(job);
      job.state = 'waiting';
      lane.waiting.push(job);
      this.pump(lane);
    }, ms);
  }

  private pump(lane: Lane): void {
    while (!this.closed && lane.handler && lane.active.size < lane.concurrency && lane.waiting.length > 0) {
      const job = lane.waiting.shift()!;
      const run = this.run(lane, lane.handler, job).finally(() => {
        this.running.delete(run);
        lane.active.delete(job);
        this.pump(lane);
      });
      lane.active.add(job);
      this.running.add(run);
    }
  }

  /** Never rejects: a failure is retried or given up here. */
  private async run(lane: Lane, handler: JobHandler<JobName>, job: Held): Promise<void> {
    job.state = 'active';
    job.attemptsMade++;
    job.processedBy = this.opts.workerName;
    const { attempts } = this.retry;
    try {
      await handler({
        id: job.id,
        data: parseJobData(job.name, job.data),
        attempt: job.attemptsMade,
        attempts,
        signal: this.lifetime.signal,
      });
      this.finish(lane, job, 'completed');
    } catch (err) {
      job.failedReason = reasonOf(err);
      const last = err instanceof MalformedJobError || job.attemptsMade >= attempts;
      const fields = { queue: job.name, jobId: job.id, attempt: job.attemptsMade, reason: job.failedReason };
      if (last) {
        this.log.error(fields, 'job given up');
        this.finish(lane, job, 'failed');
      } else if (this.closed) {
        this.log.warn(fields, 'job failed at close: left to the catch-ups');
        this.finish(lane, job, 'failed');
      } else {
        this.log.warn(fields, 'job failed; retrying');
        this.delay(lane, job, backoffDelayMs(this.retry, job.attemptsMade));
      }
    }
  }

  private finish(lane: Lane, job: Held, state: 'completed' | 'failed'): void {
    job.state = state;
    lane.finished.set(job.id, job);
    const keep = this.opts.keepFinished ?? 1000;
    for (const oldId of lane.finished.keys()) {
      if (lane.finished.size <= keep) break;
      lane.finished.delete(oldId);
      this.held.delete(key(job.name, oldId));
    }
  }
}

const key = (name: JobName, id: string) => `${name}\u0000${id}`;
