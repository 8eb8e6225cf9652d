import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { registerPostCallJobs, wireJobs, wireRecordingFiles, type JobsWiring } from '../../src/app/jobs.js';
import { PostCallSummaries } from '../../src/assist/index.js';
import { loadConfig } from '../../src/config.js';
import { asCallSid, type CallSid, type E164 } from '../../src/ids.js';
import { BusinessesRepo, CallsRepo } from '../../src/store/index.js';
import { drivers, silentLogger, useDatabase } from '../store/drivers.js';
import { eventually } from '../jobs/support/queue-behaviour.js';
import { recordingLogger, redisSkipReason, testRedisUrl, uniquePrefix } from '../support/redis-env.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const configFor = (env: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-jobs-'));
  dirs.push(dir);
  return loadConfig({ DATA_DIR: dir, ...env });
};

describe('wireJobs', () => {
  it('without REDIS_URL: an in-process queue, JOB_CONCURRENCY as given', async () => {
    const jobs = wireJobs({ config: configFor({ JOB_CONCURRENCY: '3' }), log: silentLogger, nodeId: 'solo' });
    expect(jobs.queue.kind).toBe('in-process');
    expect(jobs.concurrency).toBe(3);
    await jobs.close();
  });

  it('without REDIS_URL, JOB_CONCURRENCY=0 would leave jobs to nobody: one at a time here, with a warning', async () => {
    const log = recordingLogger();
    const jobs = wireJobs({ config: configFor({ JOB_CONCURRENCY: '0' }), log, nodeId: 'solo' });
    expect(jobs.concurrency).toBe(1);
    expect(
      log.lines.some((l) => l.level === 'warn' && l.msg?.startsWith('JOB_CONCURRENCY=0 without REDIS_URL')),
    ).toBe(true);
    await jobs.close();
  });

  it('registerPostCallJobs: a call-summary job runs the summary, a notify job claims and sends its row', async () => {
    const jobs = wireJobs({ config: configFor({}), log: silentLogger, nodeId: 'solo' });
    const summarised: string[] = [];
    const delivered: string[] = [];
    registerPostCallJobs(jobs, {
      summaries: { runJob: async (sid) => void summarised.push(sid) },
      dispatcher: {
        deliverRow: async (id) => {
          delivered.push(id);
          return true;
        },
      },
    });
    const outboxId = randomUUID();
    await jobs.queue.add('call-summary', { callSid: asCallSid('CAjob') });
    await jobs.queue.add('notify', { outboxId });
    await eventually(() => summarised.length === 1 && delivered.length === 1);
    expect(summarised).toEqual(['CAjob']);
    expect(delivered).toEqual([outboxId]);
    await jobs.close();
  });

  it('wireRecordingFiles: the saveRecording for the call controller resolves at once; the local job marks the file', async () => {
    const config = configFor({});
    const jobs = wireJobs({ config, log: silentLogger, nodeId: 'solo' });
    const marked: string[] = [];
    const { files, saveRecording } = wireRecordingFiles(jobs, {
      dataDir: config.dataDir,
      recordingsDir: join(config.dataDir, 'recordings'),
      calls: { setRecording: async (_sid, p) => (marked.push(p), true) },
      log: silentLogger,
    });
    const left = new Int16Array(8000);
    expect(
      await saveRecording(asCallSid('CAwired'), { channels: [left, left], sampleRate: 8000 }),
    ).toBeUndefined();
    await jobs.local.idle();
    expect(marked).toEqual([join('recordings', 'CAwired.wav')]);
    await files.close();
    await jobs.close();
  });
});

describe.skipIf(redisSkipReason !== undefined)(
  'two nodes: an after-call summary queued on A is written by B',
  () => {
    const store = useDatabase(drivers.find((d) => d.name === 'pglite')!);
    const prefix = uniquePrefix('test-app-jobs').replace(/:$/, '');
    const wirings: JobsWiring[] = [];
    afterAll(async () => {
      for (const w of wirings) await w.close();
      const redis = new Redis(testRedisUrl!);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('A (JOB_CONCURRENCY 0) queues the ended call; B runs the job, stamped with its node id', async () => {
      const db = store.database.db;
      const calls = new CallsRepo(db);
      const business = await new BusinessesRepo(db).create({
        name: 'Acme Plumbing',
        greeting: 'Hi',
        timezone: 'America/Chicago',
        phoneNumbers: ['+15005550123'],
      });
      const sid: CallSid = asCallSid(`CA${randomUUID().replace(/-/g, '')}`);
      await calls.createInbound({
        callSid: sid,
        businessId: business.id,
        from: '+14155550100' as E164,
        to: '+15005550123' as E164,
      });
      await calls.appendTurn(sid, { speaker: 'caller', text: 'my water heater is leaking' });
      await calls.recordStatus({
        callSid: sid,
        status: 'completed',
        source: 'stream',
        occurredAt: new Date(),
      });

      const node = (nodeId: string, jobConcurrency: string) => {
        const jobs = wireJobs({
          config: configFor({ REDIS_URL: testRedisUrl!, JOB_CONCURRENCY: jobConcurrency }),
          log: silentLogger,
          nodeId,
          prefix,
        });
        wirings.push(jobs);
        const ids: string[] = [];
        const summaries = new PostCallSummaries({
          calls,
          log: silentLogger,
          settleMs: 50,
          queue: {
            add: async (callSid, delayMs) => {
              const added = await jobs.queue.add('call-summary', { callSid }, { delayMs });
              ids.push(added.id);
              return added;
            },
          },
        });
        let ran = 0;
        registerPostCallJobs(jobs, {
          summaries: { runJob: (s, signal) => (ran++, summaries.runJob(s, signal)) },
          dispatcher: { deliverRow: async () => false },
        });
        return { jobs, summaries, ids, ran: () => ran };
      };
      const a = node('node-a', '0');
      const b = node('node-b', '2');
      a.summaries.enqueue(sid);
      await eventually(() => a.ids.length === 1);
      await eventually(async () => (await calls.get(sid))?.summary?.text !== undefined, 10_000);
      expect((await calls.get(sid))!.summary!.text).toMatch(/water heater/);
      expect(a.ran()).toBe(0);
      expect(b.ran()).toBe(1);
      await eventually(
        async () => (await a.jobs.queue.status('call-summary', a.ids[0]!))?.state === 'completed',
      );
      expect((await a.jobs.queue.status('call-summary', a.ids[0]!))?.processedBy).toBe('node-b');
      await a.summaries.close();
      await b.summaries.close();
    }, 30_000);
  },
);
