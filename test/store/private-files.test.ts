import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/http/logger.js';
import { LocalOutboxChannel } from '../../src/notify/channels/local.js';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall } from '../../src/sim/simulated-call.js';
import { writePrivateFileSync } from '../../src/store/private-files.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * DATA_DIR is owner-only whatever the umask: the database PGlite writes, recordings, outbox
 * mail, secrets, node id and the lock. Run with umask 000, where every file made without an
 * explicit mode (PGlite's included) would be world-readable.
 */

/** Every folder and file under root whose mode lets group or others in. */
function looseEntries(root: string): string[] {
  const loose: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) loose.push(`${p.slice(root.length) || '/'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(root);
  return loose;
}

const originalUmask = process.umask();
const parent = mkdtempSync(join(tmpdir(), 'sb-private-'));
afterAll(() => {
  process.umask(originalUmask);
  rmSync(parent, { recursive: true, force: true });
});

describe('with umask 000', () => {
  let server: TestServer;
  const dataDir = join(parent, 'data');

  beforeAll(async () => {
    process.umask(0);
    server = await startTestServer({ DATA_DIR: dataDir }, { stt: null });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps DATA_DIR and everything written in it owner-only after a call and an email', async () => {
    const report = await simulateCall(parseCallScript({ turns: [], hangupAfterMs: 300 }), {
      baseUrl: server.baseUrl,
      authToken: server.app.twilioAuthToken,
      apiKey: server.app.apiKey,
      callerAudio: callerAudioSource(await createFliteTts({ voice: 'rms' })),
    });
    expect(report.answered).toBe('stream');
    await new LocalOutboxChannel({ dataDir }).send({
      id: randomUUID(),
      businessId: randomUUID(),
      kind: 'email',
      recipient: 'owner@acme.test',
      subject: 'Emergency: flooding',
      body: 'Caller said the basement is flooding',
      payload: {},
      cause: 'emergency',
      causeId: null,
      callSid: report.callSid,
      attempt: 1,
      createdAt: new Date(),
    });
    // The recording is written as the call ends: wait for it.
    for (let i = 0; i < 50 && !safeList(join(dataDir, 'recordings')).length; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(safeList(join(dataDir, 'recordings')).length).toBeGreaterThan(0);
    expect(safeList(join(dataDir, 'outbox-mail')).length).toBeGreaterThan(0);
    expect(safeList(dataDir)).toEqual(expect.arrayContaining(['pglite', 'secrets.json', 'switchboard.lock']));
    expect(looseEntries(dataDir)).toEqual([]);
  });
});

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('an existing DATA_DIR with looser modes', () => {
  it('is tightened at start, with a warning', async () => {
    process.umask(0o022);
    const dataDir = join(parent, 'old');
    mkdirSync(join(dataDir, 'recordings'), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'recordings'), 0o775);
    writeFileSync(join(dataDir, 'recordings', 'CAold.wav'), 'RIFF');
    chmodSync(join(dataDir, 'recordings', 'CAold.wav'), 0o644);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const server = await startTestServer(
      { DATA_DIR: dataDir },
      { stt: null, logger: createLogger({ level: 'warn', destination }) },
    );
    try {
      expect(looseEntries(dataDir)).toEqual([]);
      expect(statSync(join(dataDir, 'recordings', 'CAold.wav')).mode & 0o777).toBe(0o600);
      const warning = lines
        .flatMap((l) => l.split('\n').filter(Boolean))
        .map((l) => JSON.parse(l) as { msg: string; tightened?: number })
        .find((l) => /owner-only/.test(l.msg));
      // DATA_DIR, its recordings folder and the old recording.
      expect(warning?.tightened).toBe(3);
    } finally {
      await server.stop();
    }
  });
});

describe('writePrivateFileSync', () => {
  it('makes a file it writes over 0600 too', () => {
    const file = join(parent, 'over.txt');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    writePrivateFileSync(file, 'new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
