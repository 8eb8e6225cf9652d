import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWav } from '../../src/audio/index.js';
import { asCallSid, type CallSid } from '../../src/ids.js';
import { InProcessQueue, RecordingFiles } from '../../src/jobs/index.js';
import { recordingLogger } from '../support/redis-env.js';

const audio = (seconds: number) => {
  const n = 8000 * seconds;
  const left = new Int16Array(n).map((_, i) => (i % 100) * 10);
  const right = new Int16Array(n).map((_, i) => -(i % 50) * 10);
  return { channels: [left, right], sampleRate: 8000 };
};

describe('RecordingFiles: a call recording written off the call end', () => {
  let dataDir: string;
  let marked: Array<[CallSid, string]>;
  let queue: InProcessQueue;
  let log: ReturnType<typeof recordingLogger>;
  const calls = {
    setRecording: async (sid: CallSid, p: string) => {
      marked.push([sid, p]);
      return true;
    },
  };
  const make = () => {
    const files = new RecordingFiles({
      queue,
      dataDir,
      recordingsDir: join(dataDir, 'recordings'),
      calls,
      log,
    });
    queue.process('recording', (job) => files.write(job), { concurrency: 1 });
    return files;
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sb-recordings-'));
    marked = [];
    log = recordingLogger();
    queue = new InProcessQueue({ workerName: 'node-a', retry: { attempts: 3, backoffMs: 20 } });
  });
  afterEach(async () => {
    await queue.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keep() resolves before the file exists (no path for the call-ended event); the job writes it, then marks the row', async () => {
    const files = make();
    const sid = asCallSid('CArec1');
    expect(await files.keep(sid, audio(2))).toBeUndefined();
    expect(marked).toEqual([]);
    await queue.idle();
    expect(marked).toEqual([[sid, join('recordings', 'CArec1.wav')]]);
    const file = join(dataDir, 'recordings', 'CArec1.wav');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const wav = readWav(new Uint8Array(await readFile(file)));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[0]!.length).toBe(16000);
    expect(wav.channels[1]![3]).toBe(-30);
    expect(files.pending).toBe(0);
    // Only the finished file is left: nothing written aside remains.
    expect(readdirSync(join(dataDir, 'recordings'))).toEqual(['CArec1.wav']);
  });

  it("never overwrites an existing recording: the row is not pointed at someone else's file", async () => {
    const files = make();
    const recordings = join(dataDir, 'recordings');
    await files.keep(asCallSid('CAfirst'), audio(1));
    await queue.idle();
    writeFileSync(join(recordings, 'CAtaken.wav'), 'not ours');
    await files.keep(asCallSid('CAtaken'), audio(1));
    await queue.idle();
    expect(await readFile(join(recordings, 'CAtaken.wav'), 'utf8')).toBe('not ours');
    expect(marked.map(([s]) => s)).toEqual(['CAfirst']);
    expect(log.lines.some((l) => l.msg?.includes('exists already'))).toBe(true);
  });

  it('a failed marking is retried: the retry finds the whole file its first try wrote and marks it', async () => {
    let refusals = 1;
    const flaky = {
      setRecording: async (sid: CallSid, p: string) => {
        if (refusals-- > 0) throw new Error('connection reset');
        marked.push([sid, p]);
        return true;
      },
    };
    const files = new RecordingFiles({
      queue,
      dataDir,
      recordingsDir: join(dataDir, 'recordings'),
      calls: flaky,
      log,
    });
    queue.process('recording', (job) => files.write(job), { concurrency: 1 });
    await files.keep(asCallSid('CAretry'), audio(1));
    await queue.idle();
    expect(marked).toEqual([[asCallSid('CAretry'), join('recordings', 'CAretry.wav')]]);
    expect(log.lines.some((l) => l.msg?.includes('exists already'))).toBe(false);
    expect(
      readWav(new Uint8Array(await readFile(join(dataDir, 'recordings', 'CAretry.wav')))).channels[0]!.length,
    ).toBe(8000);
  });

  it('close() writes every recording still held, so a shutdown loses none', async () => {
    // A node whose queue has not run them yet (its worker busy or stopped).
    const idleQueue = new InProcessQueue({ workerName: 'node-a' });
    const files = new RecordingFiles({
      queue: idleQueue,
      dataDir,
      recordingsDir: join(dataDir, 'recordings'),
      calls,
      log,
    });
    await files.keep(asCallSid('CAheld1'), audio(1));
    await files.keep(asCallSid('CAheld2'), audio(1));
    expect(files.pending).toBe(2);
    await files.close();
    expect(files.pending).toBe(0);
    expect(marked.map(([s]) => s).sort()).toEqual(['CAheld1', 'CAheld2']);
    await idleQueue.close();
  });

  it('a queue that refuses the job (closing) gets the file written at once, path returned as before', async () => {
    const closed = new InProcessQueue({ workerName: 'node-a' });
    await closed.close();
    const files = new RecordingFiles({
      queue: closed,
      dataDir,
      recordingsDir: join(dataDir, 'recordings'),
      calls,
      log,
    });
    expect(await files.keep(asCallSid('CAlate'), audio(1))).toBe(join('recordings', 'CAlate.wav'));
    expect(marked).toEqual([[asCallSid('CAlate'), join('recordings', 'CAlate.wav')]]);
  });

  it('a recording that cannot be written after every attempt is dropped with an error log naming only the call', async () => {
    const files = new RecordingFiles({
      queue,
      dataDir,
      // A file where the folder should be: every write fails.
      recordingsDir: join(dataDir, 'blocked', 'recordings'),
      calls,
      log,
    });
    writeFileSync(join(dataDir, 'blocked'), 'x');
    queue.process('recording', (job) => files.write(job), { concurrency: 1 });
    await files.keep(asCallSid('CAlost'), audio(1));
    await queue.idle();
    expect(files.pending).toBe(0);
    expect(marked).toEqual([]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'recording: not written; dropped',
        obj: expect.objectContaining({ callSid: 'CAlost' }),
      }),
    );
  });
});
