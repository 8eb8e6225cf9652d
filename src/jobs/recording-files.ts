import { link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeWav } from '../audio/index.js';
import type { CallSid } from '../ids.js';
import type { Logger } from '../shared/index.js';
import { PRIVATE_DIR_MODE, writePrivateFile, type CallsRepo } from '../store/index.js';
import type { JobContext, JobQueue } from './job-queue.js';
import { reasonOf } from './job-queue.js';

/** A finished call's two tracks (left the caller, right the agent as heard), as the session hands them over. */
export interface RecordingAudio {
  channels: Int16Array[];
  sampleRate: number;
}

export interface RecordingFilesDeps {
  /**
   * This node's own queue (an InProcessQueue): the audio is in this process's memory and the
   * file goes to this node's DATA_DIR, so no other node could do this job.
   */
  queue: Pick<JobQueue, 'add'>;
  /** DATA_DIR: the stored path is relative to it. */
  dataDir: string;
  recordingsDir: string;
  calls: Pick<CallsRepo, 'setRecording'>;
  log: Pick<Logger, 'warn' | 'error'>;
}

/**
 * A call's recording off the call's end: at the end the session hands over its audio and goes on
 * at once (its 'call-ended' event carries no path); a 'recording' job then writes the stereo WAV
 * (owner-only, never over an existing file) and only then marks it on the call row, so the
 * recordings API never points at a file still being written. Failed writes are retried by the
 * queue; close() writes whatever is still held, so a shutdown loses no recording.
 */
export class RecordingFiles {
  private readonly held = new Map<CallSid, RecordingAudio>();
  private readonly writing = new Map<CallSid, Promise<void>>();

  constructor(private readonly deps: RecordingFilesDeps) {}

  /** Recordings waiting for their file. */
  get pending(): number {
    return this.held.size;
  }

  /**
   * For the session's saveRecording at a call's end: keeps the audio and queues its file. Resolves
   * with no path once queued; if the queue refuses it (closing), writes it now and resolves with
   * the path, as before.
   */
  async keep(callSid: CallSid, audio: RecordingAudio): Promise<string | undefined> {
    this.held.set(callSid, audio);
    try {
      await this.deps.queue.add('recording', { callSid });
      return undefined;
    } catch {
      return this.writeNow(callSid, 1);
    }
  }

  /** The 'recording' job's handler. */
  async write(job: Pick<JobContext<'recording'>, 'data' | 'attempt' | 'attempts'>): Promise<void> {
    const { callSid } = job.data;
    try {
      await this.writeNow(callSid, job.attempt);
    } catch (err) {
      if (job.attempt >= job.attempts) {
        this.held.delete(callSid);
        this.deps.log.error({ callSid, reason: reasonOf(err) }, 'recording: not written; dropped');
      }
      throw err;
    }
  }

  /** Writes every recording still held (shutdown): none is left in memory. */
  async close(): Promise<void> {
    for (const callSid of [...this.held.keys()]) {
      try {
        await this.writeNow(callSid, 1);
      } catch (err) {
        this.deps.log.error({ callSid, reason: reasonOf(err) }, 'recording: not written at shutdown');
      }
    }
    await Promise.allSettled([...this.writing.values()]);
  }

  /** One write per call at a time; resolves with the stored path, or undefined when nothing was held. */
  private async writeNow(callSid: CallSid, attempt: number): Promise<string | undefined> {
    const current = this.writing.get(callSid);
    if (current) await current.catch(() => {});
    const audio = this.held.get(callSid);
    if (!audio) return undefined;
    let stored: string | undefined;
    const run = this.writeFile(callSid, audio, attempt).then((p) => {
      stored = p;
    });
    this.writing.set(callSid, run);
    try {
      await run;
      this.held.delete(callSid);
      return stored;
    } finally {
      this.writing.delete(callSid);
    }
  }

  private async writeFile(
    callSid: CallSid,
    audio: RecordingAudio,
    attempt: number,
  ): Promise<string | undefined> {
    const { deps } = this;
    await mkdir(deps.recordingsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = path.join(deps.recordingsDir, `${callSid}.wav`);
    // Written aside, then linked into place: the final name only ever holds a whole file, and
    // link() never replaces one (a recording is never overwritten, whatever reaches this path).
    const partial = `${file}.${process.pid}.partial`;
    try {
      await writePrivateFile(partial, writeWav({ sampleRate: audio.sampleRate, channels: audio.channels }));
      await link(partial, file);
    } catch (err) {
      const exists = (err as NodeJS.ErrnoException).code === 'EEXIST';
      // A retry finds the whole file its earlier try linked (the row was not marked): mark it now.
      if (!exists || attempt <= 1) {
        if (!exists) throw err;
        deps.log.error({ callSid }, 'recording: a file for this call exists already; kept, not overwritten');
        return undefined;
      }
    } finally {
      await rm(partial, { force: true });
    }
    const relative = path.relative(deps.dataDir, file);
    if (!(await deps.calls.setRecording(callSid, relative)))
      deps.log.warn({ callSid }, 'recording: call not found; file kept');
    return relative;
  }
}
