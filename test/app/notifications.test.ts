import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { registerPostCallJobs, wireJobs, type JobsWiring } from '../../src/app/jobs.js';
import { announcer, createNotifications } from '../../src/app/notifications.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/http/logger.js';
import { Metrics } from '../../src/http/metrics.js';
import { InProcessQueue } from '../../src/jobs/index.js';
import { enqueue } from '../../src/notify/index.js';
import { outbox, outboxAttempts } from '../../src/store/schema/outbox.js';
import { eq } from 'drizzle-orm';
import { drivers, silentLogger, useDatabase } from '../store/drivers.js';
import { createBusiness, waitFor } from '../notify/support/notify-fixtures.js';
import { redisSkipReason, testRedisUrl, uniquePrefix } from '../support/redis-env.js';

const pglite = drivers.find((d) => d.name === 'pglite')!;

describe('announcer: due outbox rows as notify jobs', () => {
  it('runs one query at a time however often woken, one more if woken during it; job ids name row and attempt', async () => {
    let queries = 0;
    let release!: () => void;
    const dispatcher = {
      dueRows: async () => {
        queries++;
        if (queries === 1) await new Promise<void>((r) => (release = r));
        return [{ id: '2f1c6c7e-3d55-4a8a-9d0b-5b8a1f3c9e01', attempts: 2 }];
      },
    };
    const added: Array<{ data: unknown; jobId: string | undefined }> = [];
    const jobs = {
      add: async (_name: string, data: unknown, opts?: { jobId?: string }) => {
        added.push({ data, jobId: opts?.jobId });
        return { id: opts?.jobId ?? '', where: 'queued' as const };
      },
    };
    const wake = announcer(dispatcher, jobs as never, silentLogger);
    wake();
    wake();
    wake();
    wake();
    release();
    await waitFor(() => added.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(queries).toBe(2);
    expect(added[0]).toEqual({
      data: { outboxId: '2f1c6c7e-3d55-4a8a-9d0b-5b8a1f3c9e01' },
      jobId: 'notify-2f1c6c7e-3d55-4a8a-9d0b-5b8a1f3c9e01-2',
    });
  });

  it('a failed query is logged, not thrown (the poll still finds the rows)', async () => {
    const warned: string[] = [];
    const wake = announcer(
      { dueRows: () => Promise.reject(new Error('connection reset')) },
      { add: () => Promise.reject(new Error('unused')) },
      { warn: (_o: object, msg?: string) => void warned.push(msg ?? '') },
    );
    wake();
    await waitFor(() => warned.length === 1);
    expect(warned).toEqual(['outbox: due rows not announced as jobs']);
  });
});

describe('notifications and the job queue', () => {
  const store = useDatabase(pglite);
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const configFor = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-notify-jobs-'));
    dirs.push(dir);
    return loadConfig({ DATA_DIR: dir, NOTIFY_DELIVERY: 'local', ...env });
  };

  it('embedded (in-process queue): the dispatcher delivers on its own wake, nothing is announced', async () => {
    const config = configFor({ JOB_CONCURRENCY: '0' });
    const queue = new InProcessQueue({ workerName: 'n' });
    const added: unknown[] = [];
    const jobs = {
      kind: queue.kind,
      add: (...a: unknown[]) => (added.push(a), queue.add('notify', { outboxId: '' })),
    };
    const n = createNotifications({
      config,
      db: store.database.db,
      log: createLogger({ level: 'silent' }),
      metrics: new Metrics(),
      nodeId: 'solo',
      jobs: jobs as never,
    });
    n.dispatcher.wake();
    const stop = new AbortController();
    const runs = n.run(stop.signal);
    // The dispatcher loop runs here whatever JOB_CONCURRENCY says: there is no other node.
    expect(runs).toHaveLength(2);
    stop.abort();
    await Promise.all(runs);
    expect(added).toEqual([]);
    await queue.close();
  });

  describe.skipIf(redisSkipReason !== undefined)('two nodes on one Redis and one database', () => {
    const wirings: JobsWiring[] = [];
    const prefix = uniquePrefix('test-notify-jobs').replace(/:$/, '');
    afterAll(async () => {
      for (const w of wirings) await w.close();
      const redis = new Redis(testRedisUrl!);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('a row committed on web-only node A (JOB_CONCURRENCY 0) is claimed and sent by node B through a notify job', async () => {
      const db = store.database.db;
      const businessId = await createBusiness(db);
      // Polls far apart: only the job can deliver the row within the test.
      const common = { REDIS_URL: testRedisUrl!, NOTIFY_POLL_INTERVAL_MS: '60000' };
      const nodes = (['node-a', 'node-b'] as const).map((nodeId) => {
        const config = configFor({ ...common, JOB_CONCURRENCY: nodeId === 'node-a' ? '0' : '2' });
        const jobs = wireJobs({ config, log: silentLogger, nodeId, prefix });
        wirings.push(jobs);
        const n = createNotifications({
          config,
          db,
          log: createLogger({ level: 'silent' }),
          metrics: new Metrics(),
          nodeId,
          jobs: jobs.queue,
        });
        registerPostCallJobs(jobs, {
          summaries: { runJob: () => Promise.resolve() },
          dispatcher: n.dispatcher,
        });
        return n;
      });
      const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      const stop = new AbortController();
      const runsA = a.run(stop.signal);
      const runsB = b.run(stop.signal);
      // A sends nothing itself: no dispatcher loop, only the escalations'.
      expect(runsA).toHaveLength(1);
      expect(runsB).toHaveLength(2);
      // B's loop has made its first claim and sleeps on its long poll.
      await new Promise((r) => setTimeout(r, 300));
      try {
        const t0 = Date.now();
        const [row] = await a.notifier.transaction((tx) =>
          enqueue(tx, [
            {
              businessId,
              kind: 'email',
              recipient: 'owner@example.com',
              subject: 'Lead',
              body: 'New lead',
              cause: 'test',
            },
          ]),
        );
        await waitFor(async () => {
          const [r] = await db.select().from(outbox).where(eq(outbox.id, row!.id));
          return r?.status === 'sent';
        }, 10_000);
        expect(Date.now() - t0).toBeLessThan(5000);
        const [sent] = await db.select().from(outbox).where(eq(outbox.id, row!.id));
        expect(sent).toMatchObject({ status: 'sent', attempts: 1, claimedBy: 'node-b' });
        const attempts = await db.select().from(outboxAttempts).where(eq(outboxAttempts.outboxId, row!.id));
        expect(attempts).toMatchObject([{ outcome: 'sent', node: 'node-b' }]);
      } finally {
        stop.abort();
        await Promise.all([...runsA, ...runsB]);
      }
    }, 30_000);
  });
});
