import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { asCallSid } from '../../../src/ids.js';
import type { JobContext, JobQueue, RetryOptions } from '../../../src/jobs/index.js';
import { recordingLogger } from '../../support/redis-env.js';

export interface QueueUnderTest {
  queue: JobQueue;
  /** Removes what the queue left behind (its Redis keys); the queue is closed already. */
  cleanup?(): Promise<void>;
}

export interface MakeQueue {
  (opts: {
    workerName: string;
    log: ReturnType<typeof recordingLogger>;
    retry: RetryOptions;
    closeGraceMs: number;
  }): Promise<QueueUnderTest> | QueueUnderTest;
}

/** Resolves once `check` holds, polling; fails the test after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sid = (n: number | string = randomUUID().slice(0, 8)) => asCallSid(`CAtest${n}`);

/**
 * What every JobQueue does, whichever store holds its jobs: the in-process queue and the BullMQ
 * queue run this same specification.
 */
export function describeJobQueue(label: string, make: MakeQueue, skip?: string): void {
  describe.skipIf(skip !== undefined)(`${label}: the JobQueue behaviour`, () => {
    const open: QueueUnderTest[] = [];
    afterEach(async () => {
      for (const q of open.splice(0)) {
        await q.queue.close();
        await q.cleanup?.();
      }
    });
    async function start(over: Partial<Parameters<MakeQueue>[0]> = {}) {
      const log = recordingLogger();
      const made = await make({
        workerName: 'node-test',
        log,
        retry: { attempts: 3, backoffMs: 30 },
        closeGraceMs: 2000,
        ...over,
      });
      open.push(made);
      return { queue: made.queue, log };
    }

    it('runs a job with its data (checked, branded), attempt 1, and records the node that ran it', async () => {
      const { queue } = await start({ workerName: 'node-a' });
      const seen: Array<JobContext<'call-summary'>> = [];
      queue.process('call-summary', async (job) => void seen.push(job), { concurrency: 1 });
      const added = await queue.add('call-summary', { callSid: sid(1) });
      expect(added.where).toBe('queued');
      await eventually(() => seen.length === 1);
      expect(seen[0]!.data).toEqual({ callSid: 'CAtest1' });
      expect(seen[0]!.attempt).toBe(1);
      expect(seen[0]!.attempts).toBe(3);
      expect(seen[0]!.id).toBe(added.id);
      await eventually(async () => (await queue.status('call-summary', added.id))?.state === 'completed');
      expect(await queue.status('call-summary', added.id)).toMatchObject({
        state: 'completed',
        attemptsMade: 1,
        processedBy: 'node-a',
      });
    });

    it('runs a failing job again with backoff, then gives it up with an error log', async () => {
      const { queue, log } = await start();
      const at: number[] = [];
      queue.process(
        'notify',
        async (job) => {
          at.push(Date.now());
          throw new Error(`provider down (try ${job.attempt})`);
        },
        { concurrency: 1 },
      );
      const { id } = await queue.add('notify', { outboxId: randomUUID() });
      await eventually(async () => (await queue.status('notify', id))?.state === 'failed');
      expect(at).toHaveLength(3);
      // Exponential: about 30 ms, then about 60 ms.
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(25);
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(55);
      expect(await queue.status('notify', id)).toMatchObject({
        state: 'failed',
        attemptsMade: 3,
        failedReason: 'provider down (try 3)',
      });
      await eventually(() => log.lines.some((l) => l.level === 'error' && l.msg === 'job given up'));
      const givenUp = log.lines.find((l) => l.msg === 'job given up')!;
      expect(givenUp.obj).toMatchObject({ queue: 'notify', jobId: id, reason: 'provider down (try 3)' });
    });

    it('a job that succeeds on a retry is done once, not given up', async () => {
      const { queue, log } = await start();
      let runs = 0;
      queue.process(
        'recording',
        async () => {
          if (++runs === 1) throw new Error('disk busy');
        },
        { concurrency: 1 },
      );
      const { id } = await queue.add('recording', { callSid: sid() });
      await eventually(async () => (await queue.status('recording', id))?.state === 'completed');
      expect(runs).toBe(2);
      expect(log.lines.some((l) => l.msg === 'job given up')).toBe(false);
    });

    it('a jobId already held makes a second add a no-op', async () => {
      const { queue } = await start();
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      queue.process(
        'call-summary',
        async () => {
          runs++;
          await gate;
        },
        { concurrency: 2 },
      );
      const first = await queue.add('call-summary', { callSid: sid(2) }, { jobId: 'summary-CAtest2' });
      const second = await queue.add('call-summary', { callSid: sid(2) }, { jobId: 'summary-CAtest2' });
      expect(first).toEqual({ id: 'summary-CAtest2', where: 'queued' });
      expect(second).toEqual({ id: 'summary-CAtest2', where: 'duplicate' });
      await eventually(() => runs === 1);
      release();
      await eventually(async () => (await queue.status('call-summary', first.id))?.state === 'completed');
      // Still held after finishing (kept, bounded): the id still dedupes.
      expect((await queue.add('call-summary', { callSid: sid(2) }, { jobId: 'summary-CAtest2' })).where).toBe(
        'duplicate',
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(runs).toBe(1);
    });

    it('runs no more jobs of a name at once than its concurrency', async () => {
      const { queue } = await start();
      let now = 0;
      let most = 0;
      let done = 0;
      queue.process(
        'recording',
        async () => {
          most = Math.max(most, ++now);
          await new Promise((r) => setTimeout(r, 40));
          now--;
          done++;
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 6; i++) await queue.add('recording', { callSid: sid() });
      await eventually(() => done === 6);
      expect(most).toBe(2);
    });

    it('a delayed job does not run before its delay', async () => {
      const { queue } = await start();
      const ran: number[] = [];
      queue.process('call-summary', async () => void ran.push(Date.now()), { concurrency: 1 });
      const added = Date.now();
      const { id } = await queue.add('call-summary', { callSid: sid() }, { delayMs: 300 });
      expect((await queue.status('call-summary', id))?.state).toBe('delayed');
      await eventually(() => ran.length === 1);
      expect(ran[0]! - added).toBeGreaterThanOrEqual(280);
    });

    it('refuses data that does not fit the job name', async () => {
      const { queue } = await start();
      await expect(queue.add('notify', { outboxId: 'not-a-uuid' })).rejects.toThrow(/does not fit/);
      await expect(queue.add('call-summary', {} as never)).rejects.toThrow(/does not fit/);
    });

    it('with concurrency 0 a node only queues: the job waits for a node that runs jobs', async () => {
      const { queue } = await start();
      let runs = 0;
      queue.process('call-summary', async () => void runs++, { concurrency: 0 });
      const { id } = await queue.add('call-summary', { callSid: sid() });
      await new Promise((r) => setTimeout(r, 200));
      expect(runs).toBe(0);
      expect((await queue.status('call-summary', id))?.state).toBe('waiting');
      expect((await queue.counts())['call-summary'].waiting).toBe(1);
    });

    it('close() waits for a running job to finish', async () => {
      const { queue } = await start();
      let finished = false;
      let started = false;
      queue.process(
        'call-summary',
        async () => {
          started = true;
          await new Promise((r) => setTimeout(r, 300));
          finished = true;
        },
        { concurrency: 1 },
      );
      await queue.add('call-summary', { callSid: sid() });
      await eventually(() => started);
      await queue.close();
      expect(finished).toBe(true);
      await expect(queue.add('call-summary', { callSid: sid() })).rejects.toThrow(/closed/);
    });

    it('close() aborts a job still running when its grace is over', async () => {
      const { queue } = await start({ closeGraceMs: 200 });
      let started = false;
      let aborted = false;
      queue.process(
        'notify',
        (job) =>
          new Promise<void>((_, reject) => {
            started = true;
            job.signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          }),
        { concurrency: 1 },
      );
      await queue.add('notify', { outboxId: randomUUID() });
      await eventually(() => started);
      const t0 = Date.now();
      await queue.close();
      expect(aborted).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });
}
