import type { Config } from '../config.js';
import type { CallSid } from '../ids.js';
import {
  BullmqQueue,
  InProcessQueue,
  RecordingFiles,
  type JobQueue,
  type RecordingAudio,
} from '../jobs/index.js';
import type { Logger } from '../shared/index.js';
import type { CallsRepo } from '../store/index.js';

export interface JobsWiring {
  /** Post-call work shared by the nodes on REDIS_URL (BullMQ), or this process's own (embedded). */
  readonly queue: JobQueue;
  /** Work bound to this node (a call's recording, whose audio only this process holds). */
  readonly local: InProcessQueue;
  /** Jobs of each name this node runs at once (JOB_CONCURRENCY; 0: it only queues them). */
  readonly concurrency: number;
  /** Waits for running jobs (bounded), then lets go of Redis. */
  close(): Promise<void>;
}

/**
 * The job queues, built once. With REDIS_URL the jobs go through BullMQ, workers named after this
 * node (a job's processedBy tells which node ran it); without it they run in this process, where
 * JOB_CONCURRENCY=0 would leave them to nobody, so at least one runs at a time.
 */
export function wireJobs(deps: {
  config: Config;
  log: Logger;
  nodeId: string;
  /** Default config.redisUrl. */
  redisUrl?: string | undefined;
  /** The queues' Redis key prefix; default 'switchboard-jobs' (tests give their own). */
  prefix?: string;
}): JobsWiring {
  const { config, log, nodeId } = deps;
  const redisUrl = deps.redisUrl ?? config.redisUrl;
  const wanted = config.production.jobConcurrency;
  const local = new InProcessQueue({ workerName: nodeId, log });
  let queue: JobQueue;
  let concurrency = wanted;
  if (redisUrl) {
    queue = new BullmqQueue({
      url: redisUrl,
      workerName: nodeId,
      log,
      ...(deps.prefix !== undefined ? { prefix: deps.prefix } : {}),
    });
    if (wanted <= 0)
      log.info({ nodeId }, 'JOB_CONCURRENCY=0: this node queues post-call jobs; other nodes run them');
  } else {
    queue = new InProcessQueue({ workerName: nodeId, log });
    if (wanted <= 0) {
      log.warn(
        { nodeId },
        'JOB_CONCURRENCY=0 without REDIS_URL: no other node can run jobs; this one runs them one at a time',
      );
      concurrency = 1;
    }
  }
  return {
    queue,
    local,
    concurrency,
    async close() {
      await queue.close();
      await local.close();
    },
  };
}

export interface PostCallWork {
  /** The after-call summaries (src/assist): a 'call-summary' job runs one call's. */
  summaries: { runJob(callSid: CallSid, signal?: AbortSignal): Promise<void> };
  /** The outbox dispatcher: a 'notify' job claims and sends one row. */
  dispatcher: { deliverRow(id: string, signal: AbortSignal): Promise<boolean> };
}

/** Registers this node's handlers of the shared post-call jobs. */
export function registerPostCallJobs(
  jobs: Pick<JobsWiring, 'queue' | 'concurrency'>,
  work: PostCallWork,
): void {
  const { queue, concurrency } = jobs;
  queue.process('call-summary', (job) => work.summaries.runJob(job.data.callSid, job.signal), {
    concurrency,
  });
  queue.process(
    'notify',
    async (job) => {
      // False: another node (or this one's poll) had it first. Either way the row is the ledger.
      await work.dispatcher.deliverRow(job.data.outboxId, job.signal);
    },
    { concurrency },
  );
}

/**
 * A call's recording written off the call's end, on this node's own queue. Returns the session's
 * saveRecording (for the call controller) and what the app closes at shutdown, before the queue.
 */
export function wireRecordingFiles(
  jobs: Pick<JobsWiring, 'local'>,
  deps: { dataDir: string; recordingsDir: string; calls: Pick<CallsRepo, 'setRecording'>; log: Logger },
): {
  files: RecordingFiles;
  saveRecording(callSid: CallSid, audio: RecordingAudio): Promise<string | undefined>;
} {
  const files = new RecordingFiles({ queue: jobs.local, ...deps });
  // Two at a time: a call's end never waits on them, and large files are written one by one.
  jobs.local.process('recording', (job) => files.write(job), { concurrency: 2 });
  return { files, saveRecording: (callSid, audio) => files.keep(callSid, audio) };
}
