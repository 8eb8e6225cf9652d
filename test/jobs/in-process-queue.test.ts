import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asCallSid } from '../../src/ids.js';
import { InProcessQueue } from '../../src/jobs/index.js';
import { recordingLogger } from '../support/redis-env.js';
import { describeJobQueue, eventually } from './support/queue-behaviour.js';

describeJobQueue('InProcessQueue', ({ workerName, log, retry, closeGraceMs }) => ({
  queue: new InProcessQueue({ workerName, log, retry, closeGraceMs }),
}));

describe('InProcessQueue', () => {
  it('is the embedded kind: one node', () => {
    expect(new InProcessQueue({ workerName: 'n' }).kind).toBe('in-process');
  });

  it('drops jobs not yet started at close, saying how many (the catch-ups take them)', async () => {
    const log = recordingLogger();
    const queue = new InProcessQueue({ workerName: 'n', log });
    queue.process('notify', async () => {}, { concurrency: 0 });
    await queue.add('notify', { outboxId: randomUUID() });
    await queue.add('notify', { outboxId: randomUUID() }, { delayMs: 60_000 });
    await queue.close();
    expect(log.lines).toContainEqual({
      level: 'warn',
      obj: { jobs: 2 },
      msg: 'jobs not started at close: left to the catch-ups',
    });
  });

  it('keeps a bounded number of finished jobs: an old id no longer dedupes', async () => {
    const queue = new InProcessQueue({ workerName: 'n', keepFinished: 2 });
    let runs = 0;
    queue.process('recording', async () => void runs++, { concurrency: 1 });
    for (const id of ['a', 'b', 'c'])
      await queue.add('recording', { callSid: asCallSid('CA1') }, { jobId: id });
    await eventually(() => runs === 3);
    expect(await queue.status('recording', 'a')).toBeUndefined();
    expect((await queue.counts()).recording.completed).toBe(2);
    expect((await queue.add('recording', { callSid: asCallSid('CA1') }, { jobId: 'a' })).where).toBe(
      'queued',
    );
    await eventually(() => runs === 4);
    await queue.close();
  });

  it('the same id under two names is two jobs', async () => {
    const queue = new InProcessQueue({ workerName: 'n' });
    expect((await queue.add('recording', { callSid: asCallSid('CA1') }, { jobId: 'x' })).where).toBe(
      'queued',
    );
    expect((await queue.add('call-summary', { callSid: asCallSid('CA1') }, { jobId: 'x' })).where).toBe(
      'queued',
    );
    await queue.close();
  });
});
