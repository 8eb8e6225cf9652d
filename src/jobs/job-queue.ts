import { z } from 'zod';
import { asCallSid, type CallSid } from '../ids.js';

/**
 * Post-call work as named jobs. Each name has one data shape, checked with zod whenever a job
 * comes back out of a store (Redis is outside data: another version of us, or anyone with access,
 * may have written it). Handlers must be idempotent: a job runs at least once, and in rare cases
 * (a node dying mid-job, Redis failing during an add) twice.
 */
export const JOB_SCHEMAS = {
  /** The written after-call summary of one call. */
  'call-summary': z.object({ callSid: z.string().min(1).max(64).transform(asCallSid) }),
  /** A finished call's recording file: written and marked on the call row off the call's end. */
  recording: z.object({ callSid: z.string().min(1).max(64).transform(asCallSid) }),
  /** An outbox row is due: whichever node takes the job claims and sends it. */
  notify: z.object({ outboxId: z.string().uuid() }),
} as const;

export type JobName = keyof typeof JOB_SCHEMAS;
export const JOB_NAMES = Object.keys(JOB_SCHEMAS) as JobName[];

/** What a job carries, by name (after parsing: call sids are branded). */
export type JobData<N extends JobName> = z.output<(typeof JOB_SCHEMAS)[N]>;

/** The data as handed to add(): a plain CallSid or string is fine. */
export type JobInput<N extends JobName> = N extends 'notify' ? { outboxId: string } : { callSid: CallSid };

export interface JobContext<N extends JobName> {
  /** The job's id (the given jobId, or one the queue made). */
  id: string;
  data: JobData<N>;
  /** 1 on the first run. */
  attempt: number;
  /** Runs allowed in all; a handler may clean up what it holds on the last one. */
  attempts: number;
  /** Aborted when the queue closes and its grace is over: stop and throw. */
  signal: AbortSignal;
}

/** Resolves when done; throws to have the job run again later (with backoff) until attempts run out. */
export type JobHandler<N extends JobName> = (job: JobContext<N>) => Promise<void>;

export interface AddOptions {
  /** A job with this id already held (waiting, running or kept after finishing) makes this add a no-op. */
  jobId?: string;
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
}

export interface AddResult {
  id: string;
  /** 'queued': stored in the queue; 'local': run in this process (Redis could not take it); 'duplicate': jobId already held. */
  where: 'queued' | 'local' | 'duplicate';
}

export interface ProcessOptions {
  /** Jobs of this name run at once on this node; 0: this node runs none (it only queues them). */
  concurrency: number;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  /** Finished jobs still kept (bounded), not all there ever were. */
  completed: number;
  failed: number;
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobStatus {
  state: JobState;
  /** Runs started so far. */
  attemptsMade: number;
  /** The worker that last ran it: `<node id>` (see each queue's workerName). */
  processedBy: string | undefined;
  failedReason: string | undefined;
}

export interface JobQueue {
  /** 'in-process': this node alone (the embedded default); 'redis': shared by every node on the Redis. */
  readonly kind: 'in-process' | 'redis';
  add<N extends JobName>(name: N, data: JobInput<N>, opts?: AddOptions): Promise<AddResult>;
  /** Registers this node's handler for a name (once per name). */
  process<N extends JobName>(name: N, handler: JobHandler<N>, opts: ProcessOptions): void;
  counts(): Promise<Record<JobName, JobCounts>>;
  /** A job's state while it is held; undefined once it is gone (or never was). Rejects when Redis cannot answer. */
  status(name: JobName, id: string): Promise<JobStatus | undefined>;
  /** Takes no more jobs; waits for running ones up to the close grace, then aborts them. */
  close(): Promise<void>;
}

/** How failed jobs are run again: `attempts` runs in all, waiting backoffMs, 2x, 4x… between them. */
export interface RetryOptions {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, backoffMs: 1000 };

/** The wait before run `attempt + 1` after run `attempt` failed. */
export function backoffDelayMs(retry: RetryOptions, attempt: number): number {
  return retry.backoffMs * 2 ** Math.max(0, attempt - 1);
}

/** Checks a job's data against its name's schema; throws a MalformedJobError when it does not fit. */
export function parseJobData<N extends JobName>(name: N, data: unknown): JobData<N> {
  const parsed = JOB_SCHEMAS[name].safeParse(data);
  if (!parsed.success) throw new MalformedJobError(name);
  return parsed.data as JobData<N>;
}

/** A job whose data does not fit its name: never run, never retried. The data is not in the message. */
export class MalformedJobError extends Error {
  override readonly name = 'MalformedJobError';
  constructor(readonly jobName: string) {
    super(`a ${jobName} job's data does not fit its schema`);
  }
}

/** A short reason for logs and the job's record: the message only, cut to size. */
export function reasonOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}

export function emptyCounts(): Record<JobName, JobCounts> {
  return Object.fromEntries(
    JOB_NAMES.map((n) => [n, { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 }]),
  ) as Record<JobName, JobCounts>;
}
