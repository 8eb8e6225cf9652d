export {
  backoffDelayMs,
  DEFAULT_RETRY,
  JOB_NAMES,
  JOB_SCHEMAS,
  MalformedJobError,
  parseJobData,
  type AddOptions,
  type AddResult,
  type JobContext,
  type JobCounts,
  type JobData,
  type JobHandler,
  type JobInput,
  type JobName,
  type JobQueue,
  type JobState,
  type JobStatus,
  type ProcessOptions,
  type RetryOptions,
} from './job-queue.js';
export { InProcessQueue, type InProcessQueueOptions } from './in-process-queue.js';
export { BullmqQueue, type BullmqQueueOptions } from './bullmq-queue.js';
export { RecordingFiles, type RecordingAudio, type RecordingFilesDeps } from './recording-files.js';
