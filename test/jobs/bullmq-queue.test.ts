import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asCallSid } from '../../src/ids.js';
import { BullmqQueue, type BullmqQueueOptions } from '../../src/jobs/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../support/redis-env.js';
import { describeJobQueue, eventually } from './support/queue-behaviour.js';

/** A queue prefix of this test's own; never another suite's keys. */
const newPrefix = () => uniquePrefix('test-jobs').replace(/:$/, '');

/** Deletes this prefix's keys (SCAN, never FLUSH: the shared Redis serves other suites). */
async function dropKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describeJobQueue(
  'BullmqQueue',
  ({ workerName, log, retry, closeGraceMs }) => {
    const prefix = newPrefix();
    return {
      queue: new BullmqQueue({ url: testRedisUrl!, prefix, workerName, log, retry, closeGraceMs }),
      cleanup: () => dropKeys(testRedisUrl!, prefix),
    };
  },
  redisSkipReason,
);

describe.skipIf(redisSkipReason !== undefined)('BullmqQueue across nodes', () => {
  const open: BullmqQueue[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
    for (const p of prefixes.splice(0)) await dropKeys(testRedisUrl!, p);
  });
  const node = (prefix: string, workerName: string, extra: Partial<BullmqQueueOptions> = {}) => {
    const log = recordingLogger();
    const q = new BullmqQueue({
      url: testRedisUrl!,
      prefix,
      workerName,
      log,
      retry: { attempts: 3, backoffMs: 30 },
      ...extra,
    });
    open.push(q);
    return { q, log };
  };

  it('a job queued on node A (JOB_CONCURRENCY 0) is done by node B', async () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    const a = node(prefix, 'node-a');
    const b = node(prefix, 'node-b');
    const ranOn: string[] = [];
    a.q.process('call-summary', async () => void ranOn.push('node-a'), { concurrency: 0 });
    b.q.process('call-summary', async () => void ranOn.push('node-b'), { concurrency: 2 });
    const added = await a.q.add('call-summary', { callSid: asCallSid('CAtwo-nodes') });
    expect(added.where).toBe('queued');
    await eventually(async () => (await a.q.status('call-summary', added.id))?.state === 'completed');
    expect(ranOn).toEqual(['node-b']);
    // Either node reads the same record: B ran it.
    expect((await a.q.status('call-summary', added.id))?.processedBy).toBe('node-b');
    expect((await b.q.status('call-summary', added.id))?.processedBy).toBe('node-b');
  });

  it('jobs are shared among the nodes that run them, each run once', async () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    const seen = new Map<string, string>();
    const handler = (name: string) => async (job: { id: string }) => {
      expect(seen.has(job.id)).toBe(false);
      seen.set(job.id, name);
      await new Promise((r) => setTimeout(r, 30));
    };
    const a = node(prefix, 'node-a');
    const b = node(prefix, 'node-b');
    a.q.process('recording', handler('node-a'), { concurrency: 1 });
    b.q.process('recording', handler('node-b'), { concurrency: 1 });
    for (let i = 0; i < 10; i++) await a.q.add('recording', { callSid: asCallSid(`CA${i}`) });
    await eventually(() => seen.size === 10);
    expect(new Set(seen.values())).toEqual(new Set(['node-a', 'node-b']));
  });

  it('a job cut short by its node shutting down runs again on another node', async () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    const a = node(prefix, 'node-a', { closeGraceMs: 100 });
    const b = node(prefix, 'node-b');
    let startedOnA = false;
    a.q.process(
      'call-summary',
      (job) =>
        new Promise<void>((_, reject) => {
          startedOnA = true;
          job.signal.addEventListener('abort', () => reject(new Error('node shutting down')));
        }),
      { concurrency: 1 },
    );
    const added = await a.q.add('call-summary', { callSid: asCallSid('CAcut') });
    await eventually(() => startedOnA);
    const doneOnB: string[] = [];
    b.q.process('call-summary', async (job) => void doneOnB.push(job.data.callSid), { concurrency: 1 });
    await a.q.close();
    await eventually(() => doneOnB.length === 1, 10_000);
    expect(doneOnB).toEqual(['CAcut']);
    expect(await b.q.status('call-summary', added.id)).toMatchObject({
      state: 'completed',
      attemptsMade: 2,
      processedBy: 'node-b',
    });
  });

  it('a job whose node dies mid-run (its lock lapses) is run again by another node', async () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    const lock = { lockDurationMs: 1000, closeGraceMs: 200 };
    const a = node(prefix, 'node-a', lock);
    const b = node(prefix, 'node-b', lock);
    let startedOnA = false;
    a.q.process(
      'recording',
      () =>
        new Promise<void>(() => {
          startedOnA = true;
        }),
      { concurrency: 1 },
    );
    const added = await a.q.add('recording', { callSid: asCallSid('CAdead') });
    await eventually(() => startedOnA);
    // The node's link to Redis is cut for good, as when its process dies: no lock renewal, no result.
    (a.q as unknown as { workerConnection: Redis }).workerConnection.disconnect();
    const doneOnB: string[] = [];
    b.q.process('recording', async (job) => void doneOnB.push(job.data.callSid), { concurrency: 1 });
    await eventually(() => doneOnB.length === 1, 15_000);
    expect((await b.q.status('recording', added.id))?.processedBy).toBe('node-b');
  }, 30_000);

  it('a job whose data in Redis does not fit its name is given up without running', async () => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    const { q, log } = node(prefix, 'node-a');
    let runs = 0;
    q.process('notify', async () => void runs++, { concurrency: 1 });
    // Written behind our back, as another program (or an older version) could.
    const raw = new Queue('notify', { connection: { url: testRedisUrl! }, prefix });
    await raw.add('notify', { outboxId: 42, extra: 'x' }, { jobId: 'bad', attempts: 3 });
    await raw.close();
    await eventually(async () => (await q.status('notify', 'bad'))?.state === 'failed');
    expect(runs).toBe(0);
    expect((await q.status('notify', 'bad'))?.attemptsMade).toBe(1);
    expect(log.text()).not.toContain('extra');
    expect(log.lines.find((l) => l.msg === 'job given up')?.obj).toMatchObject({
      queue: 'notify',
      jobId: 'bad',
    });
  });
});

describe.skipIf(redisSkipReason !== undefined)('BullmqQueue when Redis goes away', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 20_000);
  afterAll(async () => {
    await redis.close();
  });

  it('an add while Redis is down runs the job on this node (fast), and Redis takes jobs again once back', async () => {
    const log = recordingLogger();
    const q = new BullmqQueue({
      url: redis.url,
      prefix: 'jobs',
      workerName: 'node-a',
      log,
      closeGraceMs: 1000,
    });
    const ran: string[] = [];
    // JOB_CONCURRENCY 0: this node takes no jobs from Redis, yet runs what Redis could not take.
    q.process('notify', async (job) => void ran.push(job.data.outboxId), { concurrency: 0 });
    try {
      await eventually(async () => (await q.add('notify', { outboxId: randomUUID() })).where === 'queued');
      await redis.kill();
      const lost = randomUUID();
      const t0 = Date.now();
      const added = await q.add('notify', { outboxId: lost });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(added.where).toBe('local');
      await eventually(() => ran.includes(lost));
      expect(q.localRuns).toBe(1);
      expect((await q.status('notify', added.id))?.processedBy).toBe('node-a');
      await eventually(() => log.lines.some((l) => l.msg === 'jobs: Redis unavailable'));
      expect(log.text()).not.toContain(redis.url);

      await redis.restart();
      const b = new BullmqQueue({ url: redis.url, prefix: 'jobs', workerName: 'node-b', closeGraceMs: 1000 });
      const onB: string[] = [];
      b.process('notify', async (job) => void onB.push(job.data.outboxId), { concurrency: 1 });
      try {
        const later = randomUUID();
        await eventually(async () => (await q.add('notify', { outboxId: later })).where === 'queued', 10_000);
        await eventually(() => onB.includes(later), 10_000);
      } finally {
        await b.close();
      }
    } finally {
      await q.close();
    }
  }, 30_000);

  it('a worker picks up again after Redis restarts: a job added after the restart is run by it', async () => {
    const q = new BullmqQueue({ url: redis.url, prefix: 'jobs2', workerName: 'node-w', closeGraceMs: 1000 });
    const ran: string[] = [];
    q.process('call-summary', async (job) => void ran.push(job.data.callSid), { concurrency: 1 });
    try {
      await q.add('call-summary', { callSid: asCallSid('CAbefore') });
      await eventually(() => ran.includes('CAbefore'));
      await redis.kill();
      await new Promise((r) => setTimeout(r, 300));
      await redis.restart();
      await eventually(
        async () => (await q.add('call-summary', { callSid: asCallSid('CAafter') })).where === 'queued',
        10_000,
      );
      await eventually(() => ran.includes('CAafter'), 15_000);
    } finally {
      await q.close();
    }
  }, 30_000);
});
