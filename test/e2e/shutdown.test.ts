import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asCallSid } from '../../src/ids.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimulatorDeps } from '../../src/sim/simulated-call.js';
import { readTwiml } from '../../src/sim/twiml-reader.js';
import { CallsRepo, openDatabase } from '../../src/store/index.js';
import { hex, postForm, voiceParams } from '../telephony/twilio/stream-peer.js';
import { activeSessions, ensureBuilt, startServerProcess, type ServerProcess } from './server-process.js';

/**
 * The real server process (`node bin/switchboard.js serve`) taking SIGTERM in the middle of a
 * call: no new calls, live calls finish or hear a goodbye at the limit, each end is written, exit 0.
 */
const started: ServerProcess[] = [];
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  for (const s of started) {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

async function start(env: Record<string, string>, opts: { dataDir?: string } = {}) {
  const s = await startServerProcess(env, opts);
  started.push(s);
  return s;
}

const simDeps = (s: ServerProcess): SimulatorDeps => ({
  baseUrl: s.baseUrl,
  authToken: s.secrets().twilioAuthToken,
  // Silent caller: no speech is synthesized.
  callerAudio: async () => new Uint8Array(0),
});

/** A caller who stays on the line, quiet, for up to a minute. */
const longCall = parseCallScript({ turns: [{ silenceMs: 60_000 }], maxDurationMs: 70_000 });

async function waitForSessions(s: ServerProcess, n: number) {
  const end = Date.now() + 20_000;
  while ((await activeSessions(s.baseUrl)) !== n) {
    if (Date.now() > end) throw new Error(`expected ${n} live sessions\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function storedCall(dataDir: string, callSid: string) {
  const database = await openDatabase({
    dataDir,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
  try {
    return await new CallsRepo(database.db).get(asCallSid(callSid));
  } finally {
    await database.close();
  }
}

describe('SIGTERM', () => {
  it('mid-call: new calls hear "call back", the live call hears a goodbye at the grace limit, its end is written, exit 0', async () => {
    const graceMs = 2000;
    const s = await start({ SHUTDOWN_GRACE_MS: String(graceMs) });
    const call = simulateCall(longCall, simDeps(s));
    await waitForSessions(s, 1);
    await new Promise((r) => setTimeout(r, 1000));
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');

    // A call arriving now is declined in words, not with an HTTP error (Twilio would play its error).
    await new Promise((r) => setTimeout(r, 200));
    const late = await postForm(
      { baseUrl: s.baseUrl, authToken: s.secrets().twilioAuthToken },
      '/twilio/voice',
      voiceParams(`CA${hex(16)}`),
    );
    expect(late.status).toBe(200);
    const twiml = readTwiml(await late.text());
    expect(twiml.kind).toBe('say-hangup');
    expect((twiml as { say: string[] }).say.join(' ')).toMatch(/call back/i);

    const report = await call;
    expect(report.closedBy).toBe('server');
    expect(report.closeCode).toBe(1000);
    expect(report.protocolErrors).toEqual([]);
    const exit = await s.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(graceMs + 8000);
    // Not before the grace: the call was allowed to go on until then.
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(graceMs);

    const stored = await storedCall(s.dataDir, report.callSid);
    expect(stored).toMatchObject({ status: 'completed', endReason: 'shutdown' });
    expect(stored?.endedAt).toBeInstanceOf(Date);
    expect(stored?.summary).toMatchObject({ endReason: 'shutdown' });
    expect(stored?.turns.at(-1)).toMatchObject({ speaker: 'agent', interrupted: false });
    expect(stored?.turns.at(-1)?.text).toMatch(/Goodbye/);
    expect(stored?.recordingPath).toMatch(/\.wav$/);
  }, 60_000);

  it('a call that ends within the grace completes normally and the process exits right after it', async () => {
    const s = await start({ SHUTDOWN_GRACE_MS: '30000' });
    const call = simulateCall(parseCallScript({ turns: [], hangupAfterMs: 300 }), simDeps(s));
    await waitForSessions(s, 1);
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    const report = await call;
    expect(report.closedBy).toBe('simulator');
    const exit = await s.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(15_000);
    const stored = await storedCall(s.dataDir, report.callSid);
    expect(stored).toMatchObject({ status: 'completed', endReason: 'stop' });
    expect(stored?.endedAt).toBeInstanceOf(Date);
  }, 60_000);

  it('slow and idle HTTP clients do not hold the exit', async () => {
    const s = await start({ SHUTDOWN_GRACE_MS: '30000' });
    const port = Number(new URL(s.baseUrl).port);
    // One client stuck halfway through its headers, one idle on a kept-alive connection.
    const slow = connect(port, '127.0.0.1', () => slow.write('POST /twilio/status HTTP/1.1\r\nHost: x\r\n'));
    const idle = connect(port, '127.0.0.1', () => idle.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
    for (const c of [slow, idle]) c.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(3000);
    slow.destroy();
    idle.destroy();
  }, 60_000);

  it('a second signal exits at once; the next start closes the abandoned call as failed (node-restarted)', async () => {
    const s = await start({ SHUTDOWN_GRACE_MS: '30000' });
    const call = simulateCall(longCall, simDeps(s));
    await waitForSessions(s, 1);
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    expect(exit.at - signalledAt).toBeLessThan(2000);
    expect(exit.code).toBe(143);
    const report = await call;
    expect(report.closedBy).toBe('server');

    const open = await storedCall(s.dataDir, report.callSid);
    expect(open?.endedAt).toBeNull();
    const again = await start({}, { dataDir: s.dataDir });
    const stored = await storedCall2(again, report.callSid);
    expect(stored).toMatchObject({ status: 'failed', endReason: 'node-restarted' });
    expect(stored['endedAt']).not.toBeNull();
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 90_000);
});

/** Through the running server's admin API (its database is locked by it). */
async function storedCall2(s: ServerProcess, callSid: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${s.baseUrl}/api/calls/${callSid}`, {
    headers: { authorization: `Bearer ${s.secrets().apiKey}` },
  });
  return ((await res.json()) as { call: Record<string, unknown> }).call;
}
